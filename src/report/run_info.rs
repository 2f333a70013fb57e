//! What a run was, written beside its reports as `run.json`: its shard, the
//! feature set it chose from, how many scenarios it selected, how it ended.
//! `report merge` reads it to refuse a merge that would lie: a shard that
//! could not read its features, a shard missing or given twice, shards of
//! different feature sets.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mitid_e2e_framework::file::{self, FileError, FileKind};
use serde::{Deserialize, Serialize};

use crate::exit::Exit;

/// `run.json`, as errors name it.
pub const RUN_JSON: FileKind = FileKind::new("run record (run.json) of mitid-e2e");

/// The file's name in a run folder.
pub const FILE_NAME: &str = "run.json";

/// What a run was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunInfo {
    /// The run's id (its folder's name).
    pub run_id: String,
    /// `[i, n]`: the i-th of n shards; `None`: the whole suite.
    pub shard: Option<(usize, usize)>,
    /// A digest of the feature files the run chose from and of its tag
    /// expression: shards of one run have the same.
    pub feature_set: String,
    /// The scenarios it selected (after tags and shard).
    pub selected: usize,
    /// How it exited: 0 passed, 1 failed, 2 configuration error, 3 errors
    /// only, 130/143 stopped by SIGINT/SIGTERM.
    pub exit_code: u8,
    /// Why it could not run everything: features that could not be parsed.
    pub problems: Vec<String>,
    /// Its wall time in seconds.
    pub duration_secs: f64,
    /// The phones it took out of the run, and why.
    pub quarantined: Vec<(String, String)>,
    /// Where and of what it ran: commit, profile, host, defects. A file
    /// written before it was recorded reads as unknown.
    #[serde(default)]
    pub meta: RunMeta,
    /// The WebDriver requests it sent: by kind, and per scenario by phone
    /// and kind (each a round trip on a real phone).
    #[serde(default)]
    pub requests: RequestTotals,
}

/// The WebDriver requests of a run, in `run.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestTotals {
    /// Kind → how many, all phones together.
    pub by_kind: std::collections::BTreeMap<String, u64>,
    /// Each scenario that sent any: "name (file:line)" → phone → kind → how many.
    pub per_scenario: std::collections::BTreeMap<String, crate::report::requests::Requests>,
}

impl RequestTotals {
    /// What `report`'s scenarios sent.
    pub fn of(report: &super::RunReport) -> RequestTotals {
        RequestTotals {
            by_kind: report.requests_by_kind(),
            per_scenario: report
                .scenarios()
                .filter(|(_, s)| !s.requests.is_empty())
                .map(|(f, s)| (format!("{} ({}:{})", s.name, f.path.display(), s.line), s.requests.clone()))
                .collect(),
        }
    }
}

/// Where and of what a run ran, for every report to say.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunMeta {
    /// `git rev-parse HEAD` where it ran, if that answered.
    pub git_commit: Option<String>,
    /// The device profile's path, as given.
    pub profile: Option<String>,
    /// The machine it ran on.
    pub host: Option<String>,
    /// The farm's defective builds it ran against (`--defect`).
    pub defects: Vec<String>,
    /// The approved screen texts were left out (`--no-screen-texts`): a
    /// gate was off, and every report says so.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub screen_texts_unchecked: bool,
}

/// `git rev-parse HEAD` in the current folder, if git is there and answers.
pub fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}

/// This machine's name.
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

impl RunMeta {
    /// Of this run, on this machine: commit, profile, host, defects, and
    /// whether the approved screen texts were checked.
    pub fn here(profile: &Path, defects: &[String], screen_texts_unchecked: bool) -> RunMeta {
        RunMeta {
            git_commit: git_commit(),
            profile: Some(profile.display().to_string()),
            host: Some(host()),
            defects: defects.to_vec(),
            screen_texts_unchecked,
        }
    }

    /// Name and value of what is known, with `shard` (`i/n`) when the run
    /// was one: `git.commit`, `profile`, `host`, `shard`, `defects`
    /// (comma-separated).
    pub fn properties(&self, shard: Option<(usize, usize)>) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(c) = &self.git_commit {
            out.push(("git.commit", c.clone()));
        }
        if let Some(p) = &self.profile {
            out.push(("profile", p.clone()));
        }
        if let Some(h) = &self.host {
            out.push(("host", h.clone()));
        }
        if let Some((i, n)) = shard {
            out.push(("shard", format!("{i}/{n}")));
        }
        if !self.defects.is_empty() {
            out.push(("defects", self.defects.join(",")));
        }
        if self.screen_texts_unchecked {
            out.push(("screen.texts", "not checked".to_owned()));
        }
        out
    }
}

impl RunInfo {
    /// Writes `run.json` into `run_dir`.
    pub fn write(&self, run_dir: &Path) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(run_dir.join(FILE_NAME), text + "\n")
    }

    /// Reads `run.json` from a run folder.
    pub fn read(run_dir: &Path) -> Result<RunInfo, FileError> {
        let path = run_dir.join(FILE_NAME);
        let text = file::read_to_string(RUN_JSON, &path)?;
        serde_json::from_str(&text).map_err(|e| FileError::invalid(RUN_JSON, &path, e.to_string()))
    }
}

/// A digest of the feature files a run chose from (their paths from the
/// project's root, and their contents) and of what else chose (`extra`: the
/// tag expression, lines, name filter): FNV-1a 64, enough to tell two
/// feature sets apart on any machine, not a security measure.
pub fn feature_set(files: &[PathBuf], root: &Path, extra: &str) -> std::io::Result<String> {
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for f in files {
        let shown = f.strip_prefix(&root).unwrap_or(f);
        eat(shown.to_string_lossy().as_bytes());
        eat(&[0]);
        eat(&std::fs::read(f)?);
        eat(&[0]);
    }
    eat(extra.as_bytes());
    Ok(format!("fnv1a64:{h:016x}"))
}

/// Why shards cannot be merged into a report that tells the truth.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ShardsError {
    /// A shard did not run its scenarios: its features could not be read,
    /// its configuration was wrong, or a signal stopped it.
    #[error("{dir}: that run ended with exit code {exit_code}{problems}: its scenarios were never judged")]
    DidNotRun {
        /// The shard's folder.
        dir: String,
        /// Its exit code.
        exit_code: u8,
        /// What it said, as ": …".
        problems: String,
    },
    /// A folder is a whole run, not a shard.
    #[error("{dir} is not a shard (it was run without --shard): there is nothing to merge it with")]
    NotAShard {
        /// The folder.
        dir: String,
    },
    /// Shards of different splits.
    #[error("{dir} is shard {i}/{n}, but {other} is of a split into {m}")]
    DifferentSplits {
        /// The folder.
        dir: String,
        /// Its index.
        i: usize,
        /// Its count.
        n: usize,
        /// Another folder.
        other: String,
        /// That one's count.
        m: usize,
    },
    /// The same shard twice.
    #[error("shard {i}/{n} is given twice: {first} and {second}")]
    Duplicate {
        /// The index.
        i: usize,
        /// The count.
        n: usize,
        /// The first folder.
        first: String,
        /// The second folder.
        second: String,
    },
    /// A shard is missing: its scenarios would be silently absent.
    #[error("shard(s) {missing} of {n} are missing: their scenarios would be absent from the merged report")]
    Missing {
        /// The missing indices, "2, 3".
        missing: String,
        /// The count.
        n: usize,
    },
    /// Shards of different feature sets or tag expressions.
    #[error("{dir} ran a different feature set or tag expression ({a}) than {other} ({b})")]
    DifferentFeatures {
        /// The folder.
        dir: String,
        /// Its digest.
        a: String,
        /// Another folder.
        other: String,
        /// That one's digest.
        b: String,
    },
    /// A shard's report holds fewer or more scenarios than it selected.
    #[error("{dir} selected {selected} scenario(s) but its report holds {reported}")]
    Incomplete {
        /// The folder.
        dir: String,
        /// What it selected.
        selected: usize,
        /// What its cucumber.json holds.
        reported: usize,
    },
}

/// Checks that `shards` (folder, its run record, the scenarios its report
/// holds) are every shard of one split of one feature set, each of which ran.
pub fn check_shards(shards: &[(String, RunInfo, usize)]) -> Result<(), ShardsError> {
    let mut seen: BTreeMap<usize, &str> = BTreeMap::new();
    let Some((first_dir, first, _)) = shards.first() else { return Ok(()) };
    for (dir, info, reported) in shards {
        // Refused (its features or configuration were wrong), stopped by a
        // signal, or an exit no run of ours ends with: nothing to merge.
        if !Exit::from_code(info.exit_code.into()).is_some_and(Exit::judged) || !info.problems.is_empty() {
            let problems =
                if info.problems.is_empty() { String::new() } else { format!(": {}", info.problems.join("; ")) };
            return Err(ShardsError::DidNotRun { dir: dir.clone(), exit_code: info.exit_code, problems });
        }
        let Some((i, n)) = info.shard else { return Err(ShardsError::NotAShard { dir: dir.clone() }) };
        let m = first.shard.map_or(0, |(_, m)| m);
        if n != m {
            return Err(ShardsError::DifferentSplits { dir: dir.clone(), i, n, other: first_dir.clone(), m });
        }
        if info.feature_set != first.feature_set {
            return Err(ShardsError::DifferentFeatures {
                dir: dir.clone(),
                a: info.feature_set.clone(),
                other: first_dir.clone(),
                b: first.feature_set.clone(),
            });
        }
        if let Some(earlier) = seen.insert(i, dir) {
            return Err(ShardsError::Duplicate { i, n, first: earlier.to_owned(), second: dir.clone() });
        }
        if *reported != info.selected {
            return Err(ShardsError::Incomplete { dir: dir.clone(), selected: info.selected, reported: *reported });
        }
    }
    let n = first.shard.map_or(0, |(_, n)| n);
    let missing: Vec<String> = (1..=n).filter(|i| !seen.contains_key(i)).map(|i| i.to_string()).collect();
    if !missing.is_empty() {
        return Err(ShardsError::Missing { missing: missing.join(", "), n });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(i: usize, n: usize) -> RunInfo {
        RunInfo {
            run_id: format!("run-{i}"),
            shard: Some((i, n)),
            feature_set: "fnv1a64:0000000000000001".into(),
            selected: 3,
            exit_code: 0,
            problems: Vec::new(),
            duration_secs: 1.5,
            quarantined: Vec::new(),
            meta: RunMeta::default(),
            requests: Default::default(),
        }
    }

    #[test]
    fn a_run_json_without_meta_still_reads_and_meta_round_trips() {
        let old = r#"{"run_id":"r","shard":null,"feature_set":"f","selected":1,"exit_code":0,"problems":[],"duration_secs":1.0,"quarantined":[]}"#;
        let info: RunInfo = serde_json::from_str(old).unwrap();
        assert_eq!(info.meta, RunMeta::default());
        let meta = RunMeta {
            git_commit: Some("abc".into()),
            profile: Some("profiles/virtual.toml".into()),
            host: Some("ci-7".into()),
            defects: vec!["old_app_deactivated".into()],
            screen_texts_unchecked: true,
        };
        let info = RunInfo { meta: meta.clone(), ..shard(1, 2) };
        let back: RunInfo = serde_json::from_str(&serde_json::to_string(&info).unwrap()).unwrap();
        assert_eq!(back.meta, meta);
        let names: Vec<&str> = meta.properties(Some((1, 2))).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["git.commit", "profile", "host", "shard", "defects", "screen.texts"]);
    }

    fn dirs(infos: Vec<RunInfo>) -> Vec<(String, RunInfo, usize)> {
        infos.into_iter().map(|i| (format!("shard{}", i.shard.map_or(0, |s| s.0)), i, 3)).collect()
    }

    #[test]
    fn every_shard_of_one_split_merges() {
        assert_eq!(check_shards(&dirs(vec![shard(2, 2), shard(1, 2)])), Ok(()));
    }

    #[test]
    fn a_missing_or_duplicate_shard_is_refused() {
        let e = check_shards(&dirs(vec![shard(1, 2)])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "shard(s) 2 of 2 are missing: their scenarios would be absent from the merged report"
        );
        let e = check_shards(&dirs(vec![shard(1, 2), shard(1, 2)])).unwrap_err();
        assert!(matches!(e, ShardsError::Duplicate { i: 1, n: 2, .. }), "{e}");
    }

    #[test]
    fn a_shard_that_did_not_run_or_another_feature_set_is_refused() {
        let mut broken = shard(2, 2);
        broken.exit_code = 2;
        broken.problems = vec!["features/x.feature: Failed to parse".into()];
        let e = check_shards(&dirs(vec![shard(1, 2), broken])).unwrap_err();
        assert!(e.to_string().contains("exit code 2: features/x.feature: Failed to parse"), "{e}");
        let mut other = shard(2, 2);
        other.feature_set = "fnv1a64:0000000000000002".into();
        assert!(matches!(check_shards(&dirs(vec![shard(1, 2), other])), Err(ShardsError::DifferentFeatures { .. })));
        let mut whole = shard(1, 1);
        whole.shard = None;
        assert!(matches!(check_shards(&dirs(vec![whole])), Err(ShardsError::NotAShard { .. })));
        let mut split3 = shard(2, 3);
        split3.selected = 3;
        assert!(matches!(check_shards(&dirs(vec![shard(1, 2), split3])), Err(ShardsError::DifferentSplits { .. })));
    }

    #[test]
    fn a_report_that_lost_scenarios_is_refused() {
        let mut shards = dirs(vec![shard(1, 2), shard(2, 2)]);
        shards[1].2 = 0;
        assert!(matches!(check_shards(&shards), Err(ShardsError::Incomplete { selected: 3, reported: 0, .. })));
    }

    #[test]
    fn the_feature_set_digest_changes_with_a_file_or_the_tags() {
        let dir = std::env::temp_dir().join(format!("mitid-feature-set-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.feature");
        std::fs::write(&file, "Feature: a\n").unwrap();
        let files = [file.canonicalize().unwrap()];
        let one = feature_set(&files, &dir, "").unwrap();
        assert_eq!(one, feature_set(&files, &dir, "").unwrap());
        assert_ne!(one, feature_set(&files, &dir, "@android").unwrap());
        std::fs::write(&file, "Feature: b\n").unwrap();
        assert_ne!(one, feature_set(&files, &dir, "").unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
