//! `-ios predicate string`: the NSPredicate forms tests commonly write, with
//! WebDriverAgent's meaning, over XCUITest's page source.
//!
//! Comparisons `key op literal` where key is one of WebDriverAgent's
//! element attributes (`name`, `label`, `value`, `type`, `enabled`,
//! `visible`, `accessible`, `index`, their `wd…` spellings, and
//! `identifier`), op is `==` `=` `!=` `<>` `<` `<=` `>` `>=` `CONTAINS`
//! `BEGINSWITH` `ENDSWITH` `LIKE` `MATCHES` (with the `[c]`, `[d]`, `[cd]`
//! modifiers; `[d]` changes nothing on this app's texts), and the literal a
//! quoted string, a number, `YES`/`NO`/`TRUE`/`FALSE` or `nil`; joined by
//! `AND` `&&` `OR` `||` `NOT` `!` and parentheses; `TRUEPREDICATE`,
//! `FALSEPREDICATE`. Keywords are case-insensitive, as NSPredicate's are.
//! Anything else is refused as an invalid selector saying what.

use regex::Regex;

use crate::dom::XmlNode;

/// A parsed predicate.
#[derive(Debug)]
pub enum Predicate {
    Const(bool),
    Not(Box<Predicate>),
    And(Vec<Predicate>),
    Or(Vec<Predicate>),
    Compare { attr: &'static str, op: Op, case_insensitive: bool, literal: Literal },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    BeginsWith,
    EndsWith,
    Like,
    Matches,
}

#[derive(Debug)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Nil,
    /// The compiled pattern of LIKE or MATCHES.
    Pattern(Regex),
}

impl Predicate {
    pub fn matches(&self, node: &XmlNode) -> bool {
        match self {
            Predicate::Const(b) => *b,
            Predicate::Not(p) => !p.matches(node),
            Predicate::And(ps) => ps.iter().all(|p| p.matches(node)),
            Predicate::Or(ps) => ps.iter().any(|p| p.matches(node)),
            Predicate::Compare { attr, op, case_insensitive, literal } => {
                compare(node.attr(attr), *op, *case_insensitive, literal)
            }
        }
    }
}

fn compare(value: Option<&str>, op: Op, ci: bool, literal: &Literal) -> bool {
    let fold = |s: &str| if ci { s.to_lowercase() } else { s.to_owned() };
    match (value, literal) {
        (None, Literal::Nil) => matches!(op, Op::Eq),
        (Some(_), Literal::Nil) => matches!(op, Op::Ne),
        (None, _) => matches!(op, Op::Ne),
        // A boolean attribute compared with 1 or 0, as NSPredicate compares
        // a BOOL with a number.
        (Some(v @ ("true" | "false")), Literal::Num(n)) => compare(Some(v), op, ci, &Literal::Bool(*n != 0.0)),
        (Some(v), Literal::Bool(b)) => {
            let truthy = v == "true" || v == "1";
            match op {
                Op::Eq => truthy == *b,
                Op::Ne => truthy != *b,
                _ => false,
            }
        }
        (Some(v), Literal::Num(n)) => {
            let Ok(x) = v.parse::<f64>() else { return matches!(op, Op::Ne) };
            match op {
                Op::Eq => x == *n,
                Op::Ne => x != *n,
                Op::Lt => x < *n,
                Op::Le => x <= *n,
                Op::Gt => x > *n,
                Op::Ge => x >= *n,
                _ => false,
            }
        }
        (Some(v), Literal::Pattern(re)) => re.is_match(v),
        (Some(v), Literal::Str(s)) => {
            let (v, s) = (fold(v), fold(s));
            match op {
                Op::Eq => v == s,
                Op::Ne => v != s,
                Op::Lt => v < s,
                Op::Le => v <= s,
                Op::Gt => v > s,
                Op::Ge => v >= s,
                Op::Contains => v.contains(&s),
                Op::BeginsWith => v.starts_with(&s),
                Op::EndsWith => v.ends_with(&s),
                Op::Like | Op::Matches => false,
            }
        }
    }
}

/// The page source attribute a predicate key reads.
fn attribute(key: &str) -> Option<&'static str> {
    Some(match key {
        "name" | "wdName" | "identifier" => "name",
        "label" | "wdLabel" => "label",
        "value" | "wdValue" => "value",
        "type" | "wdType" => "type",
        "enabled" | "wdEnabled" | "isEnabled" => "enabled",
        "visible" | "wdVisible" | "isVisible" => "visible",
        "accessible" | "wdAccessible" | "isAccessible" => "accessible",
        "index" | "wdIndex" => "index",
        _ => return None,
    })
}

// --- lexing --------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    Sym(&'static str),
    /// `[c]`, `[d]`, `[cd]`: whether case is ignored.
    Modifier(bool),
}

fn lex(input: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut rest = input;
    loop {
        rest = rest.trim_start();
        let Some(c) = rest.chars().next() else { break };
        if c == '\'' || c == '"' {
            let (s, after) = super::quoted_string(rest)?;
            out.push(Tok::Str(s));
            rest = after;
            continue;
        }
        if c == '[' {
            let end = rest.find(']').ok_or("a '[' is never closed")?;
            let modifier = rest[1..end].to_ascii_lowercase();
            if modifier.is_empty() || !modifier.chars().all(|m| m == 'c' || m == 'd') {
                return Err(format!("'[{}]' is not a string comparison modifier ([c], [d] or [cd])", &rest[1..end]));
            }
            out.push(Tok::Modifier(modifier.contains('c')));
            rest = &rest[end + 1..];
            continue;
        }
        if c.is_ascii_digit() || (c == '-' && rest[1..].starts_with(|d: char| d.is_ascii_digit())) {
            let end = rest[1..].find(|d: char| !(d.is_ascii_digit() || d == '.')).map_or(rest.len(), |i| i + 1);
            let n = rest[..end].parse::<f64>().map_err(|_| format!("'{}' is not a number", &rest[..end]))?;
            out.push(Tok::Num(n));
            rest = &rest[end..];
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '$' {
            let end = rest.find(|d: char| !(d.is_alphanumeric() || d == '_' || d == '$')).unwrap_or(rest.len());
            out.push(Tok::Ident(rest[..end].to_owned()));
            rest = &rest[end..];
            continue;
        }
        let sym = ["==", "!=", "<>", "<=", ">=", "=<", "=>", "&&", "||", "=", "<", ">", "!", "(", ")"]
            .into_iter()
            .find(|s| rest.starts_with(s))
            .ok_or_else(|| format!("unexpected character '{c}'"))?;
        out.push(Tok::Sym(sym));
        rest = &rest[sym.len()..];
    }
    Ok(out)
}

// --- parsing -------------------------------------------------------------------

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

/// Deeper nesting is refused, which bounds the recursion.
const MAX_NESTING: usize = 32;

/// Parses a predicate, or says what is wrong with it.
pub fn parse(source: &str) -> Result<Predicate, String> {
    let toks = lex(source)?;
    if toks.is_empty() {
        return Err("the predicate is empty".into());
    }
    let mut p = Parser { toks, pos: 0, depth: 0 };
    let predicate = p.or()?;
    match p.toks.get(p.pos) {
        None => Ok(predicate),
        Some(t) => Err(format!("unexpected {} after a complete predicate", describe(t))),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Str(s) => format!("the string '{s}'"),
        Tok::Num(n) => format!("the number {n}"),
        Tok::Sym(s) => format!("'{s}'"),
        Tok::Modifier(_) => "a [c]/[d] modifier".into(),
    }
}

impl Parser {
    fn peek_keyword(&self, words: &[&str]) -> bool {
        match self.toks.get(self.pos) {
            Some(Tok::Ident(s)) => words.iter().any(|w| s.eq_ignore_ascii_case(w)),
            Some(Tok::Sym(s)) => words.contains(s),
            _ => false,
        }
    }

    fn or(&mut self) -> Result<Predicate, String> {
        let mut parts = vec![self.and()?];
        while self.peek_keyword(&["OR", "||"]) {
            self.pos += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Predicate::Or(parts) })
    }

    fn and(&mut self) -> Result<Predicate, String> {
        let mut parts = vec![self.not()?];
        while self.peek_keyword(&["AND", "&&"]) {
            self.pos += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Predicate::And(parts) })
    }

    fn not(&mut self) -> Result<Predicate, String> {
        if self.peek_keyword(&["NOT", "!"]) {
            self.pos += 1;
            self.nest()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Predicate::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn nest(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!("the predicate is nested more than {MAX_NESTING} deep"));
        }
        Ok(())
    }

    fn primary(&mut self) -> Result<Predicate, String> {
        match self.toks.get(self.pos).cloned() {
            Some(Tok::Sym("(")) => {
                self.pos += 1;
                self.nest()?;
                let inner = self.or()?;
                self.depth -= 1;
                match self.toks.get(self.pos) {
                    Some(Tok::Sym(")")) => {
                        self.pos += 1;
                        Ok(inner)
                    }
                    Some(t) => Err(format!("expected ')', found {}", describe(t))),
                    None => Err("a '(' is never closed".into()),
                }
            }
            Some(Tok::Ident(word)) if word.eq_ignore_ascii_case("TRUEPREDICATE") => {
                self.pos += 1;
                Ok(Predicate::Const(true))
            }
            Some(Tok::Ident(word)) if word.eq_ignore_ascii_case("FALSEPREDICATE") => {
                self.pos += 1;
                Ok(Predicate::Const(false))
            }
            Some(Tok::Ident(key)) => {
                self.pos += 1;
                self.comparison(&key)
            }
            Some(t) => Err(format!("expected an attribute (name, label, value, type, …), found {}", describe(&t))),
            None => Err("expected a comparison at the end of the predicate".into()),
        }
    }

    fn comparison(&mut self, key: &str) -> Result<Predicate, String> {
        let attr = attribute(key).ok_or_else(|| {
            format!(
                "'{key}' is not an element attribute (name, label, value, type, enabled, visible, accessible, index)"
            )
        })?;
        let op = match self.toks.get(self.pos) {
            Some(Tok::Sym("==" | "=")) => Op::Eq,
            Some(Tok::Sym("!=" | "<>")) => Op::Ne,
            Some(Tok::Sym("<")) => Op::Lt,
            Some(Tok::Sym("<=" | "=<")) => Op::Le,
            Some(Tok::Sym(">")) => Op::Gt,
            Some(Tok::Sym(">=" | "=>")) => Op::Ge,
            Some(Tok::Ident(w)) => match w.to_ascii_uppercase().as_str() {
                "CONTAINS" => Op::Contains,
                "BEGINSWITH" => Op::BeginsWith,
                "ENDSWITH" => Op::EndsWith,
                "LIKE" => Op::Like,
                "MATCHES" => Op::Matches,
                other => return Err(format!("'{other}' after '{key}' is not an operator this farm serves")),
            },
            Some(t) => return Err(format!("expected an operator after '{key}', found {}", describe(t))),
            None => return Err(format!("expected an operator after '{key}'")),
        };
        self.pos += 1;
        let mut case_insensitive = false;
        if let Some(Tok::Modifier(ci)) = self.toks.get(self.pos) {
            case_insensitive = *ci;
            self.pos += 1;
        }
        let literal = match self.toks.get(self.pos).cloned() {
            Some(Tok::Str(s)) => Literal::Str(s),
            Some(Tok::Num(n)) => Literal::Num(n),
            Some(Tok::Ident(w)) => match w.to_ascii_uppercase().as_str() {
                "YES" | "TRUE" => Literal::Bool(true),
                "NO" | "FALSE" => Literal::Bool(false),
                "NIL" | "NULL" => Literal::Nil,
                _ => {
                    return Err(format!(
                        "expected a quoted string, a number, YES, NO or nil after '{key}', found '{w}'"
                    ))
                }
            },
            Some(t) => return Err(format!("expected a value after '{key}', found {}", describe(&t))),
            None => return Err(format!("expected a value after '{key}' at the end of the predicate")),
        };
        self.pos += 1;
        let literal = match (op, literal) {
            (Op::Like | Op::Matches, Literal::Str(s)) => {
                let body = if op == Op::Like { like_to_regex(&s) } else { s.clone() };
                let flags = if case_insensitive { "(?i)" } else { "" };
                Literal::Pattern(
                    Regex::new(&format!("{flags}^(?:{body})$"))
                        .map_err(|e| format!("'{s}' is not a regular expression: {e}"))?,
                )
            }
            (Op::Contains | Op::BeginsWith | Op::EndsWith | Op::Like | Op::Matches, l)
                if !matches!(l, Literal::Str(_)) =>
            {
                return Err(format!("'{key}' with a string operator needs a quoted string"))
            }
            (_, l) => l,
        };
        Ok(Predicate::Compare { attr, op, case_insensitive, literal })
    }
}

/// LIKE's wildcards, `*` any run and `?` one character, as a regex body.
fn like_to_regex(pattern: &str) -> String {
    let mut out = String::new();
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn el(index: usize, attrs: &[(&str, &str)]) -> XmlNode {
        XmlNode {
            tag: attrs.iter().find(|(k, _)| *k == "type").map_or("x", |(_, v)| v).to_string(),
            attrs: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            children: Vec::new(),
            node_index: Some(index),
        }
    }

    fn elements() -> Vec<XmlNode> {
        vec![
            el(
                0,
                &[
                    ("type", "XCUIElementTypeStaticText"),
                    ("name", "title"),
                    ("label", "Get started"),
                    ("enabled", "true"),
                    ("index", "0"),
                ],
            ),
            el(
                1,
                &[
                    ("type", "XCUIElementTypeButton"),
                    ("name", "next"),
                    ("label", "Next"),
                    ("enabled", "true"),
                    ("index", "1"),
                ],
            ),
            el(
                2,
                &[
                    ("type", "XCUIElementTypeButton"),
                    ("name", "next_2"),
                    ("label", "Next step"),
                    ("enabled", "false"),
                    ("index", "2"),
                ],
            ),
            el(
                3,
                &[
                    ("type", "XCUIElementTypeSwitch"),
                    ("name", "agree"),
                    ("label", "I agree"),
                    ("value", "1"),
                    ("enabled", "true"),
                    ("index", "3"),
                ],
            ),
        ]
    }

    fn select(source: &str) -> Vec<usize> {
        let p = parse(source).unwrap_or_else(|e| panic!("{source}: {e}"));
        elements().iter().filter(|n| p.matches(n)).filter_map(|n| n.node_index).collect()
    }

    fn refused(source: &str) -> String {
        match parse(source) {
            Ok(p) => panic!("{source} should be refused, parsed {p:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn comparisons() {
        assert_eq!(select("label == 'Next'"), vec![1]);
        assert_eq!(select("label = \"Next\""), vec![1]);
        assert_eq!(select("name != 'next'"), vec![0, 2, 3]);
        assert_eq!(select("type == 'XCUIElementTypeButton'"), vec![1, 2]);
        assert_eq!(select("label CONTAINS 'Next'"), vec![1, 2]);
        assert_eq!(select("label contains[c] 'next'"), vec![1, 2]);
        assert_eq!(select("label BEGINSWITH 'Get'"), vec![0]);
        assert_eq!(select("name ENDSWITH '_2'"), vec![2]);
        assert_eq!(select("label LIKE 'Next*'"), vec![1, 2]);
        assert_eq!(select("label LIKE[c] '?ext'"), vec![1]);
        assert_eq!(select("label MATCHES 'Next( step)?'"), vec![1, 2]);
        assert_eq!(select("enabled == 1"), vec![0, 1, 3]);
        assert_eq!(select("enabled == NO"), vec![2]);
        assert_eq!(select("wdEnabled == true"), vec![0, 1, 3]);
        assert_eq!(select("value == nil"), vec![0, 1, 2]);
        assert_eq!(select("value == '1'"), vec![3]);
        assert_eq!(select("index >= 2"), vec![2, 3]);
        assert_eq!(select("identifier == 'agree'"), vec![3]);
    }

    #[test]
    fn logic() {
        assert_eq!(select("type == 'XCUIElementTypeButton' AND enabled == 1"), vec![1]);
        assert_eq!(select("label == 'Next' OR name == 'agree'"), vec![1, 3]);
        assert_eq!(select("type == 'XCUIElementTypeButton' && NOT (label == 'Next')"), vec![2]);
        assert_eq!(select("!(enabled == 1) || label == 'I agree'"), vec![2, 3]);
        assert_eq!(select("label == 'Next' and type == 'XCUIElementTypeButton'"), vec![1]);
        assert_eq!(select("TRUEPREDICATE"), vec![0, 1, 2, 3]);
        assert_eq!(select("FALSEPREDICATE OR name == 'title'"), vec![0]);
    }

    #[test]
    fn malformed_or_unserved_is_refused_saying_why() {
        assert!(refused("").contains("empty"));
        assert!(refused("label ==").contains("at the end"));
        assert!(refused("label == 'open").contains("never closed"));
        assert!(refused("colour == 'red'").contains("'colour' is not an element attribute"));
        assert!(refused("label IN 'abc'").contains("'IN'"));
        assert!(refused("label == 'a' label == 'b'").contains("after a complete predicate"));
        assert!(refused("(label == 'a'").contains("never closed"));
        assert!(refused("label CONTAINS 3").contains("quoted string"));
        assert!(refused("label MATCHES '('").contains("regular expression"));
        assert!(refused("label ==[x] 'a'").contains("modifier"));
        assert!(refused("label == 'a' # b").contains("'#'"));
        assert!(refused(&format!("{}label == 'a'{}", "(".repeat(40), ")".repeat(40))).contains("nested"));
        assert!(refused(&format!("{}label == 'a'", "NOT ".repeat(40))).contains("nested"));
    }
}
