//! Suite sensitivity: against each defective build of the virtual farm, the
//! suite turns red in exactly the scenarios tagged for the broken rule, by
//! the rule's own checks: these runs leave the approved screen texts out
//! (`--no-screen-texts`), which would otherwise also catch a defect that
//! changes a screen (three attempts left after a wrong PIN) before the rule's
//! check is reached. A defect no scenario is tagged to catch fails this test.
//! A defect that changes a text no step names is caught by the approved
//! screen texts alone, in exactly the scenarios that pass its screen.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use mitid_sim::Defect;

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One scenario as Cucumber JSON names it: "file:line name".
type Scenario = String;

struct Outcome {
    code: i32,
    failed: BTreeSet<Scenario>,
    tagged: BTreeSet<Scenario>,
    output: String,
    /// The run's Cucumber JSON.
    features: serde_json::Value,
    /// The pending approvals (`.snap.new`) the run wrote, relative to the
    /// approved texts' folder.
    pending: BTreeSet<String>,
    /// The failed scenarios whose failing step is the approved screen texts'.
    by_texts: BTreeSet<Scenario>,
}

/// The `.snap.new` files under `dir`, relative to it.
fn pending_in(dir: &std::path::Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.to_string_lossy().ends_with(".snap.new") {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

/// A copy of the approved screen texts, so what a defective run proposes
/// (`.snap.new`) is written there, not into the project's fixtures.
fn copy_screen_texts(to: &std::path::Path) {
    let from = PathBuf::from(ROOT).join("fixtures/screens");
    let mut todo = vec![from.clone()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            let target = to.join(p.strip_prefix(&from).unwrap());
            if p.is_dir() {
                std::fs::create_dir_all(&target).unwrap();
                todo.push(p);
            } else if !p.to_string_lossy().ends_with(".snap.new") {
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::copy(&p, &target).unwrap();
            }
        }
    }
}

/// Whether a run compares screens with their approved texts.
#[derive(Clone, Copy, PartialEq)]
enum Texts {
    Checked,
    NotChecked,
}

fn run_with(defect: Defect, texts: Texts) -> Outcome {
    let dir: PathBuf = std::env::temp_dir().join(format!("mitid-defect-{}-{}", defect.name(), std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // The farm answers at once: a failing check need not wait 5 s to be sure.
    let profile = std::fs::read_to_string(PathBuf::from(ROOT).join("devices/virtual.toml")).unwrap();
    for setting in ["find = 5", "message = 5"] {
        assert!(profile.contains(setting), "devices/virtual.toml no longer has '{setting}': update this test");
    }
    let profile = profile.replace("find = 5", "find = 1").replace("message = 5", "message = 1");
    let profile_path = dir.join("virtual-fast.toml");
    std::fs::write(&profile_path, profile).unwrap();
    let screens = dir.join("screens");
    copy_screen_texts(&screens);
    let texts_args = match texts {
        Texts::Checked => vec!["--screen-texts".to_owned(), screens.display().to_string()],
        Texts::NotChecked => vec!["--no-screen-texts".to_owned()],
    };
    let out = Command::new(BIN)
        .args(["run", "--defect", &defect.name(), "--profile", profile_path.to_str().unwrap()])
        .args(["--report-dir", dir.join("reports").to_str().unwrap()])
        .args(&texts_args)
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let json =
        std::fs::read_to_string(dir.join("reports/latest/cucumber.json")).unwrap_or_else(|e| panic!("{e}\n{output}"));
    let pending = pending_in(&screens);
    let _ = std::fs::remove_dir_all(&dir);
    let features: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tag = format!("@{}", defect.rule_tag());
    let (mut failed, mut tagged, mut by_texts) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for f in features.as_array().unwrap() {
        // A scenario the run left out (and reports as skipped) ran nothing.
        for e in f["elements"].as_array().unwrap().iter().filter(|e| e["left_out"].is_null()) {
            let id = format!("{}:{} {}", f["uri"].as_str().unwrap(), e["line"], e["name"].as_str().unwrap());
            if e["status"] == "failed" {
                failed.insert(id.clone());
                let texts = e["steps"].as_array().unwrap().iter().any(|s| {
                    s["result"]["status"] == "failed"
                        && s["result"]["error_message"]
                            .as_str()
                            .unwrap_or_default()
                            .contains("does not show its approved texts")
                });
                if texts {
                    by_texts.insert(id.clone());
                }
            }
            if e["tags"].as_array().unwrap().iter().any(|t| t["name"] == tag.as_str()) {
                tagged.insert(id);
            }
        }
    }
    Outcome { code: out.status.code().unwrap_or(-1), failed, tagged, output, features, pending, by_texts }
}

#[test]
fn each_defect_turns_exactly_its_rules_scenarios_red() {
    // Two runs at a time: the machine has two cores.
    // A changed text breaks no rule: see the test below. The approved texts
    // are not checked here, so each rule is seen caught by its own checks.
    let defects: Vec<Defect> = Defect::ALL.into_iter().filter(|d| d.changed_screen().is_none()).collect();
    let mut outcomes = Vec::new();
    for pair in defects.chunks(2) {
        let handles: Vec<_> =
            pair.iter().map(|&d| std::thread::spawn(move || (d, run_with(d, Texts::NotChecked)))).collect();
        outcomes.extend(handles.into_iter().map(|h| h.join().unwrap()));
    }
    println!("\n{:<36} {:<32} caught by", "defect", "rule");
    let mut problems = Vec::new();
    for (d, o) in &outcomes {
        println!("{:<36} @{:<31} {} scenario(s)", d.name(), d.rule_tag(), o.failed.len());
        for s in &o.failed {
            println!("{:<70} {s}", "");
        }
        if o.tagged.is_empty() {
            problems.push(format!("{}: no scenario is tagged @{} to catch it", d.name(), d.rule_tag()));
        }
        if o.code != 1 {
            problems.push(format!("{}: the run exited {} instead of 1\n{}", d.name(), o.code, o.output));
        }
        // The rule's own checks, alone: exactly its scenarios turn red.
        let untagged: Vec<_> = o.failed.difference(&o.tagged).collect();
        let green: Vec<_> = o.tagged.difference(&o.failed).collect();
        if !untagged.is_empty() || !green.is_empty() {
            problems.push(format!(
                "{}: failed but not tagged @{}: {untagged:?}; tagged but still green: {green:?}",
                d.name(),
                d.rule_tag(),
            ));
        }
        if !o.by_texts.is_empty() || !o.pending.is_empty() {
            problems.push(format!("{}: the approved texts were checked in a run without them", d.name()));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Whether a scenario passes the waiting screen, by the documentation: the
/// waiting period starts at step 6, so a walk over step 6 passes it, and so
/// does a scenario that says "the waiting period has started". (A scenario
/// that only presses "Start copying" may be refused instead, as with three
/// apps already.)
fn passes_waiting_screen(scenario: &serde_json::Value) -> bool {
    let walk = regex::Regex::new(r"^I (?:have followed|follow) steps (\d+) to (\d+)$").unwrap();
    scenario["steps"].as_array().unwrap().iter().any(|step| {
        let name = step["name"].as_str().unwrap_or_default();
        let over_step_6 =
            walk.captures(name).is_some_and(|c| c[1].parse::<u32>().unwrap() <= 6 && c[2].parse::<u32>().unwrap() >= 6);
        over_step_6
            || ["the waiting period has started", "er ventetiden startet", "ventetiden er startet"].contains(&name)
    })
}

#[test]
fn a_changed_word_fails_exactly_the_scenarios_that_pass_its_screen() {
    let defect = Defect::WaitingTextChanged;
    assert_eq!(defect.changed_screen(), Some("waiting"));
    let o = run_with(defect, Texts::Checked);
    assert_eq!(o.code, 1, "the run must fail\n{}", o.output);
    let mut expected = BTreeSet::new();
    let mut messages = Vec::new();
    for f in o.features.as_array().unwrap() {
        for e in f["elements"].as_array().unwrap().iter().filter(|e| e["left_out"].is_null()) {
            let id = format!("{}:{} {}", f["uri"].as_str().unwrap(), e["line"], e["name"].as_str().unwrap());
            if passes_waiting_screen(e) {
                expected.insert(id.clone());
            }
            let failed = e["steps"].as_array().unwrap().iter().find(|s| s["result"]["status"] == "failed");
            if let Some(step) = failed {
                messages.push((id, step["result"]["error_message"].as_str().unwrap_or_default().to_owned()));
            }
        }
    }
    assert!(expected.len() >= 10, "too few scenarios pass the waiting screen to prove anything: {expected:?}");
    assert_eq!(
        o.failed,
        expected,
        "failed but do not pass the waiting screen: {:?}; pass it but stayed green: {:?}\n{}",
        o.failed.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&o.failed).collect::<Vec<_>>(),
        o.output
    );
    // Each fails naming the phone, the screen, its approved file and the changed line.
    for (id, m) in &messages {
        for needle in [
            "phone (",
            "the screen 'waiting' does not show its approved texts",
            "en/waiting.snap)",
            "- line 2: You can close the MitID app while waiting. You'll receive a notification",
            "+ line 2: You can close the MitID app while waiting. You'll get a notification",
            "cargo insta review",
        ] {
            assert!(m.contains(needle), "{id}: the failure does not say '{needle}':\n{m}");
        }
    }
    // What QA would approve: the waiting screen's files, and nothing else.
    assert!(!o.pending.is_empty(), "no .snap.new was written");
    for p in &o.pending {
        assert!(p.ends_with("/en/waiting.snap.new"), "an unexpected proposal: {p} (all: {:?})", o.pending);
    }
}

/// Whether a scenario shows the old phone's QR code, by the documentation:
/// the code appears once the Bluetooth prompts of step 11 are answered, so a
/// walk over step 11 shows it, and so does a scenario that says it sees it.
fn shows_qr_code(scenario: &serde_json::Value) -> bool {
    let walk = regex::Regex::new(r"^I (?:have followed|follow) steps (\d+) to (\d+)$").unwrap();
    scenario["steps"].as_array().unwrap().iter().any(|step| {
        let name = step["name"].as_str().unwrap_or_default();
        let over_step_11 = walk
            .captures(name)
            .is_some_and(|c| c[1].parse::<u32>().unwrap() <= 11 && c[2].parse::<u32>().unwrap() >= 11);
        over_step_11
            || name.contains("QR code that is valid for 3 minutes")
            || name.contains("QR-kode, der er gyldig i 3 minutter")
    })
}

#[test]
fn a_countdown_a_minute_off_fails_exactly_the_scenarios_that_show_the_qr_code() {
    let defect = Defect::QrTimeLeftWrong;
    assert_eq!(defect.changed_screen(), Some("qr_code"));
    let o = run_with(defect, Texts::Checked);
    assert_eq!(o.code, 1, "the run must fail\n{}", o.output);
    let mut expected = BTreeSet::new();
    for f in o.features.as_array().unwrap() {
        for e in f["elements"].as_array().unwrap().iter().filter(|e| e["left_out"].is_null()) {
            let id = format!("{}:{} {}", f["uri"].as_str().unwrap(), e["line"], e["name"].as_str().unwrap());
            if shows_qr_code(e) {
                expected.insert(id.clone());
            }
            // Each fails on the countdown, naming what it shows and what the clock leaves.
            if let Some(step) = e["steps"].as_array().unwrap().iter().find(|s| s["result"]["status"] == "failed") {
                let m = step["result"]["error_message"].as_str().unwrap_or_default();
                assert!(
                    m.contains("the screen 'qr_code' shows 4:00 left of the QR code") && m.contains("3:00"),
                    "{id}: not failed by the countdown:\n{m}"
                );
            }
        }
    }
    assert!(expected.len() >= 10, "too few scenarios show the QR code to prove anything: {expected:?}");
    assert_eq!(
        o.failed,
        expected,
        "failed but show no QR code: {:?}; show it but stayed green: {:?}\n{}",
        o.failed.difference(&expected).collect::<Vec<_>>(),
        expected.difference(&o.failed).collect::<Vec<_>>(),
        o.output
    );
    // The words did not change: nothing for QA to approve.
    assert!(o.pending.is_empty(), "a countdown a minute off proposed new texts: {:?}", o.pending);
}
