//! The phones each scenario attempt leased, keyed by the scenario's file
//! and line as the report names them: the World notes each lease in the
//! run's ledger; the runner's report gives them to its scenarios, and the
//! history records them.

use std::collections::BTreeMap;
use std::path::Path;

use mitid_e2e_framework::profile::PhoneProfile;

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

/// A phone an attempt leased.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PhoneRecord {
    /// Its udid.
    pub udid: String,
    /// Its model, if the profile says.
    pub model: String,
    /// Its OS version.
    pub os_version: String,
    /// Its rig.
    pub rig: String,
    /// Its platform ("Android", "iOS"), for the console and the reports;
    /// the history does not keep it (empty when read back from a store).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub platform: String,
}

impl PhoneRecord {
    /// How the console names it: "Galaxy S24 (Android 14)", or its udid
    /// when the profile gives no model.
    pub fn shown(&self) -> String {
        let name = if self.model.is_empty() { &self.udid } else { &self.model };
        let os = [self.platform.as_str(), self.os_version.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        if os.is_empty() {
            name.clone()
        } else {
            format!("{name} ({os})")
        }
    }
}
