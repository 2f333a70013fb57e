//! Cucumber JSON (the format cucumber-jvm and report tools read), with
//! attachments as base64 `embeddings` on the step they belong to.

use base64::Engine as _;
use serde_json::{json, Value};

use super::{RunReport, Status};

/// `cucumber.json`: a feature per file, an element per scenario.
pub fn render(report: &RunReport) -> String {
    let features: Vec<Value> = report
        .features
        .iter()
        .map(|f| {
            let uri = f.path.display().to_string();
            let elements: Vec<Value> = f
                .scenarios
                .iter()
                .map(|s| {
                    let steps: Vec<Value> = s
                        .steps
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
                                .map(|a| json!({
                                    "name": a.name,
                                    "mime_type": a.mime,
                                    "data": base64::engine::general_purpose::STANDARD.encode(&a.data),
                                }))
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
                            step
                        })
                        .collect();
                    let mut tags: Vec<Value> = s.tags.iter().map(|t| json!({ "name": format!("@{t}") })).collect();
                    if s.flaky() {
                        tags.push(json!({ "name": "@flaky" }));
                    }
                    json!({
                        "id": format!("{};{}", slug(&f.name), slug(&s.name)),
                        "keyword": s.keyword,
                        "type": "scenario",
                        "name": s.name,
                        "line": s.line,
                        "tags": tags,
                        "steps": steps,
                        "attempts": s.attempts,
                        "status": if s.flaky() { "flaky" } else { match s.status() { Status::Passed => "passed", Status::Failed => "failed", Status::Error => "error", _ => "skipped" } },
                    })
                })
                .collect();
            json!({
                "uri": uri,
                "id": slug(&f.name),
                "keyword": "Feature",
                "name": f.name,
                "description": f.description,
                "line": f.line,
                "tags": f.tags.iter().map(|t| json!({ "name": format!("@{t}") })).collect::<Vec<_>>(),
                "elements": elements,
            })
        })
        .collect();
    serde_json::to_string_pretty(&features).unwrap_or_else(|_| "[]".into())
}

fn slug(s: &str) -> String {
    s.to_lowercase().chars().map(|c| if c.is_alphanumeric() { c } else { '-' }).collect()
}
