//! Each scenario observes only what it caused: the whole suite stays green
//! however many scenarios run side by side. A scenario that read another's
//! push or SMS would turn a run red (or, worse, green) at some concurrency;
//! these runs sweep it, on the default profile and on a farm of 16 rigs.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The concurrencies swept once each, and those run ten times (where
/// scenarios wait for each other's phones, on the default profile's 3 rigs).
const SWEEP: [usize; 7] = [1, 2, 3, 4, 6, 8, 16];
const REPEATED: [usize; 2] = [4, 8];
const REPEATS: usize = 10;

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("mitid-e2e-isolation-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the whole suite at `concurrency`; every scenario must pass.
fn suite_is_green(profile: &Path, concurrency: usize, reports: &Path, what: &str) {
    let out = Command::new(BIN)
        .args(["run", "--profile"])
        .arg(profile)
        .args(["--concurrency", &concurrency.to_string(), "--report-dir"])
        .arg(reports)
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{what} at --concurrency {concurrency}:\n{text}");
    assert!(text.contains(" 0 failed, 0 errors"), "{what} at --concurrency {concurrency}:\n{text}");
}

fn sweep(profile: &Path, scratch: &Scratch, what: &str) {
    let reports = scratch.0.join("reports");
    for n in SWEEP {
        suite_is_green(profile, n, &reports, what);
    }
    for n in REPEATED {
        for _ in 0..REPEATS {
            suite_is_green(profile, n, &reports, what);
        }
    }
}

#[test]
fn the_suite_is_green_at_every_concurrency_on_the_default_profile() {
    let scratch = Scratch::new("default");
    sweep(&Path::new(ROOT).join("devices/virtual.toml"), &scratch, "the default profile");
}

/// The default profile's three kinds of rig (an Android 14 pair, an iOS pair,
/// Android 11 with Android 13), repeated over 16 rigs: every feature has
/// phones, and up to 16 scenarios run at once.
fn sixteen_rigs() -> String {
    let text = std::fs::read_to_string(Path::new(ROOT).join("devices/virtual.toml")).unwrap();
    let head = text.split("[[farm.phones]]").next().unwrap().to_owned();
    let kinds = [
        [("android", "14", "Pixel 8"), ("android", "14", "Pixel 7")],
        [("ios", "17.5", "iPhone 15"), ("ios", "17.5", "iPhone 13")],
        [("android", "11", "Pixel 4a"), ("android", "13", "Galaxy S22")],
    ];
    let mut out = head;
    for rig in 0..16 {
        for (k, (platform, os, model)) in kinds[rig % 3].iter().enumerate() {
            out.push_str(&format!(
                "[[farm.phones]]\nudid = \"rig{rig}-{k}\"\nplatform = \"{platform}\"\nos_version = \"{os}\"\nmodel = \"{model}\"\nrig = \"rig-{rig}\"\n\n"
            ));
        }
    }
    out
}

#[test]
fn the_suite_is_green_at_every_concurrency_on_sixteen_rigs() {
    let scratch = Scratch::new("sixteen");
    let profile = scratch.0.join("sixteen.toml");
    std::fs::write(&profile, sixteen_rigs()).unwrap();
    sweep(&profile, &scratch, "16 rigs");
}
