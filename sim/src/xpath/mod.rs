//! XPath 1.0 over the page source: enough for what Appium tests write.
//!
//! Real drivers evaluate XPath against their XML page source; this does the
//! same against [`XmlNode`], so a selector that works here works on a phone.
//! Supported: every axis except `namespace`, name tests, `*`, `node()`,
//! `text()`, predicates (boolean and positional), `| and or = != < <= > >=
//! + - * div mod`, and the XPath 1.0 core functions except `id()`, `lang()`
//! and `namespace-uri()`. Not supported: variables and namespace prefixes.
//!
//! Appium puts an element's text in an attribute (`text` on Android, `label`
//! on iOS), never in a text node: on UiAutomator2 and XCUITest
//! `//*[text()='Next']` finds nothing, and so it does here. Write
//! `//*[@text='Next']` (Android) or `//*[@label='Next']` (iOS).
//!
//! Every input is safe: nesting is capped at [`MAX_NESTING`] and evaluation
//! at [`MAX_WORK`] steps, and malformed input is an [`XPathError`].

mod eval;
mod lex;
mod parse;

use crate::dom::XmlNode;

/// Deeper nesting of brackets, parentheses and function calls is refused,
/// which bounds the recursion of parsing and evaluating.
const MAX_NESTING: usize = 32;
/// Nested predicates multiply work (`//*[//*[//*...]]`); past this many node
/// visits evaluation gives up instead of hanging the device.
const MAX_WORK: u64 = 2_000_000;

/// A malformed or unsupported expression, or one that does not select
/// elements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid XPath `{expr}`: {reason}")]
pub struct XPathError {
    pub expr: String,
    pub reason: String,
}

/// Evaluates `expr` and returns the `node_index` of each selected element,
/// in document order. Without a `context` the expression is evaluated from
/// the document root. With one (a node_index), relative paths start at that
/// element and only its descendants are returned, as in "find element from
/// element"; a context no longer on the page has no descendants.
pub fn evaluate(root: &XmlNode, expr: &str, context: Option<usize>) -> Result<Vec<usize>, XPathError> {
    let fail = |reason: String| XPathError { expr: expr.to_string(), reason };
    let tokens = lex::lex(expr).map_err(fail)?;
    let ast = parse::parse(&tokens, expr.chars().count()).map_err(fail)?;
    eval::select(root, &ast, context).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An element of a page source; `node_index` is `None` for the wrappers.
    fn el(tag: &str, node_index: Option<usize>, attrs: &[(&str, &str)], children: Vec<XmlNode>) -> XmlNode {
        let attrs = attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        XmlNode { tag: tag.into(), attrs, children, node_index }
    }

    /// An app element in UiAutomator2's shape, with the attributes these
    /// tests read: index (among siblings), resource name, text, clickable,
    /// enabled, password.
    fn android_el(node: usize, tag: &str, attrs: [&str; 6], children: Vec<XmlNode>) -> XmlNode {
        let [index, id, text, clickable, enabled, password] = attrs;
        let resource_id = format!("dk.mitid.app.android:id/{id}");
        let attrs = [
            ("index", index),
            ("text", text),
            ("resource-id", resource_id.as_str()),
            ("clickable", clickable),
            ("enabled", enabled),
            ("password", password),
            ("content-desc", id),
        ];
        el(tag, Some(node), &attrs, children)
    }

    /// An app element in XCUITest's shape: index (among siblings), name,
    /// label, value (empty: none, as for controls without one), enabled.
    fn ios_el(node: usize, tag: &str, attrs: [&str; 5], children: Vec<XmlNode>) -> XmlNode {
        let [index, name, label, value, enabled] = attrs;
        let mut pairs = vec![("type", tag), ("name", name), ("label", label)];
        if !value.is_empty() {
            pairs.push(("value", value));
        }
        pairs.extend([("enabled", enabled), ("index", index)]);
        el(tag, Some(node), &pairs, children)
    }

    /// One screen's page source on Android, built by hand.
    /// node_index: 0 screen, 1 title, 2 pin, 3 accept, 4 next, 5 cancel,
    /// 6 group, 7 group_text, 8 group_button.
    fn android_doc() -> XmlNode {
        const FRAME: &str = "android.widget.FrameLayout";
        const TEXT: &str = "android.widget.TextView";
        const BUTTON: &str = "android.widget.Button";
        let group = android_el(
            6,
            FRAME,
            ["5", "group", "", "false", "true", "false"],
            vec![
                android_el(7, TEXT, ["0", "group_text", "It's \"quoted\"", "false", "true", "false"], vec![]),
                android_el(8, BUTTON, ["1", "group_button", "Next", "true", "true", "false"], vec![]),
            ],
        );
        let screen = android_el(
            0,
            FRAME,
            ["0", "copy_info", "", "false", "true", "false"],
            vec![
                android_el(1, TEXT, ["0", "title", "Copy  MitID\nnow", "false", "true", "false"], vec![]),
                android_el(2, "android.widget.EditText", ["1", "pin", "••", "true", "true", "true"], vec![]),
                android_el(3, "android.widget.CheckBox", ["2", "accept", "I agree", "true", "true", "false"], vec![]),
                android_el(4, BUTTON, ["3", "next", "Next", "true", "true", "false"], vec![]),
                android_el(5, BUTTON, ["4", "cancel", "Cancel", "true", "false", "false"], vec![]),
                group,
            ],
        );
        el("hierarchy", None, &[("index", "0"), ("class", "hierarchy")], vec![screen])
    }

    /// The same screen on iOS, with the same node_index values.
    fn ios_doc() -> XmlNode {
        const OTHER: &str = "XCUIElementTypeOther";
        const TEXT: &str = "XCUIElementTypeStaticText";
        const BUTTON: &str = "XCUIElementTypeButton";
        let group = ios_el(
            6,
            OTHER,
            ["5", "group", "", "", "true"],
            vec![
                ios_el(7, TEXT, ["0", "group_text", "It's \"quoted\"", "", "true"], vec![]),
                ios_el(8, BUTTON, ["1", "group_button", "Next", "", "true"], vec![]),
            ],
        );
        let screen = ios_el(
            0,
            OTHER,
            ["0", "copy_info", "", "", "true"],
            vec![
                ios_el(1, TEXT, ["0", "title", "Copy  MitID\nnow", "", "true"], vec![]),
                ios_el(2, "XCUIElementTypeSecureTextField", ["1", "pin", "PIN", "••", "true"], vec![]),
                ios_el(3, "XCUIElementTypeSwitch", ["2", "accept", "I agree", "0", "true"], vec![]),
                ios_el(4, BUTTON, ["3", "next", "Next", "", "true"], vec![]),
                ios_el(5, BUTTON, ["4", "cancel", "Cancel", "", "false"], vec![]),
                group,
            ],
        );
        let app = el(
            "XCUIElementTypeApplication",
            None,
            &[("type", "XCUIElementTypeApplication"), ("name", "MitID"), ("label", "MitID"), ("index", "0")],
            vec![screen],
        );
        el("AppiumAUT", None, &[], vec![app])
    }

    fn android(expr: &str) -> Vec<usize> {
        match evaluate(&android_doc(), expr, None) {
            Ok(found) => found,
            Err(err) => panic!("{err}"),
        }
    }

    fn ios(expr: &str) -> Vec<usize> {
        match evaluate(&ios_doc(), expr, None) {
            Ok(found) => found,
            Err(err) => panic!("{err}"),
        }
    }

    fn error(expr: &str) -> String {
        match evaluate(&android_doc(), expr, None) {
            Ok(found) => panic!("`{expr}` should fail, found {found:?}"),
            Err(err) => {
                assert_eq!(err.expr, expr);
                err.reason
            }
        }
    }

    #[test]
    fn absolute_paths_through_the_wrappers() {
        assert_eq!(android("/hierarchy/android.widget.FrameLayout"), vec![0]);
        assert_eq!(android("/hierarchy/android.widget.FrameLayout/android.widget.Button"), vec![4, 5]);
        assert_eq!(android("/hierarchy"), Vec::<usize>::new(), "wrappers are not elements");
        assert_eq!(android("/"), Vec::<usize>::new());
        assert_eq!(ios("/AppiumAUT/XCUIElementTypeApplication/XCUIElementTypeOther/XCUIElementTypeButton"), vec![4, 5]);
        assert_eq!(ios("/*/*/*"), vec![0]);
    }

    #[test]
    fn descendant_and_relative_paths() {
        assert_eq!(android("//android.widget.Button"), vec![4, 5, 8]);
        assert_eq!(android("//android.widget.FrameLayout//android.widget.Button"), vec![4, 5, 8]);
        assert_eq!(android("//*"), (0..9).collect::<Vec<_>>());
        assert_eq!(android("hierarchy/android.widget.FrameLayout"), vec![0], "relative to the document");
        assert_eq!(android("//android.widget.FrameLayout/android.widget.FrameLayout/*"), vec![7, 8]);
        assert_eq!(ios("//XCUIElementTypeButton[@name='next']"), vec![4]);
        assert_eq!(ios("//XCUIElementTypeSwitch"), vec![3]);
    }

    #[test]
    fn attribute_predicates() {
        assert_eq!(android("//*[@content-desc='next']"), vec![4]);
        assert_eq!(android("//*[@content-desc=\"next\"]"), vec![4]);
        assert_eq!(android("//*[@password]"), (0..9).collect::<Vec<_>>(), "every node has the attribute");
        assert_eq!(android("//*[@nonexistent]"), Vec::<usize>::new());
        assert_eq!(android("//*[@text='Next' and @enabled='true']"), vec![4, 8]);
        assert_eq!(android("//*[@content-desc='next' or @content-desc='cancel']"), vec![4, 5]);
        assert_eq!(android("//android.widget.Button[not(@enabled='true')]"), vec![5]);
        assert_eq!(android("//*[contains(@resource-id,'group_')]"), vec![7, 8]);
        assert_eq!(android("//*[starts-with(@content-desc,'c')]"), vec![0, 5]);
        assert_eq!(android("//*[@text!='']"), vec![1, 2, 3, 4, 5, 7, 8]);
        assert_eq!(
            android(
                r#"//*[@text='It&apos;s "quoted"' or @text="It's &quot;quoted&quot;" or @text=concat("It's ", '"quoted"')]"#
            ),
            vec![7]
        );
        assert_eq!(ios("//*[@value='1' or @value='0']"), vec![3]);
    }

    #[test]
    fn text_is_an_attribute_never_a_text_node() {
        // As on UiAutomator2 and XCUITest: no element has a text child.
        assert_eq!(android("//*[text()='Next']"), Vec::<usize>::new());
        assert_eq!(ios("//*[text()='Next']"), Vec::<usize>::new());
        assert_eq!(android("//*[contains(text(),'agree')]"), Vec::<usize>::new());
        assert_eq!(android("//*[.='Next']"), Vec::<usize>::new(), "an element's string value is empty");
        assert_eq!(android("//android.widget.Button/text()/.."), Vec::<usize>::new());
        assert_eq!(android("//*[string-length(.)=0][@content-desc='next']"), vec![4]);
        // The attribute is where the text is.
        assert_eq!(android("//*[@text='Next']"), vec![4, 8]);
        assert_eq!(ios("//*[@label='Next']"), vec![4, 8]);
        assert_eq!(android("//*[@text='••']"), vec![2], "secure fields are masked");
        assert_eq!(ios("//*[@label='PIN']"), vec![2]);
        assert_eq!(android("//*[contains(@text,'agree')]"), vec![3]);
        assert_eq!(android("//*[normalize-space(@text)='Copy MitID now']"), vec![1]);
    }

    #[test]
    fn positions() {
        assert_eq!(android("//android.widget.Button[1]"), vec![4, 8], "first among its siblings");
        assert_eq!(android("(//android.widget.Button)[1]"), vec![4]);
        assert_eq!(android("(//android.widget.Button)[last()]"), vec![8]);
        assert_eq!(android("//android.widget.Button[last()]"), vec![5, 8]);
        assert_eq!(android("/hierarchy/*/*[position()<3]"), vec![1, 2]);
        assert_eq!(android("/hierarchy/*/*[position()>=last()-1]"), vec![5, 6]);
        assert_eq!(android("/hierarchy/*/*[2][@content-desc='pin']"), vec![2]);
        assert_eq!(android("/hierarchy/*/*[@content-desc='pin'][1]"), vec![2]);
        assert_eq!(android("(//*[@clickable='true'])[2]"), vec![3]);
        assert_eq!(android("//*[count(*)=2]"), vec![6]);
        assert_eq!(android("//*[99]"), Vec::<usize>::new());
    }

    #[test]
    fn parents_self_and_axes() {
        assert_eq!(android("//*[@content-desc='group_text']/.."), vec![6]);
        assert_eq!(android("//*[@content-desc='group_text']/../.."), vec![0]);
        assert_eq!(android("//*[@content-desc='copy_info']/.."), Vec::<usize>::new(), "hierarchy is a wrapper");
        assert_eq!(android("//*[@content-desc='pin']/."), vec![2]);
        assert_eq!(android("//*[@content-desc='pin']/following-sibling::*[1]"), vec![3]);
        assert_eq!(android("//*[@content-desc='accept']/preceding-sibling::*[1]"), vec![2]);
        assert_eq!(android("//*[@content-desc='group_button']/ancestor::*"), vec![0, 6]);
        assert_eq!(android("//*[@content-desc='group_button']/ancestor::*[1]"), vec![6]);
        assert_eq!(android("//*[@content-desc='next']/following::android.widget.Button"), vec![5, 8]);
        assert_eq!(android("//*[@content-desc='group_text']/preceding::android.widget.Button"), vec![4, 5]);
        assert_eq!(android("//android.widget.Button[@text='Next']/parent::*[@content-desc='group']"), vec![6]);
        assert_eq!(android("//*[child::android.widget.CheckBox]"), vec![0]);
        assert_eq!(android("//*[@*='group']"), vec![6]);
        assert_eq!(android("//*[attribute::content-desc='group']/self::node()"), vec![6]);
        assert_eq!(android("//*[descendant-or-self::*[@content-desc='group_text']]"), vec![0, 6, 7]);
    }

    #[test]
    fn unions() {
        assert_eq!(android("//*[@content-desc='next'] | //*[@content-desc='pin']"), vec![2, 4]);
        assert_eq!(android("//android.widget.Button | //*[@content-desc='next']"), vec![4, 5, 8]);
        assert_eq!(ios("//XCUIElementTypeSwitch|//XCUIElementTypeSecureTextField"), vec![2, 3]);
    }

    #[test]
    fn context_search() {
        let root = android_doc();
        let run = |expr: &str, context| evaluate(&root, expr, Some(context)).map_err(|e| e.to_string());
        assert_eq!(run(".//android.widget.Button", 6), Ok(vec![8]));
        assert_eq!(run("./*", 6), Ok(vec![7, 8]));
        assert_eq!(run("*[2]", 6), Ok(vec![8]));
        assert_eq!(run("//android.widget.Button", 6), Ok(vec![8]), "scoped to the context's subtree");
        assert_eq!(run(".", 6), Ok(vec![]), "the context itself is not a descendant");
        assert_eq!(run("..", 6), Ok(vec![]));
        assert_eq!(run(".//*", 99), Ok(vec![]), "a context not on the page has no descendants");
    }

    #[test]
    fn functions_and_arithmetic() {
        assert_eq!(android("//*[string-length(@content-desc)=4]"), vec![4]);
        assert_eq!(android("//*[substring(@content-desc,2,3)='ext']"), vec![4]);
        assert_eq!(android("//*[substring-after(@resource-id,'/')='pin']"), vec![2]);
        assert_eq!(android("//*[substring-before(@content-desc,'_')='group']"), vec![7, 8]);
        assert_eq!(android("//*[translate(@text,'NEXT','next')='next']"), vec![4, 8]);
        assert_eq!(android("//*[name()='android.widget.CheckBox']"), vec![3]);
        assert_eq!(android("//*[local-name()='android.widget.CheckBox']"), vec![3]);
        assert_eq!(android("/hierarchy/*/*[position() mod 2 = 0]"), vec![2, 4, 6]);
        assert_eq!(android("/hierarchy/*/*[position() = 6 div 2 * 1 + -(-1) - 1]"), vec![3]);
        assert_eq!(android("/hierarchy/*/*[number('2')]"), vec![2]);
        assert_eq!(android("/hierarchy/*/*[round(1.5)][floor(1.9)][ceiling(0.1)]"), vec![2]);
        assert_eq!(android("//*[true() and not(false()) and boolean(@text)][@content-desc='pin']"), vec![2]);
        assert_eq!(android("//*[sum(*/@index)=1]"), vec![6]);
        assert_eq!(android("//*[string(@index)='5']"), vec![6]);
        assert_eq!(android("//*[@index > 4]"), vec![6]);
    }

    #[test]
    fn non_elements_are_refused() {
        assert!(error("count(//*)").contains("number"));
        assert!(error("'a'").contains("string"));
        assert!(error("//android.widget.Button/@text").contains("attributes"));
        assert!(error("1 | //*").contains("node-sets"));
        assert!(error("'a'[1]").contains("node-sets"));
    }

    #[test]
    fn malformed_expressions_explain_where() {
        let cases = [
            ("//*[", "end of the expression"),
            ("//a[@b=]", "character 8"),
            ("foo(", "unsupported function 'foo()'"),
            ("///", "character 3"),
            ("", "empty"),
            ("//a]", "unexpected ']' at character 4"),
            ("//a[@b='x", "never closed"),
            ("//a[@b='x' @c]", "expected ']' to close the predicate at character 12, found '@'"),
            ("//a[ends-with(@b,'x')]", "unsupported function 'ends-with()'"),
            ("//a[matches(@b,'x')]", "unsupported function"),
            ("//a[contains(@b)]", "takes 2 argument(s), but was given 1"),
            ("//a[contains(@b,'x',)]", "expected an expression"),
            ("//a[contains(@b 'x')]", "expected ',' or ')' in the arguments of 'contains()' at character 17"),
            ("//x:a", "namespace"),
            ("//a[$v]", "variables"),
            ("//a[@b!'x']", "'!'"),
            ("//a/namespace::*", "not supported"),
            ("//a/sideways::*", "does not exist"),
            ("//a/count(b)", "cannot be a location step"),
            ("//a[1.2.3]", "malformed number"),
            ("//a#", "unexpected character '#'"),
            ("//a[@]", "expected a step"),
            ("//a[@b=]", "expected an expression (a path, '@attribute', string, number or function call) at character 8, found ']'"),
            ("//a[1 +]", "expected an expression"),
            ("(//a", "to close the parenthesis"),
            ("//a[.[1]]", "expected ']' to close the predicate at character 6, found '['"),
            ("/ /", "unexpected '/'"),
            ("//text(", "to close 'text('"),
        ];
        for (expr, expected) in cases {
            let reason = error(expr);
            assert!(reason.contains(expected), "`{expr}`: {reason:?} should mention {expected:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = format!("//*{}{}", "[*".repeat(40), "]".repeat(40));
        assert!(error(&deep).contains("nested more than 32"));
        let parens = format!("{}//*{}", "(".repeat(100), ")".repeat(100));
        assert!(error(&parens).contains("nested"));
        let calls = format!("//*[{}1{}]", "not(".repeat(50), ")".repeat(50));
        assert!(error(&calls).contains("nested"));
        let ok = format!("//*{}{}", "[*".repeat(20), "]".repeat(20));
        assert_eq!(android(&ok), Vec::<usize>::new());
        // Long flat chains are not nesting and must not overflow the stack.
        let chain = vec!["1"; 5000].join("+");
        assert!(error(&chain).contains("number"));
        let minus = format!("{}1", "-".repeat(5000));
        assert!(error(&minus).contains("number"));
    }

    #[test]
    fn runaway_work_is_cut_off() {
        let expr = format!("//*{}{}", "[//*".repeat(10), "]".repeat(10));
        assert!(error(&expr).contains("too expensive"));
    }

    #[test]
    fn every_prefix_is_handled_without_panic() {
        let exprs = [
            "//android.widget.Button[@text='Next' and not(@enabled=\"false\")][last()]",
            "/hierarchy/android.widget.FrameLayout/*[position()<3]/../*[1] | //*[contains(@content-desc,'x')]",
            "(//*[starts-with(@name,'a') or normalize-space(text())='b'])[2]/following-sibling::*",
            "/AppiumAUT/XCUIElementTypeApplication//XCUIElementTypeButton[@name='next']/ancestor-or-self::node()",
            "//*[substring(@text, 2 div 1, -1 + 3 * 2 mod 4) != translate('a', 'b', 'c')]/@text/..",
            "./..//*[count(preceding::*) >= 1.5][processing-instruction('x') or comment() or text()]",
        ];
        let roots = [android_doc(), ios_doc()];
        for expr in exprs {
            let chars: Vec<char> = expr.chars().collect();
            for end in 0..=chars.len() {
                let prefix: String = chars[..end].iter().collect();
                for root in &roots {
                    for context in [None, Some(0), Some(6)] {
                        let _ = evaluate(root, &prefix, context);
                    }
                }
            }
        }
        // The full expressions are all valid.
        for expr in exprs {
            let result = evaluate(&roots[0], expr, None);
            assert!(
                result.is_ok() || result.as_ref().is_err_and(|e| e.reason.contains("attributes")),
                "{expr}: {result:?}"
            );
        }
    }
}
