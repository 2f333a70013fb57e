//! Walking folders the runs write: tests/integration/runner.rs and
//! tests/integration/report_consumers.rs include this file by path.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every file under `dir`, sorted; none when it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}
