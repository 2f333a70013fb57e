//! Appium's locator strategies over the page source tree, each only on the
//! platform whose driver has it, and the way from an element reference to
//! its node.
//!
//! UiAutomator2 (Android): `accessibility id`, `id`, `class name`, `xpath`,
//! `-android uiautomator` ([`uiselector`]). XCUITest (iOS): `accessibility
//! id`, `id`, `name`, `class name`, `xpath`, `-ios predicate string`
//! ([`predicate`]), `-ios class chain` ([`class_chain`]). Any other strategy,
//! or one of the other platform's, is refused as the drivers refuse it:
//! `invalid selector`, "not supported for this session".

mod class_chain;
mod predicate;
mod uiselector;

use crate::dom::{descendants, XmlNode};
use crate::source::ANDROID_ROOT;
use crate::xpath::{self, XPathError};

/// The strategies each platform's driver takes, as they name them.
pub const ANDROID_STRATEGIES: &[&str] = &["xpath", "id", "class name", "accessibility id", "-android uiautomator"];
pub const IOS_STRATEGIES: &[&str] =
    &["xpath", "id", "name", "class name", "-ios predicate string", "-ios class chain", "accessibility id"];

/// Why a locator could not be run. A "not found" is not an error: `find`
/// then returns an empty list, and the caller decides what that means.
/// Every variant is a W3C `invalid selector`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error(
        "Locator Strategy '{strategy}' is not supported for this session: a{} session takes {}",
        if *.android { "n Android (UiAutomator2)" } else { "n iOS (XCUITest)" },
        quoted(if *.android { ANDROID_STRATEGIES } else { IOS_STRATEGIES })
    )]
    UnknownStrategy { strategy: String, android: bool },
    #[error("invalid XPath `{expr}`: {reason}")]
    InvalidXPath { expr: String, reason: String },
    /// A `-android uiautomator`, `-ios predicate string` or `-ios class
    /// chain` selector that is malformed, or of a form this farm does not
    /// serve.
    #[error("invalid {strategy} selector `{selector}`: {reason}")]
    InvalidSelector { strategy: &'static str, selector: String, reason: String },
}

fn quoted(list: &[&str]) -> String {
    list.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ")
}

impl From<XPathError> for FindError {
    fn from(err: XPathError) -> FindError {
        FindError::InvalidXPath { expr: err.expr, reason: err.reason }
    }
}

#[derive(Clone, Copy)]
enum Strategy {
    AccessibilityId,
    Id,
    ClassName,
}

/// Runs an Appium locator over the page source and returns the matching
/// `node_index` values in document order. With a `context` (a node_index),
/// only that element's descendants are searched, as in "find element from
/// element".
pub fn find(root: &XmlNode, strategy: &str, value: &str, context: Option<usize>) -> Result<Vec<usize>, FindError> {
    let android = root.tag == ANDROID_ROOT;
    let offered = if android { ANDROID_STRATEGIES } else { IOS_STRATEGIES };
    if !offered.contains(&strategy) {
        return Err(FindError::UnknownStrategy { strategy: strategy.to_owned(), android });
    }
    let simple = match strategy {
        "accessibility id" => Strategy::AccessibilityId,
        // XCUITest's `name` is its `id`: the element's name (identifier).
        "id" | "name" => Strategy::Id,
        "class name" => Strategy::ClassName,
        "xpath" => return Ok(xpath::evaluate(root, value, context)?),
        "-android uiautomator" => {
            let selector = uiselector::parse(value).map_err(|reason| FindError::InvalidSelector {
                strategy: "-android uiautomator",
                selector: value.to_owned(),
                reason,
            })?;
            return Ok(selector.select(&candidates(root, context)));
        }
        "-ios predicate string" => {
            let predicate = predicate::parse(value).map_err(|reason| FindError::InvalidSelector {
                strategy: "-ios predicate string",
                selector: value.to_owned(),
                reason,
            })?;
            return Ok(candidates(root, context)
                .into_iter()
                .filter(|node| predicate.matches(node))
                .filter_map(|node| node.node_index)
                .collect());
        }
        "-ios class chain" => {
            let chain = class_chain::parse(value).map_err(|reason| FindError::InvalidSelector {
                strategy: "-ios class chain",
                selector: value.to_owned(),
                reason,
            })?;
            let start = match context {
                None => application(root),
                Some(index) => descendants(root).into_iter().find(|n| n.node_index == Some(index)),
            };
            let Some(start) = start else { return Ok(Vec::new()) };
            return chain.select(start).map_err(|reason| FindError::InvalidSelector {
                strategy: "-ios class chain",
                selector: value.to_owned(),
                reason,
            });
        }
        other => return Err(FindError::UnknownStrategy { strategy: other.to_owned(), android }),
    };
    Ok(candidates(root, context)
        .into_iter()
        .filter(|node| matches(node, simple, value, android))
        .filter_map(|node| node.node_index)
        .collect())
}

/// The elements a locator may return, in document order: every element of
/// the page (not the wrappers), or the descendants of the context element
/// (none when it is no longer on the page).
fn candidates(root: &XmlNode, context: Option<usize>) -> Vec<&XmlNode> {
    let scope: Vec<&XmlNode> = match context {
        None => vec![root],
        Some(index) => match descendants(root).into_iter().find(|n| n.node_index == Some(index)) {
            Some(ctx) => ctx.children.iter().collect(),
            None => Vec::new(),
        },
    };
    scope.into_iter().flat_map(descendants).filter(|n| n.node_index.is_some()).collect()
}

/// XCUITest's queries start at the application element.
fn application(root: &XmlNode) -> Option<&XmlNode> {
    descendants(root).into_iter().find(|n| n.tag == "XCUIElementTypeApplication")
}

fn matches(node: &XmlNode, strategy: Strategy, value: &str, android: bool) -> bool {
    match (strategy, android) {
        (Strategy::AccessibilityId, true) => node.attr("content-desc") == Some(value),
        (Strategy::AccessibilityId | Strategy::Id, false) => node.attr("name") == Some(value),
        (Strategy::Id, true) => {
            // UiAutomator2 accepts both the full resource id and the bare
            // name, which it qualifies with the element's package.
            let Some(resource_id) = node.attr("resource-id") else { return false };
            resource_id == value
                || node.attr("package").is_some_and(|package| {
                    resource_id.strip_prefix(package).and_then(|rest| rest.strip_prefix(":id/")) == Some(value)
                })
        }
        (Strategy::ClassName, _) => node.tag == value,
    }
}

/// The element for a `Screen::nodes()` index.
pub fn node_by_index(root: &XmlNode, index: usize) -> Option<&XmlNode> {
    if root.node_index == Some(index) {
        return Some(root);
    }
    root.children.iter().find_map(|c| node_by_index(c, index))
}

/// A string argument's characters between its quotes, the quote being `"`
/// or `'`; the backslash escapes the next character. Returns the text and
/// the rest after the closing quote.
fn quoted_string(input: &str) -> Result<(String, &str), String> {
    let mut chars = input.char_indices();
    let quote = match chars.next() {
        Some((_, q @ ('"' | '\''))) => q,
        _ => return Err("expected a quoted string".into()),
    };
    let mut out = String::new();
    let mut escaped = false;
    for (i, c) in chars {
        if escaped {
            out.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == quote {
            return Ok((out, &input[i + c.len_utf8()..]));
        } else {
            out.push(c);
        }
    }
    Err(format!("the string {} is never closed", input.chars().take(40).collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::fixtures::{android, ios};

    #[test]
    fn accessibility_id() {
        assert_eq!(find(&android(), "accessibility id", "copy_info_next", None), Ok(vec![4]));
        assert_eq!(find(&ios(), "accessibility id", "copy_info_next", None), Ok(vec![4]));
        assert_eq!(find(&ios(), "accessibility id", "MitID", None), Ok(vec![]), "wrappers are never returned");
        assert_eq!(find(&android(), "accessibility id", "nope", None), Ok(vec![]));
    }

    #[test]
    fn id_accepts_full_and_short_resource_ids() {
        let root = android();
        assert_eq!(find(&root, "id", "pin", None), Ok(vec![2]));
        assert_eq!(find(&root, "id", "dk.mitid.app.android:id/pin", None), Ok(vec![2]));
        assert_eq!(find(&root, "id", "other.app:id/pin", None), Ok(vec![]));
        assert_eq!(find(&ios(), "id", "pin", None), Ok(vec![2]));
        assert_eq!(find(&ios(), "name", "pin", None), Ok(vec![2]), "XCUITest's name strategy");
    }

    #[test]
    fn class_name_strategy() {
        assert_eq!(find(&android(), "class name", "android.widget.Button", None), Ok(vec![4]));
        assert_eq!(find(&android(), "class name", "android.widget.FrameLayout", None), Ok(vec![0]));
        assert_eq!(find(&android(), "class name", "hierarchy", None), Ok(vec![]));
        assert_eq!(find(&ios(), "class name", "XCUIElementTypeSwitch", None), Ok(vec![3]));
    }

    #[test]
    fn context_searches_descendants_only() {
        let root = android();
        assert_eq!(find(&root, "class name", "android.widget.FrameLayout", Some(0)), Ok(vec![]));
        assert_eq!(find(&root, "id", "pin", Some(0)), Ok(vec![2]));
        assert_eq!(find(&root, "id", "pin", Some(2)), Ok(vec![]));
        assert_eq!(find(&root, "id", "pin", Some(99)), Ok(vec![]));
        assert_eq!(find(&root, "xpath", "//*[@content-desc='pin']", Some(0)), Ok(vec![2]));
        assert_eq!(find(&root, "xpath", ".//*", Some(0)), Ok(vec![1, 2, 3, 4]));
        assert_eq!(find(&root, "-android uiautomator", "new UiSelector().text(\"Next\")", Some(0)), Ok(vec![4]));
        assert_eq!(find(&root, "-android uiautomator", "new UiSelector().text(\"Next\")", Some(4)), Ok(vec![]));
        assert_eq!(find(&ios(), "-ios predicate string", "label == 'Next'", Some(0)), Ok(vec![4]));
        assert_eq!(find(&ios(), "-ios class chain", "XCUIElementTypeButton", Some(0)), Ok(vec![4]));
        assert_eq!(find(&ios(), "-ios class chain", "**/XCUIElementTypeButton", Some(4)), Ok(vec![]));
    }

    #[test]
    fn xpath_strategy_on_both_shapes() {
        assert_eq!(find(&android(), "xpath", "//android.widget.Button[@text='Next']", None), Ok(vec![4]));
        assert_eq!(
            find(&android(), "xpath", "/hierarchy/android.widget.FrameLayout/android.widget.EditText", None),
            Ok(vec![2])
        );
        assert_eq!(find(&ios(), "xpath", "//XCUIElementTypeButton[@name='copy_info_next']", None), Ok(vec![4]));
        assert_eq!(
            find(&ios(), "xpath", "/AppiumAUT/XCUIElementTypeApplication/XCUIElementTypeOther/*[2]", None),
            Ok(vec![2])
        );
    }

    #[test]
    fn uiautomator_on_android() {
        let root = android();
        let ui = |s: &str| find(&root, "-android uiautomator", s, None);
        assert_eq!(ui("new UiSelector().text(\"Next\")"), Ok(vec![4]));
        assert_eq!(ui("new UiSelector().textContains(\"agree\")"), Ok(vec![3]));
        assert_eq!(ui("new UiSelector().resourceId(\"dk.mitid.app.android:id/pin\")"), Ok(vec![2]));
        assert_eq!(ui("new UiSelector().description(\"accept\").checked(true)"), Ok(vec![3]));
        assert_eq!(ui("new UiSelector().className(\"android.widget.Button\").enabled(true)"), Ok(vec![]));
        assert_eq!(ui("new UiSelector().className(\"android.widget.Button\").enabled(false);"), Ok(vec![4]));
    }

    #[test]
    fn ios_strategies_on_ios() {
        let root = ios();
        assert_eq!(
            find(&root, "-ios predicate string", "label == 'Next' AND type == 'XCUIElementTypeButton'", None),
            Ok(vec![4])
        );
        assert_eq!(find(&root, "-ios predicate string", "name BEGINSWITH 'copy_info_'", None), Ok(vec![1, 4]));
        assert_eq!(find(&root, "-ios class chain", "**/XCUIElementTypeButton[`label == \"Next\"`]", None), Ok(vec![4]));
        assert_eq!(find(&root, "-ios class chain", "**/XCUIElementTypeOther/*[2]", None), Ok(vec![2]));
    }

    #[test]
    fn each_platform_refuses_the_others_strategies() {
        for (root, foreign) in [
            (android(), ["-ios predicate string", "-ios class chain", "name"]),
            (ios(), ["-android uiautomator", "-android datamatcher", "-android viewtag"]),
        ] {
            for strategy in foreign {
                let err = find(&root, strategy, "x", None).unwrap_err();
                assert!(matches!(&err, FindError::UnknownStrategy { strategy: s, .. } if s == strategy), "{err:?}");
                assert!(err.to_string().contains("is not supported for this session"), "{err}");
            }
        }
    }

    #[test]
    fn unknown_strategy_names_the_supported_ones() {
        let err = find(&android(), "css selector", "#next", None).unwrap_err();
        let message = err.to_string();
        for supported in ["accessibility id", "'id'", "class name", "xpath", "-android uiautomator"] {
            assert!(message.contains(supported), "{message}");
        }
        assert!(!message.contains("-ios"), "{message}");
    }

    #[test]
    fn malformed_selectors_are_invalid_selectors() {
        for (root, strategy, selector) in [
            (android(), "-android uiautomator", "new UiSelector().text(\"Next\""),
            (android(), "-android uiautomator", "new UiSelector().magic(\"Next\")"),
            (ios(), "-ios predicate string", "label == "),
            (ios(), "-ios class chain", "**/XCUIElementTypeButton[`label == `]"),
        ] {
            let err = find(&root, strategy, selector, None).unwrap_err();
            assert!(matches!(&err, FindError::InvalidSelector { .. }), "{strategy} {selector}: {err:?}");
            assert!(err.to_string().contains(selector), "{err}");
        }
    }

    #[test]
    fn invalid_xpath_is_reported() {
        let err = find(&android(), "xpath", "//*[", None).unwrap_err();
        assert!(matches!(&err, FindError::InvalidXPath { expr, .. } if expr == "//*["), "{err:?}");
        assert!(err.to_string().contains("//*["), "{err}");
    }
}
