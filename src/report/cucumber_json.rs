//! Cucumber JSON (the format cucumber-jvm and report tools read), with
//! attachments as base64 `embeddings` on the step they belong to.
//!
//! An element's `steps` are its last attempt's. Beside them, fields report
//! tools ignore and `report merge` reads back: the last attempt's
//! `duration` (nanoseconds), `attempts` (made),
//! `attempts_allowed`, `earlier_attempts` (each with its `status`,
//! `duration` in nanoseconds and `steps`, evidence included), and for a
//! scenario the run left out, `left_out` (the reason; its steps are
//! skipped); `start_timestamp` (RFC 3339, UTC, as cucumber-jvm writes it)
//! and `phones` (each `udid`, `model`, `os_version`, `rig`) when known;
//! an outline row's `parameters` (each `name`, `value`).
//! A step's data table is its `rows` (each `cells`), a doc string its
//! `doc_string` (`value`, `content_type`, `line`), as cucumber-ruby and
//! cucumber-jvm write them; the table is in cucumber-js's `arguments` too;
//! `report merge` reads both back.
//! Each feature has `run`: the run's `git.commit`, `profile`,
//! `host`, `shard` and `defects`, as far as known.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{RunReport, ScenarioReport, Status, StepArgument, StepReport};

/// `cucumber.json`: a feature per file, an element per scenario.
pub fn render(report: &RunReport) -> String {
    // Where and of what the run ran, on each feature (report tools ignore it).
    let run: serde_json::Map<String, Value> =
        report.meta.properties(report.shard).into_iter().map(|(n, v)| (n.to_owned(), Value::String(v))).collect();
    let features: Vec<Value> = report
        .features
        .iter()
        .map(|f| {
            let uri = f.path.display().to_string();
            let elements: Vec<Value> = f.scenarios.iter().map(|s| element(&f.name, s)).collect();
            let mut feature = json!({
                "uri": uri,
                "id": slug(&f.name),
                "keyword": f.keyword,
                "name": f.name,
                "description": f.description,
                "line": f.line,
                "tags": f.tags.iter().map(|t| json!({ "name": format!("@{t}") })).collect::<Vec<_>>(),
                "elements": elements,
            });
            if !run.is_empty() {
                feature["run"] = Value::Object(run.clone());
            }
            feature
        })
        .collect();
    serde_json::to_string_pretty(&features).unwrap_or_else(|_| "[]".into())
}

fn element(feature: &str, s: &ScenarioReport) -> Value {
    let mut tags: Vec<Value> = s.tags.iter().map(|t| json!({ "name": format!("@{t}") })).collect();
    if s.flaky() {
        tags.push(json!({ "name": "@flaky" }));
    }
    let mut element = json!({
        "id": format!("{};{}", slug(feature), slug(&s.name)),
        "keyword": s.keyword,
        "type": "scenario",
        "name": s.name,
        "line": s.line,
        "tags": tags,
        "steps": steps(&s.steps),
        "duration": s.duration.as_nanos() as u64,
        "attempts": s.attempts(),
        "attempts_allowed": s.attempts_allowed,
        "status": if s.flaky() { "flaky" } else { status_name(s.status()) },
    });
    if !s.earlier_attempts.is_empty() {
        element["earlier_attempts"] = s
            .earlier_attempts
            .iter()
            .map(|a| {
                json!({
                    "status": status_name(a.status()),
                    "duration": a.duration.as_nanos() as u64,
                    "steps": steps(&a.steps),
                })
            })
            .collect();
    }
    if let Some(reason) = &s.left_out {
        element["left_out"] = json!(reason);
    }
    if let Some(started) = s.started {
        element["start_timestamp"] = json!(super::rfc3339(started));
    }
    if !s.phones.is_empty() {
        element["phones"] = json!(s.phones);
    }
    // An outline row's values (a field readers ignore; the Allure results
    // and `report merge` read it).
    if !s.parameters.is_empty() {
        element["parameters"] =
            s.parameters.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
    }
    // The WebDriver requests its attempts sent, by phone and kind (a field
    // readers ignore; `report merge` reads it back).
    if !s.requests.is_empty() {
        element["requests"] = json!(s.requests);
    }
    element
}

/// A scenario's or an attempt's verdict, as `status` says it.
fn status_name(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Error => "error",
        _ => "skipped",
    }
}

fn steps(steps: &[StepReport]) -> Vec<Value> {
    steps
        .iter()
        .map(|st| {
            // Cucumber JSON knows no "error": a step that could not be
            // judged is "failed" there, and says why in `verdict`
            // (a field readers ignore, and `report merge` reads back).
            let status = if st.status == Status::Error { "failed" } else { st.status.name() };
            let mut result = json!({
                "status": status,
                "duration": st.duration.as_nanos() as u64,
            });
            if st.status == Status::Error {
                result["verdict"] = json!("error");
            }
            if let Some(e) = &st.error {
                result["error_message"] = json!(e);
            }
            let embeddings: Vec<Value> = st
                .attachments
                .iter()
                .map(|a| {
                    json!({
                        "name": a.name,
                        "mime_type": a.mime,
                        "data": base64::engine::general_purpose::STANDARD.encode(&a.data),
                    })
                })
                .collect();
            let mut step = json!({
                "keyword": format!("{} ", st.keyword),
                "name": st.text,
                "line": st.line,
                "result": result,
            });
            if !embeddings.is_empty() {
                step["embeddings"] = json!(embeddings);
            }
            // What the step proved of the help page ("step 5: Touch ID"): a
            // field readers ignore, and `report merge` reads back for the coverage.
            if !st.proved.is_empty() {
                step["proved"] = json!(st.proved.iter().map(ToString::to_string).collect::<Vec<_>>());
            }
            match &st.argument {
                // cucumber-jvm and -ruby write a table as `rows`,
                // cucumber-js as `arguments`; readers take one or the
                // other (multiple-cucumber-html-reporter only `arguments`).
                Some(StepArgument::Table(rows)) => {
                    let rows: Vec<Value> = rows.iter().map(|cells| json!({ "cells": cells })).collect();
                    step["arguments"] = json!([{ "rows": rows }]);
                    step["rows"] = Value::Array(rows);
                }
                // The model keeps no line for the doc string: it opens on
                // the line under its step, as QA write them.
                Some(StepArgument::DocString(value)) => {
                    step["doc_string"] = json!({ "value": value, "content_type": "", "line": st.line + 1 });
                }
                None => {}
            }
            step
        })
        .collect()
}

fn slug(s: &str) -> String {
    s.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect()
}
