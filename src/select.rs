//! Which scenarios a run takes: the feature paths it was given (files,
//! folders, and `file.feature:LINE` for one scenario or one example row),
//! and `--name`. The same selection feeds a real run and a dry run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use cucumber::gherkin;
use regex::Regex;

/// What a run was asked to take.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Every feature file to read, each with the lines asked for (`None`:
    /// all of it).
    files: BTreeMap<PathBuf, Option<BTreeSet<usize>>>,
    /// Only scenarios whose name matches.
    name: Option<Regex>,
}

/// Why the selection cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum SelectionError {
    /// A path that is not there.
    #[error("features path '{0}' does not exist")]
    Missing(String),
    /// A path that holds no feature file.
    #[error("'{0}' holds no .feature file")]
    NoFeatures(String),
    /// `file:LINE` with a line that is not a number, or names no scenario.
    #[error("{path}:{line}: {why}")]
    Line {
        /// The feature file.
        path: String,
        /// What followed the colon.
        line: String,
        /// What is wrong.
        why: String,
    },
    /// `--name` is not a regex.
    #[error("--name '{0}' is not a regular expression: {1}")]
    Name(String, String),
    /// A folder that cannot be read.
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
}

impl Selection {
    /// The scenarios of `paths` (at least one), narrowed by `name`.
    pub fn new(paths: &[PathBuf], name: Option<&str>) -> Result<Selection, SelectionError> {
        let name =
            name.map(|n| Regex::new(n).map_err(|e| SelectionError::Name(n.into(), e.to_string()))).transpose()?;
        let mut files: BTreeMap<PathBuf, Option<BTreeSet<usize>>> = BTreeMap::new();
        for given in paths {
            let (path, line) = split_line(given);
            if !path.exists() {
                return Err(SelectionError::Missing(given.display().to_string()));
            }
            let mut found = Vec::new();
            collect(&path, &mut found).map_err(|e| SelectionError::Read(path.display().to_string(), e))?;
            if found.is_empty() {
                return Err(SelectionError::NoFeatures(given.display().to_string()));
            }
            for file in found {
                let lines = match &line {
                    None => None,
                    Some(l) => Some(lines_at(&file, l)?),
                };
                // cucumber names features by their canonical path.
                let file = file.canonicalize().unwrap_or(file);
                // A file asked for whole, once, takes all of it.
                match (files.get_mut(&file), lines) {
                    (Some(Some(have)), Some(more)) => have.extend(more),
                    (Some(have), None) => *have = None,
                    (Some(None), Some(_)) => {}
                    (None, lines) => {
                        files.insert(file, lines);
                    }
                }
            }
        }
        Ok(Selection { files, name })
    }

    /// The feature files to read, in order.
    pub fn files(&self) -> Vec<PathBuf> {
        self.files.keys().cloned().collect()
    }

    /// Whether the scenario at `line` of the feature at `path`, named
    /// `name`, is taken (tags and shards aside).
    pub fn takes(&self, path: Option<&Path>, line: usize, name: &str) -> bool {
        if self.name.as_ref().is_some_and(|re| !re.is_match(name)) {
            return false;
        }
        let Some(path) = path else { return true };
        let canonical = path.canonicalize().ok();
        match self.files.get(path).or_else(|| canonical.as_ref().and_then(|c| self.files.get(c))) {
            Some(None) => true,
            Some(Some(lines)) => lines.contains(&line),
            None => true,
        }
    }

    /// A digest input: the files and lines asked for, and the name filter.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for (f, lines) in &self.files {
            out.push_str(&f.display().to_string());
            if let Some(lines) = lines {
                out.push_str(&format!("{lines:?}"));
            }
            out.push('\n');
        }
        if let Some(n) = &self.name {
            out.push_str(&format!("--name {n}\n"));
        }
        out
    }
}

/// `features/x.feature:44` → (`features/x.feature`, Some("44")); a path
/// that exists as given is never split (a folder may have a colon).
fn split_line(given: &Path) -> (PathBuf, Option<String>) {
    if given.exists() {
        return (given.to_path_buf(), None);
    }
    let text = given.to_string_lossy();
    match text.rsplit_once(':') {
        Some((path, line)) if path.ends_with(".feature") => (PathBuf::from(path), Some(line.to_owned())),
        _ => (given.to_path_buf(), None),
    }
}

/// The scenario lines `line` stands for in `file`: a scenario's own line,
/// an example row's line, or an outline's line (all its rows), as cucumber
/// numbers the scenarios it expands from an outline.
fn lines_at(file: &Path, line: &str) -> Result<BTreeSet<usize>, SelectionError> {
    let err = |why: String| SelectionError::Line { path: file.display().to_string(), line: line.into(), why };
    let n: usize = line.parse().map_err(|_| err("expected a line number after the colon".into()))?;
    let text = std::fs::read_to_string(file).map_err(|e| SelectionError::Read(file.display().to_string(), e))?;
    let language = crate::feature_language::language_of(&text);
    let env = gherkin::GherkinEnv::new(language).map_err(|e| err(e.to_string()))?;
    let feature = gherkin::Feature::parse(&text, env).map_err(|e| err(format!("the feature cannot be read: {e}")))?;
    let scenarios =
        feature.scenarios.iter().chain(feature.rules.iter().flat_map(|r| r.scenarios.iter())).collect::<Vec<_>>();
    let mut starts = BTreeSet::new();
    for s in &scenarios {
        let rows = expanded_lines(s);
        if s.position.line == n {
            return Ok(if rows.is_empty() { BTreeSet::from([n]) } else { rows });
        }
        if rows.contains(&n) {
            return Ok(BTreeSet::from([n]));
        }
        starts.insert(s.position.line);
        starts.extend(rows);
    }
    // The lines that do start one, nearest first: the one before and after.
    let before = starts.range(..n).next_back().map(|l| format!("{l} (before)"));
    let after = starts.range(n..).next().map(|l| format!("{l} (after)"));
    let near: Vec<String> = before.into_iter().chain(after).collect();
    let hint = if near.is_empty() {
        "the file has no scenario".to_owned()
    } else {
        format!("the nearest that do: {}", near.join(", "))
    };
    Err(err(format!("no scenario or example row starts on that line; {hint}")))
}

/// The lines cucumber gives the scenarios it expands from an outline: the
/// examples' line, plus one for the header, plus the row's place.
fn expanded_lines(s: &gherkin::Scenario) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    for ex in &s.examples {
        let rows = ex.table.as_ref().map_or(0, |t| t.rows.len().saturating_sub(1));
        for id in 0..rows {
            out.insert(ex.position.line + id + 2);
        }
    }
    out
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> =
            std::fs::read_dir(path)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
        entries.sort();
        for entry in entries {
            collect(&entry, out)?;
        }
    } else if path.extension().is_some_and(|e| e == "feature") {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// cucumber's parser over several feature files: each file is read as the
/// single-path parser reads it, in the selection's order.
pub struct Files;

impl cucumber::Parser<Vec<PathBuf>> for Files {
    type Cli = cucumber::cli::Empty;
    type Output = futures::stream::Flatten<
        futures::stream::Iter<
            std::iter::Map<
                std::vec::IntoIter<PathBuf>,
                fn(PathBuf) -> <cucumber::parser::Basic as cucumber::Parser<PathBuf>>::Output,
            >,
        >,
    >;

    fn parse(self, input: Vec<PathBuf>, _: Self::Cli) -> Self::Output {
        fn one(path: PathBuf) -> <cucumber::parser::Basic as cucumber::Parser<PathBuf>>::Output {
            cucumber::Parser::parse(cucumber::parser::Basic::new(), path, cucumber::parser::basic::Cli::default())
        }
        futures::StreamExt::flatten(futures::stream::iter(input.into_iter().map(one as fn(PathBuf) -> _)))
    }
}
