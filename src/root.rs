//! The project's root: the folder that holds `fixtures/`, `devices/` and
//! `features/`. The runner works from anywhere inside it, as cargo does
//! from anywhere in a package: the defaults (`features/`,
//! `devices/virtual.toml`, `reports/`) and the fixtures are the root's;
//! paths given on the command line are the working folder's, as usual.

use std::path::{Path, PathBuf};

/// The environment variable that names the root, like `--root`.
pub const ENV_ROOT: &str = "MITID_E2E_ROOT";

/// What marks a folder as the root.
const MARKER: &str = "fixtures/identities.toml";

/// Why there is no root.
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    /// `--root` or the environment names a folder that is not one.
    #[error("{given} (from {from}) is not a mitid-e2e project: it has no {MARKER}")]
    NotARoot {
        /// The folder named.
        given: String,
        /// `--root` or the variable.
        from: &'static str,
    },
    /// No folder upwards from the working folder is one.
    #[error(
        "no mitid-e2e project here: neither {start} nor a folder above it has {MARKER}; run inside the project, or name it with --root DIR or {ENV_ROOT}=DIR"
    )]
    NotFound {
        /// Where the search began.
        start: String,
    },
}

/// The root: `flag` if given, else `$MITID_E2E_ROOT`, else the nearest
/// folder upwards from `start` that has `fixtures/identities.toml`.
pub fn find(flag: Option<&Path>, start: &Path) -> Result<PathBuf, RootError> {
    let env = std::env::var_os(ENV_ROOT).map(PathBuf::from);
    let named = flag.map(|p| (p.to_path_buf(), "--root")).or(env.map(|p| (p, ENV_ROOT)));
    if let Some((dir, from)) = named {
        return if dir.join(MARKER).is_file() {
            Ok(dir)
        } else {
            Err(RootError::NotARoot { given: dir.display().to_string(), from })
        };
    }
    start
        .ancestors()
        .find(|d| d.join(MARKER).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| RootError::NotFound { start: start.display().to_string() })
}

/// `path` as given, or the root's `default` when none was given.
pub fn or_default(given: Option<PathBuf>, root: &Path, default: &str) -> PathBuf {
    given.unwrap_or_else(|| root.join(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_from_a_folder_inside_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(find(None, &root.join("sim/src")).unwrap(), root);
        let e = find(Some(&root.join("sim")), root).unwrap_err().to_string();
        assert!(e.contains("(from --root) is not a mitid-e2e project"), "{e}");
        let e = find(None, Path::new("/")).unwrap_err().to_string();
        assert!(e.contains("--root DIR or MITID_E2E_ROOT=DIR"), "{e}");
    }
}
