//! The files a run reads — device profiles, locator fixtures, identity
//! fixtures, and the runner's own (a shard's report) — fail the same two
//! ways: the file cannot be read, or what it says is wrong. [`FileError`]
//! says which, naming the kind of file and its path, in one wording for all.

use std::fmt;
use std::path::{Path, PathBuf};

/// What a file is, as its errors name it: "device profile".
///
/// The framework's own kinds are constants here; the runner names its own
/// with [`FileKind::new`].
///
/// ```
/// use mitid_e2e_framework::file::FileKind;
/// const CUCUMBER_JSON: FileKind = FileKind::new("Cucumber JSON report");
/// assert_eq!(CUCUMBER_JSON.to_string(), "Cucumber JSON report");
/// assert_eq!(FileKind::DEVICE_PROFILE.to_string(), "device profile");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileKind(&'static str);

impl FileKind {
    /// A device profile, `devices/*.toml` ([`crate::profile`]).
    pub const DEVICE_PROFILE: FileKind = FileKind("device profile");
    /// A platform's locators, `fixtures/locators/<platform>.toml` ([`crate::locators`]).
    pub const LOCATOR_FIXTURE: FileKind = FileKind("locator fixture");
    /// The test identities, `fixtures/identities.toml` ([`crate::identities`]).
    pub const IDENTITY_FIXTURES: FileKind = FileKind("identity fixtures");
    /// The approved screen texts' index, `fixtures/screens/screens.toml` ([`crate::screens`]).
    pub const SCREEN_TEXTS: FileKind = FileKind("approved screen texts");

    /// A kind of file the framework does not read itself; `name` is how an
    /// error names it, in lower case unless it is a proper name.
    pub const fn new(name: &'static str) -> FileKind {
        FileKind(name)
    }

    /// How errors name the kind: "device profile".
    pub fn name(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// Why a file cannot be used: it cannot be read, or what it says is wrong.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file is missing, unreadable, or not UTF-8.
    #[error("cannot read {kind} {path}: {source}")]
    Read {
        /// What the file is.
        kind: FileKind,
        /// Where it was looked for.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file was read, but is not what its kind must be.
    #[error("{kind} {path}: {message}")]
    Invalid {
        /// What the file is.
        kind: FileKind,
        /// Where it was read from.
        path: PathBuf,
        /// What is wrong, naming the field (and line) where there is one.
        message: String,
    },
}

impl FileError {
    /// The file at `path` is not what a `kind` must be.
    pub fn invalid(kind: FileKind, path: &Path, message: impl Into<String>) -> FileError {
        FileError::Invalid { kind, path: path.into(), message: message.into() }
    }

    /// What the file is.
    pub fn kind(&self) -> FileKind {
        match self {
            FileError::Read { kind, .. } | FileError::Invalid { kind, .. } => *kind,
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        match self {
            FileError::Read { path, .. } | FileError::Invalid { path, .. } => path,
        }
    }
}

/// Reads a whole file of this `kind` into a string; failing, the error names
/// the kind and the path.
///
/// ```
/// use mitid_e2e_framework::file::{read_to_string, FileKind};
/// let e = read_to_string(FileKind::DEVICE_PROFILE, "devices/none.toml".as_ref()).unwrap_err();
/// assert!(e.to_string().starts_with("cannot read device profile devices/none.toml: "), "{e}");
/// ```
pub fn read_to_string(kind: FileKind, path: &Path) -> Result<String, FileError> {
    std::fs::read_to_string(path).map_err(|source| FileError::Read { kind, path: path.into(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_kind_and_the_path() {
        let e = FileError::invalid(FileKind::LOCATOR_FIXTURE, "fixtures/locators/ios.toml".as_ref(), "text: no {text}");
        assert_eq!(e.to_string(), "locator fixture fixtures/locators/ios.toml: text: no {text}");
        assert_eq!(e.kind(), FileKind::LOCATOR_FIXTURE);
        assert_eq!(e.path(), Path::new("fixtures/locators/ios.toml"));
        let e = read_to_string(FileKind::IDENTITY_FIXTURES, "no/such/identities.toml".as_ref()).unwrap_err();
        assert!(e.to_string().starts_with("cannot read identity fixtures no/such/identities.toml: "), "{e}");
        assert!(std::error::Error::source(&e).is_some(), "the io::Error is the source");
    }
}
