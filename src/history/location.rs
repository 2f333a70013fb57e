//! Where the history is kept: a SQLite file or a PostgreSQL URL, and how
//! a run picks it.

use std::path::{Path, PathBuf};

/// Which store: a SQLite file, or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file (made when missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user@host:port/db`).
    Postgres(String),
}

impl Location {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite:PATH` or
    /// any other text is a SQLite file.
    pub fn parse(s: &str) -> Location {
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Location::Postgres(s.to_owned())
        } else {
            Location::Sqlite(PathBuf::from(s.strip_prefix("sqlite:").unwrap_or(s)))
        }
    }

    /// Which store, in this order: `--history`, `MITID_HISTORY_URL`, the
    /// profile's `[history] url`, else `<report dir>/history.sqlite`.
    pub fn resolve(flag: Option<&str>, profile: Option<&str>, report_dir: &Path) -> Location {
        let env = std::env::var(super::ENV_HISTORY_URL).ok().filter(|s| !s.is_empty());
        match flag.map(str::to_owned).or(env).or(profile.map(str::to_owned)) {
            Some(s) => Location::parse(&s),
            None => Location::Sqlite(report_dir.join(super::SQLITE_FILE)),
        }
    }
}

impl std::fmt::Display for Location {
    /// The store, with any password in a URL left out.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Sqlite(p) => write!(f, "{}", p.display()),
            Location::Postgres(url) => write!(f, "{}", without_password(url)),
        }
    }
}

/// A URL with the password of its user info replaced by `***`.
pub fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (auth, tail) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match auth.rsplit_once('@') {
        Some((user, host)) => match user.split_once(':') {
            Some((name, _)) => format!("{scheme}://{name}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}
