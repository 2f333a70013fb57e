//! Logical names of screens and elements → per-platform locators, read from
//! `fixtures/locators/<platform>.toml`. One place for every locator: a real
//! app build is supported by editing that data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::file::{FileError, FileKind};
use crate::profile::Platform;

/// The Appium locator strategies the framework uses.
pub const STRATEGIES: [&str; 4] = ["accessibility id", "id", "class name", "xpath"];

/// One way to find an element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    /// One of [`STRATEGIES`].
    pub strategy: String,
    /// What the strategy looks for: an accessibility id, a resource id, a
    /// class name or an XPath.
    pub value: String,
}

impl std::fmt::Display for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.strategy, self.value)
    }
}

impl Locator {
    /// Parses `"strategy=value"`.
    pub fn parse(s: &str) -> Result<Locator, String> {
        let (strategy, value) = s.split_once('=').ok_or_else(|| format!("'{s}' is not \"strategy=value\""))?;
        let strategy = strategy.trim();
        if !STRATEGIES.contains(&strategy) {
            return Err(format!("'{strategy}' is not a locator strategy (use one of: {})", STRATEGIES.join(", ")));
        }
        if value.is_empty() {
            return Err(format!("'{s}' has an empty value"));
        }
        Ok(Locator { strategy: strategy.into(), value: value.into() })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LocatorFile {
    text: String,
    screens: BTreeMap<String, String>,
    elements: BTreeMap<String, String>,
}

/// Why a locator could not be had.
#[derive(Debug, thiserror::Error)]
pub enum LocatorError {
    /// The platform's locator fixture cannot be read, or is invalid.
    #[error(transparent)]
    File(#[from] FileError),
    /// A step asked for a screen or element the fixture does not name.
    #[error("{path} has no {kind} named '{name}'; add it under [{kind}s]")]
    Unknown {
        /// The locator fixture.
        path: PathBuf,
        /// "screen" or "element".
        kind: &'static str,
        /// The logical name asked for.
        name: String,
    },
}

/// The locators of one platform.
#[derive(Debug, Clone)]
pub struct Locators {
    path: PathBuf,
    text: String,
    screens: BTreeMap<String, Locator>,
    elements: BTreeMap<String, Locator>,
}

impl Locators {
    /// Reads `<dir>/<platform>.toml`.
    ///
    /// ```
    /// use mitid_e2e_framework::{locators::Locators, profile::Platform};
    /// let l = Locators::load("../fixtures/locators".as_ref(), Platform::Ios).unwrap();
    /// assert_eq!(l.element("menu_button").unwrap().to_string(), "accessibility id=menu_button");
    /// assert_eq!(l.text("Next").to_string(), "xpath=//*[@label='Next']");
    /// ```
    pub fn load(dir: &Path, platform: Platform) -> Result<Locators, LocatorError> {
        let path = dir.join(format!("{}.toml", platform_file(platform)));
        let text = crate::file::read_to_string(FileKind::LOCATOR_FIXTURE, &path)?;
        let invalid =
            |message: String| LocatorError::from(FileError::invalid(FileKind::LOCATOR_FIXTURE, &path, message));
        let file: LocatorFile = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let parse = |section: &str, map: BTreeMap<String, String>| {
            map.into_iter()
                .map(|(k, v)| {
                    Locator::parse(&v).map(|l| (k.clone(), l)).map_err(|e| invalid(format!("[{section}] {k}: {e}")))
                })
                .collect::<Result<BTreeMap<_, _>, _>>()
        };
        if !file.text.contains("{text}") {
            return Err(invalid("text: the template must contain {text}".into()));
        }
        Locator::parse(&file.text.replace("{text}", "'x'")).map_err(|e| invalid(format!("text: {e}")))?;
        Ok(Locators {
            text: file.text,
            screens: parse("screens", file.screens)?,
            elements: parse("elements", file.elements)?,
            path,
        })
    }

    /// The locator that finds the screen `name` (an element only it shows).
    pub fn screen(&self, name: &str) -> Result<&Locator, LocatorError> {
        self.screens.get(name).ok_or_else(|| LocatorError::Unknown {
            path: self.path.clone(),
            kind: "screen",
            name: name.into(),
        })
    }

    /// The locator of the element `name`.
    pub fn element(&self, name: &str) -> Result<&Locator, LocatorError> {
        self.elements.get(name).ok_or_else(|| LocatorError::Unknown {
            path: self.path.clone(),
            kind: "element",
            name: name.into(),
        })
    }

    /// An element showing exactly `text`.
    pub fn text(&self, text: &str) -> Locator {
        // The template was checked at load time, so this parse cannot fail.
        Locator::parse(&self.text.replace("{text}", &xpath_literal(text))).unwrap_or_else(|_| Locator {
            strategy: "xpath".into(),
            value: format!("//*[@text={}]", xpath_literal(text)),
        })
    }

    /// The logical names of every screen the fixture knows.
    pub fn screen_names(&self) -> impl Iterator<Item = &str> {
        self.screens.keys().map(String::as_str)
    }
}

fn platform_file(p: Platform) -> &'static str {
    match p {
        Platform::Android => "android",
        Platform::Ios => "ios",
    }
}

/// An XPath 1.0 string literal for any text (XPath has no escapes: texts
/// with both quote kinds are built with concat()).
pub fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let parts: Vec<String> = text.split('\'').map(|p| format!("'{p}'")).collect();
        format!("concat({})", parts.join(", \"'\", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_survive_both_quotes() {
        assert_eq!(xpath_literal("Next"), "'Next'");
        assert_eq!(xpath_literal("phone's"), "\"phone's\"");
        assert_eq!(xpath_literal(r#"a'b"c"#), r#"concat('a', "'", 'b"c')"#);
    }

    #[test]
    fn a_bad_strategy_is_explained() {
        let e = Locator::parse("css=#x").unwrap_err();
        assert!(e.contains("not a locator strategy"), "{e}");
    }

    #[test]
    fn a_missing_fixture_is_named() {
        let e = Locators::load("no/such".as_ref(), Platform::Android).unwrap_err().to_string();
        assert!(e.starts_with("cannot read locator fixture no/such/android.toml: "), "{e}");
    }

    #[test]
    fn the_shipped_fixtures_load_for_both_platforms() {
        for p in [Platform::Android, Platform::Ios] {
            let l = Locators::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/locators").as_path(), p)
                .unwrap();
            assert!(l.screen("qr_code").is_ok());
            let e = l.element("nope").unwrap_err().to_string();
            assert!(e.contains("no element named 'nope'"), "{e}");
        }
    }
}
