//! Secrets — PINs, temporary PINs, user IDs — redacted by construction.
//!
//! A [`Secret`] never shows its value through `Debug` or `Display`; the only
//! way to the value is [`Secret::expose`], which the phone driver calls when
//! it types into a field. Every secret made is also remembered by the
//! process-wide [`Redactor`], which scrubs any text bound for a log, report
//! or console line: a secret that slipped into an error message from a
//! third-party crate (wiremock's request dumps, a WebDriver error echoing a
//! typed value) is still caught there.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// What a secret is, shown in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A person's app PIN, shown as `[PIN]`.
    Pin,
    /// The one-time PIN sent by SMS, shown as `[TEMPORARY PIN]`.
    TemporaryPin,
    /// A MitID user ID, shown as `[USER ID]`.
    UserId,
    /// A QR payload or beacon token: not a person's secret, but it opens a
    /// copy session, so it is treated like one.
    Token,
}

impl SecretKind {
    fn placeholder(self) -> &'static str {
        match self {
            SecretKind::Pin => "[PIN]",
            SecretKind::TemporaryPin => "[TEMPORARY PIN]",
            SecretKind::UserId => "[USER ID]",
            SecretKind::Token => "[TOKEN]",
        }
    }
}

/// A value that must not appear in clear in any output.
///
/// ```
/// use mitid_e2e_framework::secret::{Secret, SecretKind};
/// let pin = Secret::new(SecretKind::Pin, "246810");
/// assert_eq!(format!("{pin} {pin:?}"), "[PIN] [PIN]");
/// assert_eq!(pin.expose(), "246810");
/// assert_eq!(mitid_e2e_framework::secret::redact("typed 246810"), "typed [PIN]");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    kind: SecretKind,
    value: String,
}

impl Secret {
    /// A secret of `kind`; from now on [`redact`] scrubs `value` from any text.
    pub fn new(kind: SecretKind, value: impl Into<String>) -> Secret {
        let value = value.into();
        Redactor::global().remember(kind, &value);
        Secret { kind, value }
    }

    /// What the secret is.
    pub fn kind(&self) -> SecretKind {
        self.kind
    }

    /// The value in clear, for typing it into a phone. Never format it.
    pub fn expose(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.placeholder())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.placeholder())
    }
}

/// Every secret value this process has seen, for scrubbing text.
pub struct Redactor {
    known: Mutex<BTreeSet<(std::cmp::Reverse<usize>, String, &'static str)>>,
}

/// Values shorter than this are not scrubbed from free text: a 2-digit
/// value would blank out clock times and counts. Real PINs and user IDs are
/// longer.
const SHORTEST_SCRUBBED: usize = 4;

impl Redactor {
    /// The process's redactor, which every [`Secret::new`] tells.
    pub fn global() -> &'static Redactor {
        static GLOBAL: OnceLock<Redactor> = OnceLock::new();
        GLOBAL.get_or_init(|| Redactor { known: Mutex::new(BTreeSet::new()) })
    }

    fn remember(&self, kind: SecretKind, value: &str) {
        if value.chars().count() >= SHORTEST_SCRUBBED {
            let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
            known.insert((std::cmp::Reverse(value.len()), value.to_owned(), kind.placeholder()));
        }
    }

    /// `text` with every known secret replaced by its placeholder, longest
    /// first so a secret containing another is replaced whole.
    pub fn redact(&self, text: &str) -> String {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = text.to_owned();
        for (_, value, placeholder) in known.iter() {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), placeholder);
            }
        }
        out
    }
}

/// Scrubs every known secret from `text`.
pub fn redact(text: &str) -> String {
    Redactor::global().redact(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_format_in_clear() {
        let id = Secret::new(SecretKind::UserId, "anna-hansen-77");
        assert_eq!(format!("{id}|{id:?}|{:?}", Some(&id)), "[USER ID]|[USER ID]|Some([USER ID])");
    }

    #[test]
    fn redact_scrubs_longest_first() {
        let _a = Secret::new(SecretKind::Pin, "13579");
        let _b = Secret::new(SecretKind::Token, "xx13579yy");
        assert_eq!(redact("a xx13579yy b 13579"), "a [TOKEN] b [PIN]");
    }

    #[test]
    fn short_values_are_not_scrubbed_from_free_text() {
        let _s = Secret::new(SecretKind::Pin, "12");
        assert_eq!(redact("12:00"), "12:00");
    }
}
