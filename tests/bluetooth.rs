//! The Bluetooth features over BlueZ, as CI runs them: a private
//! `dbus-daemon` (its config and socket in a temp folder) and BlueZoo (a
//! BlueZ emulator, `.tools/bluez-venv`, made by `bash tests/env/bluez-env.sh`)
//! with seven adapters: hci0..hci5 for the farm's six phones, hci6 for the
//! host probe. `mitid-e2e run --profile devices/virtual-bluez.toml` runs
//! with `DBUS_SYSTEM_BUS_ADDRESS` pointing at the private bus: the farm
//! registers its beacons through BlueZ and btleplug hears them.
//!
//! Also: the host adapter removed mid-run (BlueZoo's
//! `org.bluezoo.Manager1.RemoveAdapter`, done the moment the probe starts
//! scanning) fails the scenario with "gone (removed or unplugged)", not a
//! hang; the host adapter powered off, and the bus unreachable, are named.
//!
//! Every process is stopped by its PID in a guard's Drop, also when a test
//! fails. D-Bus calls from the test go through `dbus-send` (Debian's
//! dbus-bin, which comes with dbus-daemon).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const HOST_ADAPTER: u8 = 6;

/// A private system bus with BlueZoo on it, stopped (both, by PID) on drop:
/// BlueZoo outlives its bus otherwise.
struct Bluezoo {
    dir: PathBuf,
    address: String,
    dbus: Child,
    zoo: Option<Child>,
}

impl Bluezoo {
    fn start(name: &str) -> Bluezoo {
        let bluezoo = Path::new(ROOT).join(".tools/bluez-venv/bin/bluezoo");
        assert!(
            bluezoo.exists(),
            "{} is missing: run `bash tests/env/bluez-env.sh` first (tests/run does)",
            bluezoo.display()
        );
        let dir = std::env::temp_dir().join(format!("mitid-e2e-bt-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let socket = dir.join("system_bus_socket");
        let config = dir.join("dbus-system.conf");
        std::fs::write(&config, bus_config(&socket)).unwrap();
        let dbus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .arg("--nofork")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("dbus.log")).unwrap())
            .spawn()
            .expect("dbus-daemon runs (Debian: apt-get install dbus-daemon)");
        let address = format!("unix:path={}", socket.display());
        let mut me = Bluezoo { dir, address, dbus, zoo: None };
        wait_until("the private dbus-daemon's socket", Duration::from_secs(5), || socket.exists());
        let mut zoo = Command::new(&bluezoo);
        zoo.args(["--auto-enable", "--scan-interval", "1"]);
        for i in 0..=HOST_ADAPTER {
            zoo.args(["-a", &format!("00:00:00:00:00:{:02X}", i + 1)]);
        }
        let log = std::fs::File::create(me.dir.join("bluezoo.log")).unwrap();
        me.zoo = Some(
            zoo.env("DBUS_SYSTEM_BUS_ADDRESS", &me.address)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("bluezoo runs"),
        );
        let host = format!("/org/bluez/hci{HOST_ADAPTER}");
        wait_until("BlueZoo's adapters", Duration::from_secs(15), || me.get(&host, "Powered").is_some_and(|v| v.contains("true")));
        me
    }

    /// `dbus-send` on the private bus; its output, or None when it failed.
    fn send(&self, args: &[&str]) -> Option<String> {
        let out: Output = Command::new("dbus-send")
            .arg(format!("--bus={}", self.address))
            .args(["--print-reply", "--reply-timeout=2000", "--dest=org.bluez"])
            .args(args)
            .output()
            .expect("dbus-send runs (Debian: dbus-bin)");
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn get(&self, path: &str, property: &str) -> Option<String> {
        self.send(&[
            path,
            "org.freedesktop.DBus.Properties.Get",
            "string:org.bluez.Adapter1",
            &format!("string:{property}"),
        ])
    }

    fn power_off(&self, adapter: u8) {
        self.send(&[
            &format!("/org/bluez/hci{adapter}"),
            "org.freedesktop.DBus.Properties.Set",
            "string:org.bluez.Adapter1",
            "string:Powered",
            "variant:boolean:false",
        ])
        .expect("Powered=false");
    }

    fn remove_adapter(&self, adapter: u8) {
        self.send(&["/org/bluezoo", "org.bluezoo.Manager1.RemoveAdapter", &format!("byte:{adapter}")]).expect("RemoveAdapter");
    }

    /// `mitid-e2e run ...` on this bus.
    fn run(&self, args: &[&str]) -> Child {
        Command::new(BIN)
            .args(args)
            .current_dir(ROOT)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs")
    }

    fn reports(&self) -> String {
        self.dir.join("reports").display().to_string()
    }
}

impl Drop for Bluezoo {
    fn drop(&mut self) {
        if let Some(zoo) = &mut self.zoo {
            let _ = zoo.kill();
            let _ = zoo.wait();
        }
        let _ = self.dbus.kill();
        let _ = self.dbus.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `mitid-e2e` child killed by its PID if the test ends before it does.
struct Running(Option<Child>);

impl Running {
    fn finish(mut self, limit: Duration) -> (i32, String) {
        let mut child = self.0.take().unwrap();
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > limit {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!("mitid-e2e ran past {limit:?}: a hang\n{}", text(&out));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap();
        (out.status.code().unwrap_or(-1), text(&out))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn bus_config(socket: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"#,
        socket.display()
    )
}

fn wait_until(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < limit, "{what} not ready within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A feature that only listens: the beacon is on the air (the QR code is
/// shown), and "gone" keeps listening for it, so the probe is scanning
/// for seconds: time for the test to pull the adapter.
const LISTENING: &str = "
@bluetooth
Feature: the host probe listens
  Background:
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @android-14
  Scenario: the probe listens while the QR code is shown
    Given I have followed steps 1 to 12
    Then the beacon is gone after the QR code expires
";

fn scratch_feature(zoo: &Bluezoo) -> String {
    let path = zoo.dir.join("listening.feature");
    std::fs::write(&path, LISTENING).unwrap();
    path.display().to_string()
}

#[test]
fn the_bluetooth_features_pass_over_bluezoo_with_btleplug_hearing_the_beacons() {
    let zoo = Bluezoo::start("green");
    let reports = zoo.reports();
    let run = Running(Some(zoo.run(&[
        "run",
        "--profile",
        "devices/virtual-bluez.toml",
        "features/bluetooth",
        "--report-dir",
        &reports,
    ])));
    let (code, out) = run.finish(Duration::from_secs(120));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("scenarios: 3 passed, 0 failed"), "{out}");
    // The Bluetooth trace is attached to the steps that heard the beacon:
    // an old phone's adapter (hci0..hci5, never the host's), a token digest, RSSI.
    let json = std::fs::read_to_string(Path::new(&reports).join("latest/cucumber.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&json).unwrap();
    let mut traces = Vec::new();
    for feature in report.as_array().unwrap() {
        for scenario in feature["elements"].as_array().unwrap() {
            for step in scenario["steps"].as_array().unwrap() {
                for e in step["embeddings"].as_array().into_iter().flatten() {
                    if e["name"] == "Bluetooth trace" {
                        use base64::Engine as _;
                        let data = base64::engine::general_purpose::STANDARD.decode(e["data"].as_str().unwrap()).unwrap();
                        traces.push(String::from_utf8(data).unwrap());
                    }
                }
            }
        }
    }
    let seen: Vec<&String> = traces.iter().filter(|t| t.starts_with("seen by host adapter hci6")).collect();
    assert_eq!(seen.len(), 3, "{traces:#?}");
    // The Android outline row runs on rig a (hci0), the iPhone row on rig b (hci2).
    assert!(seen[0].contains("address 00:00:00:00:00:01"), "{traces:#?}");
    assert!(seen[1].contains("address 00:00:00:00:00:03"), "{traces:#?}");
    for trace in &seen {
        let phone = (1..=6).any(|i| trace.contains(&format!("address 00:00:00:00:00:{i:02X} ")));
        assert!(phone && trace.contains("token digest fnv1a64:") && trace.contains("RSSI 0 dBm"), "{trace}");
    }
    assert_eq!(traces.iter().filter(|t| t.starts_with("gone:")).count(), 3, "{traces:#?}");
}

#[test]
fn the_host_adapter_pulled_mid_run_fails_the_scenario_saying_so_not_a_hang() {
    let zoo = Bluezoo::start("unplugged");
    let feature = scratch_feature(&zoo);
    let reports = zoo.reports();
    let run = Running(Some(zoo.run(&["run", "--profile", "devices/virtual-bluez.toml", &feature, "--report-dir", &reports])));
    // The moment the probe starts scanning on the host adapter, pull it.
    let host = format!("/org/bluez/hci{HOST_ADAPTER}");
    wait_until("the probe scanning on the host adapter", Duration::from_secs(60), || {
        zoo.get(&host, "Discovering").is_some_and(|v| v.contains("true"))
    });
    let pulled = Instant::now();
    zoo.remove_adapter(HOST_ADAPTER);
    let (code, out) = run.finish(Duration::from_secs(60));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("is gone (removed or unplugged)"), "{out}");
    assert!(!out.contains("did not finish within its deadline"), "{out}");
    // The step noticed within about a second; the run then only closes up.
    assert!(pulled.elapsed() < Duration::from_secs(15), "took {:?}\n{out}", pulled.elapsed());
}

#[test]
fn a_powered_off_host_adapter_is_named() {
    let zoo = Bluezoo::start("off");
    zoo.power_off(HOST_ADAPTER);
    let feature = scratch_feature(&zoo);
    let reports = zoo.reports();
    let run = Running(Some(zoo.run(&["run", "--profile", "devices/virtual-bluez.toml", &feature, "--report-dir", &reports])));
    let (code, out) = run.finish(Duration::from_secs(60));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("hci6 (00:00:00:00:00:07) is powered off"), "{out}");
}

#[test]
fn an_unreachable_bus_is_named_and_the_run_stops_at_once() {
    let dir = std::env::temp_dir().join(format!("mitid-e2e-bt-nobus-{}", std::process::id()));
    let started = Instant::now();
    let out = Command::new(BIN)
        .args(["run", "--profile", "devices/virtual-bluez.toml", "features/bluetooth"])
        .current_dir(ROOT)
        .env("DBUS_SYSTEM_BUS_ADDRESS", format!("unix:path={}/none", dir.display()))
        .output()
        .unwrap();
    let out_text = text(&out);
    assert_eq!(out.status.code(), Some(2), "{out_text}");
    assert!(out_text.contains("DBUS_SYSTEM_BUS_ADDRESS"), "{out_text}");
    assert!(started.elapsed() < Duration::from_secs(10), "{out_text}");
}

/// The in-memory radio and the BlueZ radio give the same results: the whole
/// suite on the BlueZ profile passes as it does on the default one, plus
/// the @bluetooth scenarios the default one leaves out.
#[test]
fn the_whole_suite_passes_on_the_bluez_radio_as_on_the_memory_radio() {
    let zoo = Bluezoo::start("suite");
    let reports = zoo.reports();
    let run = Running(Some(zoo.run(&["run", "--profile", "devices/virtual-bluez.toml", "--report-dir", &reports])));
    let (code, bluez) = run.finish(Duration::from_secs(300));
    assert_eq!(code, 0, "{bluez}");
    let out = Command::new(BIN).args(["run", "--report-dir", &reports]).current_dir(ROOT).output().unwrap();
    let memory = text(&out);
    assert_eq!(out.status.code(), Some(0), "{memory}");
    let passed = |s: &str| -> usize {
        let line = s.lines().find(|l| l.starts_with("scenarios: ")).unwrap_or_default().to_owned();
        line.trim_start_matches("scenarios: ").split(' ').next().unwrap_or("0").parse().unwrap_or(0)
    };
    let left_out: usize = memory
        .lines()
        .find(|l| l.contains("@bluetooth scenario(s) not run"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .expect("the default run names the @bluetooth scenarios it leaves out");
    assert_eq!(passed(&bluez), passed(&memory) + left_out, "BlueZ:\n{bluez}\nmemory:\n{memory}");
}
