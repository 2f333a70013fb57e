//! A `junit.xml` checked against the Jenkins xUnit plugin's `junit-10.xsd`
//! (`tests/schemas/`) by a real validator: `xmllint --schema` (Debian
//! `libxml2-utils`, which `tests/run` installs when it is missing).
//!
//! Shared by the report tests (`src/report/tests.rs`) and the runner's
//! (`tests/integration/runner.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The schema, in this repository.
pub fn schema() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd")
}

/// Panics, with xmllint's words, unless `xml` (named `what` in the message)
/// is valid against junit-10.xsd.
pub fn assert_valid(xml: &str, what: &str) {
    let file = std::env::temp_dir().join(format!(
        "mitid-e2e-junit-{}-{}.xml",
        std::process::id(),
        what.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>()
    ));
    std::fs::write(&file, xml).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let out = Command::new("xmllint").arg("--noout").arg("--schema").arg(schema()).arg(&file).output();
    let _ = std::fs::remove_file(&file);
    let out = out.unwrap_or_else(|e| {
        panic!("xmllint cannot run ({e}): install Debian's libxml2-utils (tests/run does) to check {what}")
    });
    assert!(
        out.status.success(),
        "{what} is not valid against tests/schemas/junit-10.xsd:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}
