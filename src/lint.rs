//! What can be known of the features without a phone: every selected
//! feature read, every step matched against the catalogue. `run --dry-run`
//! prints it; a real run refuses (exit 2) a malformed feature before it
//! starts a farm: an unknown `# language:`, a file that cannot be parsed, a
//! scenario with no steps, an outline with no Examples row, tags that ask
//! two things of one device, a description line that reads like a misspelt
//! step, a step two phrases match.

use std::path::{Path, PathBuf};

use cucumber::gherkin::{self, tagexpr::TagOperation};
use cucumber::tag::Ext as _;
use regex::Regex;

use crate::exit::Exit;
use crate::feature_language::{language_of, STEP_KEYWORDS};
use crate::select::Selection;
use mitid_e2e_steps::catalogue::StepDef;

/// What kind of problem a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// `# language:` names a language Gherkin does not know.
    Language,
    /// The file cannot be parsed as Gherkin.
    Malformed,
    /// A scenario with no steps: it would pass having checked nothing.
    NoSteps,
    /// A description line that reads like a step with a misspelt keyword:
    /// Gherkin takes it as text, and the scenario runs one step short.
    Misspelt,
    /// Tags that ask two things of one device (`@ios @new-android`).
    Tags,
    /// A Scenario Outline with no Examples row: Gherkin makes no scenario
    /// of it, and run as written its `<placeholders>` would be steps.
    NoExamples,
    /// Two or more phrases match the step.
    Ambiguous,
    /// No phrase matches the step.
    Undefined,
}

impl Kind {
    /// The exit code a dry run gives for it: 1 for a step the catalogue
    /// cannot run, 2 for a malformed feature.
    pub fn exit(self) -> Exit {
        match self {
            Kind::Undefined | Kind::Ambiguous => Exit::Failed,
            _ => Exit::Usage,
        }
    }
}

/// One problem, where it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The feature file, as the person typed it.
    pub file: String,
    /// The line.
    pub line: usize,
    /// What kind.
    pub kind: Kind,
    /// What is wrong, for a person; for an undefined step, a "did you mean"
    /// and a snippet.
    pub message: String,
}

impl Finding {
    /// `file:line`.
    pub fn place(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// A scenario as the lint found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedScenario {
    /// `file:line`.
    pub place: String,
    /// Its name, an outline row's filled in.
    pub name: String,
    /// Its tags, the feature's and rule's and Examples' included, without `@`.
    pub tags: Vec<String>,
}

/// What was checked.
#[derive(Debug, Default)]
pub struct Lint {
    /// Scenarios checked (an outline's example rows each count).
    pub scenarios: usize,
    /// Each scenario checked: its file, line, name and tags (for `doctor`,
    /// which asks whether a profile's devices can serve them).
    pub listed: Vec<ListedScenario>,
    /// Steps checked.
    pub steps: usize,
    /// The problems, by file and line.
    pub findings: Vec<Finding>,
}

impl Lint {
    /// The exit code of a dry run: 0 nothing found, else the worst finding's.
    pub fn exit(&self) -> Exit {
        self.findings.iter().map(|f| f.kind.exit()).max().unwrap_or(Exit::Passed)
    }

    /// The findings that make a real run a usage error (exit 2): all but
    /// undefined steps, which a real run reports as failed scenarios.
    pub fn blocking(&self) -> Vec<&Finding> {
        self.findings.iter().filter(|f| f.kind != Kind::Undefined).collect()
    }
}

/// Checks every selected scenario of `files`.
pub fn check(files: &[PathBuf], selection: &Selection, tags: Option<&TagOperation>, catalogue: &[StepDef]) -> Lint {
    let phrases: Vec<(Regex, &StepDef)> = catalogue
        .iter()
        .flat_map(|d| std::iter::once(d.phrase).chain(d.danish).map(move |p| (p, d)))
        .filter_map(|(p, d)| mitid_e2e_steps::phrases::compile(p).ok().map(|r| (r, d)))
        .collect();
    let mut lint = Lint::default();
    for file in files {
        check_file(file, selection, tags, &phrases, catalogue, &mut lint);
    }
    lint.findings.sort();
    lint
}

fn check_file(
    file: &Path,
    selection: &Selection,
    tags: Option<&TagOperation>,
    phrases: &[(Regex, &StepDef)],
    catalogue: &[StepDef],
    lint: &mut Lint,
) {
    let shown = shown_path(file);
    let mut find = |line: usize, kind: Kind, message: String| {
        // A step's text goes to the console and run.json: scrubbed like any report string.
        let message = crate::report::clean(&message);
        lint.findings.push(Finding { file: shown.clone(), line, kind, message });
    };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return find(0, Kind::Malformed, format!("cannot read it: {e}")),
    };
    let language = language_of(&text);
    if !gherkin::is_language_supported(language) {
        let line = text.lines().position(|l| l.contains("language")).map_or(1, |i| i + 1);
        return find(
            line,
            Kind::Language,
            format!("unknown language '{language}' in '# language:' (Gherkin knows e.g. en, da, de, fr, nl, no, sv)"),
        );
    }
    let env = match gherkin::GherkinEnv::new(language) {
        Ok(env) => env,
        Err(e) => return find(1, Kind::Language, e.to_string()),
    };
    let feature = match gherkin::Feature::parse(&text, env) {
        Ok(f) => f,
        Err(e) => {
            // gherkin says "Error at L:C: {tokens}"; the line and column are what a person needs.
            let at = Regex::new(r"Error at (\d+):(\d+)").expect("a valid regex");
            let (line, col) = at
                .captures(&e.to_string())
                .map(|c| (c[1].parse().unwrap_or(0), c[2].parse().unwrap_or(0)))
                .unwrap_or((0, 0));
            return find(
                line,
                Kind::Malformed,
                format!("not Gherkin at line {line}, column {col}: the line there is not a keyword, step, table, doc string, tag or comment"),
            );
        }
    };
    let mut scenarios: Vec<(&gherkin::Scenario, Vec<String>, Option<&gherkin::Background>)> = Vec::new();
    for s in &feature.scenarios {
        scenarios.push((s, feature.tags.iter().chain(&s.tags).cloned().collect(), feature.background.as_ref()));
    }
    for rule in &feature.rules {
        for s in &rule.scenarios {
            let tags = feature.tags.iter().chain(&rule.tags).chain(&s.tags).cloned().collect();
            scenarios.push((s, tags, rule.background.as_ref().or(feature.background.as_ref())));
        }
    }
    let is_step = |rest: &str| phrases.iter().any(|(re, _)| re.is_match(rest));
    for description in feature.background.iter().filter_map(|b| b.description.as_ref().map(|d| (d, b.position.line))) {
        misspelt(description.0, description.1, &text, &is_step, &mut find);
    }
    for (s, scenario_tags, background) in scenarios {
        if is_outline(s) && rows(s).iter().all(Option::is_none) {
            if selection.takes(Some(file), s.position.line, &s.name) {
                lint.scenarios += 1;
                find(
                    s.position.line,
                    Kind::NoExamples,
                    format!(
                        "the Scenario Outline '{}' has no Examples row: Gherkin makes no scenario of it; add an Examples table with a header and at least one row",
                        s.name
                    ),
                );
            }
            continue;
        }
        for row in rows(s) {
            let line = row.as_ref().map_or(s.position.line, |r| r.line);
            let name = row.as_ref().map_or(s.name.clone(), |r| r.fill(&s.name));
            let mut all_tags = scenario_tags.clone();
            all_tags.extend(row.iter().flat_map(|r| r.tags.iter().cloned()));
            if !selection.takes(Some(file), line, &name) || tags.is_some_and(|op| !op.eval(all_tags.iter())) {
                continue;
            }
            lint.scenarios += 1;
            lint.listed.push(ListedScenario {
                place: format!("{shown}:{line}"),
                name: name.clone(),
                tags: all_tags.iter().map(|t| t.trim_start_matches('@').to_owned()).collect(),
            });
            if let Err(e) = mitid_e2e_steps::world::phones::need_of(all_tags.iter().map(|t| t.trim_start_matches('@')))
            {
                find(line, Kind::Tags, format!("the scenario '{name}' cannot be given devices: {e}"));
            }
            if s.steps.is_empty() {
                find(
                    s.position.line,
                    Kind::NoSteps,
                    format!("the scenario '{name}' has no steps: it would pass having checked nothing"),
                );
            }
            if let Some(d) = &s.description {
                misspelt(d, s.position.line, &text, &is_step, &mut find);
            }
            let steps = background.iter().flat_map(|b| b.steps.iter()).chain(s.steps.iter());
            for step in steps {
                lint.steps += 1;
                let value = row.as_ref().map_or(step.value.clone(), |r| r.fill(&step.value));
                let hits: Vec<&StepDef> =
                    phrases.iter().filter(|(re, _)| re.is_match(&value)).map(|(_, d)| *d).collect();
                let mut distinct: Vec<&str> = hits.iter().map(|d| d.phrase).collect();
                distinct.dedup();
                match distinct.len() {
                    1 => {}
                    0 => find(step.position.line, Kind::Undefined, undefined(step_type(step), &value, catalogue)),
                    _ => find(
                        step.position.line,
                        Kind::Ambiguous,
                        format!("\"{value}\" matches {} phrases: {}", distinct.len(), distinct.join(" | ")),
                    ),
                }
            }
        }
    }
}

/// A step's type as Gherkin reads it, whatever its keyword: an `And` or a
/// `But` (or `Og`, `Men`) takes the type of the step before it.
fn step_type(step: &gherkin::Step) -> &'static str {
    match step.ty {
        gherkin::StepType::Given => "Given",
        gherkin::StepType::When => "When",
        gherkin::StepType::Then => "Then",
    }
}

/// One example row of an outline: its line (as cucumber numbers the
/// scenario it expands), its values and its tags.
struct Row {
    line: usize,
    values: Vec<(String, String)>,
    tags: Vec<String>,
}

impl Row {
    fn fill(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (k, v) in &self.values {
            out = out.replace(&format!("<{k}>"), v);
        }
        out
    }
}

/// Whether `s` is a Scenario Outline: it has an Examples keyword, its
/// keyword is English's or Danish's for an outline, or (any other
/// language's) a step or its name has a `<placeholder>`.
fn is_outline(s: &gherkin::Scenario) -> bool {
    let placeholder = Regex::new(r"<[^<>\s]+>").expect("a valid regex");
    !s.examples.is_empty()
        || ["Scenario Outline", "Scenario Template", "Abstrakt Scenario"].contains(&s.keyword.trim())
        || placeholder.is_match(&s.name)
        || s.steps.iter().any(|st| placeholder.is_match(&st.value))
}

/// A scenario's example rows; `[None]` for a plain scenario.
fn rows(s: &gherkin::Scenario) -> Vec<Option<Row>> {
    let mut out = Vec::new();
    for ex in &s.examples {
        let Some(table) = &ex.table else { continue };
        let Some((header, values)) = table.rows.split_first() else { continue };
        for (id, row) in values.iter().enumerate() {
            out.push(Some(Row {
                line: ex.position.line + id + 2,
                values: header.iter().cloned().zip(row.iter().cloned()).collect(),
                tags: ex.tags.clone(),
            }));
        }
    }
    if out.is_empty() {
        out.push(None);
    }
    out
}

/// Flags description lines whose first word is a step keyword misspelt.
/// A word at most two letters from a keyword, before a step the catalogue
/// knows, is taken for a misspelt keyword.
fn misspelt(
    description: &str,
    after_line: usize,
    text: &str,
    is_step: &dyn Fn(&str) -> bool,
    find: &mut impl FnMut(usize, Kind, String),
) {
    for line in description.lines() {
        let word = line.split_whitespace().next().unwrap_or("");
        if STEP_KEYWORDS.contains(&word) {
            continue;
        }
        let rest = line.trim_start()[word.len()..].trim();
        let off = |k: &&&str| {
            if **k == word {
                usize::MAX
            } else {
                crate::hints::distance(&word.to_lowercase(), &k.to_lowercase())
            }
        };
        // Only when the rest of the line is a step the catalogue knows: a
        // description may well begin "An …" or "So …", and a real run must
        // not be refused for prose.
        if !is_step(rest) {
            continue;
        }
        let near = STEP_KEYWORDS.iter().filter(|k| off(k) <= 2).min_by_key(|k| off(k));
        if let Some(keyword) = near {
            let at = text
                .lines()
                .enumerate()
                .skip(after_line)
                .find(|(_, l)| l.trim() == line.trim())
                .map_or(after_line, |(i, _)| i + 1);
            find(
                at,
                Kind::Misspelt,
                format!(
                    "\"{}\" reads like a step, but '{word}' is not a keyword (did you mean '{keyword}'?): Gherkin takes the line as description text, and the scenario runs without it",
                    line.trim()
                ),
            );
        }
    }
}

/// What is said of an undefined step: the closest phrase, and a snippet.
/// What an undefined step is told: the nearest phrases, ranked; a snippet
/// only when none is near (one would invite a second phrase for one step).
/// `keyword` is the step's type as Gherkin reads it (an `And` after a
/// `Then` is a `Then`).
pub fn undefined(keyword: &str, text: &str, catalogue: &[StepDef]) -> String {
    let mut out = format!("no step definition matches \"{text}\"");
    let hints = crate::hints::near(text, catalogue);
    for (i, h) in hints.iter().enumerate() {
        let ask = if i == 0 { "did you mean" } else { "or" };
        out.push_str(&format!("\n  {ask} \"{}\"? (the phrase: {})", h.example, h.phrase));
    }
    if hints.is_empty() {
        out.push('\n');
        out.push_str(&snippet(keyword, text));
    } else {
        out.push_str("\n  (`cargo run -- steps` lists every phrase)");
    }
    out
}

/// The example of the phrase nearest to `text`, if one is near.
pub fn did_you_mean<'a>(text: &str, catalogue: &'a [StepDef]) -> Option<&'a str> {
    crate::hints::near(text, catalogue).first().map(|h| h.example)
}

/// A catalogue row and body to paste for an undefined step: quoted text
/// becomes `{string}` and numbers `{int}`, the rest is matched as written
/// (a Cucumber Expression, its special characters escaped), and the phrase
/// is a Rust string literal that compiles.
pub fn snippet(keyword: &str, text: &str) -> String {
    let keyword = match keyword {
        "Given" | "When" | "Then" => keyword,
        _ => "When",
    };
    let token = Regex::new(r#""[^"]*"|'[^']*'|\b\d+\b"#).expect("a valid regex");
    let mut phrase = String::new();
    let mut args = Vec::new();
    let mut last = 0;
    for m in token.find_iter(text) {
        phrase.push_str(&expression_text(&text[last..m.start()]));
        let (part, ty) = match m.as_str().chars().next() {
            Some('"' | '\'') => ("{string}", "String"),
            _ => ("{int}", "u64"),
        };
        phrase.push_str(part);
        args.push(ty);
        last = m.end();
    }
    phrase.push_str(&expression_text(&text[last..]));
    let name: String = token
        .replace_all(text, " ")
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join("_");
    let name =
        if name.starts_with(|c: char| c.is_ascii_digit()) || name.is_empty() { format!("step_{name}") } else { name };
    let params: String = args.iter().enumerate().map(|(i, ty)| format!(", arg{}: {ty}", i + 1)).collect();
    format!(
        "  No phrase is near it: add one to a catalogue! block in steps/ (e.g. steps/copy_flow.rs):\n\n    {keyword} {}\n        // da \"…\"   (its Danish twin, for features/da: say the same in Danish)\n        e.g. {}\n        docs [] Step => {name}({});\n\n  {keyword}: the step's type (any keyword matches it; it is how `steps` lists it).\n  The phrase: a Cucumber Expression; {{string}} is a quoted text, {{int}} a number (docs/src/writing-features.md).\n  e.g.: an example as QA write it, which `steps` shows and the tests match against the phrase.\n  docs [...]: the documented steps it proves, e.g. [Step(12)] or [Before(3)]; none for a rule's step.\n  Step: its deadline (Step: the profile's; Waiting: it lets time pass; Walk: it walks many steps).\n  {name}(...): its body, one argument per parameter in order:\n\n  async fn {name}(w: &mut CopyWorld{params}) -> StepResult {{\n      let _phone = w.here().await?;\n      todo!(\"look at the phone\")\n  }}",
        rust_literal(&phrase),
        rust_literal(&format!("{keyword} {text}")),
        args.join(", ")
    )
}

/// Text matched as written in a Cucumber Expression: `(`, `{`, `/` and
/// `\\` would mean an optional, a parameter, an alternative or an escape.
fn expression_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '(' | '{' | '/' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as a Rust string literal.
fn rust_literal(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A path as the person typed it: relative to the working folder.
fn shown_path(file: &Path) -> String {
    let relative = std::env::current_dir().ok().and_then(|d| file.strip_prefix(d).ok().map(Path::to_path_buf));
    relative.unwrap_or_else(|| file.to_path_buf()).display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_gets_the_phrase_it_meant() {
        let catalogue = mitid_e2e_steps::all();
        assert_eq!(did_you_mean("I pres \"Activate\"", &catalogue), Some("I press \"Activate\""));
        assert_eq!(did_you_mean("the moon is made of cheese", &catalogue), None);
    }

    #[test]
    fn a_snippet_makes_quoted_text_and_numbers_parameters_and_matches_its_step() {
        let text = "I wave my new phone (gently) at \"Bob\" 3 times for 'a while'";
        let s = snippet("When", text);
        assert!(s.contains("=> i_wave_my_new_phone_gently(String, u64, String);"), "{s}");
        assert!(s.contains("arg1: String, arg2: u64, arg3: String"), "{s}");
        // The phrase, read back as Rust reads the literal, is a Cucumber
        // Expression that matches the step exactly.
        let literal = s.lines().find(|l| l.trim_start().starts_with("When \"")).unwrap().trim();
        let literal = &literal["When ".len()..];
        let phrase = literal[1..literal.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\");
        assert!(phrase.contains("{string}") && phrase.contains("{int}"), "{phrase}");
        let re = mitid_e2e_steps::phrases::compile(&phrase).unwrap();
        let values = mitid_e2e_steps::phrases::values_of(&re, text);
        assert_eq!(values.unwrap_or_else(|| panic!("{phrase} does not match {text}")), ["Bob", "3", "a while"]);
    }

    #[test]
    fn a_snippet_compiles_as_rust() {
        let text = r#"the file "a\b.txt" has (3) [lines] and costs $5.00 | {x} a/b \ c"#;
        let s = snippet("Given", text);
        let literal = s.lines().find(|l| l.trim_start().starts_with("Given \"")).unwrap().trim();
        // And the expression in it matches the step it was made for.
        let phrase = literal["Given ".len() + 1..literal.len() - 1].replace("\\\"", "\"").replace("\\\\", "\\");
        let re = mitid_e2e_steps::phrases::compile(&phrase).unwrap_or_else(|e| panic!("{e}"));
        assert!(re.is_match(text), "{phrase} does not match {text}");
        let dir = std::env::temp_dir().join(format!("mitid-snippet-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("snippet.rs");
        std::fs::write(&src, format!("pub const PHRASE: &str = {};\n", &literal["Given ".len()..])).unwrap();
        let out = std::process::Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
            .args(["--edition", "2021", "--crate-type", "lib", "--out-dir"])
            .arg(&dir)
            .arg(&src)
            .output()
            .expect("rustc runs");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }

    #[test]
    fn a_misspelt_keyword_is_spotted_and_a_real_description_is_not() {
        let mut found = Vec::new();
        let text = "  Scenario: x\n    Givn Bluetooth is turned off on my old phone\n    Given y\n";
        let is_step = |rest: &str| rest == "Bluetooth is turned off on my old phone";
        misspelt("Givn Bluetooth is turned off on my old phone", 1, text, &is_step, &mut |l, k, m| {
            found.push((l, k, m))
        });
        misspelt("Gvn Bluetooth is turned off on my old phone", 1, text, &is_step, &mut |l, k, m| {
            found.push((l, k, m))
        });
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (2, Kind::Misspelt));
        let mut none = Vec::new();
        let description =
            "This rule is what the help page says about it.\nAn outdated app cannot copy.\nSo the copy waits.";
        let prose_is_no_step = |rest: &str| rest == "Bluetooth is turned off on my old phone";
        misspelt(description, 1, text, &prose_is_no_step, &mut |l, k, m| none.push((l, k, m)));
        assert!(none.is_empty(), "{none:?}");
    }
}
