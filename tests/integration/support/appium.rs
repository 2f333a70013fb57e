//! A real Appium 3 server with `@appium/fake-driver`, from the project-local
//! installation `tests/install/appium-env.sh` makes (`.tools/appium`, or
//! `MITID_APPIUM_DIR`), started on 127.0.0.1 and a free port and stopped by
//! its PID when dropped: tests/integration/appium_fake_driver.rs and
//! tests/integration/conformance.rs include this file by path.
#![allow(dead_code)]

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long Appium may take to answer `GET /status`.
const STARTUP: Duration = Duration::from_secs(60);

/// Appium, started by this test; dropping it kills the process by its PID.
pub struct Appium {
    child: Child,
    pub url: String,
    log: PathBuf,
}

impl Appium {
    /// Starts `<dir>/node_modules/.bin/appium` with `dir` as its home, and
    /// `extra` arguments (`--allow-cors`).
    pub fn start(dir: &Path, work: &Path, extra: &[&str]) -> Appium {
        let bin = dir.join("node_modules/.bin/appium");
        let port = free_port();
        let log = work.join("appium.log");
        let out = File::create(&log).unwrap_or_else(|e| panic!("cannot create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone the log file handle");
        let child = Command::new(&bin)
            .args(["--address", "127.0.0.1", "--port", &port.to_string()])
            // GET /appium/sessions, to see from outside which sessions are open.
            .args(["--allow-insecure", "*:session_discovery"])
            .arg("--log-no-colors")
            .args(extra)
            // Appium 3 finds its drivers in the node_modules of its home: the
            // fake driver is listed in <dir>/package.json, nothing else is
            // installed. The working directory would be found too; say both.
            .env("APPIUM_HOME", dir)
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {} (is node on PATH?): {e}", bin.display()));
        Appium { child, url: format!("http://127.0.0.1:{port}"), log }
    }

    /// Waits until `GET /status` says ready, failing after STARTUP or when
    /// the process exits first.
    pub async fn wait_ready(&mut self, http: &reqwest::Client) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the appium process") {
                panic!("appium exited with {status} before it was ready; its log:\n{}", self.log_tail());
            }
            let ready = match http.get(format!("{}/status", self.url)).timeout(Duration::from_secs(2)).send().await {
                Ok(r) if r.status().is_success() => {
                    r.json::<Value>().await.map(|v| v["value"]["ready"] == json!(true)).unwrap_or(false)
                }
                _ => false,
            };
            if ready {
                eprintln!("appium ready at {} after {:.1?}", self.url, started.elapsed());
                return;
            }
            if started.elapsed() > STARTUP {
                panic!(
                    "appium did not answer GET {}/status within {STARTUP:?}; its log:\n{}",
                    self.url,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for Appium {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("--- the last lines of the appium log ({}) ---\n{}", self.log.display(), self.log_tail());
        }
        // Child::kill signals exactly this PID (SIGKILL); wait reaps it.
        let pid = self.child.id();
        match self.child.try_wait() {
            Ok(Some(_)) => {}
            _ => {
                if let Err(e) = self.child.kill() {
                    eprintln!("could not kill appium (pid {pid}): {e}");
                }
                let _ = self.child.wait();
            }
        }
    }
}

pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port on 127.0.0.1");
    l.local_addr().expect("local address").port()
}

/// The Appium folder made by tests/install/appium-env.sh; fails (not skips) when
/// it is missing.
pub fn appium_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var_os("MITID_APPIUM_DIR").map(PathBuf::from).unwrap_or_else(|| root.join(".tools/appium"));
    for needed in ["node_modules/.bin/appium", "node_modules/@appium/fake-driver/package.json"] {
        if !dir.join(needed).exists() {
            panic!(
                "Appium is not installed: {} is missing.\nRun `bash tests/install/appium-env.sh` first (it installs appium 3 and \
                 @appium/fake-driver into {}), then run this test again.",
                dir.join(needed).display(),
                dir.display()
            );
        }
    }
    dir
}
