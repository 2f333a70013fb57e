//! Editor support, proven with the real engine: the Cucumber language
//! service (behind VS Code's Cucumber extension and the Cucumber language
//! server), installed by tests/install/editor-env.sh, loads `steps/glue.rs` and
//! every feature as an editor would. It must find every phrase of the
//! catalogue, English and Danish, see no undefined step in features/, send
//! each step to the stub of the very row the runner matches it with, and
//! flag a misspelt step.

use std::path::{Path, PathBuf};
use std::process::Command;

use mitid_e2e_steps::catalogue::StepDef;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn service_dir() -> PathBuf {
    let dir = std::env::var_os("MITID_LANGUAGE_SERVICE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".tools/language-service"));
    assert!(
        dir.join("node_modules/@cucumber/language-service/dist/rust.wasm").is_file(),
        "the Cucumber language service is not installed in {}: run `bash tests/install/editor-env.sh` (tests/run does)",
        dir.display()
    );
    dir
}

fn features(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            features(&path, out);
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
}

/// What the language service says of `files`, over the committed glue.
fn language_service(files: &[PathBuf]) -> Value {
    let out = Command::new("node")
        .arg(root().join("tests/node/language-service.cjs"))
        .arg(service_dir())
        .arg(root().join("steps/glue.rs"))
        .args(files)
        .output()
        .expect("node runs (Node.js 18+ on PATH)");
    assert!(out.status.success(), "the language service failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

/// The row the runner matches `text` with.
fn row_of<'a>(text: &str, all: &'a [StepDef]) -> Vec<&'a StepDef> {
    all.iter()
        .filter(|d| {
            std::iter::once(d.phrase)
                .chain(d.danish)
                .any(|p| mitid_e2e_steps::phrases::compile(p).unwrap().is_match(text))
        })
        .collect()
}

/// The row a glue line stands for: "steps/x.rs: `body`" in the comment above it.
fn row_named_at(glue: &str, line: usize) -> String {
    let comment = glue.lines().nth(line - 2).unwrap_or_default();
    comment.trim_start_matches("/// ").split(" (proves").next().unwrap_or_default().to_owned()
}

#[test]
fn the_language_service_finds_every_phrase_and_sends_each_step_to_its_row() {
    let all = mitid_e2e_steps::all();
    let mut files = Vec::new();
    features(&root().join("features"), &mut files);
    files.sort();
    assert!(files.len() >= 10, "features/ holds {} files", files.len());

    // A feature with a misspelt step beside a right one, English and Danish.
    let scratch = std::env::temp_dir().join(format!("mitid-editor-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let typo = scratch.join("typo.feature");
    std::fs::write(
        &typo,
        "Feature: typo\n  Scenario: a typo\n    When I pres \"Activate\"\n    And I press \"Activate\"\n",
    )
    .unwrap();
    let danish = scratch.join("dansk.feature");
    std::fs::write(
        &danish,
        "# language: da\nEgenskab: d\n  Scenarie: s\n    Når jeg tager min nye telefon\n    Så ser jeg 'Activate your MitID'\n    Og jeg trykker paa \"OK\"\n",
    )
    .unwrap();
    let mut all_files = files.clone();
    all_files.extend([typo.clone(), danish.clone()]);
    let found = language_service(&all_files);
    let _ = std::fs::remove_dir_all(&scratch);

    assert_eq!(found["errors"], Value::Array(vec![]), "the language service could not read the glue");

    // Every phrase of the catalogue, once.
    let definitions: Vec<String> = found["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["expression"].as_str().unwrap().replace("\\/", "/"))
        .collect();
    let phrases: Vec<&str> = all.iter().flat_map(|d| std::iter::once(d.phrase).chain(d.danish)).collect();
    assert_eq!(definitions.len(), phrases.len(), "definitions found vs phrases in the catalogue");
    for phrase in &phrases {
        let times = definitions.iter().filter(|d| d == phrase).count();
        assert_eq!(times, 1, "the language service found \"{phrase}\" {times} times");
    }

    let glue = std::fs::read_to_string(root().join("steps/glue.rs")).unwrap();
    let by_path = |p: &Path| {
        found["features"].as_array().unwrap().iter().find(|f| Path::new(f["path"].as_str().unwrap()) == p).unwrap()
    };
    let mut steps = 0;
    for file in &files {
        let f = by_path(file);
        assert_eq!(f["undefined"], Value::Array(vec![]), "{}: the editor would flag these steps", file.display());
        for link in f["links"].as_array().unwrap() {
            let text = link["text"].as_str().unwrap();
            let targets = link["targets"].as_array().unwrap();
            assert_eq!(targets.len(), 1, "{}:{}: \"{text}\" goes to {targets:?}", file.display(), link["line"]);
            let step = text.split_once(' ').map_or(text, |(_, rest)| rest);
            let rows = row_of(step, &all);
            assert_eq!(rows.len(), 1, "the runner matches \"{step}\" with {} rows", rows.len());
            let named = row_named_at(&glue, targets[0]["line"].as_u64().unwrap() as usize);
            let row = rows[0];
            let expected = format!("{}: `{}`", row.location.path, row.body);
            assert_eq!(named, expected, "\"{step}\": where the editor goes vs the row the runner runs");
            steps += 1;
        }
    }
    assert!(steps > 200, "only {steps} steps were followed to their definition");

    // A misspelt step is flagged where it is, and only it.
    let lines = |p: &Path| -> Vec<u64> {
        by_path(p)["undefined"].as_array().unwrap().iter().map(|u| u["line"].as_u64().unwrap()).collect()
    };
    assert_eq!(lines(&typo), [3], "the misspelt English step");
    assert_eq!(lines(&danish), [6], "the misspelt Danish step");
}
