//! The run history, with known answers: 30 nights of real runs of the suite
//! on the virtual farm (3 scenarios a night, one per rig), some nights with
//! a fault or a slower phone, recorded in SQLite; the `history` commands
//! find exactly what was done to them; the same runs in a real PostgreSQL 15
//! give the same answers. Two writers at once lose nothing (SQLite: two
//! runs; PostgreSQL: two shards, then their merge, counted once).

#[path = "support/child.rs"]
mod child;
#[path = "support/chromium.rs"]
mod chromium;
#[path = "support/postgres.rs"]
mod postgres;

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
    let path = dir.join(format!("night-{night}.toml"));
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

/// Opens the page in headless Chromium (tests/support/chromium.rs) and
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
    let out = Command::new("sqlite3").arg(&path).arg("INSERT INTO schema_version VALUES (2, 0)").output();
    if out.is_err() {
        // No sqlite3 shell: write the row through the store's own file.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("INSERT INTO schema_version VALUES (2, 0)", []).unwrap();
    }
    let e = rt.block_on(async { Store::open(&location).await.err().unwrap() });
    assert!(e.to_string().contains("has schema version 2, but this mitid-e2e knows only up to version 1"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
