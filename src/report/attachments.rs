//! Every attachment of every step, of every attempt, as a file under the
//! run's folder: `attachments/<feature>-L<scenario line>/<attempt>-step-L<step
//! line>-<name>.<ext>`, e.g.
//! `attachments/activation-L12/1-step-L17-old-phone-screenshot.png`.
//!
//! The names are safe on any file system (lowercase ascii, digits and `-`),
//! and one list, [`files`], names them for every writer: the files on disk,
//! the console's failures and JUnit's `[[ATTACHMENT|…]]` lines agree.
//! The bytes are the model's, which are already redacted.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::{Attachment, RunReport};

/// The folder, under the run's, the attachments are written to.
pub const DIR: &str = "attachments";

/// One attachment and the file it is written to.
#[derive(Debug, Clone)]
pub struct AttachmentFile<'a> {
    /// The feature's index in [`RunReport::features`].
    pub feature: usize,
    /// The scenario's index in its feature's scenarios.
    pub scenario: usize,
    /// Which attempt it was gathered in, the first being 1.
    pub attempt: usize,
    /// The step's line in the feature file.
    pub step_line: usize,
    /// The attachment.
    pub attachment: &'a Attachment,
    /// The file, relative to the run's folder.
    pub path: PathBuf,
}

/// Lowercase ascii letters and digits, anything else one `-`, none at
/// either end; `x` when nothing is left.
pub fn safe_name(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// The file extension for a MIME type: `png`, `xml`, `txt`…, `bin` when
/// unknown.
pub fn extension(mime: &str) -> &'static str {
    match mime.split(';').next().unwrap_or_default().trim() {
        "image/png" => "png",
        "image/jpeg" => "jpg",
        "application/xml" | "text/xml" => "xml",
        "application/json" => "json",
        "text/html" => "html",
        m if m.starts_with("text/") => "txt",
        _ => "bin",
    }
}

/// Every attachment of the run and its file, by feature, scenario, attempt
/// and step. Two that would share a name (two features of one file stem
/// with a scenario on the same line, two attachments of one name) get `-2`,
/// `-3`… before the extension.
pub fn files(report: &RunReport) -> Vec<AttachmentFile<'_>> {
    let mut out = Vec::new();
    let mut taken = HashSet::new();
    for (fi, f) in report.features.iter().enumerate() {
        let stem = f.path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        for (si, s) in f.scenarios.iter().enumerate() {
            let folder = format!("{}-L{}", safe_name(&stem), s.line);
            let attempts = s.earlier_attempts.iter().map(|a| &a.steps).chain([&s.steps]);
            for (ai, steps) in attempts.enumerate() {
                for st in steps {
                    for a in &st.attachments {
                        let ext = extension(&a.mime);
                        // `screenshot.png` is `…-screenshot.png`, not `…-screenshot-png.png`.
                        let name = safe_name(&a.name);
                        let name = name.strip_suffix(&format!("-{ext}")).unwrap_or(&name);
                        let base = format!("{}-step-L{}-{name}", ai + 1, st.line);
                        let mut path = Path::new(DIR).join(&folder).join(format!("{base}.{ext}"));
                        let mut n = 1;
                        while !taken.insert(path.clone()) {
                            n += 1;
                            path = Path::new(DIR).join(&folder).join(format!("{base}-{n}.{ext}"));
                        }
                        out.push(AttachmentFile {
                            feature: fi,
                            scenario: si,
                            attempt: ai + 1,
                            step_line: st.line,
                            attachment: a,
                            path,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Writes every attachment of the run under `run_dir`.
pub fn write(report: &RunReport, run_dir: &Path) -> std::io::Result<()> {
    for file in files(report) {
        let path = run_dir.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, &file.attachment.data)?;
    }
    Ok(())
}
