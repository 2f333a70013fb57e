//! `-android uiautomator`: the `UiSelector` forms tests commonly write,
//! with UiAutomator's meaning, over UiAutomator2's page source.
//!
//! `new UiSelector()` then any chain of `text`, `textContains`,
//! `textStartsWith`, `textMatches`, `description` (and its `Contains`,
//! `StartsWith`, `Matches`), `resourceId`, `resourceIdMatches`, `className`,
//! `classNameMatches`, `packageName`, `packageNameMatches`, `checkable`,
//! `checked`, `clickable`, `enabled`, `focusable`, `focused`,
//! `longClickable`, `scrollable`, `selected`, `index` and `instance`; a
//! trailing `;` is allowed. `*Matches` is a Java regular expression that
//! must match the whole value. Anything else (`UiScrollable`,
//! `childSelector`, several selectors) is refused as an invalid selector
//! naming what is not served.

use regex::Regex;

use crate::dom::XmlNode;

/// One condition of a selector on an element's attributes.
enum Cond {
    Text { attr: &'static str, test: StrTest },
    Flag { attr: &'static str, value: bool },
    Index(usize),
}

enum StrTest {
    Equals(String),
    Contains(String),
    StartsWith(String),
    Matches(Regex),
}

/// A parsed `new UiSelector()...` chain.
pub struct UiSelector {
    conds: Vec<Cond>,
    /// `instance(n)`: the n-th match (0-based) of all the others.
    instance: Option<usize>,
}

impl UiSelector {
    /// The matching elements' node indices, in document order.
    pub fn select(&self, candidates: &[&XmlNode]) -> Vec<usize> {
        let found = candidates.iter().filter(|n| self.matches(n)).filter_map(|n| n.node_index);
        match self.instance {
            Some(n) => found.skip(n).take(1).collect(),
            None => found.collect(),
        }
    }

    fn matches(&self, node: &XmlNode) -> bool {
        self.conds.iter().all(|cond| match cond {
            Cond::Text { attr, test } => {
                let value = node.attr(attr).unwrap_or_default();
                match test {
                    StrTest::Equals(s) => value == s,
                    StrTest::Contains(s) => value.contains(s.as_str()),
                    StrTest::StartsWith(s) => value.starts_with(s.as_str()),
                    StrTest::Matches(re) => re.is_match(value),
                }
            }
            Cond::Flag { attr, value } => node.attr(attr) == Some(if *value { "true" } else { "false" }),
            Cond::Index(i) => node.attr("index").and_then(|v| v.parse::<usize>().ok()) == Some(*i),
        })
    }
}

enum Arg {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl Arg {
    fn kind(&self) -> &'static str {
        match self {
            Arg::Str(_) => "a string",
            Arg::Int(_) => "a number",
            Arg::Bool(_) => "a boolean",
        }
    }
}

/// Parses a selector, or says what is wrong with it.
pub fn parse(source: &str) -> Result<UiSelector, String> {
    let mut rest = source.trim();
    if rest.starts_with("new UiScrollable") {
        return Err("UiScrollable is not served by this farm: its screens do not scroll; use new UiSelector()".into());
    }
    rest = expect(rest, "new")?;
    if !rest.starts_with(char::is_whitespace) {
        return Err("expected 'new UiSelector()'".into());
    }
    rest = expect(rest.trim_start(), "UiSelector")?;
    rest = expect(rest.trim_start(), "(")?;
    rest = expect(rest.trim_start(), ")")?;
    let mut selector = UiSelector { conds: Vec::new(), instance: None };
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        if let Some(after) = rest.strip_prefix(';') {
            if after.trim().is_empty() {
                break;
            }
            return Err("only one selector is served; remove what follows ';'".into());
        }
        rest = expect(rest, ".")?.trim_start();
        let name_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_len);
        if name.is_empty() {
            return Err(format!("expected a method name after '.', found '{}'", snippet(rest)));
        }
        let after = expect(after.trim_start(), "(").map_err(|_| format!("expected '(' after '.{name}'"))?;
        let (arg, after) = argument(after.trim_start()).map_err(|e| format!(".{name}(): {e}"))?;
        rest = expect(after.trim_start(), ")").map_err(|_| format!("expected ')' to close '.{name}('"))?;
        add(&mut selector, name, arg)?;
    }
    Ok(selector)
}

fn add(selector: &mut UiSelector, name: &str, arg: Arg) -> Result<(), String> {
    let text_attr = |prefix: &str| match prefix {
        "text" => Some("text"),
        "description" => Some("content-desc"),
        "resourceId" => Some("resource-id"),
        "className" => Some("class"),
        "packageName" => Some("package"),
        _ => None,
    };
    let flag_attr = match name {
        "checkable" => Some("checkable"),
        "checked" => Some("checked"),
        "clickable" => Some("clickable"),
        "enabled" => Some("enabled"),
        "focusable" => Some("focusable"),
        "focused" => Some("focused"),
        "longClickable" => Some("long-clickable"),
        "scrollable" => Some("scrollable"),
        "selected" => Some("selected"),
        _ => None,
    };
    if let Some(attr) = flag_attr {
        let Arg::Bool(value) = arg else { return Err(format!(".{name}() takes true or false, not {}", arg.kind())) };
        selector.conds.push(Cond::Flag { attr, value });
        return Ok(());
    }
    if name == "index" || name == "instance" {
        let Arg::Int(n) = arg else { return Err(format!(".{name}() takes a number, not {}", arg.kind())) };
        let n = usize::try_from(n).map_err(|_| format!(".{name}() takes a number from 0 up, not {n}"))?;
        if name == "index" {
            selector.conds.push(Cond::Index(n));
        } else {
            selector.instance = Some(n);
        }
        return Ok(());
    }
    let (prefix, kind) = ["Contains", "StartsWith", "Matches"]
        .into_iter()
        .find_map(|suffix| name.strip_suffix(suffix).map(|p| (p, suffix)))
        .unwrap_or((name, ""));
    let Some(attr) = text_attr(prefix) else {
        return Err(format!(
            "'.{name}()' is not a UiSelector method this farm serves (it serves text, textContains, textStartsWith, \
             textMatches, description…, resourceId, resourceIdMatches, className, classNameMatches, packageName, \
             the boolean states, index and instance)"
        ));
    };
    if matches!((prefix, kind), ("resourceId" | "className" | "packageName", "Contains" | "StartsWith")) {
        return Err(format!("'.{name}()' is not a UiSelector method (UiSelector has {prefix} and {prefix}Matches)"));
    }
    let Arg::Str(value) = arg else { return Err(format!(".{name}() takes a string, not {}", arg.kind())) };
    let test = match kind {
        "Contains" => StrTest::Contains(value),
        "StartsWith" => StrTest::StartsWith(value),
        "Matches" => StrTest::Matches(
            Regex::new(&format!("^(?:{value})$"))
                .map_err(|e| format!(".{name}(): '{value}' is not a regular expression: {e}"))?,
        ),
        _ => StrTest::Equals(value),
    };
    selector.conds.push(Cond::Text { attr, test });
    Ok(())
}

fn argument(input: &str) -> Result<(Arg, &str), String> {
    if input.starts_with('"') {
        let (s, rest) = super::quoted_string(input)?;
        return Ok((Arg::Str(s), rest));
    }
    for (word, value) in [("true", true), ("false", false)] {
        if let Some(rest) = input.strip_prefix(word) {
            return Ok((Arg::Bool(value), rest));
        }
    }
    let end = input.find(|c: char| !(c.is_ascii_digit() || c == '-')).unwrap_or(input.len());
    if end > 0 {
        let n = input[..end].parse::<i64>().map_err(|_| format!("'{}' is not a number", &input[..end]))?;
        return Ok((Arg::Int(n), &input[end..]));
    }
    Err(format!("expected a \"string\", a number, true or false, found '{}'", snippet(input)))
}

fn expect<'a>(input: &'a str, token: &str) -> Result<&'a str, String> {
    input.strip_prefix(token).ok_or_else(|| {
        if input.is_empty() {
            format!("expected '{token}' at the end")
        } else {
            format!("expected '{token}', found '{}'", snippet(input))
        }
    })
}

fn snippet(s: &str) -> String {
    s.chars().take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(index: usize, attrs: &[(&str, &str)]) -> XmlNode {
        XmlNode {
            tag: attrs.iter().find(|(k, _)| *k == "class").map_or("x", |(_, v)| v).to_string(),
            attrs: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            children: Vec::new(),
            node_index: Some(index),
        }
    }

    fn nodes() -> Vec<XmlNode> {
        vec![
            node(
                0,
                &[
                    ("index", "0"),
                    ("class", "android.widget.TextView"),
                    ("text", "Get started"),
                    ("content-desc", "title"),
                    ("resource-id", "dk.mitid.app.android:id/title"),
                    ("package", "dk.mitid.app.android"),
                    ("enabled", "true"),
                    ("checked", "false"),
                ],
            ),
            node(
                1,
                &[
                    ("index", "1"),
                    ("class", "android.widget.Button"),
                    ("text", "Next"),
                    ("content-desc", "next"),
                    ("resource-id", "dk.mitid.app.android:id/next"),
                    ("package", "dk.mitid.app.android"),
                    ("enabled", "true"),
                    ("checked", "false"),
                ],
            ),
            node(
                2,
                &[
                    ("index", "2"),
                    ("class", "android.widget.Button"),
                    ("text", "Next step"),
                    ("content-desc", "next_2"),
                    ("resource-id", "dk.mitid.app.android:id/next_2"),
                    ("package", "dk.mitid.app.android"),
                    ("enabled", "false"),
                    ("checked", "false"),
                ],
            ),
            node(
                3,
                &[
                    ("index", "3"),
                    ("class", "android.widget.CheckBox"),
                    ("text", "I agree"),
                    ("content-desc", "agree"),
                    ("resource-id", ""),
                    ("package", "dk.mitid.app.android"),
                    ("enabled", "true"),
                    ("checked", "true"),
                ],
            ),
        ]
    }

    fn select(source: &str) -> Vec<usize> {
        let owned = nodes();
        let refs: Vec<&XmlNode> = owned.iter().collect();
        match parse(source) {
            Ok(s) => s.select(&refs),
            Err(e) => panic!("{source}: {e}"),
        }
    }

    fn refused(source: &str) -> String {
        match parse(source) {
            Ok(_) => panic!("{source} should be refused"),
            Err(e) => e,
        }
    }

    #[test]
    fn text_forms() {
        assert_eq!(select(r#"new UiSelector().text("Next")"#), vec![1]);
        assert_eq!(select(r#"new UiSelector().textContains("Next")"#), vec![1, 2]);
        assert_eq!(select(r#"new UiSelector().textStartsWith("Get")"#), vec![0]);
        assert_eq!(select(r#"new UiSelector().textMatches("Next|I .*")"#), vec![1, 3]);
        assert_eq!(select(r#"new UiSelector().textMatches("Nex")"#), Vec::<usize>::new(), "a whole-value match");
        assert_eq!(select(r#"new UiSelector().text("Say \"hi\"")"#), Vec::<usize>::new());
    }

    #[test]
    fn ids_descriptions_classes_and_states() {
        assert_eq!(select(r#"new UiSelector().resourceId("dk.mitid.app.android:id/next")"#), vec![1]);
        assert_eq!(
            select(r#"new UiSelector().resourceId("next")"#),
            Vec::<usize>::new(),
            "the full id, as UiSelector wants"
        );
        assert_eq!(select(r#"new UiSelector().resourceIdMatches(".*:id/next.*")"#), vec![1, 2]);
        assert_eq!(select(r#"new UiSelector().description("agree")"#), vec![3]);
        assert_eq!(select(r#"new UiSelector().descriptionContains("next")"#), vec![1, 2]);
        assert_eq!(select(r#"new UiSelector().className("android.widget.Button").enabled(true)"#), vec![1]);
        assert_eq!(select(r#"new UiSelector().checked(true)"#), vec![3]);
        assert_eq!(select(r#"new UiSelector().packageName("dk.mitid.app.android").index(2)"#), vec![2]);
        assert_eq!(select(r#"  new  UiSelector() . className( "android.widget.Button" ) .instance(1) ; "#), vec![2]);
        assert_eq!(select(r#"new UiSelector().className("android.widget.Button").instance(5)"#), Vec::<usize>::new());
        assert_eq!(select("new UiSelector()"), vec![0, 1, 2, 3]);
    }

    #[test]
    fn what_is_not_served_is_named() {
        assert!(refused(
            r#"new UiScrollable(new UiSelector().scrollable(true)).scrollIntoView(new UiSelector().text("x"))"#
        )
        .contains("UiScrollable"));
        assert!(refused(r#"new UiSelector().childSelector(new UiSelector().text("x"))"#).contains("childSelector"));
        assert!(refused(r#"new UiSelector().magic("x")"#).contains("'.magic()'"));
        assert!(refused(r#"new UiSelector().resourceIdContains("x")"#).contains("not a UiSelector method"));
        assert!(refused(r#"new UiSelector().text("a"); new UiSelector().text("b")"#).contains("one selector"));
        assert!(refused(r#"new UiSelector().enabled("yes")"#).contains("true or false"));
        assert!(refused(r#"new UiSelector().text(3)"#).contains("string"));
        assert!(refused(r#"new UiSelector().instance(-1)"#).contains("from 0"));
        assert!(refused(r#"new UiSelector().textMatches("(")"#).contains("regular expression"));
        assert!(refused(r#"new UiSelector().text("open"#).contains("never closed"));
        assert!(refused(r#"new UiSelector().text("x""#).contains("')'"));
        assert!(refused(r#"UiSelector().text("x")"#).contains("'new'"));
        assert!(refused(r#"new UiSelector.text("x")"#).contains("'('"));
        assert!(refused("").contains("'new'"));
        assert!(refused("new UiSelector().").contains("method name"));
    }
}
