//! The approved screen texts speak insta's own file format: what a run
//! proposes (`.snap.new`) is what the real `cargo insta` lists and accepts,
//! and what it accepts is what the next run approves. Needs
//! `bash tests/install/insta-env.sh` first (the test fails, saying so, without it).

use std::path::{Path, PathBuf};
use std::process::Command;

use mitid_e2e_framework::profile::Platform;
use mitid_e2e_framework::screens::{ScreenTexts, Shown};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn tool_dir() -> PathBuf {
    std::env::var_os("MITID_INSTA_DIR").map_or_else(|| Path::new(ROOT).join(".tools/cargo-insta"), PathBuf::from)
}

/// `cargo insta ARGS` in `dir`, with the project's cargo-insta first on PATH.
fn cargo_insta(dir: &Path, args: &[&str]) -> String {
    let bin = tool_dir().join("bin");
    assert!(
        bin.join("cargo-insta").is_file(),
        "cargo-insta is not installed in {}: run `bash tests/install/insta-env.sh` first",
        bin.display()
    );
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let out = Command::new("cargo")
        .arg("insta")
        .args(args)
        .current_dir(dir)
        .env("PATH", path)
        // Never waits for a person.
        .env("CI", "true")
        .output()
        .expect("cargo runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "cargo insta {args:?} failed:\n{text}");
    text
}

fn lines(l: &[&str]) -> Vec<String> {
    l.iter().map(|s| s.to_string()).collect()
}

#[test]
fn cargo_insta_lists_and_accepts_what_a_run_proposes() {
    let dir = std::env::temp_dir().join(format!("mitid-screen-texts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // A package of its own: cargo-insta looks for pending files in the packages' folders.
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"screens-review\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    let screens = dir.join("fixtures/screens");
    std::fs::create_dir_all(screens.join("android/en")).unwrap();
    std::fs::copy(Path::new(ROOT).join("fixtures/screens/screens.toml"), screens.join("screens.toml")).unwrap();
    std::fs::copy(
        Path::new(ROOT).join("fixtures/screens/android/en/waiting.snap"),
        screens.join("android/en/waiting.snap"),
    )
    .unwrap();

    let before = ScreenTexts::load(&screens).unwrap();
    let snap = std::fs::read_to_string(screens.join("android/en/waiting.snap")).unwrap();
    let mut shown: Vec<String> = snap.split("\n---\n").nth(1).unwrap().lines().map(str::to_owned).collect();
    let now = Shown { screen: "waiting".into(), texts: shown.clone(), clocks: vec![] };
    before.check(Platform::Android, "en", &now).expect("the shipped waiting screen is approved");
    shown[1] = shown[1].replace("You'll receive", "You'll get");
    let changed = Shown { screen: "waiting".into(), texts: shown, clocks: vec![] };
    // A run that sees only the changed text proposes it in place of the old.
    let run = ScreenTexts::load(&screens).unwrap();
    run.check(Platform::Android, "en", &changed).expect_err("a changed word fails");
    assert!(screens.join("android/en/waiting.snap.new").is_file());

    let pending = cargo_insta(&dir, &["pending-snapshots"]);
    assert!(pending.contains("fixtures/screens/android/en/waiting.snap"), "{pending}");
    cargo_insta(&dir, &["accept"]);
    assert!(!screens.join("android/en/waiting.snap.new").exists(), "accept leaves no pending file");

    // The next run approves the accepted text, and no longer the old one.
    let next = ScreenTexts::load(&screens).unwrap();
    next.check(Platform::Android, "en", &changed).expect("the accepted text is approved");
    next.check(Platform::Android, "en", &now).expect_err("the old text is no longer approved");
    let other = Shown { screen: "waiting".into(), texts: lines(&["The waiting period has started"]), clocks: vec![] };
    next.check(Platform::Android, "en", &other).expect_err("a screen with a line missing fails");
    let _ = std::fs::remove_dir_all(&dir);
}
