//! Appium's locator strategies (accessibility id, id, class name, xpath) over
//! the page source tree, and the way from an element reference to its node.

use crate::dom::{descendants, XmlNode};
use crate::source::ANDROID_ROOT;
use crate::xpath::{self, XPathError};

/// Why a locator could not be run. A "not found" is not an error: `find`
/// then returns an empty list, and the caller decides what that means.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FindError {
    #[error(
        "unsupported locator strategy '{0}': this device supports \
         'accessibility id', 'id', 'class name' and 'xpath'"
    )]
    UnknownStrategy(String),
    #[error("invalid XPath `{expr}`: {reason}")]
    InvalidXPath { expr: String, reason: String },
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
    let strategy = match strategy {
        "accessibility id" => Strategy::AccessibilityId,
        "id" => Strategy::Id,
        "class name" => Strategy::ClassName,
        "xpath" => return Ok(xpath::evaluate(root, value, context)?),
        other => return Err(FindError::UnknownStrategy(other.to_string())),
    };
    let android = root.tag == ANDROID_ROOT;
    let scope: Vec<&XmlNode> = match context {
        None => vec![root],
        Some(index) => match descendants(root).into_iter().find(|n| n.node_index == Some(index)) {
            Some(ctx) => ctx.children.iter().collect(),
            // An element that is no longer on the page has no descendants.
            None => Vec::new(),
        },
    };
    let mut found = Vec::new();
    for top in scope {
        for node in descendants(top) {
            if let Some(index) = node.node_index {
                if matches(node, strategy, value, android) {
                    found.push(index);
                }
            }
        }
    }
    Ok(found)
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
        assert_eq!(find(&root, "id", "dk.mitid.app:id/pin", None), Ok(vec![2]));
        assert_eq!(find(&root, "id", "other.app:id/pin", None), Ok(vec![]));
        assert_eq!(find(&ios(), "id", "pin", None), Ok(vec![2]));
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
    fn unknown_strategy_names_the_supported_ones() {
        let err = find(&android(), "-android uiautomator", "new UiSelector()", None).unwrap_err();
        assert_eq!(err, FindError::UnknownStrategy("-android uiautomator".into()));
        let message = err.to_string();
        for supported in ["accessibility id", "'id'", "class name", "xpath"] {
            assert!(message.contains(supported), "{message}");
        }
    }

    #[test]
    fn invalid_xpath_is_reported() {
        let err = find(&android(), "xpath", "//*[", None).unwrap_err();
        assert!(matches!(&err, FindError::InvalidXPath { expr, .. } if expr == "//*["), "{err:?}");
        assert!(err.to_string().contains("//*["), "{err}");
    }
}
