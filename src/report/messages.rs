//! Cucumber Messages (`messages.ndjson`): one JSON envelope per line, in the
//! order the protocol has them: `meta`; per feature file its `source`,
//! `gherkinDocument` and a `pickle` per scenario that ran (one per example
//! row of an outline); the catalogue's `stepDefinition`s; `testRunStarted`;
//! a `testCase` per pickle; then per attempt `testCaseStarted` (its
//! `attempt`, 0 first), each step's `testStepStarted`, `attachment`s and
//! `testStepFinished`, and `testCaseFinished` (`willBeRetried` on every
//! attempt but the last); `testRunFinished`.
//!
//! The documents are made by parsing the feature's source as the run read
//! it (cleaned of secrets) with the same Gherkin parser cucumber uses;
//! locations the parser does not keep (tags, table rows and cells, doc
//! strings) are read from the source's lines. Ids are counters, so the same
//! report always gives the same file. The model keeps each scenario's start
//! and each step's duration, not each step's start: a step starts when the
//! steps before it in its attempt ended, an attempt when the one before it
//! ended. A step that could not be judged (`error`) is `FAILED`, its
//! `exception.type` says `error`; attachments are embedded in base64, their
//! `fileName` the file's name under `attachments/` (which names the phone).

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use cucumber::gherkin::{self, GherkinEnv, StepType};
use serde_json::{json, Value};

use super::{attachments, Attachment, FeatureReport, RunReport, ScenarioReport, Status, StepReport};
use mitid_e2e_steps::catalogue::StepDef;

/// The `@cucumber/messages` version whose schema these envelopes follow
/// (tests/install/report-tools-env.sh installs the same one to check them).
pub const PROTOCOL_VERSION: &str = "34.2.1";

/// Why no messages could be written.
#[derive(Debug, thiserror::Error)]
pub enum MessagesError {
    /// A feature's file text is not in the report (a merge of shards that
    /// wrote no `messages.ndjson`, with the feature file not at hand).
    #[error("the text of {uri} is not known, so its Gherkin document cannot be written")]
    NoSource {
        /// The feature file.
        uri: String,
    },
    /// A feature's text no longer parses as Gherkin.
    #[error("{uri} does not parse as Gherkin: {reason}")]
    Parse {
        /// The feature file.
        uri: String,
        /// The parser's words.
        reason: String,
    },
}

/// Ids as the protocol wants them: unique strings, here counters.
#[derive(Default)]
struct Ids(usize);

impl Ids {
    fn next(&mut self) -> String {
        self.0 += 1;
        self.0.to_string()
    }
}

fn timestamp(t: SystemTime) -> Value {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    json!({ "seconds": d.as_secs(), "nanos": d.subsec_nanos() })
}

fn duration(d: Duration) -> Value {
    json!({ "seconds": d.as_secs(), "nanos": d.subsec_nanos() })
}

fn location(line: usize, column: usize) -> Value {
    json!({ "line": line, "column": column.max(1) })
}

/// A step of a pickle, with what the test case needs of it.
struct PickleStep {
    id: String,
    line: usize,
    text: String,
}

/// A pickle and the scenario of the report that ran it.
struct Pickle<'a> {
    id: String,
    scenario: &'a ScenarioReport,
    steps: Vec<PickleStep>,
}

/// One feature file's document, and the pickles of it that ran.
struct Document<'a> {
    envelopes: Vec<Value>,
    pickles: Vec<Pickle<'a>>,
}

/// The source's lines, for the locations the parser does not keep.
struct Lines<'s>(Vec<&'s str>);

impl Lines<'_> {
    fn get(&self, line: usize) -> &str {
        line.checked_sub(1).and_then(|i| self.0.get(i)).copied().unwrap_or("")
    }

    /// The 1-based column of the first non-blank character of `line`.
    fn indent(&self, line: usize) -> usize {
        let l = self.get(line);
        l.len() - l.trim_start().len() + 1
    }

    /// Each tag above `line` (tag lines, comments and blank lines between),
    /// with its place; a tag not found there is placed on `line`.
    fn tags(&self, ids: &mut Ids, tags: &[String], line: usize) -> Vec<Value> {
        let mut found: HashMap<&str, (usize, usize)> = HashMap::new();
        let mut l = line;
        while l > 1 {
            l -= 1;
            let text = self.get(l);
            let trimmed = text.trim_start();
            if trimmed.starts_with('@') {
                let mut col = text.len() - trimmed.len();
                for token in trimmed.split_whitespace() {
                    let at = text[col..].find(token).map_or(col, |i| col + i);
                    if let Some(name) = token.strip_prefix('@') {
                        if let Some(t) = tags.iter().find(|t| t.as_str() == name) {
                            found.entry(t.as_str()).or_insert((l, at + 1));
                        }
                    }
                    col = at + token.len();
                }
            } else if !(trimmed.is_empty() || trimmed.starts_with('#')) {
                break;
            }
        }
        tags.iter()
            .map(|t| {
                let (l, c) = found.get(t.as_str()).copied().unwrap_or((line, 1));
                json!({ "location": location(l, c), "name": format!("@{t}"), "id": ids.next() })
            })
            .collect()
    }

    /// A table row on `line`: each cell's value, placed after its `|`.
    fn row(&self, ids: &mut Ids, line: usize, cells: &[String]) -> Value {
        let text = self.get(line);
        let pipes: Vec<usize> = text.match_indices('|').map(|(i, _)| i).collect();
        let cells: Vec<Value> = cells
            .iter()
            .enumerate()
            .map(|(i, value)| {
                let column = pipes.get(i).map_or(1, |&p| {
                    let after = &text[p + 1..];
                    p + 2 + (after.len() - after.trim_start().len())
                });
                json!({ "location": location(line, column), "value": value })
            })
            .collect();
        json!({ "location": location(line, self.indent(line)), "cells": cells, "id": ids.next() })
    }

    fn table(&self, ids: &mut Ids, table: &gherkin::Table) -> Vec<Value> {
        table.rows.iter().enumerate().map(|(i, r)| self.row(ids, table.position.line + i, r)).collect()
    }

    /// The doc string under the step on `line`: its delimiter's line, the
    /// delimiter and the media type written after it.
    fn doc_string(&self, line: usize, content: &str) -> Value {
        let mut l = line + 1;
        while l <= self.0.len() && self.get(l).trim().is_empty() {
            l += 1;
        }
        let opening = self.get(l).trim();
        let delimiter = if opening.starts_with("```") { "```" } else { "\"\"\"" };
        let media = opening.strip_prefix(delimiter).unwrap_or("").trim();
        let mut doc = json!({
            "location": location(l, self.indent(l)),
            "content": content,
            "delimiter": delimiter,
        });
        if !media.is_empty() {
            doc["mediaType"] = json!(media);
        }
        doc
    }
}

fn step_type(ty: StepType) -> &'static str {
    match ty {
        StepType::Given => "Context",
        StepType::When => "Action",
        StepType::Then => "Outcome",
    }
}

/// `<name>` replaced by the row's value under `name`, for each column.
fn expand(text: &str, header: &[String], row: &[String]) -> String {
    header.iter().zip(row).fold(text.to_owned(), |t, (h, v)| t.replace(&format!("<{h}>"), v))
}

/// The report's scenario that ran from `line` (cucumber places an example
/// row's scenario two lines under its `Examples:`, plus the row's index).
fn ran(feature: &FeatureReport, line: usize) -> Option<&ScenarioReport> {
    feature.scenarios.iter().find(|s| s.line == line)
}

/// A step of the document, as the Gherkin AST has it, and its id.
fn step_node(ids: &mut Ids, lines: &Lines<'_>, step: &gherkin::Step, ast_ids: &mut HashMap<usize, String>) -> Value {
    let keyword = step.keyword.trim();
    let keyword_type = if crate::feature_language::CONJUNCTIONS.contains(&keyword) {
        "Conjunction"
    } else if keyword == "*" {
        "Unknown"
    } else {
        step_type(step.ty)
    };
    let id = ids.next();
    let mut node = json!({
        "location": location(step.position.line, step.position.col),
        "keyword": format!("{keyword} "),
        "keywordType": keyword_type,
        "text": step.value,
        "id": id,
    });
    if let Some(table) = &step.table {
        node["dataTable"] = json!({
            "location": location(table.position.line, lines.indent(table.position.line)),
            "rows": lines.table(ids, table),
        });
    }
    if let Some(doc) = &step.docstring {
        node["docString"] = lines.doc_string(step.position.line, super::doc_string_text(doc));
    }
    ast_ids.insert(step.position.line, id);
    node
}

fn background_node(
    ids: &mut Ids,
    lines: &Lines<'_>,
    b: &gherkin::Background,
    ast_ids: &mut HashMap<usize, String>,
) -> Value {
    let steps: Vec<Value> = b.steps.iter().map(|s| step_node(ids, lines, s, ast_ids)).collect();
    json!({
        "location": location(b.position.line, b.position.col),
        "keyword": b.keyword,
        "name": b.name,
        "description": b.description.as_deref().unwrap_or(""),
        "steps": steps,
        "id": ids.next(),
    })
}

/// Tags as pickles name them: (name with `@`, the tag's id).
type Tags = Vec<(String, String)>;

/// An example row: its id, line and cells.
struct ExampleRow {
    id: String,
    line: usize,
    cells: Vec<String>,
}

/// An examples table: its tags, header and rows.
struct ExamplesNode {
    tags: Tags,
    header: Vec<String>,
    rows: Vec<ExampleRow>,
}

/// An example row with its table.
type Row<'a> = (&'a ExamplesNode, &'a ExampleRow);

/// A scenario (or outline) of the document; its pickles are made after.
struct ScenarioNode {
    node: Value,
    id: String,
    tags: Tags,
    examples: Vec<ExamplesNode>,
}

/// A scenario of the document with what its pickles inherit.
struct Placed<'a> {
    node: ScenarioNode,
    rule_tags: Tags,
    background: Vec<&'a gherkin::Step>,
    ast: &'a gherkin::Scenario,
}

fn tag_pairs(nodes: &[Value]) -> Tags {
    nodes
        .iter()
        .map(|t| (t["name"].as_str().unwrap_or("").to_owned(), t["id"].as_str().unwrap_or("").to_owned()))
        .collect()
}

fn scenario_node(
    ids: &mut Ids,
    lines: &Lines<'_>,
    sc: &gherkin::Scenario,
    ast_ids: &mut HashMap<usize, String>,
) -> ScenarioNode {
    let tags = lines.tags(ids, &sc.tags, sc.position.line);
    let steps: Vec<Value> = sc.steps.iter().map(|s| step_node(ids, lines, s, ast_ids)).collect();
    let mut examples = Vec::new();
    let mut example_nodes = Vec::new();
    for e in &sc.examples {
        let etags = lines.tags(ids, &e.tags, e.position.line);
        let rows = e.table.as_ref().map(|t| lines.table(ids, t)).unwrap_or_default();
        let header_row = e.table.as_ref().and_then(|t| t.rows.first().cloned()).unwrap_or_default();
        let body: Vec<ExampleRow> = rows
            .iter()
            .skip(1)
            .zip(e.table.iter().flat_map(|t| t.rows.iter().skip(1)))
            .map(|(node, cells)| ExampleRow {
                id: node["id"].as_str().unwrap_or("").to_owned(),
                line: node["location"]["line"].as_u64().unwrap_or(0) as usize,
                cells: cells.clone(),
            })
            .collect();
        let mut node = json!({
            "location": location(e.position.line, e.position.col),
            "tags": etags,
            "keyword": e.keyword,
            "name": e.name.as_deref().unwrap_or(""),
            "description": e.description.as_deref().unwrap_or(""),
            "tableBody": rows.iter().skip(1).cloned().collect::<Vec<_>>(),
            "id": ids.next(),
        });
        if let Some(h) = rows.first() {
            node["tableHeader"] = h.clone();
        }
        examples.push(ExamplesNode { tags: tag_pairs(&etags), header: header_row, rows: body });
        example_nodes.push(node);
    }
    let id = ids.next();
    let node = json!({
        "location": location(sc.position.line, sc.position.col),
        "tags": tags,
        "keyword": sc.keyword,
        "name": sc.name,
        "description": sc.description.as_deref().unwrap_or(""),
        "steps": steps,
        "examples": example_nodes,
        "id": id,
    });
    ScenarioNode { node, id: id.clone(), tags: tag_pairs(&tags), examples }
}

/// The feature's `source`, `gherkinDocument` and the pickles of what ran.
fn document<'a>(ids: &mut Ids, feature: &'a FeatureReport) -> Result<Document<'a>, MessagesError> {
    let uri = feature.path.display().to_string();
    let source = feature.source.as_deref().ok_or_else(|| MessagesError::NoSource { uri: uri.clone() })?;
    let ast = gherkin::Feature::parse(source, GherkinEnv::default())
        .map_err(|e| MessagesError::Parse { uri: uri.clone(), reason: e.to_string() })?;
    let lines = Lines(source.lines().collect());
    let language = crate::feature_language::language_of(source);
    let header = crate::feature_language::language_line(source).map(|(line, _)| line);
    let mut ast_ids = HashMap::new();

    let feature_tags = lines.tags(ids, &ast.tags, ast.position.line);
    let feature_tag_pairs = tag_pairs(&feature_tags);
    let mut children = Vec::new();
    // (scenario, its tags and the rule's, the background steps before its own)
    let mut scenarios: Vec<Placed<'_>> = Vec::new();
    let mut order: Vec<(usize, Value)> = Vec::new();
    if let Some(b) = &ast.background {
        order.push((b.position.line, json!({ "background": background_node(ids, &lines, b, &mut ast_ids) })));
    }
    let feature_bg: Vec<&gherkin::Step> = ast.background.iter().flat_map(|b| b.steps.iter()).collect();
    for sc in &ast.scenarios {
        let node = scenario_node(ids, &lines, sc, &mut ast_ids);
        order.push((sc.position.line, json!({ "scenario": node.node })));
        scenarios.push(Placed { node, rule_tags: Vec::new(), background: feature_bg.clone(), ast: sc });
    }
    for rule in &ast.rules {
        let rule_tags = lines.tags(ids, &rule.tags, rule.position.line);
        let mut rule_children = Vec::new();
        if let Some(b) = &rule.background {
            rule_children.push(json!({ "background": background_node(ids, &lines, b, &mut ast_ids) }));
        }
        let background: Vec<&gherkin::Step> =
            feature_bg.iter().copied().chain(rule.background.iter().flat_map(|b| b.steps.iter())).collect();
        for sc in &rule.scenarios {
            let node = scenario_node(ids, &lines, sc, &mut ast_ids);
            rule_children.push(json!({ "scenario": node.node }));
            scenarios.push(Placed { node, rule_tags: tag_pairs(&rule_tags), background: background.clone(), ast: sc });
        }
        let rule_node = json!({
            "location": location(rule.position.line, rule.position.col),
            "tags": rule_tags,
            "keyword": rule.keyword,
            "name": rule.name,
            "description": rule.description.as_deref().unwrap_or(""),
            "children": rule_children,
            "id": ids.next(),
        });
        order.push((rule.position.line, json!({ "rule": rule_node })));
    }
    order.sort_by_key(|(line, _)| *line);
    children.extend(order.into_iter().map(|(_, c)| c));

    let comments: Vec<Value> = lines
        .0
        .iter()
        .enumerate()
        .filter(|(i, l)| l.trim_start().starts_with('#') && header != Some(*i))
        .map(|(i, l)| json!({ "location": location(i + 1, 1), "text": l }))
        .collect();
    let gherkin_document = json!({
        "uri": uri,
        "feature": {
            "location": location(ast.position.line, ast.position.col),
            "tags": feature_tags,
            "language": language,
            "keyword": ast.keyword,
            "name": ast.name,
            "description": ast.description.as_deref().unwrap_or(""),
            "children": children,
        },
        "comments": comments,
    });
    let mut envelopes = vec![
        json!({ "source": { "uri": uri, "data": source, "mediaType": "text/x.cucumber.gherkin+plain" } }),
        json!({ "gherkinDocument": gherkin_document }),
    ];

    let mut pickles = Vec::new();
    for Placed { node, rule_tags, background, ast: sc } in &scenarios {
        // (the pickle's line, the line the report has the scenario on, its example row)
        let mut runs: Vec<(usize, usize, Option<Row<'_>>)> = Vec::new();
        if sc.examples.is_empty() {
            runs.push((sc.position.line, sc.position.line, None));
        } else {
            for (e, examples) in sc.examples.iter().zip(&node.examples) {
                for (i, row) in examples.rows.iter().enumerate() {
                    runs.push((row.line, e.position.line + 2 + i, Some((examples, row))));
                }
            }
        }
        for (pickle_line, ran_line, row) in runs {
            let Some(scenario) = ran(feature, ran_line) else { continue };
            let mut tags: Tags = feature_tag_pairs.iter().chain(rule_tags).chain(&node.tags).cloned().collect();
            if let Some((examples, _)) = row {
                tags.extend(examples.tags.iter().cloned());
            }
            let mut steps = Vec::new();
            let mut step_nodes = Vec::new();
            for step in background.iter().copied().chain(&sc.steps) {
                let ast_id = ast_ids.get(&step.position.line).cloned().unwrap_or_default();
                // An outline's own steps take the row's values; the background's do not.
                let expand_row = row.filter(|_| sc.steps.iter().any(|s| std::ptr::eq(s, step)));
                let ex = |s: &str| expand_row.map_or_else(|| s.to_owned(), |(e, r)| expand(s, &e.header, &r.cells));
                let text = ex(&step.value);
                let mut ast_node_ids = vec![ast_id];
                ast_node_ids.extend(expand_row.map(|(_, r)| r.id.clone()));
                let id = ids.next();
                let mut node = json!({
                    "astNodeIds": ast_node_ids,
                    "id": id,
                    "type": step_type(step.ty),
                    "text": text,
                });
                if let Some(table) = &step.table {
                    let rows: Vec<Value> = table
                        .rows
                        .iter()
                        .map(|r| json!({ "cells": r.iter().map(|c| json!({ "value": ex(c) })).collect::<Vec<_>>() }))
                        .collect();
                    node["argument"] = json!({ "dataTable": { "rows": rows } });
                } else if let Some(doc) = &step.docstring {
                    let doc = super::doc_string_text(doc);
                    let mut d = json!({ "content": ex(doc) });
                    if let Some(media) = lines.doc_string(step.position.line, doc).get("mediaType") {
                        d["mediaType"] = media.clone();
                    }
                    node["argument"] = json!({ "docString": d });
                }
                steps.push(PickleStep { id, line: step.position.line, text });
                step_nodes.push(node);
            }
            let mut ast_node_ids = vec![node.id.clone()];
            ast_node_ids.extend(row.map(|(_, r)| r.id.clone()));
            let id = ids.next();
            envelopes.push(json!({ "pickle": {
                "id": id,
                "uri": uri,
                "location": location(pickle_line, lines.indent(pickle_line)),
                "name": scenario.name,
                "language": language,
                "steps": step_nodes,
                "tags": tags.iter().map(|(name, id)| json!({ "name": name, "astNodeId": id })).collect::<Vec<_>>(),
                "astNodeIds": ast_node_ids,
            }}));
            pickles.push(Pickle { id, scenario, steps });
        }
    }
    Ok(Document { envelopes, pickles })
}

/// The step definitions: each catalogue phrase, English and Danish, a
/// Cucumber Expression or a regular expression as the row writes it.
struct Definitions {
    defs: Vec<Definition>,
}

struct Definition {
    id: String,
    re: regex::Regex,
    /// An expression's parameter types, in order; empty for a regex.
    parameter_types: Vec<String>,
}

impl Definitions {
    fn new(ids: &mut Ids, catalogue: &[StepDef], out: &mut Vec<Value>) -> Definitions {
        let mut defs = Vec::new();
        for d in catalogue {
            for phrase in std::iter::once(d.phrase).chain(d.danish) {
                let Ok(re) = mitid_e2e_steps::phrases::compile(phrase) else { continue };
                let (kind, parameter_types) = if mitid_e2e_steps::phrases::is_regex(phrase) {
                    ("REGULAR_EXPRESSION", Vec::new())
                } else {
                    ("CUCUMBER_EXPRESSION", parameter_types(phrase))
                };
                let id = ids.next();
                out.push(json!({ "stepDefinition": {
                    "id": id,
                    "pattern": { "source": phrase, "type": kind },
                    "sourceReference": { "uri": d.location.path, "location": { "line": d.location.line } },
                }}));
                defs.push(Definition { id, re, parameter_types });
            }
        }
        Definitions { defs }
    }

    /// The definitions matching `text`, with each one's arguments: one per
    /// parameter (a `{string}`'s two quote groups are one argument, its
    /// value without the quotes).
    fn matching(&self, text: &str) -> (Vec<Value>, Vec<Value>) {
        let mut ids = Vec::new();
        let mut lists = Vec::new();
        for def in &self.defs {
            let Some(caps) = def.re.captures(text) else { continue };
            let names: Vec<Option<&str>> = def.re.capture_names().collect();
            let mut groups: Vec<Option<regex::Match>> = Vec::new();
            let mut string_id: Option<&str> = None;
            for (i, m) in caps.iter().enumerate().skip(1) {
                let id = names[i].and_then(|n| n.strip_prefix("__")).and_then(|n| n.split_once('_')).map(|(id, _)| id);
                match id {
                    Some(id) if string_id == Some(id) => {
                        if let (Some(last), Some(_)) = (groups.last_mut(), m) {
                            *last = m;
                        }
                        continue;
                    }
                    _ => string_id = id,
                }
                groups.push(m);
            }
            let args: Vec<Value> = groups
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let group = match m {
                        Some(m) => json!({ "start": m.start(), "value": m.as_str(), "children": [] }),
                        None => json!({ "children": [] }),
                    };
                    match def.parameter_types.get(i) {
                        Some(name) => json!({ "group": group, "parameterTypeName": name }),
                        None => json!({ "group": group }),
                    }
                })
                .collect();
            ids.push(json!(def.id));
            lists.push(json!({ "stepMatchArguments": args }));
        }
        (ids, lists)
    }
}

/// The parameter types of a Cucumber Expression, in order: `{phone}` → "phone".
fn parameter_types(expression: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expression.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '{' => out.push(chars.by_ref().take_while(|c| *c != '}').collect()),
            _ => {}
        }
    }
    out
}

fn status_name(status: Status, ambiguous: bool) -> &'static str {
    match status {
        Status::Passed => "PASSED",
        Status::Failed | Status::Error if ambiguous => "AMBIGUOUS",
        Status::Failed | Status::Error => "FAILED",
        Status::Skipped => "SKIPPED",
        Status::Undefined => "UNDEFINED",
    }
}

/// The test case of a pickle: its steps, and the hook steps the report
/// holds for it (a before-scenario hook that failed; the run stopping).
struct TestCase {
    id: String,
    before: Option<String>,
    /// Per pickle step: its test step id, and whether several definitions match.
    steps: Vec<(String, bool)>,
    after: Option<String>,
}

/// `messages.ndjson` for `report`, its step definitions from `catalogue`.
pub fn render(report: &RunReport, catalogue: &[StepDef]) -> Result<String, MessagesError> {
    let mut ids = Ids::default();
    let mut out = vec![json!({ "meta": {
        "protocolVersion": PROTOCOL_VERSION,
        "implementation": { "name": "mitid-e2e", "version": env!("CARGO_PKG_VERSION") },
        "runtime": { "name": "rust" },
        "os": { "name": std::env::consts::OS },
        "cpu": { "name": std::env::consts::ARCH },
    }})];
    for e in &report.parse_errors {
        out.push(json!({ "parseError": { "source": {}, "message": e } }));
    }
    let mut pickles = Vec::new();
    for f in &report.features {
        let doc = document(&mut ids, f)?;
        out.extend(doc.envelopes);
        pickles.extend(doc.pickles);
    }
    let defs = Definitions::new(&mut ids, catalogue, &mut out);
    let before_hook = ids.next();
    let after_hook = ids.next();
    out.push(json!({ "hook": {
        "id": before_hook, "name": "before the scenario", "type": "BEFORE_TEST_CASE",
        "sourceReference": { "uri": "src/run.rs" },
    }}));
    out.push(json!({ "hook": {
        "id": after_hook, "name": "the run stopped", "type": "AFTER_TEST_CASE",
        "sourceReference": { "uri": "src/run.rs" },
    }}));

    let run_started = report
        .scenarios()
        .filter_map(|(_, s)| s.started)
        .min()
        .unwrap_or_else(|| SystemTime::now().checked_sub(report.duration).unwrap_or(UNIX_EPOCH));
    let run_id = ids.next();
    out.push(json!({ "testRunStarted": { "id": run_id, "timestamp": timestamp(run_started) } }));

    let attempts = |s: &ScenarioReport| -> Vec<Vec<StepReport>> {
        s.earlier_attempts.iter().map(|a| a.steps.clone()).chain([s.steps.clone()]).collect()
    };
    let mut cases = Vec::new();
    for p in &pickles {
        let all = attempts(p.scenario);
        let has = |kw: &str| all.iter().flatten().any(|st| st.keyword == kw);
        let mut test_steps = Vec::new();
        let before = has("Hook").then(|| {
            let id = ids.next();
            test_steps.push(json!({ "id": id, "hookId": before_hook }));
            id
        });
        let mut steps = Vec::new();
        for ps in &p.steps {
            let (definitions, lists) = defs.matching(&ps.text);
            let id = ids.next();
            steps.push((id.clone(), definitions.len() > 1));
            test_steps.push(json!({
                "id": id,
                "pickleStepId": ps.id,
                "stepDefinitionIds": definitions,
                "stepMatchArgumentsLists": lists,
            }));
        }
        let after = has("Run").then(|| {
            let id = ids.next();
            test_steps.push(json!({ "id": id, "hookId": after_hook }));
            id
        });
        let id = ids.next();
        out.push(json!({ "testCase": {
            "id": id, "pickleId": p.id, "testSteps": test_steps, "testRunStartedId": run_id,
        }}));
        cases.push(TestCase { id, before, steps, after });
    }

    let files: HashMap<*const Attachment, String> = attachments::files(report)
        .into_iter()
        .map(|f| {
            let name = f.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (f.attachment as *const Attachment, name)
        })
        .collect();
    for (p, case) in pickles.iter().zip(&cases) {
        let s = p.scenario;
        let mut at = s.started.unwrap_or(run_started);
        let all = s.every_attempt();
        for (n, (steps, took)) in all.iter().enumerate() {
            let attempt_start = at;
            let started_id = ids.next();
            out.push(json!({ "testCaseStarted": {
                "id": started_id, "testCaseId": case.id, "attempt": n, "timestamp": timestamp(at),
            }}));
            let mut used = vec![false; steps.len()];
            let mut take = |pred: &dyn Fn(&StepReport) -> bool| {
                let i = steps.iter().enumerate().position(|(i, st)| !used[i] && pred(st))?;
                used[i] = true;
                Some(&steps[i])
            };
            let mut plan: Vec<(&String, Option<&StepReport>, bool)> = Vec::new();
            if let Some(id) = &case.before {
                plan.push((id, take(&|st| st.keyword == "Hook"), false));
            }
            for (ps, (id, ambiguous)) in p.steps.iter().zip(&case.steps) {
                let line = ps.line;
                plan.push((id, take(&|st| st.line == line && st.keyword != "Hook" && st.keyword != "Run"), *ambiguous));
            }
            if let Some(id) = &case.after {
                if let Some(st) = take(&|st| st.keyword == "Run") {
                    plan.push((id, Some(st), false));
                }
            }
            for (step_id, st, ambiguous) in plan {
                out.push(json!({ "testStepStarted": {
                    "testCaseStartedId": started_id, "testStepId": step_id, "timestamp": timestamp(at),
                }}));
                // A hook with nothing reported held; a step with nothing
                // reported was not run.
                let (status, took, error) = match st {
                    Some(st) => (st.status, st.duration, st.error.as_deref()),
                    None if Some(step_id) == case.before.as_ref() => (Status::Passed, Duration::ZERO, None),
                    None => (Status::Skipped, Duration::ZERO, None),
                };
                for a in st.map(|st| st.attachments.as_slice()).unwrap_or_default() {
                    let mut attachment = json!({
                        "testCaseStartedId": started_id,
                        "testStepId": step_id,
                        "body": base64::engine::general_purpose::STANDARD.encode(&a.data),
                        "contentEncoding": "BASE64",
                        "mediaType": a.mime,
                        "timestamp": timestamp(at + took),
                    });
                    if let Some(name) = files.get(&(a as *const Attachment)) {
                        attachment["fileName"] = json!(name);
                    }
                    out.push(json!({ "attachment": attachment }));
                }
                at += took;
                let mut result = json!({ "duration": duration(took), "status": status_name(status, ambiguous) });
                if let Some(e) = error {
                    result["message"] = json!(e);
                    if matches!(status, Status::Failed | Status::Error) {
                        result["exception"] = json!({ "type": status.name(), "message": e });
                    }
                }
                if let Some(reason) = &s.left_out {
                    result["message"] = json!(format!("left out: {reason}"));
                }
                out.push(json!({ "testStepFinished": {
                    "testCaseStartedId": started_id, "testStepId": step_id, "testStepResult": result,
                    "timestamp": timestamp(at),
                }}));
            }
            at = at.max(attempt_start + *took);
            out.push(json!({ "testCaseFinished": {
                "testCaseStartedId": started_id, "timestamp": timestamp(at), "willBeRetried": n + 1 < all.len(),
            }}));
        }
    }
    let finished = run_started + report.duration;
    out.push(json!({ "testRunFinished": {
        "success": report.passed(), "timestamp": timestamp(finished), "testRunStartedId": run_id,
    }}));
    let mut text = String::new();
    for envelope in out {
        text.push_str(&envelope.to_string());
        text.push('\n');
    }
    Ok(text)
}

/// Reads back the feature sources a run's `messages.ndjson` holds, by uri:
/// what `report merge` renders the merged messages from.
pub fn read_sources(run_dir: &Path) -> HashMap<String, String> {
    let Ok(text) = std::fs::read_to_string(run_dir.join("messages.ndjson")) else { return HashMap::new() };
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let s = &v["source"];
            Some((s["uri"].as_str()?.to_owned(), s["data"].as_str()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expression_step_has_one_argument_per_parameter_with_its_type() {
        let mut ids = Ids::default();
        let mut out = Vec::new();
        let defs = Definitions::new(&mut ids, &mitid_e2e_steps::all(), &mut out);
        let pressed = out.iter().find(|e| e["stepDefinition"]["pattern"]["source"] == "I press {string}").unwrap();
        assert_eq!(pressed["stepDefinition"]["pattern"]["type"], "CUCUMBER_EXPRESSION");
        let (matched, lists) = defs.matching("I press 'Activate'");
        assert_eq!(matched.len(), 1, "{matched:?}");
        let args = lists[0]["stepMatchArguments"].as_array().unwrap();
        assert_eq!(args.len(), 1, "{args:?}");
        assert_eq!(args[0]["group"]["value"], "Activate");
        assert_eq!(args[0]["group"]["start"], 9);
        assert_eq!(args[0]["parameterTypeName"], "string");
        assert_eq!(parameter_types(r"I take my {phone} phone \{not} {int}"), ["phone", "int"]);
        let walk =
            out.iter().find(|e| e["stepDefinition"]["pattern"]["source"].as_str().unwrap().contains("have followed"));
        assert_eq!(walk.unwrap()["stepDefinition"]["pattern"]["type"], "REGULAR_EXPRESSION");
    }
}
