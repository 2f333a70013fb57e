//! Test identities (`fixtures/identities.toml`): who copies their MitID app.
//! Values may come from the environment, so real lab identities stay out of
//! the repository: `MITID_IDENTITY_<NAME>_<FIELD>` overrides a field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::file::{FileError, FileKind};
use crate::secret::{Secret, SecretKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdentityFile {
    user_id: String,
    phone_number: String,
    pin: String,
}

/// A person with MitID; every field is a secret.
#[derive(Debug, Clone)]
pub struct Identity {
    /// The fixture's name for the person ("anna"), as profiles name it.
    pub name: String,
    /// The MitID user ID typed to start the copy.
    pub user_id: Secret,
    /// The number the temporary PIN is sent to by SMS.
    pub phone_number: Secret,
    /// The person's app PIN.
    pub pin: Secret,
}

/// Why an identity could not be had.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The identity fixtures cannot be read, or are invalid.
    #[error(transparent)]
    File(#[from] FileError),
    /// The fixtures have no identity of that name.
    #[error("no identity named '{name}' in {path} (known: {known})")]
    Unknown {
        /// The name asked for (a profile's `identity`).
        name: String,
        /// The identity fixtures.
        path: PathBuf,
        /// The names the fixtures do have, comma-separated.
        known: String,
    },
}

/// Loads the identity `name`.
pub fn load(path: &Path, name: &str) -> Result<Identity, IdentityError> {
    let text = crate::file::read_to_string(FileKind::IDENTITY_FIXTURES, path)?;
    let all: BTreeMap<String, IdentityFile> =
        toml::from_str(&text).map_err(|e| FileError::invalid(FileKind::IDENTITY_FIXTURES, path, e.to_string()))?;
    let Some(found) = all.get(name) else {
        return Err(IdentityError::Unknown {
            name: name.into(),
            path: path.into(),
            known: all.keys().cloned().collect::<Vec<_>>().join(", "),
        });
    };
    let field = |f: &str, v: &str| {
        std::env::var(format!("MITID_IDENTITY_{}_{}", name.to_ascii_uppercase(), f.to_ascii_uppercase()))
            .unwrap_or_else(|_| v.to_owned())
    };
    Ok(Identity {
        name: name.into(),
        user_id: Secret::new(SecretKind::UserId, field("user_id", &found.user_id)),
        phone_number: Secret::new(SecretKind::Token, field("phone_number", &found.phone_number)),
        pin: Secret::new(SecretKind::Pin, field("pin", &found.pin)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_fixture_file() {
        let e = load("no/such/identities.toml".as_ref(), "anna").unwrap_err().to_string();
        assert!(e.starts_with("cannot read identity fixtures no/such/identities.toml: "), "{e}");
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/identities.toml");
        let e = load(&shipped, "bob").unwrap_err().to_string();
        assert!(e.starts_with("no identity named 'bob' in ") && e.contains("(known: anna"), "{e}");
    }
}
