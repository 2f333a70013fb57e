//! Real headless Chromium for a test to read a page through the DOM:
//! Debian's `chromium` driven by its `chromedriver` (started on a free
//! loopback port, stopped by its PID) through fantoccini.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A headless Chromium session; its chromedriver is stopped when it is
/// closed or dropped (a failing assertion too).
pub struct Chromium {
    /// The WebDriver session.
    pub client: Client,
    /// chromedriver's address, for the commands fantoccini does not send.
    driver_url: String,
    driver: Option<Child>,
}

impl Chromium {
    /// Starts chromedriver and a headless Chromium with a fresh profile in
    /// `profile_dir`, its window `width`×`height`, nothing fetched in the
    /// background (no updates, sync, QUIC or prefetch) and no host name
    /// resolved: a page that reaches for the internet (Allure's reports load
    /// Google Analytics) fails at once, and no DNS query leaves the machine.
    pub async fn start(profile_dir: &Path, width: u32, height: u32) -> Chromium {
        for program in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: run tests/run (apt-get install chromium chromium-driver)"
            );
        }
        let _ = std::fs::remove_dir_all(profile_dir);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut command = Command::new(CHROMEDRIVER);
        command
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        super::child::dies_with_the_test(&mut command);
        let driver = Some(command.spawn().unwrap());
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
                         format!("--window-size={width},{height}"),
                         format!("--user-data-dir={}", profile_dir.display())]
            }
        }))
        .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        // A guard first, so a failed connection still stops the driver.
        let mut guard = Stop(driver);
        let client = connect(&url, caps).await;
        Chromium { client, driver_url: url, driver: guard.0.take() }
    }

    /// Runs `script` in every document the session opens from now on,
    /// before the document's own scripts (DevTools'
    /// `Page.addScriptToEvaluateOnNewDocument`, through chromedriver's
    /// `goog/cdp/execute`: W3C WebDriver has no such command).
    pub async fn run_before_each_document(&self, script: &str) {
        let session = self.client.session_id().await.unwrap().expect("a WebDriver session");
        let url = format!("{}/session/{session}/goog/cdp/execute", self.driver_url);
        let body =
            serde_json::json!({ "cmd": "Page.addScriptToEvaluateOnNewDocument", "params": { "source": script } });
        let response = reqwest::Client::new().post(&url).json(&body).send().await.unwrap();
        let status = response.status();
        assert!(status.is_success(), "POST {url}: {status} {}", response.text().await.unwrap_or_default());
    }

    /// Ends the session, then stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        drop(Stop(self.driver.take()));
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        drop(Stop(self.driver.take()));
    }
}

async fn connect(url: &str, caps: serde_json::Map<String, serde_json::Value>) -> Client {
    let started = Instant::now();
    loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(url).await {
            Ok(c) => return c,
            Err(_) if started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("chromedriver at {url}: {e}"),
        }
    }
}

/// Stops chromedriver and the browser it started, each by its PID, and
/// reaps chromedriver. A SIGTERM ends chromedriver but not its browser (a
/// test that panicked with the session open left Chromium running for
/// hours), so the browser's PID is read first: the processes whose parent
/// is chromedriver. The browser ends its own renderers and helpers.
struct Stop(Option<Child>);

impl Drop for Stop {
    fn drop(&mut self) {
        let Some(mut child) = self.0.take() else { return };
        let browsers = children_of(child.id());
        for pid in browsers.iter().copied().chain([child.id()]) {
            // SAFETY: chromedriver is our child, not yet reaped; the browsers
            // are its children, read just now.
            unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        let alive = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "));
        let mut reaped = false;
        while Instant::now() < deadline {
            reaped = reaped || matches!(child.try_wait(), Ok(Some(_)));
            if reaped && !browsers.iter().any(|&pid| alive(pid)) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        for &pid in browsers.iter().filter(|&&pid| alive(pid)) {
            // SAFETY: as above; still running after the deadline.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// The PIDs of the processes whose parent is `parent` (from /proc).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // The parent is the second field after the command's ")".
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<u32>().ok())
                    == Some(parent)
            })
        })
        .collect()
}
