//! Suite sensitivity: against each defective build of the virtual farm, the
//! suite turns red in exactly the scenarios tagged for the broken rule. A
//! defect no scenario is tagged to catch fails this test.

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
}

fn run_with(defect: Defect) -> Outcome {
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
    let out = Command::new(BIN)
        .args(["run", "--defect", &defect.name(), "--profile", profile_path.to_str().unwrap()])
        .args(["--report-dir", dir.join("reports").to_str().unwrap()])
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let output = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let json =
        std::fs::read_to_string(dir.join("reports/latest/cucumber.json")).unwrap_or_else(|e| panic!("{e}\n{output}"));
    let _ = std::fs::remove_dir_all(&dir);
    let features: serde_json::Value = serde_json::from_str(&json).unwrap();
    let tag = format!("@{}", defect.rule_tag());
    let (mut failed, mut tagged) = (BTreeSet::new(), BTreeSet::new());
    for f in features.as_array().unwrap() {
        // A scenario the run left out (and reports as skipped) ran nothing.
        for e in f["elements"].as_array().unwrap().iter().filter(|e| e["left_out"].is_null()) {
            let id = format!("{}:{} {}", f["uri"].as_str().unwrap(), e["line"], e["name"].as_str().unwrap());
            if e["status"] == "failed" {
                failed.insert(id.clone());
            }
            if e["tags"].as_array().unwrap().iter().any(|t| t["name"] == tag.as_str()) {
                tagged.insert(id);
            }
        }
    }
    Outcome { code: out.status.code().unwrap_or(-1), failed, tagged, output }
}

#[test]
fn each_defect_turns_exactly_its_rules_scenarios_red() {
    // Two runs at a time: the machine has two cores.
    let defects: Vec<Defect> = Defect::ALL.to_vec();
    let mut outcomes = Vec::new();
    for pair in defects.chunks(2) {
        let handles: Vec<_> = pair.iter().map(|&d| std::thread::spawn(move || (d, run_with(d)))).collect();
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
        if o.failed != o.tagged {
            problems.push(format!(
                "{}: failed but not tagged @{}: {:?}; tagged but still green: {:?}",
                d.name(),
                d.rule_tag(),
                o.failed.difference(&o.tagged).collect::<Vec<_>>(),
                o.tagged.difference(&o.failed).collect::<Vec<_>>()
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
