//! What each WebDriver command costs on the farm's phones: nothing by
//! default, one number for every command (`latency_ms`), or a table by kind
//! of command (`latency`), with presets for UiAutomator2 and XCUITest on a
//! mid-range phone. On a real phone every command is a round trip, and
//! they cost differently: a page source is a hierarchy dump, a tap a few
//! milliseconds. The presets' figures and where each comes from are in
//! docs/src/labs.md (*Round trips*).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ui::Platform;

/// The kinds of command a cost table prices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// Creating a session (ending one is [`CommandKind::Other`]).
    Session,
    /// Finding elements.
    Find,
    /// An element's command: click, type, read.
    Element,
    /// The page source.
    PageSource,
    /// A screenshot.
    Screenshot,
    /// A `mobile:` method (execute).
    Mobile,
    /// Anything else.
    Other,
}

impl CommandKind {
    /// The kind of a command, by its W3C/Appium name.
    pub fn of(command: &str) -> CommandKind {
        match command {
            "createSession" => CommandKind::Session,
            "findElement"
            | "findElements"
            | "findElementFromElement"
            | "findElementsFromElement"
            | "getActiveElement" => CommandKind::Find,
            "getPageSource" => CommandKind::PageSource,
            "getScreenshot" | "getElementScreenshot" => CommandKind::Screenshot,
            "execute" | "executeScript" => CommandKind::Mobile,
            c if c.starts_with("element")
                || ["click", "setValue", "clear", "getText", "getName", "getAttribute", "getElementRect"]
                    .contains(&c) =>
            {
                CommandKind::Element
            }
            _ => CommandKind::Other,
        }
    }
}

/// Milliseconds per kind of command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostTable {
    /// Creating or ending a session.
    pub session: u64,
    /// A find.
    pub find: u64,
    /// An element's command.
    pub element: u64,
    /// A page source.
    pub page_source: u64,
    /// A screenshot.
    pub screenshot: u64,
    /// A `mobile:` method.
    pub mobile: u64,
    /// Anything else.
    pub other: u64,
}

impl CostTable {
    /// UiAutomator2 on a mid-range Android phone (docs/src/labs.md, *Round trips*).
    pub const UIAUTOMATOR2: CostTable =
        CostTable { session: 12_000, find: 30, element: 25, page_source: 600, screenshot: 400, mobile: 150, other: 20 };
    /// XCUITest on a mid-range iPhone (docs/src/labs.md, *Round trips*).
    pub const XCUITEST: CostTable = CostTable {
        session: 20_000,
        find: 150,
        element: 120,
        page_source: 500,
        screenshot: 300,
        mobile: 150,
        other: 20,
    };

    /// What a command of `kind` costs.
    pub fn cost(&self, kind: CommandKind) -> Duration {
        Duration::from_millis(match kind {
            CommandKind::Session => self.session,
            CommandKind::Find => self.find,
            CommandKind::Element => self.element,
            CommandKind::PageSource => self.page_source,
            CommandKind::Screenshot => self.screenshot,
            CommandKind::Mobile => self.mobile,
            CommandKind::Other => self.other,
        })
    }
}

/// `[farm] latency`: a number of milliseconds for every command, a preset
/// (`"uiautomator2"`, `"xcuitest"`, or `"drivers"`: each phone its own
/// platform's), or a table by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Latency {
    /// The same for every command (0, the default: none).
    Uniform(u64),
    /// A preset, by name.
    Preset(Preset),
    /// A table of one's own.
    Table(CostTable),
}

/// The named cost tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// UiAutomator2's figures on every phone.
    Uiautomator2,
    /// XCUITest's figures on every phone.
    Xcuitest,
    /// Each phone its own driver's: UiAutomator2 on Android, XCUITest on iOS.
    Drivers,
}

impl Default for Latency {
    fn default() -> Self {
        Latency::Uniform(0)
    }
}

impl Latency {
    /// What a command of `kind` costs on a phone of `platform`.
    pub fn cost(&self, platform: Platform, kind: CommandKind) -> Duration {
        match self {
            Latency::Uniform(ms) => Duration::from_millis(*ms),
            Latency::Preset(Preset::Uiautomator2) => CostTable::UIAUTOMATOR2.cost(kind),
            Latency::Preset(Preset::Xcuitest) => CostTable::XCUITEST.cost(kind),
            Latency::Preset(Preset::Drivers) => match platform {
                Platform::Android => CostTable::UIAUTOMATOR2.cost(kind),
                Platform::Ios => CostTable::XCUITEST.cost(kind),
            },
            Latency::Table(t) => t.cost(kind),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_a_preset_or_a_table_reads() {
        let read = |t: &str| serde_json::from_str::<Latency>(t);
        assert_eq!(read("150").unwrap(), Latency::Uniform(150));
        assert_eq!(read("\"drivers\"").unwrap(), Latency::Preset(Preset::Drivers));
        let table =
            r#"{"session": 1, "find": 2, "element": 3, "page_source": 4, "screenshot": 5, "mobile": 6, "other": 7}"#;
        assert_eq!(read(table).unwrap().cost(Platform::Ios, CommandKind::PageSource), Duration::from_millis(4));
        assert!(read("\"fast\"").is_err(), "an unknown preset is refused");
        assert!(read(r#"{"find": 2}"#).is_err(), "a table names every kind");
    }

    #[test]
    fn commands_are_priced_by_kind_and_each_phone_by_its_driver() {
        let drivers = Latency::Preset(Preset::Drivers);
        assert_eq!(CommandKind::of("getPageSource"), CommandKind::PageSource);
        assert_eq!(CommandKind::of("findElements"), CommandKind::Find);
        assert_eq!(CommandKind::of("click"), CommandKind::Element);
        assert_eq!(CommandKind::of("elementDisplayed"), CommandKind::Element);
        assert_eq!(CommandKind::of("executeScript"), CommandKind::Mobile);
        assert_eq!(
            drivers.cost(Platform::Android, CommandKind::Find),
            Duration::from_millis(CostTable::UIAUTOMATOR2.find)
        );
        assert_eq!(drivers.cost(Platform::Ios, CommandKind::Find), Duration::from_millis(CostTable::XCUITEST.find));
        assert_eq!(Latency::default().cost(Platform::Ios, CommandKind::Session), Duration::ZERO);
    }
}
