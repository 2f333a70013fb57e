//! What a person watching the run sees: a line per scenario, the failures
//! with their step, file and line, and the totals.

use std::path::Path;

use mitid_e2e_framework::duration::precise;

use super::{RunReport, ScenarioReport, Status};

/// Prints [`scenario_lines`] as an attempt of the scenario finishes, above
/// the live progress display when there is one.
pub fn scenario_line(progress: &super::progress::Progress, feature: &Path, s: &ScenarioReport, again: bool) {
    progress.say(&scenario_lines(feature, s, again));
}

/// A finished attempt's line: its mark, name, place and time, and which
/// attempt it was when the scenario was or will be tried again; for a
/// failure also the step that failed and the error, indented under it.
/// `again`: the attempt failed and cucumber will try the scenario again, so
/// it is not the verdict (marked `RETRY`). Every line ends with a newline.
pub fn scenario_lines(feature: &Path, s: &ScenarioReport, again: bool) -> String {
    let mark = match (s.status(), s.flaky()) {
        _ if again => "RETRY",
        (_, true) => "FLAKY",
        (Status::Passed, _) => "ok",
        (Status::Failed, _) => "FAILED",
        (Status::Error, _) => "ERROR",
        _ => "skipped",
    };
    let attempt = if s.attempts() > 1 || again { format!(" ({})", s.attempt_of()) } else { String::new() };
    // The old phone → the new one (→ another person's), as leased; the
    // time stays the line's last word but for the attempt.
    let phones = if s.phones.is_empty() {
        String::new()
    } else {
        format!(" [{}]", s.phones.iter().map(|p| p.shown()).collect::<Vec<_>>().join(" → "))
    };
    let mut out =
        format!("{mark:>7}  {} ({}:{}){phones} {}{attempt}\n", s.name, feature.display(), s.line, precise(s.duration));
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

/// The evidence of the run, by scenario: under a line naming the scenario
/// and its verdict, the file each attachment of each attempt was written
/// to, as `run_dir` (the run's folder, as the person watching would type
/// it) joined with its name under it. Empty when nothing was attached.
pub fn evidence(report: &RunReport, run_dir: &Path) -> String {
    let mut out = String::new();
    let mut last = None;
    for file in super::attachments::files(report) {
        let f = &report.features[file.feature];
        let s = &f.scenarios[file.scenario];
        if last != Some((file.feature, file.scenario)) {
            last = Some((file.feature, file.scenario));
            let verdict = if s.flaky() { "flaky" } else { s.status().name() };
            out.push_str(&format!("evidence of '{}' ({}:{}), {verdict}:\n", s.name, f.path.display(), s.line));
        }
        out.push_str(&format!(
            "         attempt {}, step line {}: {}\n",
            file.attempt,
            file.step_line,
            run_dir.join(&file.path).display()
        ));
    }
    out
}

/// `path` relative to the working folder when it is under it, as it is
/// otherwise.
pub fn from_here(path: &Path) -> std::path::PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|here| path.strip_prefix(here).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
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
        out.push_str(&format!("flaky: '{}' ({}:{}) passed on {}\n", s.name, f.path.display(), s.line, s.attempt_of()));
    }
    // The steps of the scenarios that ran (a scenario left out lists its
    // steps, none of which ran).
    let steps: usize = report.scenarios().filter(|(_, s)| s.left_out.is_none()).map(|(_, s)| s.steps.len()).sum();
    let left_out = report.scenarios().filter(|(_, s)| s.left_out.is_some()).count();
    let left_out = if left_out > 0 { format!(", {left_out} left out") } else { String::new() };
    out.push_str(&format!(
        "{} scenarios ({} flaky{left_out}), {} steps in {}\n",
        report.scenarios().count(),
        flaky.len(),
        steps,
        precise(report.duration)
    ));
    out.push_str(&format!(
        "scenarios: {} passed, {} failed, {} errors, {} skipped\n",
        report.count(Status::Passed),
        report.count(Status::Failed),
        report.count(Status::Error),
        report.count(Status::Skipped)
    ));
    out.push_str(&requests_line(report));
    out
}

/// "requests to the phones: 9,770 (find 4,950, …); per scenario: median
/// 130, most 402 by 'name' (file:line)": on a real phone each is a round
/// trip. Empty when nothing was sent.
pub fn requests_line(report: &RunReport) -> String {
    let by_kind = report.requests_by_kind();
    let total: u64 = by_kind.values().sum();
    if total == 0 {
        return String::new();
    }
    let kinds: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k} {}", thousands(*n))).collect();
    let mut per: Vec<(u64, String)> = report
        .scenarios()
        .filter(|(_, s)| !s.requests.is_empty())
        .map(|(f, s)| (super::requests::total(&s.requests), format!("'{}' ({}:{})", s.name, f.path.display(), s.line)))
        .collect();
    per.sort();
    let median = per[per.len() / 2].0;
    let (most, by) = per.last().cloned().unwrap_or_default();
    format!(
        "requests to the phones: {} ({}); per scenario: median {median}, most {most} by {by}\n",
        thousands(total),
        kinds.join(", ")
    )
}

/// 12345 as "12,345".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
