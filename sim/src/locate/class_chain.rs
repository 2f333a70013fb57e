//! `-ios class chain`: WebDriverAgent's class chain queries over XCUITest's
//! page source, from the application element (or the context element).
//!
//! Steps separated by `/`, each a type (`XCUIElementTypeButton`) or `*`;
//! `**/` before a step searches all descendants instead of the children.
//! After a step, any number of filters, applied in order to all of the
//! step's matches: `` [`predicate`] `` (an `-ios predicate string`),
//! `[$predicate$]` (has a descendant matching it) and `[n]` (the n-th match,
//! 1-based; negative counts from the end).

use super::predicate::{self, Predicate};
use crate::dom::XmlNode;

enum Filter {
    Predicate(Predicate),
    HasDescendant(Predicate),
    Index(i64),
}

struct Step {
    descendants: bool,
    /// `None` for `*`.
    class: Option<String>,
    filters: Vec<Filter>,
}

/// A parsed class chain.
pub struct ClassChain {
    steps: Vec<Step>,
}

/// Parses a class chain, or says what is wrong with it.
pub fn parse(source: &str) -> Result<ClassChain, String> {
    let chars: Vec<char> = source.trim().chars().collect();
    if chars.is_empty() {
        return Err("the class chain is empty".into());
    }
    let mut i = 0;
    let mut steps = Vec::new();
    loop {
        let mut descendants = false;
        if chars[i..].starts_with(&['*', '*', '/']) {
            descendants = true;
            i += 3;
        }
        let start = i;
        while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '*' || chars[i] == '_') {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        let class = match name.as_str() {
            "" => return Err(format!("expected a type or '*' at character {}", start + 1)),
            "*" => None,
            "**" => return Err("'**' must be followed by '/' and a step".into()),
            n if n.starts_with("XCUIElementType") && !n.contains('*') => Some(n.to_owned()),
            n => return Err(format!("'{n}' is not an element type (XCUIElementType…) or '*'")),
        };
        let mut filters = Vec::new();
        while i < chars.len() && chars[i] == '[' {
            let open = i;
            i += 1;
            match chars.get(i) {
                Some(&q @ ('`' | '$')) => {
                    let body_start = i + 1;
                    let close = (body_start..chars.len())
                        .find(|&j| chars[j] == q && chars.get(j + 1) == Some(&']'))
                        .ok_or_else(|| format!("the filter at character {} is never closed with {q}]", open + 1))?;
                    let body: String = chars[body_start..close].iter().collect();
                    let p = predicate::parse(&body).map_err(|e| format!("in the predicate `{body}`: {e}"))?;
                    filters.push(if q == '`' { Filter::Predicate(p) } else { Filter::HasDescendant(p) });
                    i = close + 2;
                }
                _ => {
                    let close = (i..chars.len())
                        .find(|&j| chars[j] == ']')
                        .ok_or_else(|| format!("the '[' at character {} is never closed", open + 1))?;
                    let body: String = chars[i..close].iter().collect();
                    let n: i64 = body.trim().parse().map_err(|_| {
                        format!("'[{body}]' is neither an index nor a predicate in `backticks` or $dollars$")
                    })?;
                    if n == 0 {
                        return Err("indices start at 1 (negative ones count from the end), not 0".into());
                    }
                    filters.push(Filter::Index(n));
                    i = close + 1;
                }
            }
        }
        steps.push(Step { descendants, class, filters });
        match chars.get(i) {
            None => break,
            Some('/') => {
                i += 1;
                if i == chars.len() {
                    return Err("the class chain ends with '/'".into());
                }
            }
            Some(c) => return Err(format!("unexpected '{c}' at character {}", i + 1)),
        }
    }
    Ok(ClassChain { steps })
}

impl ClassChain {
    /// The node indices the chain selects under `start`, in document order.
    pub fn select(&self, start: &XmlNode) -> Result<Vec<usize>, String> {
        // `start`'s subtree in document order; each entry's parent and the
        // end of its own subtree.
        let mut flat: Vec<(&XmlNode, usize)> = Vec::new();
        let mut stack = vec![(start, usize::MAX)];
        while let Some((node, parent)) = stack.pop() {
            let id = flat.len();
            flat.push((node, parent));
            stack.extend(node.children.iter().rev().map(|c| (c, id)));
        }
        // Pre-order: a node's subtree ends where its last child's does.
        let mut end: Vec<usize> = (1..=flat.len()).collect();
        for id in (1..flat.len()).rev() {
            let parent = flat[id].1;
            end[parent] = end[parent].max(end[id]);
        }
        let mut current = vec![0usize];
        for step in &self.steps {
            let mut next: Vec<usize> = Vec::new();
            for &at in &current {
                let below = at + 1..end[at];
                if step.descendants {
                    next.extend(below);
                } else {
                    next.extend(below.filter(|&d| flat[d].1 == at));
                }
            }
            next.sort_unstable();
            next.dedup();
            next.retain(|&d| step.class.as_deref().is_none_or(|c| flat[d].0.tag == c));
            for filter in &step.filters {
                next = match filter {
                    Filter::Predicate(p) => next.into_iter().filter(|&d| p.matches(flat[d].0)).collect(),
                    Filter::HasDescendant(p) => {
                        next.into_iter().filter(|&d| (d + 1..end[d]).any(|e| p.matches(flat[e].0))).collect()
                    }
                    Filter::Index(n) => {
                        let len = next.len() as i64;
                        let at = if *n > 0 { n - 1 } else { len + n };
                        if (0..len).contains(&at) {
                            vec![next[at as usize]]
                        } else {
                            Vec::new()
                        }
                    }
                };
            }
            current = next;
        }
        Ok(current.into_iter().filter_map(|d| flat[d].0.node_index).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(tag: &str, index: Option<usize>, name: &str, label: &str, children: Vec<XmlNode>) -> XmlNode {
        XmlNode {
            tag: tag.into(),
            attrs: vec![("type".into(), tag.into()), ("name".into(), name.into()), ("label".into(), label.into())],
            children,
            node_index: index,
        }
    }

    /// app > screen(0) > [title(1), next(2), group(3) > [cancel(4), ok(5)]]
    fn app() -> XmlNode {
        let group = el(
            "XCUIElementTypeOther",
            Some(3),
            "group",
            "",
            vec![
                el("XCUIElementTypeButton", Some(4), "cancel", "Cancel", vec![]),
                el("XCUIElementTypeButton", Some(5), "ok", "OK", vec![]),
            ],
        );
        let screen = el(
            "XCUIElementTypeOther",
            Some(0),
            "screen",
            "",
            vec![
                el("XCUIElementTypeStaticText", Some(1), "title", "Hello", vec![]),
                el("XCUIElementTypeButton", Some(2), "next", "Next", vec![]),
                group,
            ],
        );
        el("XCUIElementTypeApplication", None, "MitID", "MitID", vec![screen])
    }

    fn select(chain: &str) -> Vec<usize> {
        parse(chain).and_then(|c| c.select(&app())).unwrap_or_else(|e| panic!("{chain}: {e}"))
    }

    fn refused(chain: &str) -> String {
        match parse(chain) {
            Ok(_) => panic!("{chain} should be refused"),
            Err(e) => e,
        }
    }

    #[test]
    fn steps_and_filters() {
        assert_eq!(select("**/XCUIElementTypeButton"), vec![2, 4, 5]);
        assert_eq!(select("**/XCUIElementTypeButton[`label == \"Next\"`]"), vec![2]);
        assert_eq!(select("**/XCUIElementTypeButton[`label BEGINSWITH 'C' OR label == 'OK'`]"), vec![4, 5]);
        assert_eq!(select("XCUIElementTypeOther"), vec![0]);
        assert_eq!(select("XCUIElementTypeOther/XCUIElementTypeButton"), vec![2]);
        assert_eq!(select("XCUIElementTypeOther/*[2]"), vec![2]);
        assert_eq!(select("**/XCUIElementTypeButton[-1]"), vec![5]);
        assert_eq!(select("**/XCUIElementTypeButton[9]"), Vec::<usize>::new());
        assert_eq!(select("**/XCUIElementTypeOther[$name == 'ok'$]"), vec![0, 3]);
        assert_eq!(select("**/XCUIElementTypeOther[`name == 'group'`]/XCUIElementTypeButton[1]"), vec![4]);
        assert_eq!(select("**/*[`name == 'MitID'`]"), Vec::<usize>::new(), "the application is where it starts");
    }

    #[test]
    fn malformed_chains_say_why() {
        assert!(refused("").contains("empty"));
        assert!(refused("Button").contains("not an element type"));
        assert!(refused("**/XCUIElementTypeButton[`label == `]").contains("in the predicate"));
        assert!(refused("**/XCUIElementTypeButton[`label == 'x'").contains("never closed"));
        assert!(refused("**/XCUIElementTypeButton[0]").contains("start at 1"));
        assert!(refused("**/XCUIElementTypeButton[x]").contains("neither an index"));
        assert!(refused("XCUIElementTypeOther/").contains("ends with '/'"));
        assert!(refused("XCUIElementTypeOther?").contains("unexpected '?'"));
        assert!(refused("**").contains("'**'"));
    }
}
