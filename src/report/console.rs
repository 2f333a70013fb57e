//! What a person watching the run sees: a line per scenario, the failures
//! with their step, file and line, and the totals.

use std::path::Path;

use super::{RunReport, ScenarioReport, Status};

/// Prints [`scenario_lines`] as the scenario finishes.
pub fn scenario_line(feature: &Path, s: &ScenarioReport) {
    print!("{}", scenario_lines(feature, s));
}

/// A finished scenario's line: its mark, name, place and time; for a failure
/// also the step that failed and the error, indented under it. Every line
/// ends with a newline.
pub fn scenario_lines(feature: &Path, s: &ScenarioReport) -> String {
    let mark = match (s.status(), s.flaky()) {
        (_, true) => "FLAKY",
        (Status::Passed, _) => "ok",
        (Status::Failed, _) => "FAILED",
        (Status::Error, _) => "ERROR",
        _ => "skipped",
    };
    let mut out =
        format!("{mark:>7}  {} ({}:{}) {:.2}s\n", s.name, feature.display(), s.line, s.duration.as_secs_f64());
    if let Some(step) = s.failure() {
        out.push_str(&format!("         step: {} {} (line {})\n", step.keyword, step.text, step.line));
        if let Some(e) = &step.error {
            for line in e.lines() {
                out.push_str(&format!("         {line}\n"));
            }
        }
    }
    out
}

/// The closing lines. The last one counts the scenarios by verdict:
/// passed, failed (the app broke a documented step or rule), errors (could
/// not be judged) and skipped.
pub fn summary(report: &RunReport) -> String {
    let mut out = String::new();
    for e in &report.parse_errors {
        out.push_str(&format!("feature error: {e}\n"));
    }
    for (udid, why) in &report.quarantined {
        out.push_str(&format!("quarantined: phone {udid} {why}\n"));
    }
    let flaky: Vec<_> = report.scenarios().filter(|(_, s)| s.flaky()).collect();
    for (f, s) in &flaky {
        out.push_str(&format!(
            "flaky: '{}' ({}:{}) passed only on attempt {}\n",
            s.name,
            f.path.display(),
            s.line,
            s.attempts
        ));
    }
    let steps: usize = report.scenarios().map(|(_, s)| s.steps.len()).sum();
    out.push_str(&format!(
        "{} scenarios ({} flaky), {} steps in {:.2}s\n",
        report.scenarios().count(),
        flaky.len(),
        steps,
        report.duration.as_secs_f64()
    ));
    out.push_str(&format!(
        "scenarios: {} passed, {} failed, {} errors, {} skipped\n",
        report.count(Status::Passed),
        report.count(Status::Failed),
        report.count(Status::Error),
        report.count(Status::Skipped)
    ));
    out
}
