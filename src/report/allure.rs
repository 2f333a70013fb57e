//! Allure results, `allure-results/` in the run's folder, as the Allure
//! results format defines them: what Allure Report 2 and 3, Allure TestOps
//! and the CI plugins read.
//!
//! - One `<uuid>-result.json` per scenario attempt (a scenario the run left
//!   out: one, `skipped`, with the reason). Its steps nest: the Background's
//!   under one `Background` step, then the scenario's, each with its
//!   status, time and evidence. Attempts of one scenario share a
//!   `historyId` (the feature's name and the scenario's, an outline row's
//!   values included: what the run history keys a scenario by), so Allure
//!   shows the earlier ones as retries of the last and lines nights up.
//! - Every attachment as `<uuid>-<n>-attachment.<ext>` beside them, named
//!   by its step's `attachments[].source`.
//! - Labels: `epic` the help page, `feature` the feature, a `story` per
//!   documented step, "Before you begin" item and rule its tags say it
//!   walks (the Behaviors view follows the help page), every `tag`,
//!   `suite`, `package` (its file), `host`, `thread` (its phones' udids),
//!   `phones` (model and OS, old → new), `platform`, `framework`,
//!   `language`. Parameters: an outline row's
//!   values, and its phones (excluded from the history's key).
//! - `environment.properties` (run, commit, profile, host, shard,
//!   defects), `executor.json` (the build, its URL when a CI says it), and
//!   `categories.json`: the app broke a documented step or rule (`failed`)
//!   apart from could not be judged (`broken`), passed only on a retry, and
//!   left out.
//!
//! Statuses: passed → `passed`; failed → `failed`; could not be judged, or
//! a step no phrase matches (the feature's fault, not the app's) →
//! `broken`; left out → `skipped`. Every string comes from the model,
//! already cleaned of secrets; the attachments' bytes are the model's.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::attachments::extension;
use super::{FeatureReport, RunReport, ScenarioReport, Status, StepReport};
use mitid_e2e_steps::documented::{Doc, HELP_PAGE};

/// The folder, under the run's, the results are written to.
pub const DIR: &str = "allure-results";

/// The help page every scenario proves a part of: the `epic` label.
pub const EPIC: &str = "Copy your MitID app to another phone/tablet";

/// Where the CI that ran the build says it is, for `executor.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ci {
    /// The CI's name: `Jenkins`, `GitHub Actions`, `GitLab CI`…
    pub name: Option<String>,
    /// The build's page.
    pub build_url: Option<String>,
    /// The build's number, which Allure orders history by.
    pub build_order: Option<u64>,
}

impl Ci {
    /// From the variables the common CIs set: Jenkins (`BUILD_URL`,
    /// `BUILD_NUMBER`), GitHub Actions (`GITHUB_SERVER_URL`,
    /// `GITHUB_REPOSITORY`, `GITHUB_RUN_ID`, `GITHUB_RUN_NUMBER`), GitLab CI
    /// (`CI_JOB_URL`, `CI_PIPELINE_IID`); nothing elsewhere.
    pub fn from_env() -> Ci {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let number = |k: &str| var(k).and_then(|v| v.parse().ok());
        if let Some(url) = var("BUILD_URL") {
            return Ci { name: Some("Jenkins".into()), build_url: Some(url), build_order: number("BUILD_NUMBER") };
        }
        if let (Some(server), Some(repo), Some(run)) =
            (var("GITHUB_SERVER_URL"), var("GITHUB_REPOSITORY"), var("GITHUB_RUN_ID"))
        {
            return Ci {
                name: Some("GitHub Actions".into()),
                build_url: Some(format!("{server}/{repo}/actions/runs/{run}")),
                build_order: number("GITHUB_RUN_NUMBER"),
            };
        }
        if let Some(url) = var("CI_JOB_URL") {
            return Ci { name: Some("GitLab CI".into()), build_url: Some(url), build_order: number("CI_PIPELINE_IID") };
        }
        Ci::default()
    }
}

/// Writes `run_dir/allure-results/`, replacing what an earlier write left.
pub fn write(report: &RunReport, run_dir: &Path, ci: &Ci) -> std::io::Result<()> {
    let dir = run_dir.join(DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    for (name, bytes) in files(report, ci) {
        std::fs::write(dir.join(name), bytes)?;
    }
    Ok(())
}

/// Every file of the results folder, by name, in a stable order.
pub fn files(report: &RunReport, ci: &Ci) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    // Scenarios the run left out have no time of their own: the run's first.
    let run_start = report.scenarios().filter_map(|(_, s)| s.started).min();
    for (f, s) in report.scenarios() {
        for attempt in attempts(report, f, s, run_start) {
            let (result, attachments) = attempt.render();
            let text = serde_json::to_string_pretty(&result).unwrap_or_default();
            out.push((format!("{}-result.json", attempt.uuid), text.into_bytes()));
            out.extend(attachments);
        }
    }
    out.push(("environment.properties".into(), environment(report).into_bytes()));
    out.push(("executor.json".into(), pretty(&executor(report, ci))));
    out.push(("categories.json".into(), pretty(&categories())));
    out
}

fn pretty(v: &Value) -> Vec<u8> {
    serde_json::to_string_pretty(v).unwrap_or_default().into_bytes()
}

/// 32 hex digits from `parts`: two FNV-1a 64 hashes with different bases.
/// Enough to name results apart and alike across runs; not a security measure.
fn hex128(parts: &[&str]) -> String {
    let hash = |basis: u64| {
        let mut h = basis;
        for p in parts {
            for b in p.bytes().chain([0]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    };
    format!("{:016x}{:016x}", hash(0xcbf2_9ce4_8422_2325), hash(0x6c62_272e_07bb_0142))
}

/// A UUID's shape (8-4-4-4-12) of [`hex128`].
fn uuid(parts: &[&str]) -> String {
    let h = hex128(parts);
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// One scenario attempt, ready to render.
struct AttemptResult<'a> {
    uuid: String,
    feature: &'a FeatureReport,
    scenario: &'a ScenarioReport,
    /// 1-based.
    number: usize,
    steps: &'a [StepReport],
    start: Option<SystemTime>,
    duration: Duration,
    /// The last attempt of a scenario that passed only on a retry.
    flaky: bool,
    host: Option<&'a str>,
}

fn attempts<'a>(
    report: &'a RunReport,
    f: &'a FeatureReport,
    s: &'a ScenarioReport,
    run_start: Option<SystemTime>,
) -> Vec<AttemptResult<'a>> {
    let all = s.every_attempt();
    let mut start = s.started.or(run_start);
    let last = all.len();
    all.into_iter()
        .enumerate()
        .map(|(i, (steps, duration))| {
            let number = i + 1;
            let place = f.path.display().to_string();
            let attempt = AttemptResult {
                uuid: uuid(&[&report.run_id, &place, &s.line.to_string(), &number.to_string()]),
                feature: f,
                scenario: s,
                number,
                steps,
                start,
                duration,
                flaky: number == last && s.flaky(),
                host: report.meta.host.as_deref(),
            };
            start = start.map(|t| t + duration);
            attempt
        })
        .collect()
}

/// Allure's word for a status.
fn allure_status(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Error | Status::Undefined => "broken",
        Status::Skipped => "skipped",
    }
}

/// An attempt's status: as the report judges it, except that one failed
/// only by a step no phrase matches is `broken`: the feature's typo, not
/// the app's failure.
fn attempt_status(s: &ScenarioReport, steps: &[StepReport]) -> &'static str {
    if s.left_out.is_some() {
        return "skipped";
    }
    let failed = steps.iter().any(|st| st.status == Status::Failed);
    match super::status_of(steps) {
        Status::Failed if !failed => "broken",
        st => allure_status(st),
    }
}

impl AttemptResult<'_> {
    /// The result's JSON and its attachment files.
    fn render(&self) -> (Value, Vec<(String, Vec<u8>)>) {
        let s = self.scenario;
        let f = self.feature;
        let mut files = Vec::new();
        let mut clock = self.start;
        let mut steps = Vec::new();
        // The model keeps a Background's steps first.
        let (background, own) = self.steps.split_at(self.steps.iter().take_while(|st| st.background).count());
        if !background.is_empty() {
            let begin = clock;
            let inner: Vec<Value> = background.iter().map(|st| self.step(st, &mut clock, &mut files)).collect();
            let mut group = json!({
                "name": "Background",
                "status": allure_status(super::status_of(background)),
                "stage": "finished",
                "steps": inner,
                "attachments": [],
                "parameters": [],
            });
            if let (Some(b), Some(e)) = (begin, clock) {
                group["start"] = json!(ms(b));
                group["stop"] = json!(ms(e));
            }
            steps.push(group);
        }
        for st in own {
            steps.push(self.step(st, &mut clock, &mut files));
        }
        let place = format!("{}:{}", f.path.display(), s.line);
        let key = format!("{} › {}", f.name, s.name);
        let params: Vec<String> = s.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut status_details = json!({});
        let failure = super::failure_of(self.steps);
        if let Some(reason) = &s.left_out {
            status_details["message"] = json!(format!("left out of the run: {reason}"));
        } else if let Some(st) = failure {
            status_details["message"] = json!(st.error.clone().unwrap_or_else(|| format!("{:?}", st.status)));
            status_details["trace"] = json!(format!("{} {} ({}:{})", st.keyword, st.text, f.path.display(), st.line));
        }
        if self.flaky {
            status_details["flaky"] = json!(true);
        }
        let mut parameters: Vec<Value> =
            s.parameters.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
        if !s.phones.is_empty() {
            let phones: Vec<String> = s.phones.iter().map(|p| p.shown()).collect();
            // Shown, not part of the history's key: the phones change night to night.
            parameters.push(json!({ "name": "phones", "value": phones.join(" → "), "excluded": true }));
        }
        let mut result = json!({
            "uuid": self.uuid,
            "historyId": hex128(&["history", &f.name, &s.name, &params.join("\n")]),
            "testCaseId": hex128(&["case", &f.name, &s.name]),
            "fullName": key,
            "name": s.name,
            "description": format!("{} `{place}`, attempt {} of {}", s.keyword, self.number, s.attempts_allowed.max(s.attempts())),
            "status": attempt_status(s, self.steps),
            "statusDetails": status_details,
            "stage": "finished",
            "labels": self.labels(),
            "parameters": parameters,
            "links": [],
            "steps": steps,
            "attachments": [],
        });
        if let Some(b) = self.start {
            result["start"] = json!(ms(b));
            result["stop"] = json!(ms(b + self.duration));
        }
        (result, files)
    }

    /// A step, its time from `clock` (moved on by its duration), its
    /// attachments named into `files`.
    fn step(&self, st: &StepReport, clock: &mut Option<SystemTime>, files: &mut Vec<(String, Vec<u8>)>) -> Value {
        let attachments: Vec<Value> = st
            .attachments
            .iter()
            .map(|a| {
                let source = format!("{}-{}-attachment.{}", self.uuid, files.len() + 1, extension(&a.mime));
                files.push((source.clone(), a.data.clone()));
                json!({ "name": a.name, "source": source, "type": a.mime })
            })
            .collect();
        let mut step = json!({
            "name": format!("{} {}", st.keyword, st.text),
            "status": allure_status(st.status),
            "stage": "finished",
            "steps": [],
            "attachments": attachments,
            "parameters": [],
        });
        if let Some(e) = &st.error {
            step["statusDetails"] = json!({ "message": e });
        }
        if let Some(b) = *clock {
            step["start"] = json!(ms(b));
            step["stop"] = json!(ms(b + st.duration));
            *clock = Some(b + st.duration);
        }
        step
    }

    fn labels(&self) -> Vec<Value> {
        let s = self.scenario;
        let f = self.feature;
        let label = |name: &str, value: &str| json!({ "name": name, "value": value });
        let mut out = vec![label("epic", EPIC), label("feature", &f.name), label("suite", &f.name)];
        for tag in &s.tags {
            if let Some(story) = story_of(tag) {
                out.push(label("story", &story));
            }
        }
        out.extend(s.tags.iter().map(|t| label("tag", t)));
        let package = f.path.with_extension("").display().to_string().replace(['/', '\\'], ".");
        out.push(label("package", &package));
        if let Some(host) = self.host {
            out.push(label("host", host));
        }
        let udids: Vec<&str> = s.phones.iter().map(|p| p.udid.as_str()).collect();
        out.push(label("thread", &if udids.is_empty() { "no phones".to_owned() } else { udids.join("+") }));
        if !s.phones.is_empty() {
            let phones: Vec<String> = s.phones.iter().map(|p| p.shown()).collect();
            out.push(label("phones", &phones.join(" → ")));
        }
        let platforms: Vec<&str> = s.phones.iter().map(|p| p.platform.as_str()).filter(|p| !p.is_empty()).collect();
        if !platforms.is_empty() {
            out.push(label("platform", &platforms.join(" → ")));
        }
        out.push(label("framework", "mitid-e2e"));
        out.push(label("language", "rust"));
        out
    }
}

/// The Behaviors view's story for a tag that traces a scenario to the help
/// page: `doc-5` → "Step 5: Enter your PIN code…", `before-2` → "Before you
/// begin 2: …", `rule-qr-validity` → "Rule: qr validity".
pub fn story_of(tag: &str) -> Option<String> {
    let page = |doc: Doc, title: String| {
        let words = HELP_PAGE.iter().find(|(d, _)| *d == doc).map(|(_, w)| *w)?;
        // The first sentence: what the Behaviors tree can show on one line.
        let first = words.split_inclusive(". ").next().unwrap_or(words).trim_end();
        Some(format!("{title}: {first}"))
    };
    if let Some(n) = tag.strip_prefix("doc-").and_then(|n| n.parse().ok()) {
        return page(Doc::Step(n), format!("Step {n}"));
    }
    if let Some(n) = tag.strip_prefix("before-").and_then(|n| n.parse().ok()) {
        return page(Doc::Before(n), format!("Before you begin {n}"));
    }
    tag.strip_prefix("rule-").map(|r| format!("Rule: {}", r.replace('-', " ")))
}

/// `environment.properties`: the run's facts, escaped as Java properties
/// (Allure 2 reads them with `java.util.Properties`: ISO 8859-1, so
/// anything else as `\uXXXX`).
pub fn environment(report: &RunReport) -> String {
    let mut props = vec![("run.id", report.run_id.clone())];
    props.extend(report.meta.properties(report.shard));
    let escape = |s: &str, key: bool| {
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '=' | ':' | '#' | '!' if key => {
                    out.push('\\');
                    out.push(c);
                }
                ' ' if key || i == 0 => out.push_str("\\ "),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut units = [0u16; 2];
                    for u in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{u:04X}"));
                    }
                }
                c => out.push(c),
            }
        }
        out
    };
    props.iter().map(|(k, v)| format!("{}={}\n", escape(k, true), escape(v, false))).collect()
}

/// `executor.json`: the build, named by its run and what it ran.
fn executor(report: &RunReport, ci: &Ci) -> Value {
    let mut what: Vec<String> =
        report.meta.properties(report.shard).into_iter().map(|(k, v)| format!("{k} {v}")).collect();
    what.retain(|w| !w.starts_with("host "));
    let mut exec = json!({
        "name": ci.name.clone().unwrap_or_else(|| "mitid-e2e".into()),
        "type": "mitid-e2e",
        "buildName": if what.is_empty() { report.run_id.clone() } else { format!("{} ({})", report.run_id, what.join(", ")) },
        "reportName": format!("mitid-e2e: {EPIC}"),
    });
    if let Some(url) = &ci.build_url {
        exec["buildUrl"] = json!(url);
        exec["url"] = json!(url);
    }
    if let Some(n) = ci.build_order {
        exec["buildOrder"] = json!(n);
    }
    exec
}

/// `categories.json`: the run's failure/error distinction in Allure's words.
fn categories() -> Value {
    json!([
        {
            "name": "The app broke a documented step or rule",
            "description": "A check of what the help page says failed: a release gate.",
            "matchedStatuses": ["failed"],
        },
        {
            "name": "Could not be judged",
            "description": "A phone, the farm, a timeout or a step no phrase matches stopped the scenario before it could tell: not the app's failure, nor a pass.",
            "matchedStatuses": ["broken"],
        },
        {
            "name": "Passed only on a retry",
            "description": "Flaky: an earlier attempt did not pass.",
            "matchedStatuses": ["passed"],
            "flaky": true,
        },
        {
            "name": "Left out of the run",
            "description": "The profile cannot serve it (no Bluetooth probe, no rig with its phones): not run.",
            "matchedStatuses": ["skipped"],
        },
    ])
}
