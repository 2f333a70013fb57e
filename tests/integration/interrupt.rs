//! Stopping a run with Ctrl-C (SIGINT) or SIGTERM, on an external farm, as
//! a CI job that is cancelled meets it. Each test starts a virtual farm as
//! its own process (`mitid-e2e sim --port 0`), a profile pointing
//! `appium.url` and `control.url` at it, and `mitid-e2e run --concurrency 2`;
//! signals the run mid-way with `kill(2)`, and then counts the farm's open
//! sessions (`GET /sim/state`). It proves:
//!
//! - the run exits 130 (SIGINT) or 143 (SIGTERM), within a bound;
//! - the farm has no session left open, and a second run on the same farm
//!   passes (no phone "busy");
//! - `junit.xml` and `cucumber.json` are written, the scenarios that were
//!   running are errors saying "interrupted", those never begun are skipped
//!   "not run: the run was interrupted", none of them counted as passed;
//! - a step hung on a command ends at once, its sessions closed within 5 s;
//! - a second Ctrl-C exits 130 at once, without waiting.
//!
//! Every process a test starts is stopped by its PID when the test ends,
//! also when it fails (a guard's Drop; and should the test process be
//! killed, the kernel kills them: PR_SET_PDEATHSIG).

use crate::support::child;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The farm prints its "listening on" line within this.
const FARM_STARTUP: Duration = Duration::from_secs(30);
/// A run reaches the point where it is signalled (a scenario finished,
/// another one's sessions open) within this.
const RUN_STARTUP: Duration = Duration::from_secs(120);
/// From the signal until the process has exited. The run stops at once in
/// practice (tens of milliseconds here); the runner's own bound on winding
/// down is 10 s.
const STOPS_WITHIN: Duration = Duration::from_secs(10);
/// A step hung on a command: it ends at once, and its sessions are closed
/// within the close wait (3 s, then a direct DELETE); the process exits
/// within this.
const HUNG_STOPS_WITHIN: Duration = Duration::from_secs(5);
/// A second Ctrl-C exits within this of itself.
const AT_ONCE: Duration = Duration::from_secs(1);
/// A whole run without a signal.
const RUN_BUDGET: Duration = Duration::from_secs(240);

const NOT_RUN: &str = "not run: the run was interrupted";

/// A process this test started; dropping it stops it by its PID.
struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Proc {
    fn start(name: &str, mut command: Command, log: PathBuf) -> Proc {
        let out = File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone the log file handle");
        child::dies_with_the_test(&mut command);
        let child = command
            .current_dir(ROOT)
            .env_remove("MITID_APPIUM_URL")
            .env_remove("MITID_CONTROL_URL")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        eprintln!("started {name} (pid {}), log {}", child.id(), log.display());
        Proc { name: name.into(), child, log }
    }

    fn pid(&self) -> libc::pid_t {
        libc::pid_t::try_from(self.child.id()).expect("a pid fits pid_t")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// What each of its threads is doing (Linux: name, state, kernel wait,
    /// and gdb's backtraces where gdb is installed): where a process that
    /// does not exit is stuck.
    fn threads(&self) -> String {
        let tasks = format!("/proc/{}/task", self.pid());
        let Ok(entries) = std::fs::read_dir(&tasks) else { return format!("({tasks} cannot be read)") };
        let read = |p: PathBuf| std::fs::read_to_string(p).unwrap_or_default().trim().to_owned();
        let mut lines: Vec<String> = entries
            .flatten()
            .map(|t| {
                let stat = read(t.path().join("stat"));
                // The state is the field after the name's closing parenthesis.
                let state = stat.rsplit_once(") ").map(|(_, r)| r.split(' ').next().unwrap_or("?").to_owned());
                format!(
                    "{} {:?} state {} wchan {}",
                    t.file_name().to_string_lossy(),
                    read(t.path().join("comm")),
                    state.unwrap_or_default(),
                    read(t.path().join("wchan"))
                )
            })
            .collect();
        lines.sort();
        // Where each thread is, if gdb is there to ask (a hang at exit once
        // showed only a running main thread).
        let pid = self.pid().to_string();
        if let Ok(gdb) = Command::new("gdb").args(["-batch", "-p", &pid, "-ex", "thread apply all bt 30"]).output() {
            lines.push(String::from_utf8_lossy(&gdb.stdout).into_owned());
        }
        lines.join("\n")
    }

    /// Sends `signal` to this process only.
    fn signal(&self, signal: libc::c_int) {
        // SAFETY: kill(2) with the PID of a child this test started and has
        // not reaped (it is reaped only in `wait_exit` or Drop).
        let sent = unsafe { libc::kill(self.pid(), signal) };
        assert_eq!(sent, 0, "kill({}, {signal}): {}", self.pid(), std::io::Error::last_os_error());
    }

    /// Waits for the process to exit, at most `within`.
    async fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll a child process") {
                return Some(status);
            }
            if started.elapsed() > within {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let pid = self.child.id();
        if let Ok(None) = self.child.try_wait() {
            // Child::kill signals exactly this PID (SIGKILL); wait reaps it.
            if let Err(e) = self.child.kill() {
                eprintln!("could not kill {} (pid {pid}): {e}", self.name);
            }
            let _ = self.child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- {}'s log ({}) ---\n{}", self.name, self.log.display(), self.log_text());
        }
        eprintln!("stopped {} (pid {pid})", self.name);
    }
}

fn work_dir(name: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("interrupt-{name}-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A virtual farm in its own process, as a lab's Appium server and test
/// backend: the phones of `devices/virtual.toml`.
struct Farm {
    proc: Proc,
    url: String,
    http: reqwest::Client,
}

impl Farm {
    async fn start(work: &Path) -> Farm {
        let mut command = Command::new(BIN);
        command.args(["sim", "--port", "0", "--profile", "devices/virtual.toml"]).env("RUST_LOG", "warn");
        let mut proc = Proc::start("farm", command, work.join("farm.log"));
        let started = Instant::now();
        let url = loop {
            if let Some(status) = proc.child.try_wait().expect("poll the farm") {
                panic!("the farm exited with {status}:\n{}", proc.log_text());
            }
            let log = proc.log_text();
            if let Some(url) = log.lines().find_map(|l| l.strip_prefix("listening on ")) {
                break url.trim().to_owned();
            }
            assert!(started.elapsed() < FARM_STARTUP, "the farm did not say where it listens:\n{log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(10)).build().unwrap();
        Farm { proc, url, http }
    }

    /// The sessions open on the farm now.
    async fn sessions(&self) -> Vec<Value> {
        let state: Value = self
            .http
            .get(format!("{}/sim/state", self.url))
            .send()
            .await
            .expect("GET /sim/state")
            .json()
            .await
            .expect("/sim/state is JSON");
        state["sessions"].as_array().cloned().unwrap_or_default()
    }

    async fn put(&self, path: &str, body: Value) {
        let resp = self.http.put(format!("{}{path}", self.url)).json(&body).send().await.expect(path);
        assert!(resp.status().is_success(), "PUT {path} {body}: {}", resp.status());
    }

    async fn post(&self, path: &str, body: Value) {
        let resp = self.http.post(format!("{}{path}", self.url)).json(&body).send().await.expect(path);
        assert!(resp.status().is_success(), "POST {path} {body}: {}", resp.status());
    }

    /// A profile for the suite on this farm: its phones, its URL as both
    /// the Appium server and the test-control API, each scenario its own
    /// identity (two run side by side on one backend).
    fn profile(&self, work: &Path) -> PathBuf {
        let virtual_toml = std::fs::read_to_string(Path::new(ROOT).join("devices/virtual.toml")).unwrap();
        let virtual_toml: toml::Table = virtual_toml.parse().expect("devices/virtual.toml is TOML");
        let phones = virtual_toml["farm"]["phones"].as_array().expect("devices/virtual.toml lists [[farm.phones]]");
        let mut profile = toml::Table::new();
        let url = toml::Table::from_iter([("url".to_owned(), toml::Value::String(self.url.clone()))]);
        profile.insert("appium".into(), toml::Value::Table(url.clone()));
        profile.insert("control".into(), toml::Value::Table(url));
        for key in ["camera", "clock", "identity", "timeouts"] {
            profile.insert(key.into(), virtual_toml[key].clone());
        }
        profile.insert("identity_per_scenario".into(), toml::Value::Boolean(true));
        profile.insert("phones".into(), toml::Value::Array(phones.clone()));
        let path = work.join("lab.toml");
        std::fs::write(&path, toml::to_string(&profile).unwrap()).unwrap();
        path
    }
}

/// `mitid-e2e run` on the farm, two scenarios at a time, reports in
/// `work/<name>/`, with `extra` arguments.
fn start_run(work: &Path, profile: &Path, name: &str, extra: &[&str]) -> Proc {
    let mut command = Command::new(BIN);
    command
        .args(["run", "--concurrency", "2", "--profile"])
        .arg(profile)
        .args(extra)
        .arg("--report-dir")
        .arg(work.join(name))
        .env("NO_COLOR", "1");
    Proc::start(name, command, work.join(format!("{name}.log")))
}

/// Waits until `ready` holds of the run's console and the farm's open
/// sessions; panics with both when the run exits first or `within` passes.
async fn wait_for(run: &mut Proc, farm: &Farm, what: &str, ready: impl Fn(&str, usize) -> bool) {
    let started = Instant::now();
    loop {
        if let Some(status) = run.child.try_wait().expect("poll the run") {
            panic!("the run exited ({status}) before {what}:\n{}", run.log_text());
        }
        let sessions = farm.sessions().await.len();
        if ready(&run.log_text(), sessions) {
            eprintln!("{what} after {:.1?} ({sessions} sessions open)", started.elapsed());
            return;
        }
        assert!(started.elapsed() < RUN_STARTUP, "no {what} within {RUN_STARTUP:?}:\n{}", run.log_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Scenario lines the console printed as passed.
fn passed_lines(console: &str) -> usize {
    console.lines().filter(|l| l.trim_start().starts_with("ok  ")).count()
}

/// Signals the run, and waits (at most `within`) for it to exit: its exit
/// status and how long that took.
async fn stop(run: &mut Proc, signal: libc::c_int, within: Duration) -> (ExitStatus, Duration) {
    let sent = Instant::now();
    run.signal(signal);
    let status = run.wait_exit(within).await;
    let took = sent.elapsed();
    let status = status.unwrap_or_else(|| {
        panic!(
            "the run did not exit within {within:?} of the signal:\n{}\nits threads:\n{}",
            run.log_text(),
            run.threads()
        )
    });
    (status, took)
}

/// Every scenario of a run's Cucumber JSON: (name, status, the first step
/// message it has, if any).
fn scenarios(report: &Path) -> Vec<(String, String, Option<String>)> {
    let path = report.join("latest/cucumber.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    let mut out = Vec::new();
    for f in json.as_array().unwrap() {
        // Scenarios the profile left out (no [bluetooth]) were never the run's to interrupt.
        for e in f["elements"].as_array().unwrap().iter().filter(|e| e["left_out"].is_null()) {
            let message = e["steps"]
                .as_array()
                .unwrap()
                .iter()
                .find_map(|s| s["result"]["error_message"].as_str().map(str::to_owned));
            out.push((e["name"].as_str().unwrap().to_owned(), e["status"].as_str().unwrap().to_owned(), message));
        }
    }
    out
}

/// The reports of an interrupted run mark it: every scenario interrupted
/// mid-way is an error saying so, every one never begun is skipped "not
/// run", and only scenarios that ran to their end passed. Returns
/// (passed, interrupted, not run).
fn assert_reports_mark_the_interrupt(report: &Path, signal: &str) -> (usize, usize, usize) {
    let all = scenarios(report);
    let count = |status: &str| all.iter().filter(|s| s.1 == status).count();
    let (passed, errors, skipped) = (count("passed"), count("error"), count("skipped"));
    eprintln!("reports: {} scenarios: {passed} passed, {errors} interrupted, {skipped} not run", all.len());
    assert_eq!(passed + errors + skipped, all.len(), "nothing failed: {all:#?}");
    assert!(errors >= 1, "a scenario was running when the signal came: {all:#?}");
    let interrupted = format!("interrupted by {signal}");
    for (name, status, message) in &all {
        let message = message.as_deref().unwrap_or_default();
        match status.as_str() {
            "error" => assert!(message.starts_with(&interrupted), "{name}: {message}"),
            "skipped" => assert_eq!(message, NOT_RUN, "{name}"),
            _ => {}
        }
    }
    let junit_path = report.join("latest/junit.xml");
    let junit = std::fs::read_to_string(&junit_path).unwrap_or_else(|e| panic!("{}: {e}", junit_path.display()));
    assert!(junit.contains(&format!("<error message=\"{interrupted}")), "{junit}");
    assert!(junit.contains("type=\"could not be judged\""), "{junit}");
    assert!(junit.contains(&format!("errors=\"{errors}\"")), "{junit}");
    if skipped > 0 {
        assert!(junit.contains(&format!("<skipped message=\"{NOT_RUN}\" type=\"not run\">")), "{junit}");
    }
    (passed, errors, skipped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_mid_run_closes_every_session_writes_the_reports_and_exits_130() {
    let work = work_dir("sigint");
    let farm = Farm::start(&work).await;
    let profile = farm.profile(&work);
    // Phones as slow as real ones: a scenario takes seconds, not 0.2 s.
    farm.put("/sim/latency", json!({ "ms": 15 })).await;

    let mut run = start_run(&work, &profile, "interrupted", &[]);
    // Three sessions: two scenarios hold phones, so at least one is mid-way.
    wait_for(&mut run, &farm, "a scenario passed and two others have their phones", |console, sessions| {
        passed_lines(console) >= 1 && sessions >= 3
    })
    .await;
    let open_at_signal = farm.sessions().await.len();
    let (status, took) = stop(&mut run, libc::SIGINT, STOPS_WITHIN).await;
    let left = farm.sessions().await;
    let console = run.log_text();
    eprintln!("SIGINT with {open_at_signal} sessions open: exit {status} after {took:.2?}, {} left open", left.len());
    eprintln!("--- the interrupted run ---\n{console}");
    assert_eq!(status.code(), Some(130), "{console}");
    assert!(left.is_empty(), "sessions left open on the farm: {left:?}");
    let (passed, _, _) = assert_reports_mark_the_interrupt(&work.join("interrupted"), "SIGINT");
    assert!(passed >= 1, "the scenarios that ran to their end are in the reports, passed");
    assert!(console.contains("interrupted by SIGINT: "), "{console}");
    assert!(console.contains("every session the run opened is closed"), "{console}");

    // The same farm, at once: no phone is busy.
    farm.put("/sim/latency", json!({ "ms": 0 })).await;
    let mut again = start_run(&work, &profile, "again", &[]);
    let status = again.wait_exit(RUN_BUDGET).await.expect("the second run ends");
    let console = again.log_text();
    assert!(!console.contains("busy"), "{console}");
    assert_eq!(status.code(), Some(0), "the second run on the same farm passes:\n{console}");
    assert!(farm.sessions().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_run_closes_every_session_and_exits_143() {
    let work = work_dir("sigterm");
    let farm = Farm::start(&work).await;
    let profile = farm.profile(&work);
    farm.put("/sim/latency", json!({ "ms": 15 })).await;

    // cucumber retries an interrupted scenario as a failed one: the retry,
    // not run, must not replace the interrupted attempt in the report.
    let mut run = start_run(&work, &profile, "terminated", &["--retry", "1"]);
    wait_for(&mut run, &farm, "two scenarios have their phones", |_, sessions| sessions >= 3).await;
    let (status, took) = stop(&mut run, libc::SIGTERM, STOPS_WITHIN).await;
    let left = farm.sessions().await;
    eprintln!("SIGTERM: exit {status} after {took:.2?}, {} sessions left open", left.len());
    let console = run.log_text();
    assert_eq!(status.code(), Some(143), "{console}");
    assert!(left.is_empty(), "sessions left open on the farm: {left:?}");
    assert_reports_mark_the_interrupt(&work.join("terminated"), "SIGTERM");
    assert!(console.contains("interrupted by SIGTERM: "), "{console}");
}

/// Every `click` on the farm hangs: the first step that taps hangs, and a
/// close behind it waits for its turn until the close wait ends it directly.
async fn hang_every_click(farm: &Farm) {
    farm.post("/sim/faults", json!({ "fault": "hang", "command": "click" })).await;
}

/// Waits until a step hangs on the farm (its log says so).
async fn wait_for_a_hang(run: &mut Proc, farm: &Farm) {
    let started = Instant::now();
    while !farm.proc.log_text().contains("fault: the command hangs") {
        if let Some(status) = run.child.try_wait().expect("poll the run") {
            panic!("the run exited ({status}) before a step hung:\n{}", run.log_text());
        }
        assert!(started.elapsed() < RUN_STARTUP, "no step hung within {RUN_STARTUP:?}:\n{}", farm.proc.log_text());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("a step hangs after {:.1?} ({} sessions open)", started.elapsed(), farm.sessions().await.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_step_hung_on_a_command_ends_at_once_and_its_sessions_close_within_5_s() {
    let work = work_dir("hung");
    let farm = Farm::start(&work).await;
    let profile = farm.profile(&work);
    hang_every_click(&farm).await;

    let mut run = start_run(&work, &profile, "hung", &[]);
    wait_for_a_hang(&mut run, &farm).await;
    let (status, took) = stop(&mut run, libc::SIGINT, HUNG_STOPS_WITHIN + Duration::from_secs(5)).await;
    let left = farm.sessions().await;
    eprintln!("SIGINT during a hung command: exit {status} after {took:.2?}, {} sessions left open", left.len());
    let console = run.log_text();
    assert_eq!(status.code(), Some(130), "{console}");
    assert!(took < HUNG_STOPS_WITHIN, "the run took {took:?} to stop:\n{console}");
    assert!(left.is_empty(), "sessions left open on the farm: {left:?}");
    let (passed, _, _) = assert_reports_mark_the_interrupt(&work.join("hung"), "SIGINT");
    assert_eq!(passed, 0, "every scenario taps; none could pass");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_exits_130_at_once() {
    let work = work_dir("twice");
    let farm = Farm::start(&work).await;
    let profile = farm.profile(&work);
    // Winding down takes the close wait (3 s) here: the second Ctrl-C must
    // not wait for it.
    hang_every_click(&farm).await;

    let mut run = start_run(&work, &profile, "twice", &[]);
    wait_for_a_hang(&mut run, &farm).await;
    let first = Instant::now();
    run.signal(libc::SIGINT);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(run.child.try_wait().unwrap().is_none(), "the run is still winding down after the first Ctrl-C");
    let (status, took) = stop(&mut run, libc::SIGINT, AT_ONCE + Duration::from_secs(5)).await;
    let console = run.log_text();
    eprintln!("second SIGINT: exit {status} {took:.2?} after it, {:.2?} after the first", first.elapsed());
    assert_eq!(status.code(), Some(130), "{console}");
    assert!(took < AT_ONCE, "the second Ctrl-C took {took:?} to stop the run:\n{console}");
    assert!(console.contains("SIGINT again: stopping at once"), "{console}");
}
