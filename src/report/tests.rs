//! Snapshots of what a run writes and prints — `junit.xml`, `cucumber.json`,
//! `coverage.md` and the console's lines — for hand-made runs: a green run, a
//! red run with evidence, retried scenarios (flaky, and failed on every
//! attempt), a run that left scenarios out, a run whose strings held secrets,
//! a run merged from two shards, and a run stopped by a signal. Every `junit.xml` is also checked
//! against the Jenkins xUnit plugin's `junit-10.xsd` with xmllint.
//!
//! Every report here is fixed: durations, run ids, paths (relative, as the
//! recorder writes them). The coverage is of a small catalogue made here, so
//! these snapshots change only when a writer does.
//!
//! Snapshots are named `<run>__<output>`. Update with
//! `INSTA_UPDATE=always cargo test -p mitid-e2e --lib report::tests` and review
//! the changed files in `src/report/snapshots/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use cucumber::codegen::LocalBoxFuture;
use mitid_e2e_framework::secret::{Secret, SecretKind};
use serde_json::Value;

use super::coverage::Coverage;
use super::{
    clean, console, cucumber_json, junit, merge, Attachment, Attempt, FeatureReport, RunReport, ScenarioReport, Status,
    StepReport,
};
use crate::exit::Exit;
use mitid_e2e_steps::catalogue::{Deadline, Doc, Keyword, StepDef};
use mitid_e2e_steps::world::CopyWorld;

#[path = "../../tests/integration/support/junit_schema.rs"]
mod junit_schema;

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
    <android.widget.TextView resource-id=\"dk.mitid.app.android:id/title\" text=\"The QR code has expired\"/>\n</hierarchy>\n";

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
        body: "never_run",
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

/// What a passing step of `text` records on a phone: every documented
/// step its phrase here proves, by that step's first alternative.
fn proved_by(text: &str) -> Vec<mitid_e2e_steps::documented::Proof> {
    catalogue()
        .iter()
        .filter(|d| std::iter::once(d.phrase).chain(d.danish).any(|p| regex::Regex::new(p).unwrap().is_match(text)))
        .flat_map(|d| d.docs.iter())
        .map(|doc| mitid_e2e_steps::documented::Proof::new(*doc, doc.alternatives().first().copied()))
        .collect()
}

fn step(keyword: &str, text: &str, line: usize, status: Status, ms: u64) -> StepReport {
    StepReport {
        proved: if status == Status::Passed { proved_by(text) } else { Vec::new() },
        keyword: keyword.into(),
        text: text.into(),
        line,
        background: false,
        status,
        duration: Duration::from_millis(ms),
        error: None,
        attachments: Vec::new(),
        argument: None,
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
        parameters: Vec::new(),
        duration: steps.iter().map(|s| s.duration).sum(),
        steps,
        earlier_attempts: Vec::new(),
        attempts_allowed: 1,
        left_out: None,
        started: None,
        phones: Vec::new(),
        requests: Default::default(),
    }
}

/// `scenario` as its last attempt, after the `earlier` attempts (each as
/// long as its steps), of `allowed`.
fn retried(scenario: ScenarioReport, earlier: Vec<Vec<StepReport>>, allowed: usize) -> ScenarioReport {
    let earlier_attempts =
        earlier.into_iter().map(|steps| Attempt { duration: steps.iter().map(|s| s.duration).sum(), steps }).collect();
    ScenarioReport { earlier_attempts, attempts_allowed: allowed, ..scenario }
}

/// `scenario` left out of the run, with its steps skipped, as the run's
/// filter records it.
fn left_out(scenario: ScenarioReport, reason: &str) -> ScenarioReport {
    let steps = scenario
        .steps
        .into_iter()
        .map(|s| StepReport {
            status: Status::Skipped,
            duration: Duration::ZERO,
            error: None,
            attachments: Vec::new(),
            ..s
        })
        .collect();
    ScenarioReport { steps, duration: Duration::ZERO, attempts_allowed: 0, left_out: Some(reason.into()), ..scenario }
}

/// A feature; its scenarios inherit its tags, as the recorder has them.
fn feature(path: &str, name: &str, tags: &[&str], scenarios: Vec<ScenarioReport>) -> FeatureReport {
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    let scenarios = scenarios
        .into_iter()
        .map(|s| ScenarioReport { tags: tags.iter().cloned().chain(s.tags).collect(), ..s })
        .collect();
    FeatureReport {
        keyword: "Feature".into(),
        name: name.into(),
        description: String::new(),
        path: PathBuf::from(path),
        line: 2,
        tags,
        source: None,
        scenarios,
    }
}

fn copy_qr(scenarios: Vec<ScenarioReport>) -> FeatureReport {
    FeatureReport {
        description: "The old phone shows a QR code, the new phone scans it.".into(),
        ..feature("features/copy_qr.feature", "Copy the app with a QR code", &["copy"], scenarios)
    }
}

fn kopi(scenarios: Vec<ScenarioReport>) -> FeatureReport {
    FeatureReport {
        keyword: "Egenskab".into(),
        ..feature("features/da/kopi.feature", "Kopiér MitID-appen", &["da"], scenarios)
    }
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
    let phone = |udid: &str, model: &str, os: &str| super::PhoneRecord {
        udid: udid.into(),
        model: model.into(),
        os_version: os.into(),
        rig: "rack-2".into(),
        platform: "Android".into(),
    };
    let s = scenario(
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
                evidence(),
            ),
            step("Then", READY, 15, Status::Skipped, 0),
        ],
    );
    ScenarioReport {
        started: Some(std::time::UNIX_EPOCH + Duration::from_millis(1_740_000_000_250)),
        phones: vec![phone("emulator-5554", "Pixel 7", "14"), phone("emulator-5556", "", "13")],
        requests: super::requests::Requests::from([
            ("old phone".to_owned(), [("find".to_owned(), 40), ("page source".to_owned(), 12)].into()),
            ("new phone".to_owned(), [("element".to_owned(), 1234), ("session".to_owned(), 2)].into()),
        ]),
        ..s
    }
}

#[test]
fn times_are_rfc3339_and_read_back() {
    for ms in [0, 951_782_400_000, 1_740_000_000_250, 4_102_444_799_999] {
        let t = std::time::UNIX_EPOCH + Duration::from_millis(ms);
        assert_eq!(super::parse_rfc3339(&super::rfc3339(t)), Some(t), "{ms}");
    }
    let t = std::time::UNIX_EPOCH + Duration::from_millis(1_740_000_000_250);
    assert_eq!(super::rfc3339(t), "2025-02-19T21:20:00.250Z");
    assert_eq!(
        super::rfc3339(std::time::UNIX_EPOCH + Duration::from_millis(951_782_400_000)),
        "2000-02-29T00:00:00.000Z"
    );
    assert_eq!(super::parse_rfc3339("2025-02-19 21:20:00"), None);
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
        meta: super::run_info::RunMeta {
            git_commit: Some("69685f5c0ffee".into()),
            profile: Some("profiles/virtual.toml".into()),
            host: Some("ci-runner-3".into()),
            defects: vec!["old_app_deactivated".into()],
            screen_texts_unchecked: false,
        },
        shard: Some((1, 2)),
    }
}

/// The evidence of a failing step: a screenshot, the page source, the
/// gateway's messages.
fn evidence() -> Vec<Attachment> {
    vec![
        attachment(
            "screenshot.png",
            "image/png",
            &base64::engine::general_purpose::STANDARD.decode(SCREENSHOT_PNG).unwrap(),
        ),
        attachment("page-source.xml", "application/xml", PAGE_SOURCE.as_bytes()),
        attachment("gateway-messages.txt", "text/plain", GATEWAY.as_bytes()),
        attachment(
            "Bluetooth trace",
            "text/plain",
            b"2026-11-30T10:00:03.100Z host heard MitID beacon 4d494401-1a2b-... from the old phone (rssi 0)
",
        ),
    ]
}

/// [`copy_android`]'s steps in an attempt whose QR code expired, with the
/// evidence.
fn copy_android_qr_expired() -> Vec<StepReport> {
    vec![
        background("Given", OLD_PHONE, 5, Status::Passed, 120),
        failed("When", COPY_QR, 9, 3000, "the QR code expired before the new phone scanned it", evidence()),
        step("Then", READY, 10, Status::Skipped, 0),
    ]
}

/// [`copy_iphone_da`]'s steps in an attempt whose session died.
fn copy_iphone_da_session_died() -> Vec<StepReport> {
    vec![
        step("Givet", OLD_PHONE_DA, 8, Status::Passed, 130),
        StepReport {
            error: Some("the new phone: find failed: invalid session id: the session was deleted".into()),
            ..step("Når", "jeg kopierer appen til den nye telefon med en QR-kode", 9, Status::Error, 60)
        },
        step("Så", "den nye telefon viser \"MitID er klar\"", 10, Status::Skipped, 0),
    ]
}

/// [`wrong_pins`]'s steps in an attempt past a deadline.
fn wrong_pins_deadline() -> Vec<StepReport> {
    vec![
        step("Given", OLD_PHONE, 13, Status::Passed, 110),
        StepReport {
            error: Some("did not finish within its deadline of 20 s".into()),
            ..step("When", WRONG_PINS, 14, Status::Error, 20_000)
        },
        step("Then", REFUSED, 15, Status::Skipped, 0),
    ]
}

/// Retried scenarios, every attempt kept: one passed on attempt 2 of 3
/// after a failure with evidence (flaky), one on attempt 2 of 2 after an
/// error (flaky); one failed on attempt 3 of 3 after a failure and an error
/// (retried, not flaky); one passed at once though it could have been tried
/// three times.
fn flaky() -> RunReport {
    RunReport {
        run_id: "run-1740000200-000".into(),
        duration: Duration::from_millis(32_000),
        features: vec![
            copy_qr(vec![retried(copy_android(), vec![copy_android_qr_expired()], 3)]),
            kopi(vec![retried(copy_iphone_da(), vec![copy_iphone_da_session_died()], 2)]),
            rules(vec![
                retried(wrong_pins(false), vec![wrong_pins(false).steps, wrong_pins_deadline()], 3),
                retried(wrong_temporary_pin(), vec![], 3),
            ]),
        ],
        ..Default::default()
    }
}

/// Why the run leaves out the Bluetooth scenarios.
const NO_PROBE: &str =
    "it needs the host Bluetooth probe, and the profile devices/virtual.toml has no [bluetooth] section";

/// The Bluetooth scenarios the run left out, as the filter records them: an
/// outline's two examples (one name, as when the name has no placeholder),
/// and a scenario.
fn bluetooth_left_out() -> FeatureReport {
    let beacon = |line: usize| ScenarioReport {
        keyword: "Scenario Outline".into(),
        ..scenario(
            "The host hears the beacon while the QR code is shown",
            line,
            &["doc-10"],
            vec![
                background("Given", OLD_PHONE, 5, Status::Passed, 0),
                step("When", COPY_QR, 10, Status::Passed, 0),
                step("Then", "the host sees my old phone's MitID beacon", 11, Status::Passed, 0),
            ],
        )
    };
    let proximity = scenario(
        "A new phone out of range is refused",
        16,
        &["rule-bluetooth-proximity"],
        vec![background("Given", OLD_PHONE, 5, Status::Passed, 0), step("Then", REFUSED, 17, Status::Passed, 0)],
    );
    feature(
        "features/bluetooth/host_probe.feature",
        "The host hears the beacon",
        &["bluetooth"],
        vec![left_out(beacon(13), NO_PROBE), left_out(beacon(14), NO_PROBE), left_out(proximity, NO_PROBE)],
    )
}

/// A run on a profile without `[bluetooth]`: the `@bluetooth` scenarios are
/// left out, a feature of them whole and one beside scenarios that ran;
/// they are skipped with the reason, and prove nothing in the coverage.
fn with_left_out() -> RunReport {
    let in_range = left_out(
        scenario(
            "Copy over Bluetooth when the phones are close",
            18,
            &["bluetooth"],
            vec![step("Given", OLD_PHONE, 19, Status::Passed, 0), step("When", COPY_QR, 20, Status::Passed, 0)],
        ),
        NO_PROBE,
    );
    RunReport {
        run_id: "run-1740000250-000".into(),
        duration: Duration::from_millis(9_500),
        features: vec![bluetooth_left_out(), copy_qr(vec![copy_android(), in_range])],
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
/// dropped (marked by [`crate::recorder::mark_unfinished`]).
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
    let marked = crate::recorder::mark_unfinished(
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
    // The attempt before: the PIN refused, the SMS attached.
    let sms = clean(&format!("SMS to {USER_ID}: your temporary PIN code for MitID is {TEMPORARY_PIN}\n"));
    let earlier = vec![
        background("Given", OLD_PHONE, 5, Status::Passed, 120),
        step("When", COPY_QR, 9, Status::Passed, 4100),
        failed(
            "And",
            &clean(&format!("I enter the PIN \"{PIN}\"")),
            10,
            300,
            &clean(&format!("the app refused the PIN {PIN} of {USER_ID}")),
            vec![attachment("gateway-messages.txt", "text/plain", sms.as_bytes())],
        ),
        step(
            "And",
            &clean(&format!("I enter the temporary PIN \"{TEMPORARY_PIN}\" for \"{USER_ID}\"")),
            11,
            Status::Skipped,
            0,
        ),
        step("Then", READY, 12, Status::Skipped, 0),
    ];
    let scenario = scenario(&clean(&format!("Copy for {USER_ID}")), 8, &["android"], steps);
    let mut feature = copy_qr(vec![retried(scenario, vec![earlier], 2)]);
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
    html: String,
    allure: String,
}

/// The Allure results folder as one text: each file's name, then its text
/// (JSON, properties, a text or XML attachment), or an image's size.
fn allure_listing(report: &RunReport) -> String {
    let mut out = String::new();
    for (name, bytes) in super::allure::files(report, &super::allure::Ci::default()) {
        out.push_str(&format!("== {name} ==\n"));
        if [".json", ".properties", ".txt", ".xml"].iter().any(|ext| name.ends_with(ext)) {
            out.push_str(&String::from_utf8_lossy(&bytes));
            out.push('\n');
        } else {
            out.push_str(&format!("<{} bytes>\n", bytes.len()));
        }
    }
    out
}

impl Outputs {
    /// Everything a run writes and prints. The console is what this module
    /// prints: the line per scenario, then, as the run ends, the coverage
    /// line and the summary (not the run's own lines: undefined steps'
    /// snippets, the report folder).
    fn of(report: &RunReport) -> Outputs {
        let coverage = Coverage::of(report, &catalogue());
        // As the recorder prints them: a line per attempt as it ends (a
        // failed one that is tried again marked RETRY); none for a
        // scenario left out.
        let mut console = String::new();
        for (f, s) in report.scenarios().filter(|(_, s)| s.left_out.is_none()) {
            for (i, a) in s.earlier_attempts.iter().enumerate() {
                let then = ScenarioReport {
                    steps: a.steps.clone(),
                    duration: a.duration,
                    earlier_attempts: s.earlier_attempts[..i].to_vec(),
                    ..s.clone()
                };
                console.push_str(&console::scenario_lines(&f.path, &then, true));
            }
            console.push_str(&console::scenario_lines(&f.path, s, false));
        }
        console.push('\n');
        console.push_str(&coverage.line());
        console.push('\n');
        console.push_str(&console::evidence(report, Path::new("reports/20260101-120000")));
        console.push_str(&console::summary(report));
        let coverage_md = coverage.markdown();
        assert_eq!(coverage_md.lines().nth(2), Some(coverage.line().as_str()), "coverage.md opens with the line");
        let html = super::html::render(report, &coverage);
        Outputs {
            junit: junit::render(report),
            cucumber_json: cucumber_json::render(report),
            coverage_md,
            console,
            html,
            allure: allure_listing(report),
        }
    }

    fn all(&self) -> [(&str, &str); 6] {
        [
            ("allure-results", self.allure.as_str()),
            ("index.html", self.html.as_str()),
            ("junit.xml", self.junit.as_str()),
            ("cucumber.json", self.cucumber_json.as_str()),
            ("coverage.md", self.coverage_md.as_str()),
            ("console", self.console.as_str()),
        ]
    }

    /// Checks the documents hold together, then snapshots each as
    /// `<run>__<output>`.
    fn snapshot(&self, run: &str) {
        check_junit(&self.junit, run);
        check_html(&self.html);
        check_cucumber_json(&self.cucumber_json);
        insta::assert_snapshot!(format!("{run}__junit_xml"), self.junit);
        insta::assert_snapshot!(format!("{run}__cucumber_json"), self.cucumber_json);
        insta::assert_snapshot!(format!("{run}__coverage_md"), self.coverage_md);
        insta::assert_snapshot!(format!("{run}__console"), self.console);
        insta::assert_snapshot!(format!("{run}__index_html"), self.html);
        insta::assert_snapshot!(format!("{run}__allure_results"), self.allure);
    }
}

/// It is valid against junit-10.xsd; the totals of `<testsuites>` and of
/// each `<testsuite>` are those of the testcases in it (quick-junit reads
/// it back); every earlier attempt is a rerun element.
fn check_junit(xml: &str, run: &str) {
    junit_schema::assert_valid(xml, &format!("{run} junit.xml"));
    let junit = quick_junit::Report::deserialize_from_str(xml).expect("quick-junit reads junit.xml back");
    let cases = || junit.test_suites.iter().flat_map(|s| &s.test_cases);
    let is = |case: &quick_junit::TestCase, kind: quick_junit::NonSuccessKind| matches!(&case.status, quick_junit::TestCaseStatus::NonSuccess { kind: k, .. } if *k == kind);
    assert_eq!(junit.tests, cases().count(), "tests in <testsuites>");
    assert_eq!(junit.failures, cases().filter(|c| is(c, quick_junit::NonSuccessKind::Failure)).count());
    assert_eq!(junit.errors, cases().filter(|c| is(c, quick_junit::NonSuccessKind::Error)).count());
    for suite in &junit.test_suites {
        let cases = &suite.test_cases;
        let what = format!("testsuite {}", suite.name.as_str());
        assert_eq!(suite.tests, cases.len(), "tests in {what}");
        assert_eq!(suite.failures, cases.iter().filter(|c| is(c, quick_junit::NonSuccessKind::Failure)).count());
        assert_eq!(suite.errors, cases.iter().filter(|c| is(c, quick_junit::NonSuccessKind::Error)).count());
        let skipped = cases.iter().filter(|c| matches!(c.status, quick_junit::TestCaseStatus::Skipped { .. }));
        assert_eq!(suite.skipped, skipped.count(), "skipped in {what}");
    }
    let reruns = ["<flakyFailure ", "<flakyError ", "<rerunFailure ", "<rerunError "];
    let rerun_count: usize = reruns.iter().map(|r| xml.matches(r).count()).sum();
    let read_back: usize = cases()
        .map(|c| match &c.status {
            quick_junit::TestCaseStatus::Success { flaky_runs } => flaky_runs.len(),
            quick_junit::TestCaseStatus::NonSuccess { reruns, .. } => reruns.runs.len(),
            quick_junit::TestCaseStatus::Skipped { .. } => 0,
        })
        .sum();
    assert_eq!(rerun_count, read_back, "every rerun element is read back");
}

/// It loads nothing from anywhere: the policy says so, no URL leaves the
/// file (an image is a `data:` URI, a link a relative path or an anchor),
/// and its elements are closed as opened.
fn check_html(html: &str) {
    assert!(html.contains(&format!("content=\"{}\"", super::html::CSP)), "the CSP meta tag");
    for outside in ["http://", "https://", "//:", "@import", "url(", "<script", "<link", "<iframe"] {
        assert!(!html.contains(outside), "index.html must be self-contained: it has {outside}");
    }
    for (i, _) in html.match_indices(" src=\"") {
        assert!(html[i + 6..].starts_with("data:image/"), "an image that is not a data: URI");
    }
    for (i, _) in html.match_indices(" href=\"") {
        let to = &html[i + 7..];
        assert!(
            to.starts_with('#') || to.starts_with("attachments/"),
            "a link out of the run: {}",
            &to[..40.min(to.len())]
        );
    }
    for tag in [
        "html", "head", "body", "main", "header", "section", "article", "table", "ol", "li", "details", "pre", "figure",
    ] {
        let opened = html.matches(&format!("<{tag}>")).count() + html.matches(&format!("<{tag} ")).count();
        assert_eq!(opened, html.matches(&format!("</{tag}>")).count(), "<{tag}> opened and closed");
    }
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
            let earlier = element["earlier_attempts"].as_array().map_or(&[][..], |a| a.as_slice());
            let attempts = element["attempts"].as_u64().expect("attempts") as usize;
            if element["left_out"].is_string() {
                assert_eq!((element["status"].as_str(), attempts), (Some("skipped"), 0), "{element}");
            } else {
                assert_eq!(attempts, earlier.len() + 1, "every attempt is kept: {element}");
            }
            for attempt in earlier {
                assert!(["failed", "error"].contains(&attempt["status"].as_str().unwrap_or_default()), "{attempt}");
                assert!(attempt["duration"].is_u64(), "{attempt}");
            }
            let steps = earlier.iter().chain([element]).flat_map(|a| a["steps"].as_array().expect("steps"));
            for step in steps {
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

    // And as files under the run's folder, which JUnit names by absolute path.
    let dir = TempDir::new("red_evidence_files");
    super::write_files(&report, &dir.0, &Coverage::of(&report, &catalogue()), &catalogue()).unwrap();
    let evidence = dir.0.join("attachments/copy-qr-L13");
    let read = |name: &str| std::fs::read(evidence.join(name)).unwrap();
    assert_eq!(base64::engine::general_purpose::STANDARD.encode(read("1-step-L14-screenshot.png")), SCREENSHOT_PNG);
    assert_eq!(read("1-step-L14-page-source.xml"), PAGE_SOURCE.as_bytes());
    assert_eq!(read("1-step-L14-gateway-messages.txt"), GATEWAY.as_bytes());
    let junit = std::fs::read_to_string(dir.0.join("junit.xml")).unwrap();
    let absolute = std::fs::canonicalize(&evidence).unwrap().join("1-step-L14-screenshot.png");
    assert!(junit.lines().any(|l| l == format!("[[ATTACHMENT|{}]]", absolute.display())), "{junit}");
}

#[test]
fn attachment_file_names_are_safe() {
    use super::attachments::{extension, safe_name};
    assert_eq!(safe_name("Old phone Screenshot"), "old-phone-screenshot");
    assert_eq!(safe_name("  Kopiér/../til ÆØÅ!  "), "kopi-r-til");
    assert_eq!(safe_name("…"), "x");
    assert_eq!(
        [extension("image/png"), extension("application/xml"), extension("text/plain; charset=utf-8")],
        ["png", "xml", "txt"]
    );
    assert_eq!(extension("application/octet-stream"), "bin");
}

#[test]
fn flaky_scenario() {
    let report = flaky();
    let flaky: Vec<&str> = report.scenarios().filter(|(_, s)| s.flaky()).map(|(_, s)| s.name.as_str()).collect();
    assert_eq!(flaky, ["Copy to a new Android phone", "Kopiér til en ny iPhone"]);
    assert_eq!(report.exit(), Exit::Failed, "the scenario that failed every attempt fails the run");
    let out = Outputs::of(&report);
    out.snapshot("flaky");
    // Every attempt, with its evidence, in both formats.
    let passed_on = |k: usize, n: usize| format!("passed on attempt {k} of {n}");
    assert!(out.junit.contains(&passed_on(2, 3)) && out.junit.contains(&passed_on(2, 2)), "{}", out.junit);
    assert!(out.console.contains(&passed_on(2, 3)), "{}", out.console);
    let junit = quick_junit::Report::deserialize_from_str(&out.junit).unwrap();
    let case = |name: &str| {
        junit.test_suites.iter().flat_map(|s| &s.test_cases).find(|c| c.name.as_str() == name).unwrap().clone()
    };
    let quick_junit::TestCaseStatus::Success { flaky_runs } = case("Copy to a new Android phone").status else {
        panic!("a flaky scenario is a passing testcase")
    };
    assert_eq!(flaky_runs.len(), 1);
    assert_eq!(flaky_runs[0].kind, quick_junit::NonSuccessKind::Failure);
    assert_eq!(flaky_runs[0].ty.as_deref(), Some("step failed"));
    assert!(flaky_runs[0].system_out.as_deref().is_some_and(|o| o.contains("screenshot.png")), "its evidence");
    let quick_junit::TestCaseStatus::NonSuccess { kind, reruns, .. } =
        case("A copy is refused after 3 wrong PINs").status
    else {
        panic!("a scenario that failed every attempt fails")
    };
    assert_eq!(kind, quick_junit::NonSuccessKind::Failure);
    assert_eq!(reruns.kind, quick_junit::FlakyOrRerun::Rerun);
    let kinds: Vec<_> = reruns.runs.iter().map(|r| (r.kind, r.ty.clone().unwrap().into_string())).collect();
    assert_eq!(
        kinds,
        [
            (quick_junit::NonSuccessKind::Failure, "step failed".to_owned()),
            (quick_junit::NonSuccessKind::Error, "could not be judged".to_owned())
        ]
    );
    let json: Value = serde_json::from_str(&out.cucumber_json).unwrap();
    let android = &json[0]["elements"][0];
    assert_eq!((android["attempts"].as_u64(), android["attempts_allowed"].as_u64()), (Some(2), Some(3)));
    let earlier_step = &android["earlier_attempts"][0]["steps"][1];
    assert_eq!(earlier_step["result"]["error_message"], "the QR code expired before the new phone scanned it");
    assert_eq!(earlier_step["embeddings"].as_array().map(Vec::len), Some(4), "its evidence: {earlier_step}");
}

#[test]
fn left_out_scenarios_are_skipped_with_the_reason() {
    let report = with_left_out();
    assert!(report.passed(), "a scenario left out fails nothing");
    assert_eq!((report.count(Status::Passed), report.count(Status::Skipped)), (1, 4));
    let out = Outputs::of(&report);
    out.snapshot("left_out");
    let junit = quick_junit::Report::deserialize_from_str(&out.junit).unwrap();
    let skipped: Vec<_> = junit
        .test_suites
        .iter()
        .flat_map(|s| &s.test_cases)
        .filter_map(|c| match &c.status {
            quick_junit::TestCaseStatus::Skipped { message, ty, description } => Some((
                c.name.as_str().to_owned(),
                message.as_deref().map(str::to_owned),
                ty.as_deref().map(str::to_owned),
                description.as_deref().map(str::to_owned),
            )),
            _ => None,
        })
        .collect();
    let expected = |name: &str, place: &str| {
        (name.to_owned(), Some(NO_PROBE.to_owned()), Some("left out".to_owned()), Some(place.to_owned()))
    };
    assert_eq!(
        skipped,
        [
            // One name twice in a feature: each testcase says its line.
            expected(
                "The host hears the beacon while the QR code is shown (line 13)",
                "features/bluetooth/host_probe.feature:13"
            ),
            expected(
                "The host hears the beacon while the QR code is shown (line 14)",
                "features/bluetooth/host_probe.feature:14"
            ),
            expected("A new phone out of range is refused", "features/bluetooth/host_probe.feature:16"),
            expected("Copy over Bluetooth when the phones are close", "features/copy_qr.feature:18"),
        ]
    );
    let json: Value = serde_json::from_str(&out.cucumber_json).unwrap();
    let element = &json[0]["elements"][2];
    assert_eq!((element["status"].as_str(), element["left_out"].as_str()), (Some("skipped"), Some(NO_PROBE)));
    assert_eq!(
        (element["name"].as_str(), element["line"].as_u64()),
        (Some("A new phone out of range is refused"), Some(16))
    );
    assert!(element["steps"].as_array().unwrap().iter().all(|s| s["result"]["status"] == "skipped"), "{element}");
    assert!(
        !out.coverage_md.contains("rule-bluetooth-proximity"),
        "a scenario left out proves nothing, breaks nothing"
    );
    assert!(out.console.ends_with("scenarios: 1 passed, 0 failed, 0 errors, 4 skipped\n"), "{}", out.console);
}

#[test]
fn secrets_are_redacted() {
    let out = Outputs::of(&with_secrets());
    out.snapshot("secrets");
    let json: Value = serde_json::from_str(&out.cucumber_json).unwrap();
    let mut embedded = Vec::new();
    let element = &json[0]["elements"][0];
    let earlier = element["earlier_attempts"].as_array().unwrap();
    for step in earlier.iter().chain([element]).flat_map(|a| a["steps"].as_array().unwrap()) {
        for e in step["embeddings"].as_array().into_iter().flatten() {
            let data = base64::engine::general_purpose::STANDARD.decode(e["data"].as_str().unwrap()).unwrap();
            embedded.push(("an attachment", String::from_utf8(data).unwrap()));
        }
    }
    assert_eq!(embedded.len(), 2, "the attempt before and the last");
    let rendered = out.all().map(|(what, text)| (what, text.to_owned()));
    for (what, text) in rendered.iter().chain(&embedded) {
        for clear in [PIN, TEMPORARY_PIN, USER_ID] {
            assert!(!text.contains(clear), "{what} shows a secret in clear:\n{text}");
        }
    }
    for placeholder in ["[PIN]", "[TEMPORARY PIN]", "[USER ID]"] {
        assert!(out.console.contains(placeholder), "the console shows {placeholder} in the secret's place");
        assert!(out.junit.contains(placeholder), "junit.xml shows {placeholder} in the secret's place");
        assert!(out.html.contains(placeholder), "index.html shows {placeholder} in the secret's place");
    }
    assert!(embedded.iter().all(|(_, e)| e.contains("[TEMPORARY PIN]")));
}

/// Two shards, each written to its run folder as a shard's run writes it,
/// read back and merged: the same report as the unsharded run, and as long
/// as the longer shard.
#[test]
fn merged_shards() {
    let shard1 = RunReport {
        run_id: "run-1740000400-000".into(),
        duration: Duration::from_millis(9_000),
        features: vec![bluetooth_left_out(), copy_qr(vec![copy_android()]), rules(vec![wrong_temporary_pin()])],
        ..Default::default()
    };
    let qr_expired_twice = || retried(qr_expired(), vec![qr_expired().steps], 2);
    let kopi_flaky = || retried(copy_iphone_da(), vec![copy_iphone_da_session_died()], 2);
    let shard2 = RunReport {
        run_id: "run-1740000400-500".into(),
        duration: Duration::from_millis(41_000),
        features: vec![kopi(vec![kopi_flaky()]), copy_qr(vec![qr_expired_twice()])],
        ..Default::default()
    };
    let unsharded = RunReport {
        duration: Duration::from_millis(41_000),
        features: vec![
            bluetooth_left_out(),
            copy_qr(vec![copy_android(), qr_expired_twice()]),
            kopi(vec![kopi_flaky()]),
            rules(vec![wrong_temporary_pin()]),
        ],
        ..Default::default()
    };

    let dir = TempDir::new("merged_shards");
    let mut shards = Vec::new();
    for (i, shard) in [&shard2, &shard1].into_iter().enumerate() {
        let run_dir = dir.0.join(format!("shard{}", i + 1));
        super::write_files(shard, &run_dir, &Coverage::of(shard, &catalogue()), &catalogue()).unwrap();
        shards.push(merge::read(&run_dir).unwrap());
    }
    let merged = merge::merge(shards).unwrap();

    // Every attempt and every scenario left out comes through.
    assert_eq!(cucumber_json::render(&merged), cucumber_json::render(&unsharded));
    assert_eq!(junit::render(&merged), junit::render(&unsharded));
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
    assert!(
        out.junit.contains("<skipped message=\"not run: the run was interrupted\" type=\"not run\">"),
        "{}",
        out.junit
    );

    let dir = TempDir::new("interrupted_run");
    super::write_files(&report, &dir.0, &Coverage::of(&report, &catalogue()), &catalogue()).unwrap();
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

// ---------------------------------------------------------------------------
// Cucumber Messages, of a run whose feature texts are known.

/// The feature file [`with_arguments`] ran: a background, a scenario whose
/// steps carry a data table and a doc string, an outline with one row.
const COPY_QR_SOURCE: &str = "@copy
Feature: Copy the app with a QR code
  The old phone shows a QR code, the new phone scans it.

  Background:
    Given an old phone with the MitID app activated

  @android
  Scenario: Copy to a new Android phone
    When I copy the app to a new phone with a QR code
      | phone | os |
      | new   | 14 |
    Then the new phone shows \"MitID is ready\"
      \"\"\"text/plain
      MitID is ready
      \"\"\"

  Scenario Outline: A copy is refused after <n> wrong PINs
    When I enter a wrong PIN <n> times
    Then the copy is refused

    @three
    Examples:
      | n |
      | 3 |
";

/// The Danish feature [`with_arguments`] ran: its second step is undefined.
const KOPI_SOURCE: &str = "# language: da
@da
Egenskab: Kopiér MitID-appen

  @ios
  Scenarie: Kopiér til en ny iPhone
    Givet en gammel telefon med MitID-appen aktiveret
    Og jeg kopierer appen med en QR-kode
    Så den nye telefon viser \"MitID er klar\"
";

/// A run of [`COPY_QR_SOURCE`] and [`KOPI_SOURCE`]: the Android copy flaky
/// (its first attempt failed with the phones' evidence), the outline's row
/// passed, the Danish scenario stopped at an undefined step.
fn with_arguments() -> RunReport {
    let at = |ms: u64| Some(std::time::UNIX_EPOCH + Duration::from_millis(1_740_000_000_000 + ms));
    let table = super::StepArgument::Table(vec![vec!["phone".into(), "os".into()], vec!["new".into(), "14".into()]]);
    let doc = super::StepArgument::DocString("MitID is ready".into());
    let copy_steps = |copy: StepReport| {
        vec![
            background("Given", OLD_PHONE, 6, Status::Passed, 120),
            StepReport { argument: Some(table.clone()), ..copy },
            StepReport { argument: Some(doc.clone()), ..step("Then", READY, 13, Status::Passed, 300) },
        ]
    };
    let phone_evidence = vec![
        attachment(
            "old-phone screenshot",
            "image/png",
            &base64::engine::general_purpose::STANDARD.decode(SCREENSHOT_PNG).unwrap(),
        ),
        attachment("new-phone page source", "application/xml", PAGE_SOURCE.as_bytes()),
    ];
    let mut failed_attempt = copy_steps(failed("When", COPY_QR, 10, 3000, "the QR code expired", phone_evidence));
    failed_attempt[2].status = Status::Skipped;
    failed_attempt[2].duration = Duration::ZERO;
    let android = ScenarioReport {
        started: at(0),
        ..retried(
            scenario(
                "Copy to a new Android phone",
                9,
                &["android"],
                copy_steps(step("When", COPY_QR, 10, Status::Passed, 4200)),
            ),
            vec![failed_attempt],
            2,
        )
    };
    let outline = ScenarioReport {
        keyword: "Scenario Outline".into(),
        started: at(50),
        ..scenario(
            "A copy is refused after 3 wrong PINs",
            25,
            &["three"],
            vec![
                background("Given", OLD_PHONE, 6, Status::Passed, 110),
                step("When", "I enter a wrong PIN 3 times", 19, Status::Passed, 900),
                step("Then", REFUSED, 20, Status::Passed, 200),
            ],
        )
    };
    let danish = ScenarioReport {
        keyword: "Scenarie".into(),
        started: at(100),
        ..scenario(
            "Kopiér til en ny iPhone",
            6,
            &["ios"],
            vec![
                step("Givet", OLD_PHONE_DA, 7, Status::Passed, 130),
                StepReport {
                    error: Some("no step definition matches this step".into()),
                    ..step("Og", "jeg kopierer appen med en QR-kode", 8, Status::Undefined, 0)
                },
                step("Så", "den nye telefon viser \"MitID er klar\"", 9, Status::Skipped, 0),
            ],
        )
    };
    RunReport {
        run_id: "run-1740000000-000".into(),
        duration: Duration::from_millis(9_000),
        features: vec![
            FeatureReport { source: Some(COPY_QR_SOURCE.into()), ..copy_qr(vec![android, outline]) },
            FeatureReport { source: Some(KOPI_SOURCE.into()), line: 3, ..kopi(vec![danish]) },
        ],
        ..Default::default()
    }
}

#[test]
fn cucumber_messages() {
    let report = with_arguments();
    let ndjson = super::messages::render(&report, &catalogue()).unwrap();
    let envelopes: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kinds: Vec<&str> = envelopes.iter().map(|e| e.as_object().unwrap().keys().next().unwrap().as_str()).collect();
    // The protocol's order: meta, the documents and their pickles, the
    // definitions, the run, each test case, then what ran.
    assert_eq!(kinds[..7], ["meta", "source", "gherkinDocument", "pickle", "pickle", "source", "gherkinDocument"]);
    assert_eq!(kinds.iter().filter(|k| **k == "testCaseStarted").count(), 4, "two attempts, and one each");
    assert_eq!(kinds.last(), Some(&"testRunFinished"));
    let failed = envelopes.iter().filter(|e| e["testStepFinished"]["testStepResult"]["status"] == "FAILED").count();
    assert_eq!(failed, 1);
    let names: Vec<&str> = envelopes.iter().filter_map(|e| e["attachment"]["fileName"].as_str()).collect();
    assert_eq!(names, ["1-step-L10-old-phone-screenshot.png", "1-step-L10-new-phone-page-source.xml"]);
    // The machine it ran on is not the test's to fix.
    let meta = format!("\"cpu\":{{\"name\":\"{}\"}}", std::env::consts::ARCH);
    let ndjson = ndjson.replacen(&meta, "\"cpu\":{\"name\":\"<cpu>\"}", 1).replacen(
        &format!("\"os\":{{\"name\":\"{}\"}}", std::env::consts::OS),
        "\"os\":{\"name\":\"<os>\"}",
        1,
    );
    insta::assert_snapshot!("with_arguments__messages_ndjson", ndjson);
    // Cucumber JSON carries the same table and doc string.
    insta::assert_snapshot!("with_arguments__cucumber_json", cucumber_json::render(&report));
    // Without a feature's text, no document is made up.
    let mut unknown = report;
    unknown.features[1].source = None;
    let err = super::messages::render(&unknown, &catalogue()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the text of features/da/kopi.feature is not known, so its Gherkin document cannot be written"
    );
}
