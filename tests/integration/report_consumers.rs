//! The reports as the tools that read them see them. One run of the suite on
//! the virtual farm, as a defective build a rule catches (`--retry 1`, so
//! the failing scenarios are tried twice), with a fixture feature whose
//! steps carry a data table and a doc string; then:
//! - every line of `messages.ndjson` is valid against the Envelope schema
//!   `@cucumber/messages` ships, and refers only to ids sent before it;
//! - `@cucumber/html-formatter` renders it, and the page, opened in headless
//!   Chromium, shows the features, the failed scenario, the table and the
//!   doc string;
//! - `cucumber-html-reporter` and `multiple-cucumber-html-reporter` render
//!   `cucumber.json`, and their pages name the features, the scenarios, the
//!   table's cells and the doc string, and carry the evidence;
//! - no secret is in clear in the NDJSON (its attachments decoded), in any
//!   attachment file or in any of those pages.
//!
//! - the real Allure command line (Allure Report 3, npm `allure`) makes its
//!   report from `allure-results/` of a green run, a red and retried run, a
//!   run with errors and a merged sharded run: the counts, the retries, the
//!   categories, Allure's history carried from one night to the next, and,
//!   in headless Chromium, a failed scenario with both phones' screenshots
//!   loaded, its retry, its history and a Danish scenario's name.
//!
//! The tools are installed by `tests/install/report-tools-env.sh` (tests/run
//! calls it) into `.tools/report-tools`, or `$MITID_REPORT_TOOLS_DIR`; the
//! scripts that drive them are in `tests/node/`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use files::files_under;
use serde_json::Value;

use crate::support::chromium;
use crate::support::files;
use crate::support::secrets;

use secrets::assert_no_secrets;

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The defective build: a fourth active app is allowed, which two rule
/// scenarios catch.
const DEFECT: &str = "fourth_app_allowed";
const FAILING: &str = "With three active MitID apps already, I cannot start copying to a fourth";
const FIXTURE: &str = "tests/fixtures/report_consumers";
const FIXTURE_FEATURE: &str = "Step arguments in the reports";
const FIXTURE_SCENARIO: &str = "I show the QR code after the steps before it";
/// A cell of the fixture's data table, and its doc string.
const TABLE_CELL: &str = "accept that the app uses Bluetooth";
const DOC_STRING: &str = "The QR code is shown on the screen 'Scan the QR code with your new app'.";

fn tools() -> PathBuf {
    let dir = std::env::var_os("MITID_REPORT_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(ROOT).join(".tools/report-tools"));
    assert!(
        dir.join(".mitid-pins").is_file(),
        "the report tools are not installed in {}: run bash tests/install/report-tools-env.sh",
        dir.display()
    );
    dir
}

/// Runs one of tests/node/ with node; its stdout, or a panic with
/// what it said.
fn node(script: &str, args: &[&Path]) -> String {
    let out = Command::new("node")
        .arg(Path::new(ROOT).join("tests/node").join(script))
        .arg(tools())
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("node runs (tests/install/report-tools-env.sh checks it is installed)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// `html` with its character references decoded, as often as they were
/// made: multiple-cucumber-html-reporter escapes a doc string twice.
fn unescaped(html: &str) -> String {
    let mut text = html.to_owned();
    loop {
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            rest = &rest[i..];
            let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
                let c = match &rest[1..end] {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    r if r.starts_with("#x") => u32::from_str_radix(&r[2..], 16).ok().and_then(char::from_u32),
                    r if r.starts_with('#') => r[1..].parse().ok().and_then(char::from_u32),
                    _ => None,
                }?;
                Some((c, end))
            });
            match decoded {
                Some((c, end)) => {
                    out.push(c);
                    rest = &rest[end + 1..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
        out.push_str(rest);
        if out == text {
            return out;
        }
        text = out;
    }
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn messages_and_cucumber_json_are_read_by_their_consumers() {
    // Before the run: a missing install fails at once, saying what to do.
    tools();
    let scratch = Scratch(std::env::temp_dir().join(format!("mitid-report-consumers-{}", std::process::id())));
    let reports = scratch.0.join("reports");
    let out = Command::new(BIN)
        .args(["run", "features", FIXTURE, "--defect", DEFECT, "--retry", "1", "--report-dir"])
        .arg(&reports)
        .current_dir(ROOT)
        .output()
        .unwrap();
    let console = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "the defect is caught:\n{console}");
    let run = std::fs::canonicalize(reports.join("latest")).unwrap();
    let ndjson_path = run.join("messages.ndjson");
    let json_path = run.join("cucumber.json");

    // --- Cucumber Messages: the schema, then what it says ------------------------
    let valid = node("validate-messages.cjs", &[&ndjson_path]);
    assert!(valid.contains("envelopes valid"), "{valid}");
    let ndjson = std::fs::read_to_string(&ndjson_path).unwrap();
    let envelopes: Vec<Value> = ndjson.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let all = |kind: &str| envelopes.iter().filter_map(|e| e.get(kind)).cloned().collect::<Vec<Value>>();
    let pickles = all("pickle");
    let pickle_of =
        |name: &str| pickles.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no pickle '{name}'")).clone();
    // The failing scenario: two attempts, the first to be retried, a FAILED step.
    let failing = pickle_of(FAILING);
    let case = all("testCase").into_iter().find(|c| c["pickleId"] == failing["id"]).unwrap();
    let starts: Vec<Value> = all("testCaseStarted").into_iter().filter(|s| s["testCaseId"] == case["id"]).collect();
    assert_eq!(starts.iter().map(|s| s["attempt"].as_u64().unwrap()).collect::<Vec<_>>(), [0, 1]);
    let finished: HashMap<String, bool> = all("testCaseFinished")
        .into_iter()
        .map(|f| (f["testCaseStartedId"].as_str().unwrap().to_owned(), f["willBeRetried"].as_bool().unwrap()))
        .collect();
    assert!(finished[starts[0]["id"].as_str().unwrap()], "the first attempt will be retried");
    assert!(!finished[starts[1]["id"].as_str().unwrap()], "the last attempt will not");
    let failed_steps = all("testStepFinished")
        .into_iter()
        .filter(|f| f["testCaseStartedId"] == starts[1]["id"] && f["testStepResult"]["status"] == "FAILED")
        .count();
    assert_eq!(failed_steps, 1, "the last attempt has one failed step");
    assert_eq!(all("testRunFinished")[0]["success"], false);
    // A retried scenario's pickle is one pickle, with its test case once.
    assert_eq!(all("testCase").len(), pickles.len());
    // The fixture's table and doc string, in the document and the pickle.
    let fixture = pickle_of(FIXTURE_SCENARIO);
    let arguments: Vec<&Value> =
        fixture["steps"].as_array().unwrap().iter().filter_map(|s| s.get("argument")).collect();
    assert_eq!(arguments.len(), 2, "{fixture}");
    assert_eq!(arguments[0]["dataTable"]["rows"][2]["cells"][1]["value"], TABLE_CELL);
    assert_eq!(arguments[1]["docString"]["content"], DOC_STRING);
    // The Danish feature in its own words.
    assert!(
        all("gherkinDocument")
            .iter()
            .any(|d| d["feature"]["keyword"] == "Egenskab" && d["feature"]["language"] == "da"),
        "the Danish feature's document"
    );
    // Every attachment is the file under attachments/ its fileName names,
    // byte for byte, and the evidence names its phone.
    let files: HashMap<String, PathBuf> = files_under(&run.join("attachments"))
        .into_iter()
        .map(|f| (f.file_name().unwrap().to_string_lossy().into_owned(), f))
        .collect();
    let attachments = all("attachment");
    assert!(!attachments.is_empty());
    let mut decoded = String::new();
    let mut named = HashSet::new();
    for a in &attachments {
        assert_eq!(a["contentEncoding"], "BASE64", "{a}");
        let body = base64::engine::general_purpose::STANDARD.decode(a["body"].as_str().unwrap()).unwrap();
        let name = a["fileName"].as_str().unwrap_or_else(|| panic!("an attachment without fileName: {a}"));
        let file = files.get(name).unwrap_or_else(|| panic!("{name} is not under attachments/"));
        assert_eq!(std::fs::read(file).unwrap(), body, "{name}");
        decoded.push_str(&String::from_utf8_lossy(&body));
        named.extend(["old-phone", "new-phone"].into_iter().filter(|p| name.contains(p)));
    }
    assert_eq!(named.len(), 2, "the old and the new phone's evidence, named so");
    assert_eq!(attachments.len(), files.len(), "every attachment file is in the messages");
    assert_no_secrets("messages.ndjson", &ndjson);
    assert_no_secrets("messages.ndjson's attachments", &decoded);
    for file in files.values() {
        assert_no_secrets(&file.display().to_string(), &String::from_utf8_lossy(&std::fs::read(file).unwrap()));
    }

    // --- @cucumber/html-formatter, in a real browser -------------------------------
    let html = scratch.0.join("cucumber-messages.html");
    node("render-messages-html.mjs", &[&ndjson_path, &html]);
    let page = std::fs::read_to_string(&html).unwrap();
    assert_no_secrets("the html-formatter's page", &page);
    let shown = tokio::runtime::Runtime::new().unwrap().block_on(text_in_chromium(&html, &scratch.0, FIXTURE));
    // What the browser showed, to read when an assertion below fails.
    let _ = std::fs::write(Path::new(ROOT).join("target/report-consumers-page.txt"), &shown);
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let features = json.as_array().unwrap();
    let elements: Vec<&Value> = features.iter().flat_map(|f| f["elements"].as_array().unwrap()).collect();
    // The counts, as the page sums them from the messages; a retried
    // scenario counts once, by its last attempt.
    for (label, status) in [("PASSED", "passed"), ("FAILED", "failed"), ("SKIPPED", "skipped")] {
        let n = elements.iter().filter(|e| e["status"] == status).count();
        assert!(
            shown.contains(&format!("{label} {n}")),
            "the html-formatter's page does not count {label} {n}:\n{shown}"
        );
    }
    for f in features {
        let uri = f["uri"].as_str().unwrap();
        assert!(shown.contains(uri), "the html-formatter's page does not list {uri}:\n{shown}");
    }
    // A feature with a failure is open; the fixture's was opened.
    for expected in [FAILING, FIXTURE_FEATURE, FIXTURE_SCENARIO, TABLE_CELL, DOC_STRING] {
        assert!(shown.contains(expected), "the html-formatter's page does not show '{expected}':\n{shown}");
    }

    // --- cucumber-html-reporter and multiple-cucumber-html-reporter -------------------
    let out_dir = scratch.0.join("json-html");
    node("render-json-html.cjs", &[&json_path, &out_dir]);
    let single = std::fs::read_to_string(out_dir.join("cucumber-html-reporter.html")).unwrap();
    let multiple: String = files_under(&out_dir.join("multiple"))
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "html"))
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    // Every piece of evidence in cucumber.json names its phone (or is the
    // gateways'); the tools show images and text, not names.
    let embeddings: Vec<Value> = elements
        .iter()
        .flat_map(|e| e["steps"].as_array().unwrap())
        .flat_map(|s| s["embeddings"].as_array().cloned().unwrap_or_default())
        .collect();
    for a in &embeddings {
        let name = a["name"].as_str().unwrap();
        assert!(
            ["old-phone ", "new-phone ", "gateway messages"].iter().any(|p| name.starts_with(p)),
            "evidence named '{name}'"
        );
    }
    let screenshots: Vec<&str> =
        embeddings.iter().filter(|a| a["mime_type"] == "image/png").map(|a| a["data"].as_str().unwrap()).collect();
    assert!(!screenshots.is_empty(), "a screenshot in cucumber.json");
    for (tool, page) in [("cucumber-html-reporter", &single), ("multiple-cucumber-html-reporter", &multiple)] {
        let page = unescaped(page);
        for expected in ["Copy your MitID app to another phone/tablet", FIXTURE_FEATURE, FIXTURE_SCENARIO, FAILING] {
            assert!(page.contains(expected), "{tool}'s page does not name '{expected}'");
        }
        assert!(page.contains(TABLE_CELL), "{tool}'s page does not show the data table");
        assert!(page.contains(DOC_STRING), "{tool}'s page does not show the doc string");
        // cucumber-html-reporter shows a step's last image only.
        assert!(screenshots.iter().any(|png| page.contains(png)), "{tool}'s page does not carry a screenshot");
        assert!(page.contains("[TEMPORARY PIN]"), "{tool}'s page does not carry the gateway messages");
        assert_no_secrets(tool, &page);
    }
}

/// Opens `page` in headless Chromium through chromedriver (started on a free
/// loopback port, stopped by its PID), waits until the app on it lists the
/// feature file `open`, opens it, and returns the page's text. (The harness
/// is tests/integration/history.rs's.)
async fn text_in_chromium(page: &Path, dir: &Path, open: &str) -> String {
    use fantoccini::{ClientBuilder, Locator};
    for program in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        assert!(
            Path::new(program).exists(),
            "{program} is missing: run tests/run (apt-get install chromium chromium-driver)"
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut driver = Command::new("/usr/bin/chromedriver")
        .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    struct Stop(u32);
    impl Drop for Stop {
        fn drop(&mut self) {
            // SAFETY: the PID is our child's.
            unsafe { libc::kill(self.0 as i32, libc::SIGTERM) };
        }
    }
    let _stop = Stop(driver.id());
    let profile_dir = dir.join("chromium-profile");
    let caps: serde_json::Map<String, Value> = serde_json::from_value(serde_json::json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1200,1600", format!("--user-data-dir={}", profile_dir.display())]
        }
    }))
    .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let started = std::time::Instant::now();
    let client = loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
            Ok(c) => break c,
            Err(_) if started.elapsed() < std::time::Duration::from_secs(20) => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            Err(e) => panic!("chromedriver at {url}: {e}"),
        }
    };
    client.goto(&format!("file://{}", page.display())).await.unwrap();
    let body = client.find(Locator::Css("body")).await.unwrap();
    let mut text = String::new();
    let waited = std::time::Instant::now();
    while waited.elapsed() < std::time::Duration::from_secs(20) {
        text = body.text().await.unwrap();
        if text.contains(open) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // A feature whose scenarios all passed is folded: open the fixture's.
    let script = "[...document.querySelectorAll('[aria-expanded=\"false\"]')]\
        .filter(b => b.textContent.includes(arguments[0])).forEach(b => b.click()); return null";
    client.execute(script, vec![Value::String(open.to_owned())]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let text = body.text().await.unwrap_or(text);
    client.close().await.unwrap();
    let _ = driver.kill();
    let _ = driver.wait();
    text
}

// --- Allure ------------------------------------------------------------------------

/// The green selection: the copy flow in English and Danish, every pair.
const GREEN: [&str; 2] = ["features/copy_your_mitid_app.feature", "features/da/kopier_din_mitid_app.feature"];
const DANISH_FEATURE: &str = "Kopiér din MitID app til en anden telefon/tablet";
const BROKE: &str = "The app broke a documented step or rule";
const NOT_JUDGED: &str = "Could not be judged";
const RETRY_PASSED: &str = "Passed only on a retry";

/// The default profile with `faults` switched on.
fn profile_with(dir: &Path, name: &str, faults: &str) -> PathBuf {
    let base = std::fs::read_to_string(Path::new(ROOT).join("devices/virtual.toml")).unwrap();
    assert!(base.contains("latency_ms = 0\n"), "devices/virtual.toml changed: update this test");
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(&path, base.replace("latency_ms = 0\n", &format!("latency_ms = 0\nfaults = [{faults}]\n"))).unwrap();
    path
}

/// `mitid-e2e` with `args`: its exit code, and what it said.
fn mitid(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(BIN).args(args).current_dir(ROOT).env_remove("MITID_HISTORY_URL").output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// `allure generate RESULTS -o OUT --config CONFIG` in `cwd`, as a CI runs it.
fn allure_generate(results: &Path, out: &Path, config: &Path, cwd: &Path) {
    let bin = tools().join("node_modules/.bin/allure");
    let done = Command::new(&bin)
        .arg("generate")
        .arg(results)
        .arg("-o")
        .arg(out)
        .arg("--config")
        .arg(config)
        .current_dir(cwd)
        .output()
        .unwrap();
    assert!(
        done.status.success(),
        "allure generate {}: {}{}",
        results.display(),
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr)
    );
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What our own reports say of a run: scenarios, failed, could not be
/// judged, flaky, retried, and the attempts made (cucumber.json).
#[derive(Debug, Default, PartialEq)]
struct Counts {
    scenarios: u64,
    failed: u64,
    broken: u64,
    flaky: u64,
    retried: u64,
    attempts: u64,
}

fn counts_of(run: &Path) -> Counts {
    let json = read_json(&run.join("cucumber.json"));
    let mut c = Counts::default();
    for e in json.as_array().unwrap().iter().flat_map(|f| f["elements"].as_array().unwrap()) {
        c.scenarios += 1;
        let attempts = e["attempts"].as_u64().unwrap_or(1);
        c.attempts += attempts;
        c.retried += u64::from(attempts > 1);
        let statuses: Vec<&str> =
            e["steps"].as_array().unwrap().iter().filter_map(|s| s["result"]["status"].as_str()).collect();
        let tags: Vec<&str> = e["tags"].as_array().into_iter().flatten().filter_map(|t| t["name"].as_str()).collect();
        if tags.contains(&"@flaky") {
            c.flaky += 1;
        } else if statuses.contains(&"failed") && !statuses.contains(&"error") {
            c.failed += 1;
        }
    }
    c
}

/// The counts in Allure's own summary of its report.
fn allure_stats(out: &Path) -> Value {
    read_json(&out.join("awesome/summary.json"))["stats"].clone()
}

/// Allure's categories (its classic view, from our categories.json): name → total.
fn allure_categories(out: &Path) -> HashMap<String, u64> {
    let tree = read_json(&out.join("classic/widgets/categories.json"));
    let groups = tree["groupsById"].as_object().unwrap();
    tree["root"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| {
            let g = &groups[id.as_str().unwrap()];
            (g["name"].as_str().unwrap().to_owned(), g["statistic"]["total"].as_u64().unwrap())
        })
        .collect()
}

fn result_files(results: &Path) -> usize {
    std::fs::read_dir(results)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with("-result.json"))
        .count()
}

#[test]
fn allure_makes_its_report_from_the_results_of_every_kind_of_run() {
    tools();
    let scratch = Scratch(std::env::temp_dir().join(format!("mitid-allure-{}", std::process::id())));
    let dir = &scratch.0;
    std::fs::create_dir_all(dir).unwrap();
    // As the README tells a CI: the awesome report as one file, the classic
    // one beside it, Allure's history kept in a file carried night to night.
    let config = dir.join("allurerc.json");
    std::fs::write(
        &config,
        r#"{"name":"mitid-e2e","historyPath":"./allure-history.jsonl","plugins":{"awesome":{"options":{"singleFile":true}},"classic":{"options":{}}}}"#,
    )
    .unwrap();
    let reports = |name: &str| dir.join(name);
    let run = |args: &[&str], expect: i32| {
        let (code, console) = mitid(args);
        assert_eq!(code, Some(expect), "{args:?}:\n{console}");
    };

    // 1. Green: every scenario once, passed.
    let green = reports("green");
    let mut args: Vec<&str> = vec!["run"];
    args.extend(GREEN);
    args.extend(["--report-dir", green.to_str().unwrap()]);
    run(&args, 0);
    let green_run = green.join("latest");
    let green_counts = counts_of(&green_run);
    assert_eq!(result_files(&green_run.join("allure-results")) as u64, green_counts.scenarios);
    let out = dir.join("allure-green");
    allure_generate(&green_run.join("allure-results"), &out, &config, dir);
    let stats = allure_stats(&out);
    assert_eq!(stats["total"], green_counts.scenarios, "{stats}");
    assert_eq!(stats["passed"], green_counts.scenarios, "{stats}");
    assert!(stats.get("failed").is_none() && stats.get("broken").is_none(), "{stats}");

    // 2. Red and retried, the next night: a defect three scenarios catch
    // (each tried twice), and an iPhone whose session dies once (flaky).
    let red = reports("red");
    let flaky = profile_with(dir, "flaky", r#"{ fault = "session_dies", udid = "ios-17-b1", times = 1 }"#);
    let mut args: Vec<&str> = vec!["run"];
    args.extend(GREEN);
    args.extend([
        "features/rules/before_you_begin.feature",
        "--tags",
        "not @bluetooth",
        "--defect",
        DEFECT,
        "--retry",
        "1",
        "--profile",
        flaky.to_str().unwrap(),
        "--report-dir",
        red.to_str().unwrap(),
    ]);
    run(&args, 1);
    let red_run = red.join("latest");
    let red_counts = counts_of(&red_run);
    assert!(red_counts.failed >= 2 && red_counts.flaky == 1, "{red_counts:?}");
    assert_eq!(result_files(&red_run.join("allure-results")) as u64, red_counts.attempts, "one result per attempt");
    let out = dir.join("allure-red");
    allure_generate(&red_run.join("allure-results"), &out, &config, dir);
    let stats = allure_stats(&out);
    assert_eq!(stats["total"], red_counts.scenarios, "{stats}");
    assert_eq!(stats["failed"], red_counts.failed, "{stats}");
    assert_eq!(stats["flaky"], red_counts.flaky, "{stats}");
    assert_eq!(stats["retries"], red_counts.retried, "{stats}");
    // Allure's history, carried over: the green night's scenarios are not new.
    assert_eq!(stats["new"], red_counts.scenarios - green_counts.scenarios, "{stats}");
    let categories = allure_categories(&out);
    assert_eq!(categories.get(BROKE), Some(&red_counts.failed), "{categories:?}");
    assert_eq!(categories.get(RETRY_PASSED), Some(&1), "{categories:?}");
    assert_eq!(categories.get(NOT_JUDGED), None, "{categories:?}");
    let red_out = out;

    // 3. Errors: the iPhone's session dies, no retry: could not be judged.
    let errors = reports("errors");
    let dead = profile_with(dir, "dead", r#"{ fault = "session_dies", udid = "ios-17-b1" }"#);
    run(
        &[
            "run",
            GREEN[0],
            "--tags",
            "@ios",
            "--profile",
            dead.to_str().unwrap(),
            "--report-dir",
            errors.to_str().unwrap(),
        ],
        3,
    );
    let out = dir.join("allure-errors");
    allure_generate(&errors.join("latest/allure-results"), &out, &config, dir);
    let stats = allure_stats(&out);
    assert_eq!((stats["total"].as_u64(), stats["broken"].as_u64()), (Some(1), Some(1)), "{stats}");
    assert_eq!(allure_categories(&out).get(NOT_JUDGED), Some(&1));

    // 4. Sharded, then merged: one report, as the whole run's.
    for i in [1, 2] {
        let mut args: Vec<&str> = vec!["run"];
        args.extend(GREEN);
        let shard = format!("{i}/2");
        let to = reports(&format!("shard{i}"));
        args.extend(["--shard", &shard, "--report-dir", to.to_str().unwrap()]);
        run(&args, 0);
    }
    let merged = dir.join("merged");
    run(
        &[
            "report",
            "merge",
            "--out",
            merged.to_str().unwrap(),
            reports("shard1").join("latest").to_str().unwrap(),
            reports("shard2").join("latest").to_str().unwrap(),
            "--report-dir",
            dir.join("merged-reports").to_str().unwrap(),
        ],
        0,
    );
    let shard_files =
        result_files(&reports("shard1/latest/allure-results")) + result_files(&reports("shard2/latest/allure-results"));
    assert_eq!(result_files(&merged.join("allure-results")), shard_files);
    let out = dir.join("allure-merged");
    allure_generate(&merged.join("allure-results"), &out, &config, dir);
    let stats = allure_stats(&out);
    assert_eq!(
        (stats["total"].as_u64(), stats["passed"].as_u64()),
        (Some(green_counts.scenarios), Some(green_counts.scenarios)),
        "{stats}"
    );

    // No secret in any results folder or report.
    for folder in [&green_run, &red_run, &errors.join("latest"), &merged] {
        for file in files_under(&folder.join("allure-results")) {
            assert_no_secrets(&file.display().to_string(), &String::from_utf8_lossy(&std::fs::read(&file).unwrap()));
        }
    }
    for out in ["allure-green", "allure-red", "allure-errors", "allure-merged"] {
        let page = std::fs::read_to_string(dir.join(out).join("awesome/index.html")).unwrap();
        assert_no_secrets(&format!("{out}/awesome/index.html"), &page);
    }

    tokio::runtime::Runtime::new().unwrap().block_on(red_report_in_chromium(&red_out, dir, &red_counts));
}

/// The red night's report as QA opens it, read through the DOM.
async fn red_report_in_chromium(out: &Path, dir: &Path, counts: &Counts) {
    use fantoccini::Locator;
    let page = out.join("awesome/index.html");
    let ids = read_json(&out.join("test-results.json"))["byId"].clone();
    let id_of = |name: &str| -> String {
        ids.as_object()
            .unwrap()
            .iter()
            .find(|(_, t)| t["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| panic!("no test result named '{name}' in the report"))
    };
    let browser = chromium::Chromium::start(&dir.join("chromium-allure"), 1400, 2000).await;
    // Allure 3.18.0's single file reads its data from scripts at the end of
    // the file, but its app, at the start, decides by whether
    // `allureReportData` exists yet: when the parser has not reached the
    // data (a busy machine), it fetches `widgets/*.json` beside the file
    // instead, which a file:// page may not, and stays empty. The data script
    // itself begins `window.allureReportData = window.allureReportData || {}`;
    // defining it first makes the app wait for `allureReportDataReady`, as
    // it does when the parser wins the race.
    browser.run_before_each_document("window.allureReportData = window.allureReportData || {};").await;
    let client = &browser.client;
    let wait_for = |css: &'static str| async move {
        let started = std::time::Instant::now();
        loop {
            let error = match client.find(Locator::Css(css)).await {
                Ok(e) => return e,
                Err(e) => e,
            };
            if started.elapsed() > std::time::Duration::from_secs(60) {
                // What the browser shows instead, and why the find failed.
                let url = client.current_url().await.map(|u| u.to_string());
                let shown = client.find(Locator::Css("body")).await;
                let shown = match shown {
                    Ok(body) => body.text().await.map(|t| t.chars().take(800).collect::<String>()),
                    Err(e) => Err(e),
                };
                panic!("{css} never appeared in 60 s; the last find: {error}; the page: {url:?} shows:\n{shown:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    };
    client.goto(&format!("file://{}", page.display())).await.unwrap();
    let number = |text: String| text.split_whitespace().last().unwrap_or_default().parse::<u64>().unwrap_or(u64::MAX);
    let total = wait_for("[data-testid=metadata-item-total]").await.text().await.unwrap();
    assert_eq!(number(total), counts.scenarios);
    let failed = client.find(Locator::Css("[data-testid=metadata-item-failed]")).await.unwrap().text().await.unwrap();
    assert_eq!(number(failed), counts.failed);
    let flaky = client.find(Locator::Css("[data-testid=metadata-item-flaky]")).await.unwrap().text().await.unwrap();
    assert_eq!(number(flaky), counts.flaky);
    let retries = client.find(Locator::Css("[data-testid=metadata-item-retries]")).await.unwrap().text().await.unwrap();
    assert_eq!(number(retries), counts.retried);
    let sections: Vec<String> = {
        let mut v = Vec::new();
        for e in client.find_all(Locator::Css("[data-testid=tree-section-title]")).await.unwrap() {
            v.push(e.text().await.unwrap());
        }
        v
    };
    assert!(sections.iter().any(|s| s.contains(DANISH_FEATURE)), "the Danish feature by its name: {sections:?}");
    // A Danish scenario, opened: its name as written, æøå and all.
    let danish = "Jeg kopierer min MitID app til min nye telefon og godkender med biometri";
    client.goto(&format!("file://{}#/{}", page.display(), id_of(danish))).await.unwrap();
    let title = wait_for("[data-testid=test-result-info-title]").await.text().await.unwrap();
    assert!(title.starts_with(danish), "{title}");
    let path = client.find(Locator::Css("[data-testid=test-result-fullname]")).await.unwrap().text().await.unwrap();
    assert!(path.contains(DANISH_FEATURE), "{path}");

    // The failed scenario: its error, its retry, both phones' screenshots.
    let id = id_of(FAILING);
    client.goto(&format!("file://{}#/{id}", page.display())).await.unwrap();
    let error = wait_for("[data-testid=test-result-error-message]").await.text().await.unwrap();
    assert!(error.contains("did not appear"), "{error}");
    let tabs = client.find(Locator::Css("[data-testid=test-result-tab-retries]")).await.unwrap().text().await.unwrap();
    assert_eq!(number(tabs.clone()), 1, "one retry: {tabs}");
    let body = client.find(Locator::Css("body")).await.unwrap().text().await.unwrap();
    assert!(body.contains("Category: Product errors"), "failed, not broken: the app's failure");
    let mut shown = Vec::new();
    for header in client.find_all(Locator::Css("[data-testid=test-result-attachment-header]")).await.unwrap() {
        let name = header.text().await.unwrap();
        if name.contains("screenshot") {
            header.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
            shown.push(name);
        }
    }
    assert_eq!(shown.len(), 2, "the old and the new phone's screenshots: {shown:?}");
    let started = std::time::Instant::now();
    let loaded = loop {
        let n = client
            .execute(
                "return [...document.querySelectorAll('img')].filter(i => i.complete && i.naturalWidth > 100).length",
                vec![],
            )
            .await
            .unwrap();
        if n.as_u64() >= Some(2) || started.elapsed() > std::time::Duration::from_secs(20) {
            break n;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(loaded.as_u64(), Some(2), "both screenshots loaded as images");

    // The flaky scenario, of both nights: its retry, and the green night in
    // its history.
    let id = id_of("I copy my MitID app to my new phone and approve with biometric: no (iPhones)");
    client.goto(&format!("file://{}#/{id}/history", page.display())).await.unwrap();
    let history = wait_for("[data-testid=test-result-tab-history]").await.text().await.unwrap();
    assert_eq!(number(history.clone()), 1, "one earlier night in its history: {history}");
    let tabs = client.find(Locator::Css("[data-testid=test-result-tab-retries]")).await.unwrap().text().await.unwrap();
    assert_eq!(number(tabs.clone()), 1, "the flaky scenario's failed attempt, as a retry: {tabs}");
    let status = client.find(Locator::Css("[data-testid=test-result-status-passed]")).await;
    assert!(status.is_ok(), "the flaky scenario passed, on its retry");

    browser.close().await;
}
