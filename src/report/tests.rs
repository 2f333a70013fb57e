//! Snapshots of what a run writes and prints — `junit.xml`, `cucumber.json`,
//! `coverage.md` and the console's lines — for hand-made runs: a green run, a
//! red run with evidence, a flaky scenario, a run whose strings held secrets,
//! a run merged from two shards, and a run stopped by a signal.
//!
//! Every report here is fixed: durations, run ids, paths (relative, as the
//! recorder writes them). The coverage is of a small catalogue made here, so
//! these snapshots change only when a writer does.
//!
//! Snapshots are named `<run>__<output>`. Update with
//! `INSTA_UPDATE=always cargo test -p mitid-e2e --lib report::tests` and review
//! the changed files in `src/report/snapshots/`.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use cucumber::codegen::LocalBoxFuture;
use mitid_e2e_framework::secret::{Secret, SecretKind};
use serde_json::Value;

use super::coverage::Coverage;
use super::{
    clean, console, cucumber_json, junit, merge, Attachment, FeatureReport, RunReport, ScenarioReport, Status,
    StepReport,
};
use crate::steps::catalogue::{Deadline, Doc, Keyword, StepDef};
use crate::world::CopyWorld;

// The step texts the catalogue below knows.
const OLD_PHONE: &str = "an old phone with the MitID app activated";
const OLD_PHONE_DA: &str = "en gammel telefon med MitID-appen aktiveret";
const COPY_QR: &str = "I copy the app to a new phone with a QR code";
const READY: &str = "the new phone shows \"MitID is ready\"";
const WRONG_PINS: &str = "I enter a wrong PIN 3 times";
const REFUSED: &str = "the copy is refused";

/// A 1×1 PNG, as a failing step's screenshot.
const SCREENSHOT_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const PAGE_SOURCE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<hierarchy rotation=\"0\">\n  \
    <android.widget.TextView resource-id=\"dk.mitid.app:id/title\" text=\"The QR code has expired\"/>\n</hierarchy>\n";

const GATEWAY: &str = "POST /copy/sessions -> 201 {\"session\":\"s-17\"}\n\
    GET /copy/sessions/s-17 -> 200 {\"state\":\"qr-shown\"}\n\
    GET /copy/sessions/s-17 -> 410 {\"state\":\"expired\"}\n";

// ---------------------------------------------------------------------------
// The catalogue the coverage is of.

fn never_run<'a>(_: &'a mut CopyWorld, _: cucumber::step::Context) -> LocalBoxFuture<'a, ()> {
    Box::pin(async {})
}

fn def(keyword: Keyword, phrase: &'static str, danish: Option<&'static str>, docs: &'static [Doc]) -> StepDef {
    let location = cucumber::step::Location { path: "steps/test.rs", line: 1, column: 1 };
    let arity = regex::Regex::new(phrase).map_or(0, |re| re.captures_len() - 1);
    StepDef {
        keyword,
        phrase,
        example: "",
        danish,
        docs,
        deadline: Deadline::Step,
        arity,
        location,
        cucumber: never_run,
    }
}

fn catalogue() -> Vec<StepDef> {
    vec![
        def(
            Keyword::Given,
            "^an old phone with the MitID app activated$",
            Some("^en gammel telefon med MitID-appen aktiveret$"),
            &[Doc::Before(1), Doc::Before(2)],
        ),
        def(Keyword::When, "^I copy the app to a new phone with a QR code$", None, &[Doc::Step(1), Doc::Step(2)]),
        def(Keyword::When, "^I enter the PIN \"(.+)\"$", None, &[Doc::Step(3)]),
        def(Keyword::When, "^I enter a wrong PIN (\\d+) times$", None, &[Doc::Step(3)]),
        def(Keyword::Then, "^the new phone shows \"(.+)\"$", None, &[Doc::Step(26)]),
        def(Keyword::Then, "^the copy is refused$", None, &[]),
    ]
}

// ---------------------------------------------------------------------------
// Building blocks of the runs.

fn step(keyword: &str, text: &str, line: usize, status: Status, ms: u64) -> StepReport {
    StepReport {
        keyword: keyword.into(),
        text: text.into(),
        line,
        background: false,
        status,
        duration: Duration::from_millis(ms),
        error: None,
        attachments: Vec::new(),
    }
}

fn background(keyword: &str, text: &str, line: usize, status: Status, ms: u64) -> StepReport {
    StepReport { background: true, ..step(keyword, text, line, status, ms) }
}

fn failed(keyword: &str, text: &str, line: usize, ms: u64, error: &str, attachments: Vec<Attachment>) -> StepReport {
    StepReport { error: Some(error.into()), attachments, ..step(keyword, text, line, Status::Failed, ms) }
}

fn attachment(name: &str, mime: &str, data: &[u8]) -> Attachment {
    Attachment { name: name.into(), mime: mime.into(), data: data.to_vec() }
}

/// A scenario that ran once and took as long as its steps (as a merged
/// report reads it back).
fn scenario(name: &str, line: usize, tags: &[&str], steps: Vec<StepReport>) -> ScenarioReport {
    ScenarioReport {
        name: name.into(),
        keyword: "Scenario".into(),
        line,
        tags: tags.iter().map(|t| t.to_string()).collect(),
        duration: steps.iter().map(|s| s.duration).sum(),
        steps,
        attempts: 1,
    }
}

fn attempts(scenario: ScenarioReport, attempts: usize) -> ScenarioReport {
    ScenarioReport { attempts, ..scenario }
}

/// A feature; its scenarios inherit its tags, as the recorder has them.
fn feature(path: &str, name: &str, tags: &[&str], scenarios: Vec<ScenarioReport>) -> FeatureReport {
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    let scenarios = scenarios
        .into_iter()
        .map(|s| ScenarioReport { tags: tags.iter().cloned().chain(s.tags).collect(), ..s })
        .collect();
    FeatureReport { name: name.into(), description: String::new(), path: PathBuf::from(path), line: 2, tags, scenarios }
}

fn copy_qr(scenarios: Vec<ScenarioReport>) -> FeatureReport {
    FeatureReport {
        description: "The old phone shows a QR code, the new phone scans it.".into(),
        ..feature("features/copy_qr.feature", "Copy the app with a QR code", &["copy"], scenarios)
    }
}

fn kopi(scenarios: Vec<ScenarioReport>) -> FeatureReport {
    feature("features/da/kopi.feature", "Kopiér MitID-appen", &["da"], scenarios)
}

fn rules(scenarios: Vec<ScenarioReport>) -> FeatureReport {
    feature("features/rules.feature", "Rules of the copy", &[], scenarios)
}

fn copy_android() -> ScenarioReport {
    scenario(
        "Copy to a new Android phone",
        8,
        &["android"],
        vec![
            background("Given", OLD_PHONE, 5, Status::Passed, 120),
            step("When", COPY_QR, 9, Status::Passed, 4200),
            step("Then", READY, 10, Status::Passed, 310),
        ],
    )
}

fn copy_iphone_da() -> ScenarioReport {
    ScenarioReport {
        keyword: "Scenarie".into(),
        ..scenario(
            "Kopiér til en ny iPhone",
            7,
            &["ios"],
            vec![
                step("Givet", OLD_PHONE_DA, 8, Status::Passed, 130),
                step("Når", "jeg kopierer appen til den nye telefon med en QR-kode", 9, Status::Passed, 3900),
                step("Så", "den nye telefon viser \"MitID er klar\"", 10, Status::Passed, 290),
            ],
        )
    }
}

fn wrong_pins(refused: bool) -> ScenarioReport {
    let then = if refused {
        step("Then", REFUSED, 15, Status::Passed, 200)
    } else {
        failed("Then", REFUSED, 15, 5000, "the copy went on: the old phone accepted a 4th PIN", Vec::new())
    };
    scenario(
        "A copy is refused after 3 wrong PINs",
        12,
        &["rule-three-wrong-pins"],
        vec![
            step("Given", OLD_PHONE, 13, Status::Passed, 110),
            step("When", WRONG_PINS, 14, Status::Passed, 2100),
            then,
        ],
    )
}

/// Fails on the QR code, with the evidence gathered: the error has quotes,
/// `<`, `&` and a second line, for the writers to escape.
fn qr_expired() -> ScenarioReport {
    let evidence = vec![
        attachment(
            "screenshot.png",
            "image/png",
            &base64::engine::general_purpose::STANDARD.decode(SCREENSHOT_PNG).unwrap(),
        ),
        attachment("page-source.xml", "application/xml", PAGE_SOURCE.as_bytes()),
        attachment("gateway-messages.txt", "text/plain", GATEWAY.as_bytes()),
    ];
    scenario(
        "Copy after the QR code has expired",
        13,
        &["android"],
        vec![
            background("Given", OLD_PHONE, 5, Status::Passed, 120),
            failed(
                "When",
                COPY_QR,
                14,
                30000,
                "timed out after 30s waiting for the screen \"temporary_pin\"\n\
                 the phone shows \"qr_expired\" & the gateway said <410 Gone>",
                evidence,
            ),
            step("Then", READY, 15, Status::Skipped, 0),
        ],
    )
}

fn wrong_temporary_pin_undefined() -> ScenarioReport {
    scenario(
        "A wrong temporary PIN is refused",
        20,
        &["rule-wrong-temporary-pin"],
        vec![
            step("Given", OLD_PHONE, 21, Status::Passed, 110),
            StepReport {
                error: Some("no step definition matches this step".into()),
                ..step("When", "I type the temporary PIN backwards", 22, Status::Undefined, 0)
            },
            step("Then", REFUSED, 23, Status::Skipped, 0),
        ],
    )
}

/// A scenario the harness could not judge: the old phone's session died.
fn session_died() -> ScenarioReport {
    scenario(
        "The waiting period starts when I start copying",
        30,
        &["rule-waiting-period"],
        vec![
            step("Given", OLD_PHONE, 31, Status::Passed, 110),
            StepReport {
                error: Some("the old phone: click failed: invalid session id: the session was deleted".into()),
                ..step("When", "I start copying", 32, Status::Error, 40)
            },
            step("Then", "the waiting period has started", 33, Status::Skipped, 0),
        ],
    )
}

fn wrong_temporary_pin() -> ScenarioReport {
    scenario(
        "A wrong temporary PIN is refused",
        20,
        &["rule-wrong-temporary-pin"],
        vec![
            step("Given", OLD_PHONE, 21, Status::Passed, 110),
            step("When", "I enter a wrong temporary PIN", 22, Status::Passed, 1800),
            step("Then", REFUSED, 23, Status::Passed, 150),
        ],
    )
}

// ---------------------------------------------------------------------------
// The runs.

fn green() -> RunReport {
    RunReport {
        run_id: "run-1740000000-000".into(),
        duration: Duration::from_millis(17_250),
        features: vec![
            copy_qr(vec![copy_android()]),
            kopi(vec![copy_iphone_da()]),
            rules(vec![wrong_pins(true), wrong_temporary_pin()]),
        ],
        ..Default::default()
    }
}

/// A failing step with its evidence, an undefined step, a scenario that never
/// ran (its name has what each format must escape), a broken rule, a scenario
/// the harness could not judge, a feature
/// that could not be parsed and a phone taken out of the run.
fn red() -> RunReport {
    let bluetooth = scenario(
        "Copy over Bluetooth | phones <1 m> & more apart",
        6,
        &["bluetooth"],
        vec![step("Given", OLD_PHONE, 7, Status::Skipped, 0), step("When", COPY_QR, 8, Status::Skipped, 0)],
    );
    RunReport {
        run_id: "run-1740000100-000".into(),
        duration: Duration::from_millis(48_500),
        features: vec![
            feature("features/bluetooth.feature", "Copy over Bluetooth", &[], vec![bluetooth]),
            copy_qr(vec![copy_android(), qr_expired()]),
            rules(vec![wrong_pins(false), wrong_temporary_pin_undefined(), session_died()]),
        ],
        parse_errors: vec![
            "features/broken.feature: Failed to parse feature: line 3, column 1: expected \"Scenario:\" <got 'Sceanrio'>"
                .into(),
        ],
        undefined: vec![("When I type the temporary PIN backwards".into(), "features/rules.feature:22".into())],
        quarantined: vec![("emulator-5556".into(), "did not answer within 30s (adb: device offline)".into())],
    }
}

/// One scenario passed on its second attempt (flaky); one failed all three
/// (retried, but not flaky).
fn flaky() -> RunReport {
    RunReport {
        run_id: "run-1740000200-000".into(),
        duration: Duration::from_millis(32_000),
        features: vec![
            copy_qr(vec![attempts(copy_android(), 2)]),
            kopi(vec![copy_iphone_da()]),
            rules(vec![attempts(wrong_pins(false), 3)]),
        ],
        ..Default::default()
    }
}

/// The secrets of [`with_secrets`], in clear.
const PIN: &str = "582941";
const TEMPORARY_PIN: &str = "44170265";
const USER_ID: &str = "bodil-ravn-3391";

/// Every string that could hold a secret made through [`clean`], as the
/// recorder makes them: names, step texts, the error, the gateway's messages.
/// A run stopped by Ctrl-C: one scenario had passed, one was interrupted
/// mid-step, one never began, and one was still running when the run was
/// dropped (marked by [`super::recorder::mark_unfinished`]).
fn interrupted() -> RunReport {
    let interrupted = scenario(
        "Copy to a new iPhone",
        15,
        &["ios"],
        vec![
            step("Given", OLD_PHONE, 16, Status::Passed, 120),
            StepReport {
                error: Some(
                    "interrupted by SIGINT 0.4 s into the step \"I copy the app to a new phone with a QR code\": the run \
                     was stopped, so the scenario could not be judged; its phones' sessions are closed"
                        .into(),
                ),
                ..step("When", COPY_QR, 17, Status::Error, 400)
            },
            step("Then", READY, 18, Status::Skipped, 0),
        ],
    );
    let not_run = scenario(
        "Three wrong PINs block the copy",
        10,
        &["rule-wrong-pin"],
        vec![
            StepReport {
                error: Some(crate::interrupt::NOT_RUN.into()),
                ..step("Given", OLD_PHONE, 11, Status::Skipped, 0)
            },
            step("When", WRONG_PINS, 12, Status::Skipped, 0),
            step("Then", REFUSED, 13, Status::Skipped, 0),
        ],
    );
    let unfinished = scenario(
        "A wrong temporary PIN is refused",
        20,
        &["rule-wrong-temporary-pin"],
        vec![step("Given", OLD_PHONE, 21, Status::Passed, 110)],
    );
    let mut report = RunReport {
        run_id: "run-1740000800-000".into(),
        duration: Duration::from_millis(12_500),
        features: vec![copy_qr(vec![copy_android(), interrupted]), rules(vec![not_run, unfinished])],
        ..Default::default()
    };
    let running = std::collections::BTreeSet::from([(1, 1)]);
    let marked = super::recorder::mark_unfinished(
        &mut report,
        &running,
        "interrupted by SIGTERM: the scenario was still running 10 s after the signal and was stopped; its sessions \
         were closed by the runner",
    );
    assert_eq!(marked, 1);
    report
}

fn with_secrets() -> RunReport {
    let _pin = Secret::new(SecretKind::Pin, PIN);
    let _temporary = Secret::new(SecretKind::TemporaryPin, TEMPORARY_PIN);
    let _user = Secret::new(SecretKind::UserId, USER_ID);
    let gateway = clean(&format!(
        "POST /copy/activate {{\"userId\":\"{USER_ID}\",\"temporaryPin\":\"{TEMPORARY_PIN}\"}} -> 403\n"
    ));
    let steps = vec![
        background("Given", OLD_PHONE, 5, Status::Passed, 120),
        step("When", COPY_QR, 9, Status::Passed, 4200),
        step("And", &clean(&format!("I enter the PIN \"{PIN}\"")), 10, Status::Passed, 400),
        failed(
            "And",
            &clean(&format!("I enter the temporary PIN \"{TEMPORARY_PIN}\" for \"{USER_ID}\"")),
            11,
            900,
            &clean(&format!(
                "the app refused the temporary PIN {TEMPORARY_PIN} of {USER_ID}\n(the PIN typed before was {PIN})"
            )),
            vec![attachment("gateway-messages.txt", "text/plain", gateway.as_bytes())],
        ),
        step("Then", READY, 12, Status::Skipped, 0),
    ];
    let mut feature = copy_qr(vec![scenario(&clean(&format!("Copy for {USER_ID}")), 8, &["android"], steps)]);
    feature.description = clean(&format!("Copies the app of {USER_ID}, whose PIN is {PIN}."));
    RunReport {
        run_id: "run-1740000300-000".into(),
        duration: Duration::from_millis(6_000),
        features: vec![feature],
        quarantined: vec![("emulator-5554".into(), clean(&format!("kept showing the PIN {PIN} after the copy")))],
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------
// What is rendered, and checks every output must pass.

struct Outputs {
    junit: String,
    cucumber_json: String,
    coverage_md: String,
    console: String,
}

impl Outputs {
    /// Everything a run writes and prints. The console is what this module
    /// prints: the line per scenario, then, as the run ends, the coverage
    /// line and the summary (not the run's own lines: undefined steps'
    /// snippets, the report folder).
    fn of(report: &RunReport) -> Outputs {
        let coverage = Coverage::of(report, &catalogue());
        let mut console: String = report.scenarios().map(|(f, s)| console::scenario_lines(&f.path, s)).collect();
        console.push('\n');
        console.push_str(&coverage.line());
        console.push('\n');
        console.push_str(&console::summary(report));
        let coverage_md = coverage.markdown();
        assert_eq!(coverage_md.lines().nth(2), Some(coverage.line().as_str()), "coverage.md opens with the line");
        Outputs { junit: junit::render(report), cucumber_json: cucumber_json::render(report), coverage_md, console }
    }

    fn all(&self) -> [(&str, &str); 4] {
        [
            ("junit.xml", self.junit.as_str()),
            ("cucumber.json", self.cucumber_json.as_str()),
            ("coverage.md", self.coverage_md.as_str()),
            ("console", self.console.as_str()),
        ]
    }

    /// Checks the documents hold together, then snapshots each as
    /// `<run>__<output>`.
    fn snapshot(&self, run: &str) {
        check_junit(&self.junit);
        check_cucumber_json(&self.cucumber_json);
        insta::assert_snapshot!(format!("{run}__junit_xml"), self.junit);
        insta::assert_snapshot!(format!("{run}__cucumber_json"), self.cucumber_json);
        insta::assert_snapshot!(format!("{run}__coverage_md"), self.coverage_md);
        insta::assert_snapshot!(format!("{run}__console"), self.console);
    }
}

/// The number in `name="…"` of an element's start tag.
fn count_attr(tag: &str, name: &str) -> usize {
    let start = tag.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("no {name} in {tag}")) + name.len() + 3;
    let len = tag[start..].find('"').expect("a closed attribute");
    tag[start..start + len].parse().unwrap_or_else(|_| panic!("{name} is not a count in {tag}"))
}

/// The totals of `<testsuites>` and of each `<testsuite>` are those of the
/// testcases in it; testcases, failures and outputs are closed.
fn check_junit(xml: &str) {
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "), "{xml}");
    assert!(xml.ends_with("</testsuites>\n"));
    let root = xml.lines().nth(1).unwrap();
    assert_eq!(count_attr(root, "tests"), xml.matches("<testcase ").count(), "tests in {root}");
    assert_eq!(count_attr(root, "failures"), xml.matches("<failure ").count(), "failures in {root}");
    assert_eq!(count_attr(root, "errors"), xml.matches("<error ").count(), "errors in {root}");
    let suites: Vec<&str> = xml.split("<testsuite ").skip(1).collect();
    assert_eq!(suites.len(), xml.matches("</testsuite>").count());
    for suite in suites {
        let tag = &suite[..suite.find('>').unwrap()];
        let body = &suite[..suite.find("</testsuite>").unwrap()];
        assert_eq!(count_attr(tag, "tests"), body.matches("<testcase ").count(), "tests in {tag}");
        assert_eq!(count_attr(tag, "failures"), body.matches("<failure ").count(), "failures in {tag}");
        assert_eq!(count_attr(tag, "errors"), body.matches("<error ").count(), "errors in {tag}");
        if tag.contains(" skipped=\"") {
            assert_eq!(count_attr(tag, "skipped"), body.matches("<skipped").count(), "skipped in {tag}");
        }
    }
    let self_closed = xml.lines().filter(|l| l.trim_start().starts_with("<testcase ") && l.ends_with("/>")).count();
    assert_eq!(
        xml.matches("<testcase ").count(),
        xml.matches("</testcase>").count() + self_closed,
        "every testcase is closed"
    );
    assert_eq!(xml.matches("<system-out>").count(), xml.matches("</system-out>").count());
    assert_eq!(xml.matches("<failure ").count(), xml.matches("</failure>").count());
}

/// It parses, and has what report tools read of every feature, scenario and
/// step.
fn check_cucumber_json(text: &str) {
    let json: Value = serde_json::from_str(text).expect("cucumber.json parses");
    for feature in json.as_array().expect("an array of features") {
        for key in ["uri", "id", "keyword", "name"] {
            assert!(feature[key].is_string(), "{key} of {feature}");
        }
        for element in feature["elements"].as_array().expect("elements") {
            assert_eq!(element["type"], "scenario");
            for step in element["steps"].as_array().expect("steps") {
                assert!(step["keyword"].as_str().is_some_and(|k| k.ends_with(' ')), "{step}");
                assert!(step["result"]["status"].is_string(), "{step}");
                assert!(step["result"]["duration"].is_u64(), "{step}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn green_run() {
    let report = green();
    assert!(report.passed());
    Outputs::of(&report).snapshot("green");
}

#[test]
fn red_run_with_evidence() {
    let report = red();
    assert!(!report.passed());
    let out = Outputs::of(&report);
    out.snapshot("red");
    // The evidence travels whole in cucumber.json.
    let json: Value = serde_json::from_str(&out.cucumber_json).unwrap();
    let step = &json[1]["elements"][1]["steps"][1];
    assert_eq!(step["result"]["status"], "failed");
    let data: Vec<String> =
        step["embeddings"].as_array().unwrap().iter().map(|e| e["data"].as_str().unwrap().to_owned()).collect();
    let decode = |d: &str| base64::engine::general_purpose::STANDARD.decode(d).unwrap();
    assert_eq!(data[0], SCREENSHOT_PNG);
    assert_eq!(decode(&data[1]), PAGE_SOURCE.as_bytes());
    assert_eq!(decode(&data[2]), GATEWAY.as_bytes());
}

#[test]
fn flaky_scenario() {
    let report = flaky();
    let flaky: Vec<&str> = report.scenarios().filter(|(_, s)| s.flaky()).map(|(_, s)| s.name.as_str()).collect();
    assert_eq!(flaky, ["Copy to a new Android phone"]);
    Outputs::of(&report).snapshot("flaky");
}

#[test]
fn secrets_are_redacted() {
    let out = Outputs::of(&with_secrets());
    out.snapshot("secrets");
    let json: Value = serde_json::from_str(&out.cucumber_json).unwrap();
    let mut embedded = Vec::new();
    for step in json[0]["elements"][0]["steps"].as_array().unwrap() {
        for e in step["embeddings"].as_array().into_iter().flatten() {
            let data = base64::engine::general_purpose::STANDARD.decode(e["data"].as_str().unwrap()).unwrap();
            embedded.push(("an attachment", String::from_utf8(data).unwrap()));
        }
    }
    assert_eq!(embedded.len(), 1);
    let rendered = out.all().map(|(what, text)| (what, text.to_owned()));
    for (what, text) in rendered.iter().chain(&embedded) {
        for clear in [PIN, TEMPORARY_PIN, USER_ID] {
            assert!(!text.contains(clear), "{what} shows a secret in clear:\n{text}");
        }
    }
    for placeholder in ["[PIN]", "[TEMPORARY PIN]", "[USER ID]"] {
        assert!(out.console.contains(placeholder), "the console shows {placeholder} in the secret's place");
        assert!(out.junit.contains(placeholder), "junit.xml shows {placeholder} in the secret's place");
    }
    assert!(embedded[0].1.contains("[TEMPORARY PIN]"));
}

/// Two shards, each written to its run folder as a shard's run writes it,
/// read back and merged: the same report as the unsharded run, and as long
/// as the longer shard.
#[test]
fn merged_shards() {
    let shard1 = RunReport {
        run_id: "run-1740000400-000".into(),
        duration: Duration::from_millis(9_000),
        features: vec![copy_qr(vec![copy_android()]), rules(vec![wrong_temporary_pin()])],
        ..Default::default()
    };
    let shard2 = RunReport {
        run_id: "run-1740000400-500".into(),
        duration: Duration::from_millis(41_000),
        features: vec![kopi(vec![attempts(copy_iphone_da(), 2)]), copy_qr(vec![qr_expired()])],
        ..Default::default()
    };
    let unsharded = RunReport {
        features: vec![
            copy_qr(vec![copy_android(), qr_expired()]),
            kopi(vec![attempts(copy_iphone_da(), 2)]),
            rules(vec![wrong_temporary_pin()]),
        ],
        ..Default::default()
    };

    let dir = TempDir::new("merged_shards");
    let mut shards = Vec::new();
    for (i, shard) in [&shard2, &shard1].into_iter().enumerate() {
        let run_dir = dir.0.join(format!("shard{}", i + 1));
        super::write_files(shard, &run_dir, &Coverage::of(shard, &catalogue())).unwrap();
        shards.push(merge::read(&run_dir).unwrap());
    }
    let merged = merge::merge(shards).unwrap();

    assert_eq!(cucumber_json::render(&merged), cucumber_json::render(&unsharded));
    assert_eq!(merged.duration, Duration::from_secs(41));
    assert!(!merged.passed());
    Outputs::of(&merged).snapshot("merged");
}

/// Interrupted scenarios are errors (JUnit `<error>`, "interrupted" in the
/// message), a scenario never begun is skipped saying why, and neither counts
/// as passed; read back by `report merge`, the run is the same.
#[test]
fn interrupted_run() {
    let report = interrupted();
    let status = |name: &str| report.scenarios().find(|(_, s)| s.name == name).map(|(_, s)| s.status());
    assert_eq!(status("Copy to a new Android phone"), Some(Status::Passed));
    assert_eq!(status("Copy to a new iPhone"), Some(Status::Error));
    assert_eq!(status("Three wrong PINs block the copy"), Some(Status::Skipped));
    assert_eq!(status("A wrong temporary PIN is refused"), Some(Status::Error));
    assert_eq!((report.count(Status::Passed), report.count(Status::Error), report.count(Status::Skipped)), (1, 2, 1));
    let out = Outputs::of(&report);
    out.snapshot("interrupted");
    assert_eq!(out.junit.matches("<error message=\"interrupted by ").count(), 2, "{}", out.junit);
    assert!(out.junit.contains("<skipped message=\"not run: the run was interrupted\"/>"), "{}", out.junit);

    let dir = TempDir::new("interrupted_run");
    super::write_files(&report, &dir.0, &Coverage::of(&report, &catalogue())).unwrap();
    let read = merge::merge(vec![merge::read(&dir.0).unwrap()]).unwrap();
    assert_eq!(cucumber_json::render(&read), out.cucumber_json);
    assert_eq!(junit::render(&RunReport { duration: report.duration, ..read }), out.junit);
}

#[test]
fn a_scenario_in_two_shards_is_not_merged() {
    let shard = RunReport { features: vec![copy_qr(vec![copy_android()])], ..Default::default() };
    let err = merge::merge(vec![shard.clone(), shard]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "scenario 'Copy to a new Android phone' (features/copy_qr.feature:8) is in more than one shard: \
         were the shards run with the same --shard N?"
    );
}

/// A folder of this test process, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("mitid-e2e-report-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
