//! The run history, with known answers: 30 nights of real runs of the suite
//! on the virtual farm (3 scenarios a night, one per rig), some nights with
//! a fault or a slower phone, recorded in SQLite; the `history` commands
//! find exactly what was done to them; the same runs in a real PostgreSQL 15
//! give the same answers. Two writers at once lose nothing (SQLite: two
//! runs; PostgreSQL: two shards, then their merge, counted once).

use crate::support::chromium;
use crate::support::postgres;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mitid_e2e::history::{Location, Store};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The nightly subset: the copy flow on Android 14 and on iOS, and the
/// Android 11 location prompt — each on a rig of its own.
const TAGS: &str = "(@copy and not @danish and not @bluetooth and (@android-14 or @ios)) or (@doc-10 and @android-11)";
const ANDROID: &str = "features/copy_your_mitid_app.feature:58";
const IOS: &str = "features/copy_your_mitid_app.feature:63";
const OLD_ANDROID: &str = "features/rules/bluetooth.feature:73";

/// Nights when android-14-a2's sessions die: the Android scenario errs on
/// it, a2 is quarantined, the retry passes on a1 + a3.
const BAD_PHONE_NIGHTS: [usize; 8] = [2, 5, 9, 13, 16, 20, 23, 26];
/// Nights when ios-17-b1's session dies once: the iOS scenario is flaky.
const FLAKY_NIGHTS: [usize; 4] = [3, 11, 19, 27];
/// Nights when the Android 11 rig answers 15 ms slower per command.
const SLOW_NIGHTS: std::ops::RangeInclusive<usize> = 25..=29;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mitid-history-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The default profile with a third Android 14 phone on rig-a, short
/// waits, and this night's faults and latency.
fn profile(dir: &Path, night: usize) -> PathBuf {
    let base = std::fs::read_to_string(Path::new(ROOT).join("devices/virtual.toml")).unwrap();
    assert!(
        base.contains("latency_ms = 0\n") && base.contains("find = 5"),
        "devices/virtual.toml changed: update this test"
    );
    let mut farm = String::from("latency_ms = 0\n");
    let mut faults = Vec::new();
    if BAD_PHONE_NIGHTS.contains(&night) {
        faults.push(r#"{ fault = "session_dies", udid = "android-14-a2" }"#);
    }
    if FLAKY_NIGHTS.contains(&night) {
        faults.push(r#"{ fault = "session_dies", udid = "ios-17-b1", times = 1 }"#);
    }
    farm.push_str(&format!("faults = [{}]\n", faults.join(", ")));
    if SLOW_NIGHTS.contains(&night) {
        farm.push_str("phone_latency_ms = { \"android-11-c1\" = 15, \"android-13-c2\" = 15 }\n");
    }
    // The default profile's rig-a has a third device (android-14-a3, a
    // tablet): it stands in when a2 is quarantined.
    assert!(base.contains("udid = \"android-14-a3\""), "devices/virtual.toml changed: update this test");
    let text =
        base.replace("latency_ms = 0\n", &farm).replace("find = 5", "find = 1").replace("message = 5", "message = 1");
    // One path every night, as a lab's profile is: the runs are comparable.
    let path = dir.join("nightly.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn mitid(args: &[&str]) -> Output {
    Command::new(BIN).args(args).current_dir(ROOT).env_remove("MITID_HISTORY_URL").output().unwrap()
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn json(history: &str, args: &[&str]) -> Value {
    let mut all = vec!["history", "--history", history, "--json"];
    all.extend_from_slice(args);
    let out = mitid(&all);
    assert!(out.status.success(), "history {args:?}: {}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("history {args:?}: {e}: {}", text(&out)))
}

fn places(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|r| r["scenario"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn thirty_nights_give_known_answers_in_sqlite_and_postgresql() {
    let dir = temp("nights");
    let reports = dir.join("reports");
    let reports_s = reports.to_str().unwrap();
    for night in 0..30 {
        let profile = profile(&dir, night);
        let out = mitid(&[
            "run",
            "features",
            "--tags",
            TAGS,
            "--retry",
            "1",
            "--profile",
            profile.to_str().unwrap(),
            "--report-dir",
            reports_s,
        ]);
        let console = text(&out);
        assert_eq!(out.status.code(), Some(0), "night {night}:\n{console}");
        assert!(console.contains("history: recorded run-"), "night {night}:\n{console}");
    }
    let sqlite = reports.join("history.sqlite");
    let sqlite = sqlite.to_str().unwrap();

    // runs: 30, all passed; the flaky count of each night is what was done to it.
    let runs = json(sqlite, &["runs"]);
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 30);
    for (night, r) in runs.iter().enumerate() {
        let flaky = usize::from(BAD_PHONE_NIGHTS.contains(&night)) + usize::from(FLAKY_NIGHTS.contains(&night));
        assert_eq!(r["verdict"], "passed", "night {night}: {r}");
        assert_eq!(r["flaky"], flaky as u64, "night {night}: {r}");
        assert_eq!(r["quarantined"], u64::from(BAD_PHONE_NIGHTS.contains(&night)), "night {night}: {r}");
    }
    let last10 = json(sqlite, &["runs", "--last", "10"]);
    assert_eq!(last10.as_array().unwrap().len(), 10);

    // flaky: exactly the two scenarios that were made so, most unstable first.
    let flaky = json(sqlite, &["flaky"]);
    assert_eq!(places(&flaky), [ANDROID, IOS], "{flaky:#}");
    assert_eq!(flaky[0]["flaky"], 8);
    assert_eq!(flaky[0]["runs"], 30);
    assert_eq!(flaky[1]["flaky"], 4);
    assert_eq!(flaky[1]["failed"], 0);

    // slow: the Android 11 scenario, slower on the last five nights.
    let slow = json(sqlite, &["slow", "--recent", "5", "--threshold", "1.5"]);
    assert_eq!(places(&slow), [OLD_ANDROID], "{slow:#}");
    assert!(slow[0]["ratio"].as_f64().unwrap() >= 1.5);
    assert_eq!(slow[0]["recent_runs"], 5);
    assert_eq!(slow[0]["baseline_runs"], 25);

    // phones: a2 first, in failures on its 8 bad nights, quarantined each time.
    let phones = json(sqlite, &["phones"]);
    let a2 = &phones[0];
    assert_eq!(a2["udid"], "android-14-a2", "{phones:#}");
    assert_eq!(a2["bad_runs"], 8);
    assert_eq!(a2["quarantines"], 8);
    assert_eq!(a2["runs"], 30);
    let summary = a2["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("failed 8 of its last 30 runs; the same scenarios passed on other phones"),
        "{summary}"
    );
    let a3 = phones.as_array().unwrap().iter().find(|p| p["udid"] == "android-14-a3").unwrap();
    assert_eq!(a3["runs"], 8, "a3 stands in on the retries only: {a3}");
    assert_eq!(a3["bad_runs"], 0);

    // scenario: its history run by run, the retries with the phones they had.
    let android = json(sqlite, &["scenario", ANDROID]);
    let android = android.as_array().unwrap();
    assert_eq!(android.len(), 30);
    assert_eq!(android[2]["status"], "flaky");
    assert_eq!(android[2]["phones"], "android-14-a1+android-14-a2 then android-14-a1+android-14-a3");
    assert_eq!(android[0]["status"], "passed");

    // The tables read as the README shows.
    let table = text(&mitid(&["history", "--history", sqlite, "phones"]));
    println!("{table}");
    assert!(table.lines().nth(1).unwrap().starts_with("android-14-a2"), "{table}");
    let table = text(&mitid(&["history", "--history", sqlite, "flaky"]));
    println!("{table}");
    println!("{}", text(&mitid(&["history", "--history", sqlite, "slow"])));
    println!("{}", text(&mitid(&["history", "--history", sqlite, "runs", "--last", "5"])));

    // The same runs in PostgreSQL give the same answers.
    let pg = postgres::Postgres::start("nights");
    let url = pg.create_db("nights");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut from = Store::open(&Location::parse(sqlite)).await.unwrap();
        let mut to = Store::open(&Location::parse(&url)).await.unwrap();
        for run in from.load(None).await.unwrap().runs {
            to.record(&run).await.unwrap();
        }
    });
    for q in [&["runs"][..], &["flaky"], &["slow", "--recent", "5"], &["phones"], &["scenario", IOS]] {
        assert_eq!(json(sqlite, q), json(&url, q), "history {q:?}: SQLite and PostgreSQL differ");
    }

    // prune: nothing is older than a day.
    let pruned = json(sqlite, &["prune", "--keep-days", "1"]);
    assert_eq!(pruned["deleted_runs"], 0);

    // The trends page, written after each run, in real headless Chromium.
    let page = reports.join("history.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for outside in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(outside), "the page must be self-contained: it has {outside}");
    }
    rt.block_on(trends_page_in_chromium(&page, &dir));

    // prune: the 5 oldest nights, made 40 days old, go with their attempts;
    // the other 25 stay, and answer as before.
    {
        let db = rusqlite::Connection::open(sqlite).unwrap();
        let aged = db
            .execute(
                "UPDATE runs SET started_ms = started_ms - 40 * 86400000 \
                 WHERE key IN (SELECT key FROM runs ORDER BY started_ms LIMIT 5)",
                [],
            )
            .unwrap();
        assert_eq!(aged, 5);
    }
    let pruned = json(sqlite, &["prune", "--keep-days", "30"]);
    assert_eq!(pruned["deleted_runs"], 5, "{pruned}");
    assert_eq!(json(sqlite, &["runs", "--last", "100"]).as_array().unwrap().len(), 25);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Opens the page in headless Chromium (tests/integration/support/chromium.rs) and
/// reads it through the DOM.
async fn trends_page_in_chromium(page: &Path, dir: &Path) {
    use fantoccini::Locator;
    let browser = chromium::Chromium::start(&dir.join("chromium-profile"), 1200, 1600).await;
    let client = &browser.client;
    client.goto(&format!("file://{}", page.display())).await.unwrap();
    assert_eq!(client.title().await.unwrap(), "mitid-e2e run history");
    let summary = client.find(Locator::Id("summary")).await.unwrap().text().await.unwrap();
    assert!(summary.starts_with("30 run(s) from"), "{summary}");
    assert_eq!(client.find_all(Locator::Css("#pass-rate rect.run")).await.unwrap().len(), 30);
    let flaky = client.find_all(Locator::Css("#flaky tr")).await.unwrap();
    assert_eq!(flaky.len(), 3, "a header and the two flaky scenarios");
    assert!(flaky[1].text().await.unwrap().contains("features/copy_your_mitid_app.feature:58"));
    assert_eq!(client.find_all(Locator::Css("#durations polyline.trend")).await.unwrap().len(), 3);
    let legend = client.find(Locator::Css("#durations + p.legend")).await.unwrap().text().await.unwrap();
    assert!(legend.contains("features/rules/bluetooth.feature:73") && legend.contains("slower:"), "{legend}");
    let worst = client.find(Locator::Css("#phones tr:nth-child(2)")).await.unwrap().text().await.unwrap();
    assert!(worst.starts_with("android-14-a2") && worst.contains("quarantined in 8 run(s)"), "{worst}");
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a screenshot of the page");
    let shot = Path::new(ROOT).join("target/history-page.png");
    std::fs::write(&shot, &png).unwrap();
    println!("screenshot: {}", shot.display());
    browser.close().await;
}

#[test]
fn two_runs_at_once_on_one_sqlite_file_are_both_recorded_whole() {
    let dir = temp("sqlite-pair");
    let store = dir.join("shared.sqlite");
    let run = |n: usize| {
        let store = store.clone();
        let reports = dir.join(format!("reports-{n}"));
        std::thread::spawn(move || {
            mitid(&[
                "run",
                "features",
                "--tags",
                TAGS,
                "--report-dir",
                reports.to_str().unwrap(),
                "--history",
                store.to_str().unwrap(),
            ])
        })
    };
    let (a, b) = (run(1), run(2));
    for out in [a.join().unwrap(), b.join().unwrap()] {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("history: recorded"), "{}", text(&out));
    }
    let store = store.to_str().unwrap();
    let runs = json(store, &["runs"]);
    assert_eq!(runs.as_array().unwrap().len(), 2, "{runs:#}");
    for r in runs.as_array().unwrap() {
        assert_eq!(r["passed"], 3, "{r}");
    }
    let ios = json(store, &["scenario", IOS]);
    assert_eq!(ios.as_array().unwrap().len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn two_shards_at_once_on_one_postgresql_then_their_merge_count_once() {
    let pg = postgres::Postgres::start("shards");
    let url = pg.create_db("shards");
    let dir = temp("pg-shards");
    let shard = |i: usize| {
        let url = url.clone();
        let reports = dir.join(format!("shard{i}"));
        std::thread::spawn(move || {
            mitid(&[
                "run",
                "features",
                "--tags",
                TAGS,
                "--shard",
                &format!("{i}/2"),
                "--report-dir",
                reports.to_str().unwrap(),
                "--history",
                &url,
            ])
        })
    };
    let (a, b) = (shard(1), shard(2));
    for out in [a.join().unwrap(), b.join().unwrap()] {
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        assert!(text(&out).contains("history: recorded"), "{}", text(&out));
    }
    // Before the merge, each shard counts as what ran.
    let runs = json(&url, &["runs"]);
    let kinds: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{runs:#}");
    assert!(kinds.iter().all(|k| k.starts_with("shard ")), "{kinds:?}");
    let total: u64 = runs.as_array().unwrap().iter().map(|r| r["passed"].as_u64().unwrap()).sum();
    assert_eq!(total, 3);

    let merged = dir.join("merged");
    let out = mitid(&[
        "report",
        "merge",
        "--out",
        merged.to_str().unwrap(),
        dir.join("shard1/latest").to_str().unwrap(),
        dir.join("shard2/latest").to_str().unwrap(),
        "--history",
        &url,
        "--report-dir",
        dir.join("merged-reports").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("history: recorded merged-"), "{}", text(&out));
    // After it, the nightly is one run, with every scenario and its phones.
    let runs = json(&url, &["runs"]);
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs:#}");
    assert_eq!(runs[0]["kind"], "merged");
    assert_eq!(runs[0]["passed"], 3);
    let phones = json(&url, &["phones"]);
    assert_eq!(phones.as_array().unwrap().len(), 6, "{phones:#}");
    assert!(dir.join("merged-reports/history.html").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_run_whose_store_cannot_be_reached_still_finishes_and_says_so() {
    let dir = temp("unreachable");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("postgres://ci:s3cret-password@127.0.0.1:{port}/history");
    let out = mitid(&[
        "run",
        "features/copy_your_mitid_app.feature",
        "--tags",
        "@ios",
        "--report-dir",
        dir.to_str().unwrap(),
        "--history",
        &url,
    ]);
    let console = text(&out);
    assert_eq!(out.status.code(), Some(0), "{console}");
    assert!(console.contains("was NOT recorded in postgres://ci:***@127.0.0.1"), "{console}");
    assert!(console.contains("the exit code is unchanged"), "{console}");
    assert!(!console.contains("s3cret-password"), "the password leaked: {console}");
    assert!(dir.join("latest/junit.xml").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_store_newer_than_this_build_is_refused_plainly() {
    let dir = temp("newer");
    let path = dir.join("h.sqlite");
    let location = Location::parse(path.to_str().unwrap());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async { Store::open(&location).await.unwrap() });
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("INSERT INTO schema_version VALUES (3, 0)", []).unwrap();
    drop(conn);
    let e = rt.block_on(async { Store::open(&location).await.err().unwrap() });
    assert!(e.to_string().contains("has schema version 3, but this mitid-e2e knows only up to version 2"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A run row as version 1 of the schema wrote it.
const V1_RUN: &str =
    "INSERT INTO runs VALUES ('old@h', 'old', 1, 2, NULL, 'devices/virtual.toml', 'h', NULL, NULL, 'run', NULL, \
     'f', '', 0, 1, 1, 0, 0, 0, 0)";

#[test]
fn a_version_1_store_is_migrated_in_place_on_sqlite_and_postgresql() {
    use mitid_e2e::history::schema::{MIGRATIONS, SCHEMA_VERSION};
    let dir = temp("v1");
    let path = dir.join("v1.sqlite");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE schema_version (version BIGINT NOT NULL, applied_ms BIGINT NOT NULL)").unwrap();
    conn.execute_batch(MIGRATIONS[0]).unwrap();
    conn.execute_batch(&format!("INSERT INTO schema_version VALUES (1, 0); {V1_RUN}")).unwrap();
    drop(conn);
    let pg = postgres::Postgres::start("v1");
    let url = pg.create_db("v1");
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
        let task = tokio::spawn(connection);
        client
            .batch_execute("CREATE TABLE schema_version (version BIGINT NOT NULL, applied_ms BIGINT NOT NULL)")
            .await
            .unwrap();
        client.batch_execute(MIGRATIONS[0]).await.unwrap();
        client.batch_execute(&format!("INSERT INTO schema_version VALUES (1, 0); {V1_RUN}")).await.unwrap();
        drop(client);
        let _ = task.await;
    });
    for location in [Location::parse(path.to_str().unwrap()), Location::parse(&url)] {
        let runs = rt.block_on(async {
            let mut store = Store::open(&location).await.unwrap();
            store.load(None).await.unwrap().runs
        });
        assert_eq!(runs.len(), 1, "{location}: the old run is kept");
        assert_eq!((runs[0].selection.as_str(), runs[0].tag_expression.as_str()), ("features", ""), "{location}");
    }
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Copies `features/copy_your_mitid_app.feature` into `dir`, with `above`
/// lines put before its first line.
fn feature_copy(dir: &Path, above: &str) -> PathBuf {
    let text = std::fs::read_to_string(Path::new(ROOT).join("features/copy_your_mitid_app.feature")).unwrap();
    let path = dir.join("features/copy.feature");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, format!("{above}{text}")).unwrap();
    path
}

#[test]
fn a_scenario_keeps_its_history_across_edits_and_errors_and_refusals_are_not_failures() {
    let dir = temp("edits");
    let store = dir.join("h.sqlite");
    let store_s = store.to_str().unwrap();
    let reports = dir.join("reports");
    let run = |feature: &Path, night: usize, extra: &[&str]| {
        let profile = profile(&dir, night);
        let mut args = vec![
            "run",
            feature.to_str().unwrap(),
            "--profile",
            profile.to_str().unwrap(),
            "--report-dir",
            reports.to_str().unwrap(),
            "--history",
            store_s,
        ];
        args.extend_from_slice(extra);
        let out = mitid(&args);
        assert!(text(&out).contains("history: recorded"), "{}", text(&out));
        out.status.code()
    };
    let feature = feature_copy(&dir, "");
    // 1: it passes. 2: three lines are added above it, and ios-17-b1's
    // session dies once: it passes on the retry. 3: the session dies and
    // there is no retry: it cannot be judged.
    assert_eq!(run(&feature, 0, &["--tags", "@ios"]), Some(0));
    let feature = feature_copy(&dir, "# A comment\n# added above\n# the feature\n");
    assert_eq!(run(&feature, FLAKY_NIGHTS[0], &["--tags", "@ios", "--retry", "1"]), Some(0));
    assert_eq!(run(&feature, FLAKY_NIGHTS[0], &["--tags", "@ios"]), Some(3));
    // 4: a typo: the step runs undefined. 5: an outline without Examples:
    // refused before any phone is touched.
    let typo = dir.join("typo/typo.feature");
    std::fs::create_dir_all(typo.parent().unwrap()).unwrap();
    std::fs::write(&typo, "Feature: Typo\n  Scenario: A typo\n    Given I hvae my old phone\n").unwrap();
    assert_eq!(run(&typo, 0, &[]), Some(1));
    let outline = dir.join("typo/outline.feature");
    std::fs::write(&outline, "Feature: Outline\n  Scenario Outline: No rows\n    Given I take my <which> phone\n")
        .unwrap();
    assert_eq!(run(&outline, 0, &[]), Some(2));
    // 6: another selection, against a defect: it fails.
    assert_eq!(run(&feature, 0, &["--tags", "@ios and @copy", "--defect", "old_app_deactivated"]), Some(1));

    let runs = json(store_s, &["runs"]);
    let verdicts: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["verdict"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["passed", "passed", "errors", "undefined steps", "refused", "failed"], "{runs:#}");
    let feature_s = feature.to_str().unwrap();
    assert_eq!(runs[0]["selection"], feature_s, "the features as asked");
    assert_eq!(runs[0]["tag_expression"], "@ios");
    assert_eq!((runs[3]["failed"].as_u64(), runs[3]["undefined"].as_u64()), (Some(0), Some(1)), "{}", runs[3]);
    assert_eq!(runs[4]["selection"], outline.to_str().unwrap());
    assert_eq!((runs[4]["passed"].as_u64(), runs[4]["failed"].as_u64()), (Some(0), Some(0)), "{}", runs[4]);
    assert_eq!(runs[5]["defects"], "old_app_deactivated");
    let typo_history = json(store_s, &["scenario", "A typo"]);
    assert_eq!(typo_history[0]["status"], "undefined", "{typo_history:#}");
    let table = text(&mitid(&["history", "--history", store_s, "runs"]));
    assert!(
        table.contains("asked")
            && table.contains("--tags @ios and @copy on ")
            && table.contains("with --defect old_app_deactivated"),
        "{table}"
    );

    // One history for the scenario, at line 63 and then at 66.
    let ios = json(store_s, &["scenario", "approve with biometric: no (iPhones)"]);
    let at: Vec<String> = ios.as_array().unwrap().iter().map(|r| r["scenario"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        at,
        [format!("{feature_s}:63"), format!("{feature_s}:66"), format!("{feature_s}:66"), format!("{feature_s}:66")],
        "{ios:#}"
    );
    let earlier = json(store_s, &["scenario", &format!("{feature_s}:63")]);
    assert_eq!(earlier.as_array().unwrap().len(), 4, "asked by its old place, all of its history: {earlier:#}");

    // flaky reads the runs like the newest (5: alone, failed) unless asked.
    let newest = json(store_s, &["flaky"]);
    assert_eq!((newest[0]["runs"].as_u64(), newest[0]["failed"].as_u64()), (Some(1), Some(1)), "{newest:#}");
    let like = runs[2]["run_id"].as_str().unwrap();
    let nightly = json(store_s, &["flaky", "--like", like]);
    assert_eq!(nightly.as_array().unwrap().len(), 1, "{nightly:#}");
    let n = &nightly[0];
    assert_eq!(
        (n["runs"].as_u64(), n["flaky"].as_u64(), n["failed"].as_u64(), n["errors"].as_u64()),
        (Some(3), Some(1), Some(0), Some(1)),
        "three comparable runs, an error apart from failures: {n}"
    );
    assert_eq!(n["scenario"], format!("{feature_s}:66"));
    let all = json(store_s, &["flaky", "--all-runs"]);
    assert_eq!((all[0]["runs"].as_u64(), all[0]["failed"].as_u64()), (Some(4), Some(1)), "{all:#}");
    let heading = text(&mitid(&["history", "--history", store_s, "flaky", "--like", like]));
    assert!(heading.starts_with(&format!("over the last 3 run(s) like {like} (profile ")), "{heading}");
    let _ = std::fs::remove_dir_all(&dir);
}
