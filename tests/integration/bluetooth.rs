//! The Bluetooth features over BlueZ, as CI runs them: a private
//! `dbus-daemon` (its config and socket in a temp folder) and BlueZoo (a
//! BlueZ emulator, `.tools/bluez-venv`, made by `bash tests/install/bluez-env.sh`)
//! with eight adapters: hci0..hci5 for the farm's six phones, hci6 for the
//! host probe, hci7 for the tablet (another person's device beside them);
//! and a second bus and BlueZoo for the rig `elsewhere`, out of range of the
//! first, with the same adapters (a phone carried there keeps its own). `mitid-e2e run --profile devices/virtual-bluez.toml`
//! runs with `DBUS_SYSTEM_BUS_ADDRESS` pointing at the first bus and
//! `MITID_AIR_ELSEWHERE` at the second: the farm registers its beacons
//! through BlueZ, btleplug hears them, and a phone moved out of range
//! hears nothing, as its adapter is on the other BlueZ.
//!
//! Also: the host adapter removed mid-run (BlueZoo's
//! `org.bluezoo.Manager1.RemoveAdapter`, done the moment the probe starts
//! scanning) fails the scenario with "gone (removed or unplugged)", not a
//! hang; the host adapter powered off, and the bus unreachable, are named.
//!
//! Every process is stopped by its PID in a guard's Drop, also when a test
//! fails. D-Bus calls from the test go through `dbus-send` (Debian's
//! dbus-bin, which comes with dbus-daemon).

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::bluezoo;
use bluezoo::{wait_until, Bluezoo};

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const HOST_ADAPTER: u8 = 6;
/// How many adapters each BlueZoo offers: the host's, and the tablet's after it.
const ADAPTERS: u8 = 8;
/// What devices/virtual-bluez.toml reads the air of the rig `elsewhere`
/// (where "out of Bluetooth range" moves a phone) from.
const ENV_AIR_ELSEWHERE: &str = "MITID_AIR_ELSEWHERE";
/// And the air of the place beside another person's old phone (@third-phone),
/// a bus of its own so that no other scenario's phone hears that phone there.
const ENV_AIR_BESIDE: &str = "MITID_AIR_BESIDE";

/// The lab as devices/virtual-bluez.toml expects it: one BlueZoo for the
/// room with the rigs and the host adapter (hci0..hci5 the phones, hci6 the
/// host, hci7 the tablet), one for `elsewhere` and one for the place beside
/// another person's old phone, each out of range of the others (the same
/// adapters again: a phone carried there keeps its adapter).
struct Lab {
    room: Bluezoo,
    elsewhere: Bluezoo,
    beside: Bluezoo,
}

impl Lab {
    fn start(name: &str) -> Lab {
        let root = Path::new(ROOT);
        Lab {
            room: Bluezoo::start(root, name, ADAPTERS),
            elsewhere: Bluezoo::start(root, &format!("{name}-elsewhere"), ADAPTERS),
            beside: Bluezoo::start(root, &format!("{name}-beside"), ADAPTERS),
        }
    }

    /// `mitid-e2e run ...` in this lab.
    fn run(&self, args: &[&str]) -> Child {
        self.run_with_airs(args, &self.elsewhere.address, &self.beside.address)
    }

    /// `mitid-e2e run ...` with `elsewhere` and the place beside another
    /// person's old phone on the given buses.
    fn run_with_airs(&self, args: &[&str], elsewhere: &str, beside: &str) -> Child {
        Command::new(BIN)
            .args(args)
            .current_dir(ROOT)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.room.address)
            .env(ENV_AIR_ELSEWHERE, elsewhere)
            .env(ENV_AIR_BESIDE, beside)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs")
    }

    fn reports(&self) -> String {
        self.room.dir.join("reports").display().to_string()
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

fn scratch_feature(lab: &Lab) -> String {
    let path = lab.room.dir.join("listening.feature");
    std::fs::write(&path, LISTENING).unwrap();
    path.display().to_string()
}

#[test]
fn the_bluetooth_features_pass_over_bluezoo_with_btleplug_hearing_the_beacons() {
    let lab = Lab::start("green");
    let reports = lab.reports();
    let run = Running(Some(lab.run(&[
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
                        let data =
                            base64::engine::general_purpose::STANDARD.decode(e["data"].as_str().unwrap()).unwrap();
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
    // Each token heard is the one the backend bound to the QR code shown.
    let bound: Vec<&String> =
        traces.iter().filter(|t| t.ends_with("bound to the QR code shown (checked by the test backend)")).collect();
    assert_eq!(bound.len(), 3, "{traces:#?}");
}

/// An old phone advertising a MitID beacon whose token is not the one bound
/// to its QR code (the farm's `beacon_unbound` fault, switched on in the
/// profile) fails "the host sees my old phone's MitID beacon": hearing a
/// beacon is not enough, it must be this QR session's.
#[test]
fn a_beacon_not_bound_to_the_qr_code_fails_the_host_probe() {
    let lab = Lab::start("unbound");
    let profile = lab.room.dir.join("unbound.toml");
    let text = std::fs::read_to_string(Path::new(ROOT).join("devices/virtual-bluez.toml")).unwrap();
    let anchor = "radio = \"bluez\"\n";
    assert!(text.contains(anchor), "devices/virtual-bluez.toml no longer has {anchor:?}");
    std::fs::write(&profile, text.replace(anchor, &format!("{anchor}faults = [{{ fault = \"beacon_unbound\" }}]\n")))
        .unwrap();
    let reports = lab.reports();
    let profile = profile.display().to_string();
    let args = ["run", "--profile", &profile, "features/bluetooth", "--tags", "@android-14", "--report-dir", &reports];
    let (code, out) = Running(Some(lab.run(&args))).finish(Duration::from_secs(120));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("the test backend says its token is not the one bound to the QR code shown"), "{out}");
}

/// An old phone whose app asks for the contract before (the token as
/// service data; the farm's `beacon_service_data` fault) has nothing on the
/// air over BlueZ either: an iPhone refuses that advert, an Android phone
/// cannot fit it. The host probe hears no MitID beacon.
#[test]
fn a_service_data_beacon_is_not_on_the_air_and_fails_the_host_probe() {
    let lab = Lab::start("servicedata");
    let profile = lab.room.dir.join("servicedata.toml");
    let text = std::fs::read_to_string(Path::new(ROOT).join("devices/virtual-bluez.toml")).unwrap();
    let anchor = "radio = \"bluez\"\n";
    assert!(text.contains(anchor), "devices/virtual-bluez.toml no longer has {anchor:?}");
    std::fs::write(
        &profile,
        text.replace(anchor, &format!("{anchor}faults = [{{ fault = \"beacon_service_data\" }}]\n")),
    )
    .unwrap();
    let reports = lab.reports();
    let profile = profile.display().to_string();
    let args = ["run", "--profile", &profile, "features/bluetooth", "--tags", "@ios", "--report-dir", &reports];
    let (code, out) = Running(Some(lab.run(&args))).finish(Duration::from_secs(120));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("it heard no MitID beacon at all"), "{out}");
}

/// What a scanner on the BlueZ radio receives from an iPhone's beacon is
/// what Core Bluetooth lets an app advertise: the local name and the one
/// MitID service UUID, with no service data and no manufacturer data. Read
/// from the host adapter's device object (`Device1`), as BlueZ reports the
/// advert, while the probe keeps listening on the QR code the iPhone shows.
#[test]
fn an_iphones_advert_over_bluez_holds_only_a_local_name_and_the_service_uuid() {
    let lab = Lab::start("iphone");
    let path = lab.room.dir.join("iphone.feature");
    std::fs::write(&path, LISTENING.replace("@android-14", "@ios")).unwrap();
    let feature = path.display().to_string();
    let reports = lab.reports();
    let run =
        Running(Some(lab.run(&["run", "--profile", "devices/virtual-bluez.toml", &feature, "--report-dir", &reports])));
    // The iPhone on rig b advertises on hci2 (00:00:00:00:00:03); the probe
    // forgets the device now and then, so read it whenever it is there.
    let device = format!("/org/bluez/hci{HOST_ADAPTER}/dev_00_00_00_00_00_03");
    let mut props = String::new();
    wait_until("the iPhone's beacon heard by the host adapter", Duration::from_secs(60), || {
        props = lab
            .room
            .send(&[&device, "org.freedesktop.DBus.Properties.GetAll", "string:org.bluez.Device1"])
            .unwrap_or_default();
        props.contains("\"4d494401-")
    });
    drop(run);
    let squeezed: String = props.split_whitespace().collect::<Vec<_>>().join(" ");
    // The UUID holds the beacon token: shown without it.
    let shown = redact_tokens(&props);
    for empty in ["ServiceData", "ManufacturerData"] {
        assert!(squeezed.contains(&format!(r#"string "{empty}" variant array [ ]"#)), "no {empty}: {shown}");
    }
    assert!(squeezed.contains(r#"string "Name" variant string "MitID""#), "{shown}");
    assert_eq!(squeezed.matches("\"4d494401-").count(), 1, "one MitID service UUID: {shown}");
}

/// `text` with the token part of every MitID service UUID replaced.
fn redact_tokens(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("4d494401-") {
        let end = (i + 36).min(rest.len());
        out.push_str(&rest[..i + 9]);
        out.push_str("<token>");
        rest = rest.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

#[test]
fn the_host_adapter_pulled_mid_run_fails_the_scenario_saying_so_not_a_hang() {
    let lab = Lab::start("unplugged");
    let feature = scratch_feature(&lab);
    let reports = lab.reports();
    let run =
        Running(Some(lab.run(&["run", "--profile", "devices/virtual-bluez.toml", &feature, "--report-dir", &reports])));
    // The moment the probe starts scanning on the host adapter, pull it.
    let host = format!("/org/bluez/hci{HOST_ADAPTER}");
    wait_until("the probe scanning on the host adapter", Duration::from_secs(60), || {
        lab.room.get(&host, "Discovering").is_some_and(|v| v.contains("true"))
    });
    let pulled = Instant::now();
    lab.room.remove_adapter(HOST_ADAPTER);
    let (code, out) = run.finish(Duration::from_secs(60));
    assert_eq!(code, 3, "the host adapter is the harness: an error, not a failure: {out}");
    assert!(out.contains("is gone (removed or unplugged)"), "{out}");
    assert!(!out.contains("did not finish within its deadline"), "{out}");
    // The step noticed within about a second; the run then only closes up.
    assert!(pulled.elapsed() < Duration::from_secs(15), "took {:?}\n{out}", pulled.elapsed());
}

#[test]
fn a_powered_off_host_adapter_is_named() {
    let lab = Lab::start("off");
    lab.room.power_off(HOST_ADAPTER);
    let feature = scratch_feature(&lab);
    let reports = lab.reports();
    let run =
        Running(Some(lab.run(&["run", "--profile", "devices/virtual-bluez.toml", &feature, "--report-dir", &reports])));
    let (code, out) = run.finish(Duration::from_secs(60));
    assert_eq!(code, 3, "the host adapter is the harness: an error, not a failure: {out}");
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
        .env(ENV_AIR_ELSEWHERE, format!("unix:path={}/elsewhere", dir.display()))
        .env(ENV_AIR_BESIDE, format!("unix:path={}/beside", dir.display()))
        .output()
        .unwrap();
    let out_text = text(&out);
    assert_eq!(out.status.code(), Some(2), "{out_text}");
    assert!(out_text.contains("DBUS_SYSTEM_BUS_ADDRESS"), "{out_text}");
    assert!(started.elapsed() < Duration::from_secs(10), "{out_text}");
}

#[test]
fn an_air_whose_variable_is_not_set_is_named() {
    let out = Command::new(BIN)
        .args(["run", "--profile", "devices/virtual-bluez.toml", "features/bluetooth"])
        .current_dir(ROOT)
        .env_remove(ENV_AIR_ELSEWHERE)
        .output()
        .unwrap();
    let out_text = text(&out);
    assert_eq!(out.status.code(), Some(2), "{out_text}");
    assert!(out_text.contains("air.elsewhere: the environment variable MITID_AIR_ELSEWHERE is not set"), "{out_text}");
}

/// Out of range is the air, not the rig's name: the proximity gate passes
/// with `elsewhere` on a BlueZ of its own, and fails (the new phone still
/// hears the beacon, and the scan is accepted) when `elsewhere` is on the
/// same BlueZ as the rigs, though the phone is moved to that rig all the same.
#[test]
fn out_of_range_on_bluez_is_an_adapter_that_cannot_hear_the_beacon() {
    let lab = Lab::start("range");
    let reports = lab.reports();
    let args = [
        "run",
        "--profile",
        "devices/virtual-bluez.toml",
        "features/rules/bluetooth.feature",
        "--tags",
        "@rule-bluetooth-proximity",
        "--report-dir",
        &reports,
    ];
    let (code, apart) = Running(Some(lab.run(&args))).finish(Duration::from_secs(120));
    assert_eq!(code, 0, "{apart}");
    // The plain out-of-range scenario, the one beside another person's old
    // phone (@third-phone: rig-a's tablet), out of range of the room too,
    // and the new phone slow to hear (beacon_heard_late), which waits.
    assert!(apart.contains("scenarios: 3 passed, 0 failed"), "{apart}");
    let (code, together) =
        Running(Some(lab.run_with_airs(&args, &lab.room.address, &lab.room.address))).finish(Duration::from_secs(120));
    assert_eq!(code, 1, "{together}");
    // The slow hearer is beside its old phone either way.
    assert!(together.contains("scenarios: 1 passed, 2 failed"), "{together}");
    assert!(
        together.contains("must be close to your old phone/tablet"),
        "the failure is the missing refusal:\n{together}"
    );
}

/// The in-memory radio and the BlueZ radio give the same results: the whole
/// suite on the BlueZ profile passes as it does on the default one, plus
/// the @bluetooth scenarios the default one leaves out, less those that
/// need devices the BlueZ profile has not (a tablet, a third phone).
#[test]
fn the_whole_suite_passes_on_the_bluez_radio_as_on_the_memory_radio() {
    let lab = Lab::start("suite");
    let reports = lab.reports();
    let mut args = vec!["run", "--profile", "devices/virtual-bluez.toml", "--report-dir", &reports];
    // tests/mutants --radio asks only whether the BlueZ run turns red.
    if std::env::var_os("MITID_E2E_SUITE_FAIL_FAST").is_some() {
        args.push("--fail-fast");
    }
    let run = Running(Some(lab.run(&args)));
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
    let no_devices: usize = bluez
        .lines()
        .find(|l| l.contains("scenario(s) not run: no rig of"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    assert_eq!(passed(&bluez) + no_devices, passed(&memory) + left_out, "BlueZ:\n{bluez}\nmemory:\n{memory}");
}

/// `doctor` on the BlueZ profile starts the farm on both airs and opens the
/// host adapter.
#[test]
fn doctor_names_the_radio_its_airs_and_the_host_adapter() {
    let lab = Lab::start("doctor");
    let out = lab.run(&["doctor", "--profile", "devices/virtual-bluez.toml"]).wait_with_output().unwrap();
    let out_text = text(&out);
    assert_eq!(out.status.code(), Some(0), "{out_text}");
    assert!(
        out_text.contains(
            "BlueZ radio (elsewhere on ${MITID_AIR_ELSEWHERE}, elsewhere-beside-android-14-a1 on \
             ${MITID_AIR_BESIDE}, elsewhere-beside-android-14-a2 on ${MITID_AIR_BESIDE}, other rigs on the system bus)"
        ),
        "{out_text}"
    );
    assert!(out_text.contains("hci6 (00:00:00:00:00:07)"), "{out_text}");
}
