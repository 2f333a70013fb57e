//! The phones each scenario attempt leased, keyed by the scenario's file
//! and line as the report names them: the World notes each lease in the
//! run's ledger, the report gives them to its scenarios ([`fill`]), and the
//! history records them.

use std::collections::BTreeMap;
use std::path::Path;

use mitid_e2e_framework::profile::PhoneProfile;

use super::PhoneRecord;

/// Per scenario (`file`, `line`), the phones of each attempt that leased, in order.
#[derive(Debug, Clone, Default)]
pub struct Leases(BTreeMap<(String, usize), Vec<Vec<PhoneRecord>>>);

impl Leases {
    /// The phones of each attempt of the scenario at `file:line`.
    pub fn of(&self, file: &str, line: usize) -> &[Vec<PhoneRecord>] {
        self.0.get(&(file.to_owned(), line)).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Notes that the scenario at `path:line` (as cucumber names it) leased `phones`.
    pub fn note(&mut self, path: Option<&Path>, line: usize, phones: &[&PhoneProfile]) {
        let file = match path {
            Some(p) if std::env::current_dir().is_ok_and(|d| p.starts_with(d)) => report_path(Some(p)),
            other => path_or_q(other).display().to_string(),
        };
        let phones = phones
            .iter()
            .map(|p| PhoneRecord {
                udid: p.udid.clone(),
                model: p.model.clone().unwrap_or_default(),
                os_version: p.os_version.clone(),
                rig: p.rig.clone(),
                platform: p.platform.name().to_owned(),
            })
            .collect();
        self.0.entry((file, line)).or_default().push(phones);
    }
}

/// The file as the report names it: relative to where the run started, when under it.
fn report_path(path: Option<&Path>) -> String {
    let path = path.unwrap_or(Path::new("?"));
    let path = std::env::current_dir().ok().and_then(|d| path.strip_prefix(d).ok().map(Path::to_path_buf));
    path.unwrap_or_else(|| path_or_q(None)).display().to_string()
}

fn path_or_q(p: Option<&Path>) -> std::path::PathBuf {
    p.unwrap_or(Path::new("?")).to_path_buf()
}

/// Gives each scenario of `report` the phones its attempts leased, each
/// once, in the order leased.
pub fn fill(report: &mut super::RunReport, leases: &Leases) {
    for f in &mut report.features {
        let file = f.path.display().to_string();
        for s in &mut f.scenarios {
            fill_one(s, leases, &file);
        }
    }
}

/// Gives the scenario `s` of the feature `file` the phones its attempts
/// leased so far, each once, in the order leased.
pub fn fill_one(s: &mut super::ScenarioReport, leases: &Leases, file: &str) {
    for phone in leases.of(file, s.line).iter().flatten() {
        if !s.phones.contains(phone) {
            s.phones.push(phone.clone());
        }
    }
}
