//! `mitid-e2e report merge`: shards' reports joined into one, as if the run
//! had not been split. The Cucumber JSON of each shard holds everything
//! (every attempt's steps, results and attachments; the scenarios left out
//! and why), so the merged JUnit, JSON and Cucumber Messages are rendered
//! anew from it; the messages take the feature texts from each shard's
//! `messages.ndjson` (else from the feature files where the JSON says).

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use mitid_e2e_framework::file::{self, FileError, FileKind};
use serde_json::Value;

use super::{Attachment, Attempt, FeatureReport, RunReport, ScenarioReport, Status, StepArgument, StepReport};

/// A shard's report, as errors name it.
pub const CUCUMBER_JSON: FileKind = FileKind::new("Cucumber JSON report of mitid-e2e");

/// Why shards could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A shard's report could not be read, or is not what `mitid-e2e run` writes.
    #[error(transparent)]
    File(#[from] FileError),
    /// The same scenario ran in two shards.
    #[error("scenario {what} is in more than one shard: were the shards run with the same --shard N?")]
    Overlap {
        /// The scenario: name, file and line.
        what: String,
    },
}

/// Reads a run folder (or its `cucumber.json`) back into a report.
pub fn read(dir: &Path) -> Result<RunReport, MergeError> {
    let path = if dir.is_dir() { dir.join("cucumber.json") } else { dir.to_path_buf() };
    let text = file::read_to_string(CUCUMBER_JSON, &path)?;
    let invalid = |reason: &str| MergeError::File(FileError::invalid(CUCUMBER_JSON, &path, reason));
    let json: Value = serde_json::from_str(&text).map_err(|e| invalid(&e.to_string()))?;
    let mut report = RunReport { duration: run_duration(&path), ..Default::default() };
    for f in json.as_array().ok_or_else(|| invalid("not an array of features"))? {
        let mut feature = FeatureReport {
            keyword: f["keyword"].as_str().unwrap_or("Feature").to_owned(),
            name: str_of(f, "name"),
            description: str_of(f, "description"),
            path: PathBuf::from(str_of(f, "uri")),
            line: f["line"].as_u64().unwrap_or(0) as usize,
            tags: tags_of(f),
            source: None,
            scenarios: Vec::new(),
        };
        for e in f["elements"].as_array().ok_or_else(|| invalid("a feature without elements"))? {
            let Attempt { steps, duration } = attempt_of(e);
            let earlier_attempts: Vec<Attempt> =
                e["earlier_attempts"].as_array().into_iter().flatten().map(attempt_of).collect();
            let attempts = earlier_attempts.len() + 1;
            feature.scenarios.push(ScenarioReport {
                name: str_of(e, "name"),
                keyword: str_of(e, "keyword"),
                line: e["line"].as_u64().unwrap_or(0) as usize,
                tags: tags_of(e).into_iter().filter(|t| t != "flaky").collect(),
                parameters: e["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| (str_of(p, "name"), str_of(p, "value")))
                    .collect(),
                steps,
                duration,
                earlier_attempts,
                attempts_allowed: e["attempts_allowed"].as_u64().map_or(attempts, |n| n as usize),
                left_out: e["left_out"].as_str().map(str::to_owned),
                started: e["start_timestamp"].as_str().and_then(super::parse_rfc3339),
                phones: e["phones"].as_array().into_iter().flatten().map(phone_of).collect(),
                requests: serde_json::from_value(e["requests"].clone()).unwrap_or_default(),
            });
        }
        report.features.push(feature);
    }
    // The feature texts, for the merged messages: as the shard's
    // messages.ndjson holds them, else the feature file where it says.
    let sources = super::messages::read_sources(path.parent().unwrap_or(Path::new(".")));
    for f in &mut report.features {
        let uri = f.path.display().to_string();
        f.source =
            sources.get(&uri).cloned().or_else(|| std::fs::read_to_string(&f.path).ok().map(|s| super::clean(&s)));
    }
    Ok(report)
}

/// A phone as `cucumber.json` lists it under a scenario's `phones`.
fn phone_of(p: &Value) -> super::PhoneRecord {
    let field = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
    super::PhoneRecord {
        udid: field("udid"),
        model: field("model"),
        os_version: field("os_version"),
        rig: field("rig"),
        platform: field("platform"),
    }
}

/// How long the shard's run took: `cucumber.json` has no place for it, so
/// it is read from the `junit.xml` written beside it. Zero without one.
fn run_duration(cucumber_json: &Path) -> Duration {
    let Ok(junit) = std::fs::read_to_string(cucumber_json.with_file_name("junit.xml")) else {
        return Duration::ZERO;
    };
    junit
        .lines()
        .find(|l| l.starts_with("<testsuites "))
        .and_then(|l| l.split(" time=\"").nth(1))
        .and_then(|t| t.split('"').next())
        .and_then(|t| t.parse::<f64>().ok())
        .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
        .unwrap_or_default()
}

fn str_of(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_owned()
}

fn tags_of(v: &Value) -> Vec<String> {
    v["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str().map(|n| n.trim_start_matches('@').to_owned()))
        .collect()
}

/// An element's or an earlier attempt's steps, and how long it ran: the
/// attempt's own `duration` when it has one, else its steps' together.
fn attempt_of(a: &Value) -> Attempt {
    let steps: Vec<StepReport> = a["steps"].as_array().into_iter().flatten().map(step_of).collect();
    let duration = match a["duration"].as_u64() {
        Some(nanos) => Duration::from_nanos(nanos),
        None => steps.iter().map(|s| s.duration).sum(),
    };
    Attempt { steps, duration }
}

fn step_of(s: &Value) -> StepReport {
    let status = match s["result"]["status"].as_str() {
        Some("passed") => Status::Passed,
        Some("failed") if s["result"]["verdict"] == "error" => Status::Error,
        Some("failed") => Status::Failed,
        Some("undefined") => Status::Undefined,
        _ => Status::Skipped,
    };
    let attachments = s["embeddings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| Attachment {
            name: str_of(a, "name"),
            mime: str_of(a, "mime_type"),
            data: base64::engine::general_purpose::STANDARD.decode(str_of(a, "data")).unwrap_or_default(),
        })
        .collect();
    StepReport {
        keyword: str_of(s, "keyword").trim().to_owned(),
        text: str_of(s, "name"),
        line: s["line"].as_u64().unwrap_or(0) as usize,
        background: false,
        status,
        duration: Duration::from_nanos(s["result"]["duration"].as_u64().unwrap_or(0)),
        error: s["result"]["error_message"].as_str().map(str::to_owned),
        attachments,
        argument: argument_of(s),
        proved: s["proved"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p.as_str().and_then(mitid_e2e_steps::documented::Proof::parse))
            .collect(),
    }
}

/// A step's `rows` or `doc_string`, as [`super::cucumber_json`] writes them.
fn argument_of(s: &Value) -> Option<StepArgument> {
    if let Some(rows) = s["rows"].as_array() {
        let cells = |r: &Value| {
            r["cells"].as_array().into_iter().flatten().map(|c| c.as_str().unwrap_or_default().to_owned()).collect()
        };
        Some(StepArgument::Table(rows.iter().map(cells).collect()))
    } else {
        s["doc_string"]["value"].as_str().map(|d| StepArgument::DocString(d.to_owned()))
    }
}

/// Joins shards: features by file, scenarios in file order. A scenario in
/// two shards is an error, not a silent duplicate.
pub fn merge(shards: Vec<RunReport>) -> Result<RunReport, MergeError> {
    let mut merged = RunReport { run_id: String::new(), ..Default::default() };
    for shard in shards {
        merged.duration = merged.duration.max(shard.duration);
        for f in shard.features {
            let into = match merged.features.iter_mut().find(|x| x.path == f.path) {
                Some(existing) => existing,
                None => {
                    merged.features.push(FeatureReport { scenarios: Vec::new(), ..f.clone() });
                    merged.features.last_mut().expect("just pushed")
                }
            };
            for s in f.scenarios {
                if into.scenarios.iter().any(|x| x.line == s.line && x.name == s.name) {
                    return Err(MergeError::Overlap {
                        what: format!("'{}' ({}:{})", s.name, f.path.display(), s.line),
                    });
                }
                into.scenarios.push(s);
            }
            into.scenarios.sort_by_key(|s| s.line);
        }
    }
    merged.features.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(merged)
}
