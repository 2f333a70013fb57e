//! JUnit XML, written with quick-junit (nextest's JUnit model and writer):
//! a testsuite per feature, a testcase per scenario.
//!
//! Every attempt of a retried scenario is in it. A scenario that passed on
//! a retry is a passing testcase with a `<flakyFailure>` (or `<flakyError>`)
//! per earlier attempt; one that failed on every attempt has its last
//! failure as `<failure>` (or `<error>`) and the earlier ones as
//! `<rerunFailure>` (or `<rerunError>`). Each carries that attempt's
//! message, type, step and the evidence it gathered. A scenario the run left
//! out is `<skipped>` with the reason.
//!
//! The file is valid against the Jenkins xUnit plugin's `junit-10.xsd`
//! (`tests/schemas/`), which rejects anything it does not declare: so a
//! testcase has no `file` or `line` attribute (the feature's file is on its
//! testsuite, the scenario's place in the text of what went wrong or was
//! skipped, and scenarios of one name in a feature, such as an outline's
//! examples, have their line in the name), and the root has no `skipped`
//! count.

use std::path::Path;

use mitid_e2e_framework::duration::precise;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::attachments::{self, AttachmentFile};
use super::{Attempt, FeatureReport, RunReport, ScenarioReport, Status, StepReport};

/// `junit.xml`: the whole run, its attachments' files named relative to
/// the run's folder (see [`render_at`]).
pub fn render(report: &RunReport) -> String {
    render_at(report, Path::new(""))
}

/// `junit.xml` for a run written into `run_dir`: each attachment's file is
/// named in its testcase's `system-out` as `[[ATTACHMENT|<run_dir>/…]]` on a
/// line of its own, as the Jenkins JUnit Attachments plugin reads it (it
/// wants an absolute path: pass an absolute `run_dir`).
pub fn render_at(report: &RunReport, run_dir: &Path) -> String {
    let files = attachments::files(report);
    let run_properties = report.meta.properties(report.shard);
    let mut junit = Report::new("mitid-e2e");
    junit.set_time(report.duration);
    // A feature that could not be parsed is a testcase (in error) too.
    for e in &report.parse_errors {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(one_line(e)).set_description(e.as_str());
        let mut case = TestCase::new("parse", status);
        case.set_classname("features");
        let mut suite = TestSuite::new("feature parsing");
        suite.add_test_case(case);
        junit.add_test_suite(suite);
    }
    for (fi, f) in report.features.iter().enumerate() {
        let mut suite = TestSuite::new(f.name.as_str());
        suite.set_time(f.scenarios.iter().map(ScenarioReport::total_duration).sum());
        suite.extra.insert("file".into(), f.path.display().to_string().into());
        // junit-10.xsd allows properties on a testsuite only: each says the run's.
        suite.add_properties(run_properties.iter().map(|(n, v)| Property::new(*n, v.as_str())));
        suite.add_test_cases(f.scenarios.iter().enumerate().map(|(si, s)| {
            let mine: Vec<&AttachmentFile> = files.iter().filter(|a| a.feature == fi && a.scenario == si).collect();
            let mut case = testcase(f, s, &Evidence { files: &mine, run_dir });
            // An outline's examples may share a name; a testcase has no
            // line attribute here to tell them apart.
            if f.scenarios.iter().filter(|o| o.name == s.name).count() > 1 {
                case.name = format!("{} (line {})", s.name, s.line).into();
            }
            case
        }));
        junit.add_test_suite(suite);
    }
    if !report.quarantined.is_empty() {
        let list: Vec<String> = report.quarantined.iter().map(|(u, why)| format!("{u}: {why}")).collect();
        let mut suite = TestSuite::new("device pool");
        suite.set_system_out(format!("quarantined phones:\n{}", list.join("\n")));
        junit.add_test_suite(suite);
    }
    let xml = junit.to_string().expect("quick-junit writes into memory");
    without_root_skipped(xml)
}

/// A scenario's attachment files, and the folder they are under.
struct Evidence<'a> {
    files: &'a [&'a AttachmentFile<'a>],
    run_dir: &'a Path,
}

/// One scenario: its verdict, every earlier attempt, and the evidence.
fn testcase(f: &FeatureReport, s: &ScenarioReport, evidence: &Evidence) -> TestCase {
    let place = format!("{}:{}", f.path.display(), s.line);
    let retried = s.attempts_allowed > 1;
    let mut notes = Vec::new();
    let mut status = match s.status() {
        Status::Passed => {
            if s.flaky() {
                notes.push(format!("FLAKY: passed on {}", s.attempt_of()));
            }
            TestCaseStatus::success()
        }
        Status::Skipped => {
            let mut status = TestCaseStatus::skipped();
            if let Some(reason) = &s.left_out {
                status.set_message(reason.as_str()).set_type("left out").set_description(place.as_str());
            } else if let Some(why) = s.steps.iter().find_map(|st| st.error.as_deref()) {
                // Why, when a step says (a run interrupted before the scenario began).
                status.set_message(one_line(why)).set_type("not run").set_description(place.as_str());
            }
            status
        }
        verdict => {
            let step = s.failure();
            let (kind, ty) = kind_of(verdict, step);
            let message = step.and_then(|st| st.error.clone()).unwrap_or_default();
            let head = if retried { format!("{place}, {}", s.attempt_of()) } else { place.clone() };
            let mut status = TestCaseStatus::non_success(kind);
            status.set_message(one_line(&message)).set_type(ty).set_description(what_failed(&head, step));
            if retried {
                notes.push(format!("{}; no attempt passed", s.attempt_of()));
            }
            status
        }
    };
    // junit-10.xsd has no properties or timestamp on a testcase: its
    // start and phones open its system-out.
    let mut head = Vec::new();
    if let Some(started) = s.started {
        head.push(format!("started: {}", super::rfc3339(started)));
    }
    for p in &s.phones {
        let model = if p.model.is_empty() { "model unknown" } else { p.model.as_str() };
        head.push(format!("phone: {} ({model}, OS {}, rig {})", p.udid, p.os_version, p.rig));
    }
    notes.splice(0..0, head);
    let allowed = s.attempts_allowed.max(s.attempts());
    status.add_reruns(s.earlier_attempts.iter().enumerate().map(|(i, a)| rerun(&place, i + 1, allowed, a, evidence)));
    // Every attempt's evidence, where the attachments plugin reads it.
    for a in &s.earlier_attempts {
        notes.extend(attachment_notes(&a.steps, evidence));
    }
    notes.extend(attachment_notes(&s.steps, evidence));
    let mut case = TestCase::new(s.name.as_str(), status);
    case.set_classname(f.name.as_str());
    case.set_time(s.total_duration());
    if !notes.is_empty() {
        case.set_system_out(notes.join("\n"));
    }
    case
}

/// An attempt before the last, which failed or could not be judged: a
/// `<flakyFailure>`/`<flakyError>` under a testcase that passed, a
/// `<rerunFailure>`/`<rerunError>` under one that did not.
fn rerun(place: &str, n: usize, allowed: usize, attempt: &Attempt, evidence: &Evidence) -> TestRerun {
    let step = attempt.failure();
    let (kind, ty) = kind_of(attempt.status(), step);
    let message = step.and_then(|st| st.error.as_deref()).unwrap_or("no step failed");
    let head = format!("{place}, attempt {n} of {allowed}, {}", precise(attempt.duration));
    let mut rerun = TestRerun::new(kind);
    rerun
        .set_message(format!("attempt {n} of {allowed}: {}", one_line(message)))
        .set_type(ty)
        .set_description(what_failed(&head, step));
    let notes = attachment_notes(&attempt.steps, evidence);
    if !notes.is_empty() {
        rerun.set_system_out(notes.join("\n"));
    }
    rerun
}

/// `<failure>` or `<error>`, and its `type`: an error could not be judged
/// (the harness or infrastructure failed); a failure is a step that failed
/// or is undefined.
fn kind_of(verdict: Status, step: Option<&StepReport>) -> (NonSuccessKind, &'static str) {
    match step.map(|st| st.status) {
        _ if verdict == Status::Error => (NonSuccessKind::Error, "could not be judged"),
        Some(Status::Undefined) => (NonSuccessKind::Failure, "undefined step"),
        _ => (NonSuccessKind::Failure, "step failed"),
    }
}

/// The text of a failure: where and which attempt, the step, the error.
fn what_failed(head: &str, step: Option<&StepReport>) -> String {
    match step {
        Some(st) => format!(
            "{head}\n{} {} (line {})\n{}",
            st.keyword,
            st.text,
            st.line,
            st.error.as_deref().unwrap_or_default()
        ),
        None => head.to_owned(),
    }
}

/// A message for an attribute: its lines joined by spaces, as an XML reader
/// would read them anyway (the element's text keeps the lines).
fn one_line(message: &str) -> String {
    message.lines().map(str::trim_end).collect::<Vec<_>>().join(" ")
}

/// The evidence of an attempt: per attachment, a line saying what it is,
/// then its file as `[[ATTACHMENT|path]]` on a line of its own.
fn attachment_notes(steps: &[StepReport], evidence: &Evidence) -> Vec<String> {
    let mut out = Vec::new();
    for st in steps {
        for a in &st.attachments {
            out.push(format!("attachment: {} ({}, {} bytes) on step line {}", a.name, a.mime, a.data.len(), st.line));
            if let Some(file) = evidence.files.iter().find(|f| std::ptr::eq(f.attachment, a)) {
                out.push(format!("[[ATTACHMENT|{}]]", evidence.run_dir.join(&file.path).display()));
            }
        }
    }
    out
}

/// `<testsuites>` without its `skipped` attribute, which quick-junit always
/// writes and junit-10.xsd does not declare there (each `<testsuite>` keeps
/// its own `skipped` count).
fn without_root_skipped(mut xml: String) -> String {
    let Some(start) = xml.find("<testsuites ") else { return xml };
    let end = xml[start..].find('>').map_or(xml.len(), |e| start + e);
    if let Some(at) = xml[start..end].find(" skipped=\"").map(|i| start + i) {
        let value = at + " skipped=\"".len();
        if let Some(close) = xml[value..end].find('"') {
            xml.replace_range(at..value + close + 1, "");
        }
    }
    xml
}
