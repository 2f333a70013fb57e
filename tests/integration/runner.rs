//! The runner as users meet it: the `mitid-e2e` binary, its exit codes, its
//! messages, its reports, and that no secret reaches any of them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::child;
use crate::support::files;
use crate::support::junit_schema;
use crate::support::secrets;

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A scratch folder for one test's features, profiles and reports.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("mitid-e2e-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn reports(&self) -> PathBuf {
        self.0.join("reports")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The runner, killed if this test dies first (a mutant that makes a run
/// spin, a test killed on its deadline): no run outlives its test.
fn bin() -> Command {
    let mut command = Command::new(BIN);
    child::dies_with_the_test(&mut command);
    command
}

fn run(args: &[&str]) -> (i32, String) {
    let out: Output = bin().args(args).current_dir(ROOT).output().expect("the binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn virtual_profile() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("devices/virtual.toml")).unwrap()
}

/// `text` with `from` replaced, failing loudly when `from` is not there: an
/// edit that silently does nothing would make its test prove nothing.
fn edited(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "the profile no longer has '{from}': update the test");
    text.replace(from, to)
}

/// Runs the suite with the default profile edited: `from` replaced by `to`.
fn run_with_profile_edit(scratch: &Scratch, from: &str, to: &str) -> (i32, String) {
    let profile = scratch.write("p.toml", &edited(&virtual_profile(), from, to));
    run(&["run", "--profile", profile.to_str().unwrap()])
}

const BACKGROUND: &str = "
Feature: scratch
  Background:
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones
";

/// The run's `junit.xml` (in `dir`), after checking it against the Jenkins
/// xUnit plugin's junit-10.xsd.
fn valid_junit(dir: &Path) -> String {
    let path = dir.join("junit.xml");
    let junit = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    junit_schema::assert_valid(&junit, &path.display().to_string());
    junit
}

/// Everything a run wrote where a person or a tool reads it.
fn everything_written(console: &str, reports: &Path) -> String {
    let mut all = console.to_owned();
    let latest = reports.join("latest");
    for f in ["junit.xml", "cucumber.json", "coverage.md", "index.html", "messages.ndjson"] {
        all.push_str(&std::fs::read_to_string(latest.join(f)).unwrap_or_else(|e| panic!("{f}: {e}")));
    }
    all.push_str(&decoded_message_attachments(&latest.join("messages.ndjson")));
    for file in attachment_files(&latest) {
        all.push_str(&String::from_utf8_lossy(&std::fs::read(&file).unwrap()));
    }
    all
}

/// The bodies of a `messages.ndjson`'s attachments, decoded: base64 would
/// hide a secret from a search of the file as written.
fn decoded_message_attachments(ndjson: &Path) -> String {
    use base64::Engine as _;
    let text = std::fs::read_to_string(ndjson).unwrap_or_else(|e| panic!("{}: {e}", ndjson.display()));
    let mut decoded = String::new();
    for line in text.lines() {
        let envelope: serde_json::Value = serde_json::from_str(line).unwrap();
        let a = &envelope["attachment"];
        if let Some(body) = a["body"].as_str() {
            assert_eq!(a["contentEncoding"], "BASE64", "{a}");
            decoded
                .push_str(&String::from_utf8_lossy(&base64::engine::general_purpose::STANDARD.decode(body).unwrap()));
        }
    }
    decoded
}

/// Every file under a run's `attachments/`, sorted.
fn attachment_files(run_dir: &Path) -> Vec<PathBuf> {
    files::files_under(&run_dir.join("attachments"))
}

/// A secret counts beside a letter ("PIN246810"), but a number not inside
/// a longer number (a timestamp's nanoseconds may hold the PIN's digits).
#[test]
fn the_secret_scan_finds_a_secret_beside_a_letter_and_not_inside_a_longer_number() {
    assert_eq!(secrets::in_clear("pin: 246810.", "246810"), Some(5));
    assert_eq!(secrets::in_clear("PIN246810", "246810"), Some(3));
    assert_eq!(secrets::in_clear("t=1796572169.741246810Z", "246810"), None);
    assert_eq!(secrets::in_clear("user anna-copy-4711x", "anna-copy-4711"), Some(5));
}

#[test]
fn the_suite_passes_on_the_virtual_farm_and_covers_the_documentation() {
    let scratch = Scratch::new("green");
    let reports = scratch.reports();
    let mut args = vec!["run", "--report-dir", reports.to_str().unwrap()];
    // tests/mutants asks only whether the suite turns red: it need not
    // start more scenarios once one has failed.
    if std::env::var_os("MITID_E2E_SUITE_FAIL_FAST").is_some() {
        args.push("--fail-fast");
    }
    let (code, out) = run(&args);
    assert_eq!(code, 0, "{out}");
    // Every documented step, and every alternative the help page names
    // for one (PIN code or fingerprint/Touch ID/Face ID, phone or tablet…).
    assert!(out.contains("documented steps covered: 26/26, preconditions: 3/3, alternatives: 26/26"), "{out}");
    assert!(out.contains("0 failed"), "{out}");
    let junit = valid_junit(&reports.join("latest"));
    assert!(junit.contains("<testsuites") && junit.contains("failures=\"0\""), "{junit}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("latest/cucumber.json")).unwrap()).unwrap();
    let feature = |uri: &str| json.as_array().unwrap().iter().find(|f| f["uri"] == uri).unwrap().clone();
    // Android, iPhones, an iPhone to an Android phone and back.
    assert_eq!(feature("features/copy_your_mitid_app.feature")["elements"].as_array().unwrap().len(), 4);
    // The default profile has no [bluetooth] section: the @bluetooth
    // scenarios (the host probe's, and any a rule's feature tags so) are
    // left out, and reported as skipped with the reason.
    let probe = feature("features/bluetooth/host_probe.feature");
    assert!(!probe["elements"].as_array().unwrap().is_empty());
    let elements = json.as_array().unwrap().iter().flat_map(|f| f["elements"].as_array().unwrap().iter());
    let left_out: Vec<&serde_json::Value> = elements.filter(|e| e["left_out"].is_string()).collect();
    for e in probe["elements"].as_array().unwrap() {
        assert!(left_out.contains(&e), "every host-probe scenario is left out: {e}");
    }
    for e in &left_out {
        assert_eq!(e["status"], "skipped", "{e}");
        assert!(e["left_out"].as_str().unwrap().contains("has no [bluetooth] section"), "{e}");
        assert!(e["line"].as_u64().is_some() && e["name"].is_string(), "{e}");
    }
    let n = left_out.len();
    assert_eq!(junit.matches("type=\"left out\"").count(), n, "{junit}");
    assert!(out.contains(&format!("{n} @bluetooth scenario(s) not run")), "{out}");
    assert!(out.contains(&format!("0 errors, {n} skipped")), "{out}");
    secrets::assert_no_secrets("what the run wrote", &everything_written(&out, &reports));
}

#[test]
fn a_failing_run_exits_1_with_evidence_and_no_secret_in_clear() {
    let scratch = Scratch::new("red");
    let reports = scratch.reports();
    // The defective build deactivates the old app: only the last step fails,
    // after every secret has been typed and the SMS has arrived.
    let (code, out) = run(&["run", "--defect", "old_app_deactivated", "--report-dir", reports.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("FAILED"), "{out}");
    assert!(out.contains("my MitID app on my old phone is still active"), "{out}");
    valid_junit(&reports.join("latest"));
    let json = std::fs::read_to_string(reports.join("latest/cucumber.json")).unwrap();
    assert!(json.contains("\"embeddings\""), "the failing step carries its evidence");
    assert!(json.contains("gateway messages"), "the SMS and push messages are attached");
    secrets::assert_no_secrets("what the run wrote", &everything_written(&out, &reports));
    let decoded = decoded_attachments(&json);
    assert!(decoded.contains("hierarchy") || decoded.contains("AppiumAUT"), "a page source is attached");
    assert!(decoded.contains("temporary PIN code for MitID is [TEMPORARY PIN]"), "the SMS is attached, redacted");
    secrets::assert_no_secrets("the decoded attachments", &decoded);

    // The evidence is on disk too, as files the console and JUnit name.
    let files = attachment_files(&reports.join("latest"));
    let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for suffix in ["-screenshot.png", "-page-source.xml", "-gateway-messages.txt"] {
        assert!(names.iter().any(|n| n.ends_with(suffix) && n.contains("-step-L")), "no *{suffix}: {names:?}");
    }
    let mut on_disk = String::new();
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        if file.extension().is_some_and(|e| e == "png") {
            assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", file.display());
        }
        on_disk.push_str(&String::from_utf8_lossy(&bytes));
        let name = file.file_name().unwrap().to_string_lossy();
        assert!(out.lines().any(|l| l.trim_end().ends_with(&format!("/{name}"))), "the console names {name}: {out}");
    }
    assert!(on_disk.contains("temporary PIN code for MitID is [TEMPORARY PIN]"), "the SMS is on disk, redacted");
    secrets::assert_no_secrets("the attachment files", &on_disk);
    let junit = std::fs::read_to_string(reports.join("latest/junit.xml")).unwrap();
    let linked: Vec<&str> =
        junit.lines().filter_map(|l| l.strip_prefix("[[ATTACHMENT|").and_then(|l| l.strip_suffix("]]"))).collect();
    assert!(!linked.is_empty(), "{junit}");
    for path in linked {
        assert!(Path::new(path).is_absolute() && Path::new(path).is_file(), "{path} is not an absolute file");
    }

    // Every report says where and of what the run ran.
    assert!(junit.contains("<property name=\"defects\" value=\"old_app_deactivated\"/>"), "{junit}");
    assert!(junit.contains("<property name=\"host\" value=\""), "{junit}");
    let run_json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("latest/run.json")).unwrap()).unwrap();
    assert_eq!(run_json["meta"]["defects"], serde_json::json!(["old_app_deactivated"]), "{run_json}");
    assert!(run_json["meta"]["profile"].is_string() && run_json["meta"]["host"].is_string(), "{run_json}");
    let features: serde_json::Value = serde_json::from_str(&json).unwrap();
    for f in features.as_array().unwrap() {
        assert_eq!(f["run"]["defects"], "old_app_deactivated", "{}", f["uri"]);
    }
    // And each scenario that ran, when it started and on which phones.
    let ran: Vec<&serde_json::Value> = features
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["elements"].as_array().unwrap())
        .filter(|e| e["left_out"].is_null())
        .collect();
    assert!(!ran.is_empty());
    for e in ran {
        assert!(e["start_timestamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{}", e["name"]);
        assert!(e["phones"].as_array().is_some_and(|p| !p.is_empty() && p[0]["udid"].is_string()), "{}", e["name"]);
    }
    assert!(junit.lines().any(|l| l.starts_with("phone: ")), "{junit}");
    assert!(junit.contains("<system-out>started: "), "{junit}");
}

/// Every text attachment of a Cucumber JSON report, decoded (they are base64 there).
fn decoded_attachments(json: &str) -> String {
    let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
    let mut decoded = String::new();
    for f in parsed.as_array().unwrap() {
        for e in f["elements"].as_array().unwrap() {
            for s in e["steps"].as_array().unwrap() {
                for a in s["embeddings"].as_array().into_iter().flatten() {
                    use base64::Engine as _;
                    let bytes = base64::engine::general_purpose::STANDARD.decode(a["data"].as_str().unwrap()).unwrap();
                    if a["mime_type"] != "image/png" {
                        decoded.push_str(&String::from_utf8_lossy(&bytes));
                    }
                }
            }
        }
    }
    decoded
}

#[test]
fn an_sms_the_pin_pattern_misses_reaches_no_output_with_its_digits() {
    let scratch = Scratch::new("pattern");
    let reports = scratch.reports();
    // A lab's SMS worded otherwise: the profile's pattern finds no PIN in the farm's SMS.
    let profile = edited(
        &edited(
            &virtual_profile(),
            "[timeouts]",
            "[gateways]\ntemporary_pin_pattern = 'Din kode er (\\d{8})'\n\n[timeouts]",
        ),
        "message = 5",
        "message = 1",
    );
    let profile = scratch.write("p.toml", &profile);
    let feature = Path::new(ROOT).join("features/copy_your_mitid_app.feature");
    let args = ["run", feature.to_str().unwrap(), "--profile", profile.to_str().unwrap()];
    let (code, out) = run(&[&args[..], &["--tags", "@android-14", "--report-dir", reports.to_str().unwrap()]].concat());
    assert_eq!(code, 1, "the temporary PIN step fails: {out}");
    let json = std::fs::read_to_string(reports.join("latest/cucumber.json")).unwrap();
    let all = everything_written(&out, &reports) + decoded_attachments(&json).as_str();
    let sms = "temporary PIN code for MitID is ";
    assert!(all.contains(&format!("{sms}########")), "the SMS's shape is shown: {out}");
    assert!(all.contains("found no PIN"), "and why its digits are masked: {out}");
    secrets::assert_no_secrets("every report", &all);
}

#[test]
fn an_undefined_step_fails_the_run_and_prints_a_snippet() {
    let scratch = Scratch::new("undefined");
    let feature = scratch.write(
        "undefined.feature",
        &format!("{BACKGROUND}\n  Scenario: something new\n    When I wave my new phone at the old one\n"),
    );
    let (code, out) = run(&["run", feature.to_str().unwrap(), "--report-dir", scratch.reports().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("undefined step at"), "{out}");
    assert!(out.contains("I wave my new phone at the old one"), "{out}");
    assert!(out.contains("async fn i_wave_my_new_phone_at"), "a snippet to paste: {out}");
    let junit = valid_junit(&scratch.reports().join("latest"));
    assert!(junit.contains("type=\"undefined step\""), "{junit}");
}

#[test]
fn a_malformed_feature_is_a_usage_error_with_file_and_line() {
    let scratch = Scratch::new("malformed");
    let feature =
        scratch.write("broken.feature", "Feature: broken\n  Scenario: one\n    Given x\n  Oops this is not gherkin\n");
    let (code, out) = run(&["run", feature.to_str().unwrap(), "--report-dir", scratch.reports().to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("broken.feature"), "{out}");
    assert!(out.contains("broken.feature:4: not Gherkin at line 4"), "the line is named: {out}");
    let junit = valid_junit(&scratch.reports().join("latest"));
    assert!(junit.contains("<testsuite name=\"feature parsing\""), "an errored testcase: {junit}");
}

#[test]
fn an_unknown_profile_field_is_named_with_its_file() {
    let scratch = Scratch::new("profile");
    let (code, out) = run_with_profile_edit(&scratch, "[timeouts]", "[timeouts]\nstpe = 3");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("p.toml") && out.contains("stpe"), "{out}");
}

#[test]
fn an_unreachable_appium_server_fails_within_seconds_naming_the_url() {
    let scratch = Scratch::new("unreachable");
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let profile = scratch.write(
        "lab.toml",
        &format!(
            "appium = {{ url = \"http://127.0.0.1:{port}\" }}\ncontrol = {{ url = \"http://127.0.0.1:{port}\" }}\ncamera = {{ mode = \"rig\" }}\nclock = {{ mode = \"real\" }}\n[[phones]]\nudid = \"R58M\"\nplatform = \"android\"\nos_version = \"14\"\nrig = \"bench\"\n"
        ),
    );
    let started = Instant::now();
    let (code, out) = run(&["run", "--profile", profile.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains(&format!("http://127.0.0.1:{port}")), "{out}");
    assert!(started.elapsed() < Duration::from_secs(30), "it failed fast");
}

#[test]
fn a_missing_fixture_identity_is_a_usage_error() {
    let scratch = Scratch::new("identity");
    let (code, out) = run_with_profile_edit(&scratch, "identity = \"anna\"", "identity = \"bob\"");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no identity named 'bob'") && out.contains("anna"), "{out}");
}

#[test]
fn a_hanging_step_fails_at_its_deadline_and_the_run_ends() {
    let scratch = Scratch::new("hang");
    let profile = scratch.write("p.toml", &edited(&virtual_profile(), "step = 20", "step = 2"));
    let feature = scratch.write(
        "hang.feature",
        &format!(
            "{BACKGROUND}\n  Scenario: the phone stops answering\n    Given the command \"click\" hangs on my old phone\n    When I open the MitID app on my old phone and open the menu at the top of the screen\n\n  Scenario: the page source stops answering\n    Given the command \"getPageSource\" hangs on my old phone\n    When I take my old phone\n"
        ),
    );
    let started = Instant::now();
    let (code, out) = run(&[
        "run",
        feature.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--report-dir",
        scratch.reports().to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "the harness could not judge, nothing failed: {out}");
    assert!(out.contains("did not finish within its deadline of 2 s"), "{out}");
    assert!(out.contains("0 failed, 2 errors"), "counted apart from failures: {out}");
    // The look at the approved screen texts after a step is the step's too:
    // a page source that never answers ends at the deadline, not never.
    // Switching the fault on changes no screen, so the first look is the
    // next step's.
    assert!(out.contains("the step \"I take my old phone\" did not finish"), "{out}");
    let junit = valid_junit(&scratch.reports().join("latest"));
    assert!(junit.contains("<error message=") && !junit.contains("<failure"), "{junit}");
    assert!(out.contains("open the menu at the top of the screen"), "names the step: {out}");
    assert!(started.elapsed() < Duration::from_secs(60), "the run ended");
}

#[test]
fn bad_tags_and_shards_are_usage_errors() {
    let (code, out) = run(&["run", "--tags", "@a and and"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--tags"), "{out}");
    let (code, out) = run(&["run", "--shard", "3/2"]);
    assert_eq!(code, 2, "{out}");
    let (code, out) = run(&["run", "no/such/features"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no/such/features"), "{out}");
}

#[test]
fn the_step_catalogue_lists_every_phrase_with_an_example() {
    let (code, out) = run(&["steps"]);
    assert_eq!(code, 0, "{out}");
    for phrase in ["I enter my PIN code", "I scan the QR code by holding my new phone up to the QR code on my old app"]
    {
        assert!(out.contains(phrase), "{out}");
    }
    assert!(out.contains("proves @doc-19"), "{out}");
    assert!(out.contains("When  I open the MitID app on my {phone} phone"), "phrases read as expressions: {out}");
    assert!(out.contains("{phone}   old or new (gamle or nye)"), "the parameter types are explained: {out}");
    let features = std::fs::read_to_string(Path::new(ROOT).join("features/copy_your_mitid_app.feature")).unwrap();
    assert!(features.contains("I enter my PIN code"));
}

#[test]
fn the_framework_does_not_depend_on_the_farm() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-e", "normal,build", "-p", "mitid-e2e-framework", "--prefix", "none"])
        .current_dir(ROOT)
        .output()
        .expect("cargo tree runs");
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(tree.contains("mitid-e2e-framework"), "{tree}");
    assert!(!tree.contains("mitid-sim"), "the framework reaches the farm only over HTTP:\n{tree}");
}

#[test]
fn doctor_checks_a_profile_part_by_part() {
    let (code, out) = run(&["doctor"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok     Appium server") && out.contains("all checks passed"), "{out}");
    // The pairs each rig offers, the scenarios served, a run's length.
    assert!(out.contains("rig-d: iPhone 14 (iOS 17.5, phone, Face ID), Galaxy S24 (Android 14, phone, fingerprint); pairs: Android phone → iOS phone, iOS phone → Android phone"), "{out}");
    assert!(out.contains("these devices can serve") && out.contains(", not 0"), "{out}");
    // Left out as a run leaves them out, and not counted in the estimate.
    assert!(out.contains("@bluetooth scenario(s) left out: the profile has no [bluetooth] section"), "{out}");
    assert!(out.contains("ok     estimate: about") && out.contains("new session"), "{out}");
    // A profile whose devices cannot serve every scenario says which, and why.
    let scratch = Scratch::new("doctor-pairs");
    let only_rig_a: String = {
        let base = virtual_profile();
        let (head, phones) = base.split_once("[[farm.phones]]").unwrap();
        let kept: Vec<&str> = phones.split("[[farm.phones]]").filter(|p| p.contains("rig = \"rig-a\"")).collect();
        format!("{head}[[farm.phones]]{}", kept.join("[[farm.phones]]"))
    };
    let profile = scratch.write("rig-a.toml", &only_rig_a);
    let (code, out) = run(&["doctor", "--profile", profile.to_str().unwrap()]);
    assert_eq!(code, 0, "not a problem of the profile: {out}");
    assert!(out.contains("warn   scenarios:"), "{out}");
    assert!(out.contains("needs 2 iOS devices on one rig"), "{out}");
    assert!(out.contains("scenario(s) these devices cannot serve (listed above)"), "{out}");
    let scratch = Scratch::new("doctor");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let lab = std::fs::read_to_string(Path::new(ROOT).join("devices/lab.example.toml")).unwrap();
    let lab = edited(&lab, "http://127.0.0.1:4723", &format!("http://127.0.0.1:{port}"));
    let lab = edited(&lab, "connect = 60", "connect = 3");
    let profile = scratch.write("lab.toml", &lab);
    let (code, out) = run(&["doctor", "--profile", profile.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("FAIL   Appium server") && out.contains(&format!("127.0.0.1:{port}")), "{out}");
}

#[test]
fn a_black_qr_screenshot_names_flag_secure_and_the_options() {
    let scratch = Scratch::new("secure");
    let feature = scratch.write(
        "secure.feature",
        &format!(
            "{BACKGROUND}
  Scenario: the QR screen is protected
    Given screenshots of secure screens come back black on my old phone
    When I open the MitID app on my old phone and open the menu at the top of the screen
    And I press \"Activate\"
    And I press \"Copy your MitID to a new app\"
    And I read the information and press \"Next\"
    And I enter my PIN code
    And I check \"Yes, I want to copy\" and press \"Start copying\"
    And I press \"OK\" and close the MitID app while waiting
    And 1 hour passes
    And I open the MitID app and press \"Show QR code\" on the screen 'Show QR code and copy MitID to the new app'
    And I enter my PIN code
    And I read the information on the screen 'Bluetooth access is required' and press \"Next\"
    And I accept that the MitID app uses Bluetooth
    Then I see a QR code that is valid for 3 minutes
"
        ),
    );
    let (code, out) = run(&["run", feature.to_str().unwrap(), "--report-dir", scratch.reports().to_str().unwrap()]);
    assert_eq!(code, 3, "the harness could not judge, nothing failed: {out}");
    assert!(out.contains("FLAG_SECURE"), "{out}");
    assert!(out.contains("camera rig") && out.contains("test build"), "the options are named: {out}");
    let json = std::fs::read_to_string(scratch.reports().join("latest/cucumber.json")).unwrap();
    assert!(json.contains("page source"), "the page source stands in for the black screenshot");
    assert!(json.contains("old-phone device log"), "the phone's own latest log lines are evidence too");
}

/// A scenario as its report shows it: (file, line, name, status, [(step, status)]).
type ScenarioRow = (String, u64, String, String, Vec<(String, String)>);

/// Every scenario in a run's Cucumber JSON.
fn scenarios_of(cucumber_json: &Path) -> Vec<ScenarioRow> {
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(cucumber_json).unwrap()).unwrap();
    let mut out = Vec::new();
    for f in json.as_array().unwrap() {
        for e in f["elements"].as_array().unwrap() {
            let steps = e["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| (s["name"].as_str().unwrap().to_owned(), s["result"]["status"].as_str().unwrap().to_owned()))
                .collect();
            out.push((
                f["uri"].as_str().unwrap().to_owned(),
                e["line"].as_u64().unwrap(),
                e["name"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
                steps,
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn shards_are_disjoint_complete_and_merge_into_the_unsharded_report() {
    let scratch = Scratch::new("shards");
    let whole = scratch.0.join("whole");
    let (code, out) = run(&["run", "--report-dir", whole.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let expected = scenarios_of(&whole.join("latest/cucumber.json"));
    let n = 3;
    let mut shards = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for i in 1..=n {
        let dir = scratch.0.join(format!("shard{i}"));
        let (code, out) = run(&["run", "--shard", &format!("{i}/{n}"), "--report-dir", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{out}");
        for s in scenarios_of(&dir.join("latest/cucumber.json")) {
            assert!(seen.insert((s.0.clone(), s.1)), "{s:?} ran in two shards");
        }
        shards.push(dir.join("latest"));
    }
    assert_eq!(seen.len(), expected.len(), "the shards together ran every scenario");
    let merged = scratch.0.join("merged");
    let mut args = vec!["report", "merge", "--out", merged.to_str().unwrap()];
    let shard_args: Vec<String> = shards.iter().map(|p| p.to_str().unwrap().to_owned()).collect();
    args.extend(shard_args.iter().map(String::as_str));
    let (code, out) = run(&args);
    assert_eq!(code, 0, "{out}");
    assert_eq!(scenarios_of(&merged.join("cucumber.json")), expected, "merged shards equal the unsharded run");
    // What each step proved travels in the shards' Cucumber JSON: the
    // merged coverage line is the unsharded run's (which scenario proved an
    // alternative nothing pins may differ: the pool leases as phones free up).
    let coverage =
        |dir: &Path| std::fs::read_to_string(dir.join("coverage.md")).unwrap().lines().nth(2).unwrap().to_owned();
    assert_eq!(coverage(&merged), coverage(&whole.join("latest")), "the merged coverage");
    assert!(coverage(&merged).contains("alternatives: 26/26"), "{}", coverage(&merged));
    let junit = valid_junit(&merged);
    assert!(junit.contains(&format!("tests=\"{}\"", expected.len())), "{junit}");
    for shard in &shards {
        valid_junit(shard);
    }
    let root = junit.lines().find(|l| l.starts_with("<testsuites")).unwrap();
    assert!(!root.contains("time=\"0.000\""), "the run's real time is carried: {root}");
    // The merged Cucumber Messages: the same documents and pickles as the
    // unsharded run's, each test case's attempts once.
    let messages = |dir: &Path| {
        let text = std::fs::read_to_string(dir.join("messages.ndjson")).unwrap();
        let mut found: Vec<String> = text
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter_map(|e| {
                let p = &e["pickle"];
                let s = &e["source"];
                (p.is_object() || s.is_object()).then(|| {
                    format!("{} {} {} {}", p["uri"], p["location"]["line"], p["name"], s["data"].as_str().unwrap_or(""))
                })
            })
            .collect();
        found.sort();
        found
    };
    let merged_messages = messages(&merged);
    assert!(merged_messages.len() > expected.len(), "a pickle per scenario, a source per feature");
    assert_eq!(merged_messages, messages(&whole.join("latest")), "merged messages equal the unsharded run's");

    // A merge that would lie is refused, naming why.
    let merge = |name: &str, dirs: &[&Path]| {
        let out = scratch.0.join(name);
        let mut args = vec!["report".to_owned(), "merge".into(), "--out".into(), out.display().to_string()];
        args.extend(dirs.iter().map(|d| d.display().to_string()));
        run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let (code, out) = merge("partial", &[&shards[0], &shards[2]]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("shard(s) 2 of 3 are missing"), "{out}");
    let (code, out) = merge("twice", &[&shards[0], &shards[1], &shards[1], &shards[2]]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("shard 2/3 is given twice"), "{out}");
    let (code, out) = merge("whole", &[&whole.join("latest")]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is not a shard"), "{out}");
    // Which input is wrong, and why: a folder that is not there, a file
    // where a folder was expected, a folder that is no run's.
    let (code, out) = merge("no-folder", &[&shards[0], &scratch.0.join("nowhere"), &shards[2]]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("nowhere does not exist") && !out.contains("../run.json"), "{out}");
    let (code, out) = merge("a-file", &[&shards[0], &shards[1].join("junit.xml"), &shards[2]]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("junit.xml is a file, not a run folder"), "{out}");
    let empty = scratch.0.join("empty-folder");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, out) = merge("not-a-run", &[&shards[0], &empty, &shards[2]]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("empty-folder has no run.json"), "{out}");
    // A shard whose features could not be parsed selected nothing and judged nothing.
    let broken = scratch.write("broken.feature", "Feature: broken\n  Scenario: one\n    Given x\n  Oops\n");
    let broken_dir = scratch.0.join("broken");
    let (code, _) =
        run(&["run", broken.to_str().unwrap(), "--shard", "2/3", "--report-dir", broken_dir.to_str().unwrap()]);
    assert_eq!(code, 2);
    let (code, out) = merge("broken", &[&shards[0], &broken_dir.join("latest"), &shards[2]]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("exit code 2") && out.contains("never judged"), "{out}");
    // Shard 2 of another feature set (other tags).
    let other = scratch.0.join("other");
    let (code, _) = run(&["run", "--shard", "2/3", "--tags", "@android", "--report-dir", other.to_str().unwrap()]);
    assert_eq!(code, 0);
    let (code, out) = merge("other", &[&shards[0], &other.join("latest"), &shards[2]]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("different feature set or tag expression"), "{out}");
}

#[test]
fn a_timed_out_scenario_frees_its_phones_and_closes_its_sessions() {
    let scratch = Scratch::new("timeout-release");
    let profile = scratch.write("p.toml", &edited(&virtual_profile(), "step = 20", "step = 2"));
    // Only one Android 14 pair exists: the second scenario gets the same
    // phones, and the farm refuses a session on a phone that still has one.
    let feature = scratch.write(
        "release.feature",
        &format!(
            "{BACKGROUND}
  @android-14
  Scenario: first, the phone hangs
    Given the command \"click\" hangs on my new phone
    When I open the MitID app on my new phone
    And I press \"Get started\" on the screen 'Activate your MitID'

  @android-14
  Scenario: then the same phones are free again
    When I open the MitID app on my new phone
    Then I see 'Activate your MitID'
"
        ),
    );
    let (code, out) = run(&[
        "run",
        feature.to_str().unwrap(),
        "--profile",
        profile.to_str().unwrap(),
        "--report-dir",
        scratch.reports().to_str().unwrap(),
    ]);
    assert_eq!(code, 3, "the harness could not judge, nothing failed: {out}");
    assert!(out.contains("ERROR  first, the phone hangs"), "{out}");
    assert!(out.contains("ok  then the same phones are free again"), "{out}");
    assert!(!out.contains("quarantined"), "a hang in one command is not a broken phone: {out}");
}

#[test]
fn waiting_for_phones_is_not_cut_short_by_the_step_deadline() {
    let scratch = Scratch::new("lease-wait");
    // Slow phones and a short step deadline: each scenario holds the one
    // Android 14 pair for longer than a step may take, so the second one
    // waits longer than that for it, under its own deadline (timeouts.lease).
    let profile = edited(&edited(&virtual_profile(), "step = 20", "step = 2"), "latency_ms = 0", "latency_ms = 100");
    let profile = scratch.write("p.toml", &profile);
    let feature = scratch.write(
        "wait.feature",
        &format!(
            "{BACKGROUND}
  @android-14
  Scenario: the first holds the pair
    Given I have followed steps 1 to 12

  @android-14
  Scenario: the second waits for it
    Given I have followed steps 1 to 12
"
        ),
    );
    let (code, out) = run(&[
        "run",
        feature.to_str().unwrap(),
        "--concurrency",
        "2",
        "--profile",
        profile.to_str().unwrap(),
        "--report-dir",
        scratch.reports().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    let took: Vec<f64> = out
        .lines()
        .filter(|l| l.trim_start().starts_with("ok "))
        .filter_map(|l| l.strip_suffix(" s")?.rsplit(' ').next()?.parse().ok())
        .collect();
    assert_eq!(took.len(), 2, "{out}");
    assert!(took.iter().all(|t| *t > 2.0), "each held the pair longer than a step deadline: {out}");
}

#[test]
fn a_phone_that_fails_its_health_check_is_quarantined_with_the_reason() {
    let scratch = Scratch::new("quarantine");
    let feature = scratch.write(
        "quarantine.feature",
        &format!(
            "{BACKGROUND}
  @android-14 @old-phone @new-phone
  Scenario: the new phone stops working
    Given my new phone stops working
    When I open the MitID app on my new phone

  @android-14 @old-phone @new-phone
  Scenario: the next scenario cannot have that phone
    When I open the MitID app on my new phone
"
        ),
    );
    let (code, out) = run(&["run", feature.to_str().unwrap(), "--report-dir", scratch.reports().to_str().unwrap()]);
    assert_eq!(code, 3, "the harness could not judge, nothing failed: {out}");
    assert!(out.contains("quarantined: phone android-14-a2"), "{out}");
    assert!(out.contains("can never run here (quarantined: android-14-a2"), "the next scenario says why: {out}");
    let junit = valid_junit(&scratch.reports().join("latest"));
    assert!(junit.contains("device pool") && junit.contains("android-14-a2: failed its health check"), "{junit}");
}

/// A feature with one Android 14 scenario whose one click is on the old
/// phone, on a farm whose `click` loses the session: the first `times` (or
/// every one).
fn retried_run(scratch: &Scratch, times: Option<u32>) -> (i32, String) {
    let times = times.map(|n| format!("times = {n}\n")).unwrap_or_default();
    let profile = scratch.write(
        "p.toml",
        &format!("{}\n[[farm.faults]]\nfault = \"session_dies\"\ncommand = \"click\"\n{times}", virtual_profile()),
    );
    let feature = scratch.write(
        "retried.feature",
        &format!(
            "{BACKGROUND}
  @android-14
  Scenario: the old phone's menu
    When I open the MitID app on my old phone and open the menu at the top of the screen
"
        ),
    );
    let reports = scratch.reports();
    let args = ["run", feature.to_str().unwrap(), "--profile", profile.to_str().unwrap(), "--retry", "2"];
    run(&[&args[..], &["--report-dir", reports.to_str().unwrap()]].concat())
}

#[test]
fn an_sms_fault_staged_for_one_phone_once_fails_one_attempt_and_nothing_else() {
    let scratch = Scratch::new("sms-once");
    let profile = scratch.write(
        "p.toml",
        &format!("{}\n[[farm.faults]]\nfault = \"sms_not_sent\"\nudid = \"ios-17-b2\"\ntimes = 1\n", virtual_profile()),
    );
    // The iPhone SE (Touch ID, a phone) is the only new phone the first
    // scenario can have; the second runs beside it on Android.
    let feature = scratch.write(
        "sms.feature",
        &format!(
            "{BACKGROUND}
  @ios @new-phone @new-touch-id
  Scenario: the SMS to my iPhone SE
    Given I have followed steps 1 to 20
    When I enter the temporary PIN code that I receive via SMS
    Then I see 'Choose your personal PIN code'

  @android-14
  Scenario: the SMS to my Android phone
    Given I have followed steps 1 to 21
    Then I see 'Choose your personal PIN code'
"
        ),
    );
    let reports = scratch.reports();
    let args = ["run", feature.to_str().unwrap(), "--profile", profile.to_str().unwrap(), "--retry", "1"];
    let (code, out) = run(&[&args[..], &["--report-dir", reports.to_str().unwrap()]].concat());
    assert_eq!(code, 0, "the retry passes: the fault was used up: {out}");
    assert!(out.contains("RETRY  the SMS to my iPhone SE"), "{out}");
    assert!(out.contains("FLAKY  the SMS to my iPhone SE"), "{out}");
    assert!(!out.contains("RETRY  the SMS to my Android phone"), "the other scenario is unaffected: {out}");
}

/// The one scenario of a run's Cucumber JSON.
fn only_element(reports: &Path) -> serde_json::Value {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("latest/cucumber.json")).unwrap()).unwrap();
    json[0]["elements"][0].clone()
}

#[test]
fn a_scenario_that_passes_on_a_retry_is_flaky_with_every_attempt_kept() {
    let scratch = Scratch::new("flaky");
    let (code, out) = retried_run(&scratch, Some(1));
    assert_eq!(code, 0, "a flaky scenario passes: {out}");
    assert!(out.contains("RETRY  the old phone's menu") && out.contains("(attempt 1 of 3)"), "{out}");
    assert!(out.contains("FLAKY  the old phone's menu"), "{out}");
    assert!(out.contains("passed on attempt 2 of 3"), "{out}");
    let junit = valid_junit(&scratch.reports().join("latest"));
    assert_eq!(junit.matches("<flakyError ").count(), 1, "{junit}");
    assert!(junit.contains("message=\"attempt 1 of 3: the old phone: tapping"), "{junit}");
    assert!(junit.contains("FLAKY: passed on attempt 2 of 3") && !junit.contains("<error "), "{junit}");
    assert!(junit.contains("attachment: new-phone screenshot"), "the attempt's evidence: {junit}");
    let element = only_element(&scratch.reports());
    assert_eq!((element["status"].as_str(), element["attempts"].as_u64()), (Some("flaky"), Some(2)), "{element}");
    assert_eq!(element["attempts_allowed"], 3);
    let earlier = &element["earlier_attempts"][0];
    assert_eq!(earlier["status"], "error", "{earlier}");
    let failed = earlier["steps"].as_array().unwrap().iter().find(|s| s["result"]["status"] == "failed").unwrap();
    assert!(failed["result"]["error_message"].as_str().unwrap().contains("died during 'click'"), "{failed}");
    assert!(failed["embeddings"].as_array().is_some_and(|e| !e.is_empty()), "its evidence: {failed}");
}

#[test]
fn a_scenario_that_errs_on_every_attempt_keeps_each_attempt() {
    let scratch = Scratch::new("every-attempt");
    let (code, out) = retried_run(&scratch, None);
    assert_eq!(code, 3, "could not be judged, nothing failed: {out}");
    assert!(out.contains("ERROR  the old phone's menu") && out.contains("(attempt 3 of 3)"), "{out}");
    let junit = valid_junit(&scratch.reports().join("latest"));
    assert_eq!(junit.matches("<error ").count(), 1, "the last attempt: {junit}");
    assert_eq!(junit.matches("<rerunError ").count(), 2, "the attempts before: {junit}");
    assert!(junit.contains("attempt 3 of 3; no attempt passed"), "{junit}");
    let element = only_element(&scratch.reports());
    assert_eq!((element["status"].as_str(), element["attempts"].as_u64()), (Some("error"), Some(3)), "{element}");
    assert_eq!(element["earlier_attempts"].as_array().map(Vec::len), Some(2), "{element}");
}

#[test]
fn a_dry_run_finds_typos_undefined_and_malformed_steps_without_phones() {
    let scratch = Scratch::new("dry-run");
    let (code, out) = run(&["run", "--dry-run"]);
    assert_eq!(code, 0, "the suite as it is: {out}");
    assert!(out.contains("0 problem(s)"), "{out}");
    let typos = scratch.write(
        "typos.feature",
        &format!(
            "{BACKGROUND}
  Scenario: a typo
    When I pres \"Activate\"

  Scenario: a misspelt keyword
    Givn Bluetooth is turned off on my old phone
    When I open the MitID app on my new phone

  Scenario: nothing

  Scenario: a step of its own
    When I open the MitID app on my old phone and open the menu at the top of the screen
    Then the app is activated and ready to use
    And I wave my new phone at \"Bob\"
"
        ),
    );
    let (code, out) = run(&["run", "--dry-run", typos.to_str().unwrap()]);
    assert_eq!(code, 2, "a misspelt keyword and an empty scenario are malformed: {out}");
    assert!(
        out.contains("typos.feature:9: undefined step")
            && out.contains("did you mean \"I press \"Activate\"\"? (the phrase: I press {string})"),
        "{out}"
    );
    // A phrase near it: the hint, and no snippet that would invite a second phrase for one step.
    let typo = out.split("typos.feature:9:").nth(1).unwrap().split("typos.feature:").next().unwrap();
    assert!(!typo.contains("catalogue!"), "no snippet when a phrase is near: {typo}");
    // The help page's own words find the phrase.
    assert!(
        out.contains("did you mean \"I see 'This app is now activated and ready to use' and press \"OK\"\"?"),
        "{out}"
    );
    // Nothing near: a snippet, its keyword the step's type as Gherkin reads
    // it (an And after a Then), its Danish line and its fields explained.
    assert!(
        out.contains("docs [] Step => i_wave_my_new_phone_at(String);"),
        "a snippet with the quoted text as a parameter: {out}"
    );
    assert!(
        out.contains("Then \"I wave my new phone at {string}\""),
        "the snippet's phrase is a Cucumber Expression, its keyword Then: {out}"
    );
    assert!(out.contains("// da \"…\"") && out.contains("docs [...]: the documented steps it proves"), "{out}");
    assert!(out.contains("typos.feature:12: misspelt keyword") && out.contains("did you mean 'Given'?"), "{out}");
    assert!(out.contains("typos.feature:15: no steps"), "{out}");
    let only_undefined = scratch
        .write("undefined.feature", &format!("{BACKGROUND}\n  Scenario: a typo\n    When I pres \"Activate\"\n"));
    let (code, out) = run(&["run", "--dry-run", only_undefined.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let language = scratch.write("xx.feature", "# language: xx\nFeature: x\n  Scenario: y\n    Given z\n");
    let (code, out) = run(&["run", "--dry-run", language.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("xx.feature:1: unknown language: unknown language 'xx'"), "{out}");
    // A real run refuses the malformed feature before it starts a farm, naming it.
    let (code, out) = run(&["run", typos.to_str().unwrap(), "--report-dir", scratch.reports().to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("typos.feature:12") && !out.contains("scenarios:"), "{out}");
}

#[test]
fn an_outline_without_examples_and_tags_that_contradict_are_refused_with_file_and_line() {
    let scratch = Scratch::new("refused");
    let feature = scratch.write(
        "refused.feature",
        &format!(
            "{BACKGROUND}
  @ios @new-android
  Scenario: an iPhone that is an Android phone
    When I open the MitID app on my new phone

  Scenario Outline: no examples <n>
    Given I have followed steps 1 to <n>

  Scenario Outline: a header only
    Given I have followed steps 1 to <n>

    Examples:
      | n |

  @old-ios @new-android
  Scenario: from an iPhone to an Android phone
    When I open the MitID app on my new phone
"
        ),
    );
    let (code, out) = run(&["run", "--dry-run", feature.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("refused.feature:9: contradicting tags")
            && out.contains("@new-android asks for the new device to be Android"),
        "{out}"
    );
    assert!(out.contains("refused.feature:12: outline without examples"), "{out}");
    assert!(out.contains("refused.feature:15: outline without examples"), "{out}");
    assert!(!out.contains("<n>\""), "no snippet for a placeholder: {out}");
    assert!(
        !out.contains("refused.feature:22"),
        "an old iPhone and a new Android phone is a pair, not a contradiction: {out}"
    );
    let (code, out) = run(&["run", feature.to_str().unwrap(), "--report-dir", scratch.reports().to_str().unwrap()]);
    assert_eq!(code, 2, "a real run refuses them before it starts a farm: {out}");
    assert!(out.contains("refused.feature:12") && !out.contains("scenarios:"), "{out}");
}

#[test]
fn coverage_counts_what_the_steps_did_not_what_the_phrases_could_prove() {
    let scratch = Scratch::new("claims");
    let feature = scratch.write(
        "claims.feature",
        &format!(
            "{BACKGROUND}
  Scenario: a press that is neither step 2 nor step 3
    When I open the MitID app on my old phone and open the menu at the top of the screen
    And I press \"Close\"
    Then I see 'Your MitID app is active'

  Scenario: the old phone's steps walked
    Given I have followed steps 1 to 12

  @old-ios @old-touch-id
  Scenario: biometric instead of the PIN code on an iPhone with Touch ID
    Given I have followed steps 1 to 4
    When I use biometric instead of my PIN code
    Then I see 'Yes, I want to copy'
"
        ),
    );
    let reports = scratch.reports();
    let (code, out) = run(&["run", feature.to_str().unwrap(), "--report-dir", reports.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let coverage = std::fs::read_to_string(reports.join("latest/coverage.md")).unwrap();
    let row = |label: &str| -> String {
        coverage
            .lines()
            .find(|l| l.starts_with(&format!("| {label} |")))
            .unwrap_or_else(|| panic!("no row {label}: {coverage}"))
            .to_owned()
    };
    let (press, walk, touch_id) = ("a press that is neither", "the old phone's steps walked", "Touch ID");
    assert!(row("step 1: phone").contains(press), "the menu was opened on a phone: {}", row("step 1: phone"));
    for step in ["step 2", "step 3"] {
        assert!(!row(step).contains(press), "\"Close\" is not {step}: {}", row(step));
        assert!(row(step).contains(walk), "the walk pressed it: {}", row(step));
    }
    for step in [
        "step 4",
        "step 6",
        "step 8",
        "step 9",
        "step 12",
        "step 5: PIN code",
        "step 10: Bluetooth",
        "step 11: Bluetooth",
    ] {
        assert!(row(step).contains(walk), "{step}: {}", row(step));
    }
    for step in ["step 13: phone", "step 14", "step 19: phone", "step 26", "step 7"] {
        assert!(row(step).ends_with("| not covered |"), "nothing walked {step}: {}", row(step));
    }
    assert!(row("step 5: Touch ID").contains(touch_id) && row("step 5: Touch ID").ends_with("| proved |"));
    assert!(row("step 5: Face ID").ends_with("| not covered |"), "{}", row("step 5: Face ID"));
    assert!(out.contains("documented steps covered: "), "{out}");
    assert!(!out.contains("documented steps covered: 26/26"), "steps 13-26 were not done: {out}");
}

#[test]
fn scenarios_are_chosen_by_line_name_and_several_paths() {
    let scratch = Scratch::new("select");
    let reports = scratch.reports();
    let names = |out: &str| -> Vec<String> {
        out.lines().filter(|l| l.trim_start().starts_with("ok ")).map(|l| l.trim().to_owned()).collect()
    };
    // An example row, and an outline's line (all its rows), in two paths.
    let (code, out) = run(&[
        "run",
        "features/copy_your_mitid_app.feature:58",
        "features/rules/closing_the_new_app.feature:19",
        "--report-dir",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(names(&out).len(), 5, "one row and an outline of four: {out}");
    let (code, out) = run(&[
        "run",
        "features/rules",
        "--name",
        "PIN code that is not mine",
        "--report-dir",
        reports.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(names(&out).len(), 2, "{out}");
    let (code, out) =
        run(&["run", "features/copy_your_mitid_app.feature:3", "--report-dir", reports.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("copy_your_mitid_app.feature:3: no scenario or example row starts on that line; the nearest that do: 20 (after)"),
        "{out}"
    );
    let (code, out) = run(&["run", "--name", "(unclosed", "--report-dir", reports.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--name '(unclosed' is not a regular expression"), "{out}");
}

#[test]
fn fail_fast_starts_no_scenario_after_a_failure() {
    let scratch = Scratch::new("fail-fast");
    let reports = scratch.reports();
    let args =
        ["run", "--defect", "wrong_pin_accepted", "--concurrency", "1", "--report-dir", reports.to_str().unwrap()];
    let (code, out) = run(&[&args[..], &["--fail-fast"]].concat());
    assert_eq!(code, 1, "{out}");
    let ran = out.lines().filter(|l| l.trim_start().starts_with("ok ") || l.contains("FAILED  ")).count();
    // Of every scenario the suite has (the dry run counts them), those left
    // out ("K left out") never run, and fail-fast leaves more behind.
    let (_, dry) = run(&["run", "--dry-run"]);
    let all: usize = dry
        .split_once("dry run: ")
        .and_then(|(_, rest)| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no 'dry run: N scenario(s)' line: {dry}"));
    let left_out: usize = out
        .split_once(" left out)")
        .and_then(|(before, _)| before.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no '(…, K left out)' line: {out}"));
    assert!(ran < all - left_out, "the run stopped starting scenarios after the failure ({ran} ran of {all}): {out}");
}

#[test]
fn the_runner_works_from_anywhere_in_the_project_and_names_its_root_otherwise() {
    let inside = Path::new(ROOT).join("sim/src");
    let out = bin().args(["run", "--dry-run"]).current_dir(&inside).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 problem(s)"), "{text}");
    let outside = std::env::temp_dir();
    let out = bin().args(["run", "--dry-run"]).current_dir(&outside).env_remove("MITID_E2E_ROOT").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("--root DIR or MITID_E2E_ROOT=DIR"), "{err}");
    let out = bin().args(["--root", ROOT, "run", "--dry-run"]).current_dir(&outside).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    // A file error says its cause once.
    let out = bin().args(["doctor", "--profile", "no/such/profile.toml"]).current_dir(ROOT).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.matches("No such file or directory").count(), 1, "{text}");
    // `history` looks where `run` writes: reports/ under the root, from any
    // folder in the project (a scratch project, whose store does not exist yet).
    let scratch = Scratch::new("history-root");
    std::fs::create_dir_all(scratch.0.join("fixtures/deep")).unwrap();
    std::fs::copy(Path::new(ROOT).join("fixtures/identities.toml"), scratch.0.join("fixtures/identities.toml"))
        .unwrap();
    let out = bin()
        .args(["history", "runs"])
        .current_dir(scratch.0.join("fixtures/deep"))
        .env_remove("MITID_E2E_ROOT")
        .env_remove("MITID_HISTORY_URL")
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let store = scratch.reports().join("history.sqlite");
    assert!(text.contains(&store.display().to_string()), "history should look in {}: {text}", store.display());
}

#[test]
fn a_run_without_the_approved_screen_texts_says_so_in_every_report() {
    let scratch = Scratch::new("no-screen-texts");
    let reports = scratch.reports();
    let args = ["run", "features/copy_your_mitid_app.feature:58", "--no-screen-texts", "--report-dir"];
    let out = bin().args(args).arg(&reports).current_dir(ROOT).output().expect("the binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.starts_with("approved screen texts: not checked (--no-screen-texts)"), "{text}");
    let run = reports.join("latest");
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["meta"]["screen_texts_unchecked"], true, "{info}");
    let junit = valid_junit(&run);
    assert!(junit.contains(r#"<property name="screen.texts" value="not checked"/>"#), "{junit}");
    let page = std::fs::read_to_string(run.join("index.html")).unwrap();
    assert!(page.contains("not checked (--no-screen-texts)"), "the run page says the gate was off");
    // A run with the gate on says nothing of it.
    let checked = Scratch::new("screen-texts-on");
    let out = bin()
        .args(["run", "features/copy_your_mitid_app.feature:58", "--report-dir"])
        .arg(checked.reports())
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let info = std::fs::read_to_string(checked.reports().join("latest/run.json")).unwrap();
    assert!(!info.contains("screen_texts_unchecked"), "{info}");
}

#[test]
fn log_lines_off_a_terminal_carry_no_colour_codes() {
    let scratch = Scratch::new("no-colour");
    let out = bin()
        .args(["run", "features/copy_your_mitid_app.feature:58", "--report-dir"])
        .arg(scratch.reports())
        .env("RUST_LOG", "info")
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("session created"), "the farm's log lines are there: {err}");
    assert!(!err.contains('\u{1b}'), "an ANSI escape in a log file: {err}");
}

#[test]
fn verbose_off_a_terminal_lists_each_step_in_plain_lines() {
    let scratch = Scratch::new("verbose");
    // NO_COLOR unset: being off a terminal alone must keep the output plain.
    let out = bin()
        .args(["run", "-v", "features/copy_your_mitid_app.feature:58", "--report-dir"])
        .arg(scratch.reports())
        .env_remove("NO_COLOR")
        .env("RUST_LOG", "info")
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        assert!(!text.contains('\u{1b}'), "an ANSI escape in {name}: {text}");
        assert!(!text.contains('\r'), "a carriage return in {name}: {text}");
    }
    let scenario = "(features/copy_your_mitid_app.feature:58)";
    let steps: Vec<&str> = stdout.lines().filter(|l| l.starts_with("   step  ") && l.ends_with(scenario)).collect();
    assert!(steps.iter().any(|l| l.contains("   step  Given my old phone and the MitID app on it are updated  ")));
    assert!(steps.iter().any(|l| l.contains("   step  And I enter my PIN code  ")), "{stdout}");
    // Every step of the scenario, background included, as the report counts them.
    let json = std::fs::read_to_string(scratch.reports().join("latest/cucumber.json")).unwrap();
    let features: serde_json::Value = serde_json::from_str(&json).unwrap();
    let ran = features[0]["elements"][0]["steps"].as_array().unwrap().len();
    assert_eq!(steps.len(), ran, "a line per step: {stdout}");
    secrets::assert_no_secrets("the output", &stdout);
    let page = stdout.lines().find_map(|l| l.strip_prefix("report page: ")).expect("the console names index.html");
    assert!(Path::new(ROOT).join(page).is_file() || Path::new(page).is_file(), "{page}");
}

#[test]
fn a_real_time_wait_names_its_scenario_and_the_time_left_in_plain_lines() {
    let scratch = Scratch::new("real-wait");
    let profile = scratch.write(
        "real.toml",
        &edited(&virtual_profile(), "clock = { mode = \"virtual\" }", "clock = { mode = \"real\" }"),
    );
    let feature = scratch
        .write("wait.feature", &format!("{BACKGROUND}\n  Scenario: A short real wait\n    When 2 seconds pass\n"));
    let out = bin()
        .args(["run", feature.to_str().unwrap(), "--profile", profile.to_str().unwrap(), "--report-dir"])
        .arg(scratch.reports())
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{text}");
    let who = format!("'A short real wait' ({}:8)", feature.display());
    assert!(text.contains(&format!("waiting in real time: {who}: 2 s left of 2 s\n")), "{text}");
    assert!(text.contains(&format!("waited 2 s in real time: {who}\n")), "{text}");
    assert!(!text.contains('\r') && !text.contains('\u{1b}'), "{text}");
}

/// A fault a scenario switches on for its phone ends with the scenario: the
/// next scenario on the same phones (one at a time, so it gets them) meets
/// a phone as it was, not the earlier scenario's black screenshots.
#[test]
fn a_scenarios_fault_ends_with_it() {
    let scratch = Scratch::new("fault-ends");
    let feature = scratch.write(
        "faults.feature",
        &format!(
            "{BACKGROUND}
  @android-14
  Scenario: the first switches a fault on
    Given screenshots of secure screens come back black on my old phone
    When I open the MitID app on my old phone and open the menu at the top of the screen

  @android-14
  Scenario: the second reads the QR code off the same old phone
    Given I have followed steps 1 to 12
"
        ),
    );
    let reports = scratch.reports();
    let (code, out) =
        run(&["run", feature.to_str().unwrap(), "--concurrency", "1", "--report-dir", reports.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // Both on the one Android 14 pair: the second did meet the first's phone.
    let phones: Vec<&str> = out.lines().filter(|l| l.trim_start().starts_with("ok  ")).collect();
    assert_eq!(phones.len(), 2, "{out}");
    assert!(phones.iter().all(|l| l.contains("[Pixel 8 (Android 14) → Pixel 7 (Android 14)]")), "{out}");
}
