//! Evaluating a parsed expression over the page source flattened into XPath's
//! data model: values, axes, core functions.
//!
//! The page source has elements and attributes only, as UiAutomator2's and
//! XCUITest's do: an element's text is its `text` or `label` attribute, never
//! a text node. So `text()` selects nothing and an element's string value is
//! empty, as on a phone.

use super::parse::{Axis, Expr, NodeTest, Op, Step};
use super::MAX_WORK;
use crate::dom::XmlNode;

/// Runs a parsed expression over the page source and returns the
/// `node_index` of each selected element, as [`evaluate`](super::evaluate)
/// describes; an `Err` is the reason the expression cannot be a locator.
pub(super) fn select(root: &XmlNode, ast: &Expr, context: Option<usize>) -> Result<Vec<usize>, String> {
    let doc = Doc::new(root);
    let start = match context {
        None => DOCUMENT,
        Some(index) => match doc.elems.iter().position(|e| e.node.and_then(|n| n.node_index) == Some(index)) {
            Some(elem) => elem,
            None => return Ok(Vec::new()),
        },
    };
    let mut ev = Eval { doc: &doc, work: 0 };
    let value = ev.eval(ast, &Ctx { item: Item::Elem(start), pos: 1, size: 1 })?;
    let Value::Nodes(items) = value else {
        return Err(format!("it evaluates to a {}, but a locator must select elements", value.kind()));
    };
    let mut found = Vec::new();
    let mut other = false;
    for item in &items {
        match *item {
            Item::Elem(e) if context.is_none() || doc.is_strict_descendant(e, start) => {
                if let Some(index) = doc.elems[e].node.and_then(|n| n.node_index) {
                    found.push(index);
                }
            }
            Item::Elem(_) => {}
            Item::Attr(..) => other = true,
        }
    }
    if found.is_empty() && other {
        return Err("it selects attributes, but a locator must select elements".into());
    }
    Ok(found)
}

// ---------------------------------------------------------------- the tree

/// Index 0 of [`Doc::elems`]: the document node above the root element,
/// which `/` selects.
const DOCUMENT: usize = 0;

struct Elem<'a> {
    /// `None` for the document node.
    node: Option<&'a XmlNode>,
    parent: Option<usize>,
    children: Vec<usize>,
    /// One past the last descendant: descendants are `self+1 .. end`.
    end: usize,
}

/// The page source flattened in document order, for parent links and cheap
/// ancestor tests.
struct Doc<'a> {
    elems: Vec<Elem<'a>>,
}

impl<'a> Doc<'a> {
    fn new(root: &'a XmlNode) -> Doc<'a> {
        let mut elems = vec![Elem { node: None, parent: None, children: Vec::new(), end: 0 }];
        // Iterative pre-order, so no page source is too deep to flatten.
        let mut stack = vec![(root, DOCUMENT)];
        while let Some((node, parent)) = stack.pop() {
            let id = elems.len();
            elems.push(Elem { node: Some(node), parent: Some(parent), children: Vec::new(), end: 0 });
            if let Some(p) = elems.get_mut(parent) {
                p.children.push(id);
            }
            stack.extend(node.children.iter().rev().map(|child| (child, id)));
        }
        for id in (0..elems.len()).rev() {
            let end = elems[id].children.last().map_or(id + 1, |&last| elems[last].end);
            elems[id].end = end;
        }
        Doc { elems }
    }

    fn is_strict_descendant(&self, e: usize, ancestor: usize) -> bool {
        ancestor < e && e < self.elems[ancestor].end
    }

    fn attrs(&self, e: usize) -> &'a [(String, String)] {
        self.elems[e].node.map_or(&[], |n| n.attrs.as_slice())
    }
}

/// A node an expression can select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    Elem(usize),
    /// Owner element and index into its attributes.
    Attr(usize, usize),
}

impl Item {
    /// Document order: an element, then its attributes, then its child
    /// elements (which have larger ids).
    fn order(self) -> (usize, usize, usize) {
        match self {
            Item::Elem(e) => (e, 0, 0),
            Item::Attr(e, i) => (e, 1, i),
        }
    }

    fn owner(self) -> usize {
        match self {
            Item::Elem(e) | Item::Attr(e, _) => e,
        }
    }
}

fn sort_unique(items: &mut Vec<Item>) {
    items.sort_by_key(|item| item.order());
    items.dedup();
}

// ---------------------------------------------------------------- values

#[derive(Debug, Clone)]
enum Value {
    Nodes(Vec<Item>),
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Nodes(_) => "node-set",
            Value::Str(_) => "string",
            Value::Num(_) => "number",
            Value::Bool(_) => "boolean",
        }
    }
}

/// XPath's number syntax only (no exponents, `inf` or `+`); anything else is
/// NaN, as the spec says.
fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    let digits = t.strip_prefix('-').unwrap_or(t);
    let valid = !digits.is_empty()
        && digits != "."
        && digits.matches('.').count() <= 1
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
    if valid {
        t.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

pub(super) fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        "NaN".into()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if n == n.trunc() && n.abs() < 1e15 {
        // Also turns -0 into "0", as XPath wants.
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// XPath's round(): halves go towards positive infinity.
fn xpath_round(n: f64) -> f64 {
    if n.is_nan() || n.is_infinite() {
        n
    } else {
        (n + 0.5).floor()
    }
}

fn xpath_normalize(s: &str) -> String {
    s.split([' ', '\t', '\r', '\n']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn compare_numbers(op: Op, a: f64, b: f64) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Neq => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
        _ => false,
    }
}

fn flip(op: Op) -> Op {
    match op {
        Op::Lt => Op::Gt,
        Op::Le => Op::Ge,
        Op::Gt => Op::Lt,
        Op::Ge => Op::Le,
        other => other,
    }
}

// ---------------------------------------------------------------- evaluation

struct Ctx {
    item: Item,
    /// 1-based position within the node-set being filtered, and its size.
    pos: usize,
    size: usize,
}

struct Eval<'d, 'a> {
    doc: &'d Doc<'a>,
    work: u64,
}

type Res<T> = Result<T, String>;

impl Eval<'_, '_> {
    fn charge(&mut self, amount: usize) -> Res<()> {
        self.work = self.work.saturating_add(amount as u64);
        if self.work > MAX_WORK {
            return Err(format!("the expression is too expensive to evaluate (over {MAX_WORK} steps)"));
        }
        Ok(())
    }

    fn eval(&mut self, expr: &Expr, cx: &Ctx) -> Res<Value> {
        self.charge(1)?;
        Ok(match expr {
            Expr::Literal(s) => Value::Str(s.clone()),
            Expr::Number(n) => Value::Num(*n),
            Expr::Or(parts) => {
                for part in parts {
                    if self.boolean(part, cx)? {
                        return Ok(Value::Bool(true));
                    }
                }
                Value::Bool(false)
            }
            Expr::And(parts) => {
                for part in parts {
                    if !self.boolean(part, cx)? {
                        return Ok(Value::Bool(false));
                    }
                }
                Value::Bool(true)
            }
            Expr::Binary(first, rest) => {
                let mut acc = self.eval(first, cx)?;
                for (op, operand) in rest {
                    let right = self.eval(operand, cx)?;
                    acc = self.binary(*op, &acc, &right)?;
                }
                acc
            }
            Expr::Neg(inner) => {
                let value = self.eval(inner, cx)?;
                Value::Num(-self.number_of(&value))
            }
            Expr::Union(parts) => {
                let mut all = Vec::new();
                for part in parts {
                    match self.eval(part, cx)? {
                        Value::Nodes(items) => all.extend(items),
                        other => return Err(format!("'|' joins node-sets only, but one side is a {}", other.kind())),
                    }
                }
                sort_unique(&mut all);
                Value::Nodes(all)
            }
            Expr::Path { absolute, steps } => {
                let start = if *absolute { Item::Elem(DOCUMENT) } else { cx.item };
                Value::Nodes(self.steps(vec![start], steps)?)
            }
            Expr::Filter { primary, predicates, steps } => {
                let mut items = match self.eval(primary, cx)? {
                    Value::Nodes(items) => items,
                    other => {
                        return Err(format!(
                            "predicates and '/' apply to node-sets only, but this is a {}",
                            other.kind()
                        ))
                    }
                };
                for predicate in predicates {
                    items = self.filter(items, predicate)?;
                }
                Value::Nodes(self.steps(items, steps)?)
            }
            Expr::Call(name, args) => self.call(name, args, cx)?,
        })
    }

    fn boolean(&mut self, expr: &Expr, cx: &Ctx) -> Res<bool> {
        let value = self.eval(expr, cx)?;
        Ok(self.bool_of(&value))
    }

    fn string(&mut self, expr: &Expr, cx: &Ctx) -> Res<String> {
        let value = self.eval(expr, cx)?;
        self.string_of(&value)
    }

    fn number(&mut self, expr: &Expr, cx: &Ctx) -> Res<f64> {
        let value = self.eval(expr, cx)?;
        Ok(self.number_of(&value))
    }

    fn nodes(&mut self, expr: &Expr, cx: &Ctx, function: &str) -> Res<Vec<Item>> {
        match self.eval(expr, cx)? {
            Value::Nodes(items) => Ok(items),
            other => Err(format!("{function}() needs a node-set, but was given a {}", other.kind())),
        }
    }

    fn bool_of(&self, value: &Value) -> bool {
        match value {
            Value::Nodes(items) => !items.is_empty(),
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
        }
    }

    fn string_of(&mut self, value: &Value) -> Res<String> {
        Ok(match value {
            Value::Nodes(items) => match items.first() {
                Some(item) => self.string_value(*item)?,
                None => String::new(),
            },
            Value::Str(s) => s.clone(),
            Value::Num(n) => number_to_string(*n),
            Value::Bool(b) => b.to_string(),
        })
    }

    fn number_of(&mut self, value: &Value) -> f64 {
        match value {
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            // Only the work budget can fail here, and NaN is the right
            // answer for a value too costly to read.
            other => self.string_of(other).map_or(f64::NAN, |s| string_to_number(&s)),
        }
    }

    fn string_value(&mut self, item: Item) -> Res<String> {
        match item {
            Item::Attr(e, i) => Ok(self.doc.attrs(e).get(i).map(|(_, v)| v.clone()).unwrap_or_default()),
            // An element's string value is the text nodes beneath it, and
            // a page source has none.
            Item::Elem(_) => Ok(String::new()),
        }
    }

    fn binary(&mut self, op: Op, left: &Value, right: &Value) -> Res<Value> {
        if matches!(op, Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Mod) {
            let (a, b) = (self.number_of(left), self.number_of(right));
            return Ok(Value::Num(match op {
                Op::Add => a + b,
                Op::Sub => a - b,
                Op::Mul => a * b,
                Op::Div => a / b,
                _ => a % b,
            }));
        }
        Ok(Value::Bool(self.compare(op, left, right)?))
    }

    /// XPath 1.0 comparison: with a node-set it holds if it holds for any
    /// node in it.
    fn compare(&mut self, op: Op, left: &Value, right: &Value) -> Res<bool> {
        match (left, right) {
            (Value::Nodes(a), Value::Nodes(b)) => {
                self.charge(a.len().saturating_mul(b.len()))?;
                let right_strings = b.iter().map(|&i| self.string_value(i)).collect::<Res<Vec<_>>>()?;
                for &i in a {
                    let left_string = Value::Str(self.string_value(i)?);
                    for s in &right_strings {
                        if self.compare_atoms(op, &left_string, &Value::Str(s.clone())) {
                            return Ok(true);
                        }
                    }
                }
                Ok(false)
            }
            (Value::Nodes(a), Value::Bool(_)) => Ok(self.compare_atoms(op, &Value::Bool(!a.is_empty()), right)),
            (Value::Nodes(a), _) => {
                for &i in a {
                    let s = Value::Str(self.string_value(i)?);
                    if self.compare_atoms(op, &s, right) {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            (_, Value::Nodes(_)) => self.compare(flip(op), right, left),
            _ => Ok(self.compare_atoms(op, left, right)),
        }
    }

    fn compare_atoms(&mut self, op: Op, left: &Value, right: &Value) -> bool {
        let either = |f: fn(&Value) -> bool| f(left) || f(right);
        if matches!(op, Op::Eq | Op::Neq) {
            let equal = if either(|v| matches!(v, Value::Bool(_))) {
                self.bool_of(left) == self.bool_of(right)
            } else if either(|v| matches!(v, Value::Num(_))) {
                let (a, b) = (self.number_of(left), self.number_of(right));
                if op == Op::Eq {
                    return a == b;
                }
                return a != b;
            } else {
                matches!((left, right), (Value::Str(a), Value::Str(b)) if a == b)
            };
            return equal == (op == Op::Eq);
        }
        let (a, b) = (self.number_of(left), self.number_of(right));
        compare_numbers(op, a, b)
    }

    /// Applies location steps to a node-set; the result is in document
    /// order without duplicates.
    fn steps(&mut self, mut items: Vec<Item>, steps: &[Step]) -> Res<Vec<Item>> {
        for step in steps {
            let mut next = Vec::new();
            for &item in &items {
                let mut selected: Vec<Item> =
                    self.axis(item, step.axis)?.into_iter().filter(|&i| self.test(i, step)).collect();
                for predicate in &step.predicates {
                    selected = self.filter(selected, predicate)?;
                }
                next.extend(selected);
            }
            sort_unique(&mut next);
            items = next;
        }
        Ok(items)
    }

    /// Keeps the items for which `predicate` holds; a number means "the item
    /// at that position".
    fn filter(&mut self, items: Vec<Item>, predicate: &Expr) -> Res<Vec<Item>> {
        let size = items.len();
        let mut kept = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            let cx = Ctx { item, pos: i + 1, size };
            let keep = match self.eval(predicate, &cx)? {
                Value::Num(n) => n == (i + 1) as f64,
                other => self.bool_of(&other),
            };
            if keep {
                kept.push(item);
            }
        }
        Ok(kept)
    }

    fn test(&self, item: Item, step: &Step) -> bool {
        match (&step.test, item) {
            (NodeTest::Node, _) => true,
            // No page source has text nodes: `text()` selects nothing.
            (NodeTest::Text, _) => false,
            (NodeTest::Any, Item::Attr(..)) => step.axis == Axis::Attribute,
            (NodeTest::Any, Item::Elem(e)) => e != DOCUMENT && step.axis != Axis::Attribute,
            (NodeTest::Name(name), Item::Attr(e, i)) => {
                step.axis == Axis::Attribute && self.doc.attrs(e).get(i).is_some_and(|(n, _)| n == name)
            }
            (NodeTest::Name(name), Item::Elem(e)) => {
                step.axis != Axis::Attribute && self.doc.elems[e].node.is_some_and(|n| &n.tag == name)
            }
            _ => false,
        }
    }

    /// The nodes on `axis` from `item`, in the axis' own order (reverse
    /// document order for the reverse axes), which positions count in.
    fn axis(&mut self, item: Item, axis: Axis) -> Res<Vec<Item>> {
        let doc = self.doc;
        let mut out = Vec::new();
        match (axis, item) {
            (Axis::Itself, _) => out.push(item),
            (Axis::Child, Item::Elem(e)) => out.extend(doc.elems[e].children.iter().map(|&c| Item::Elem(c))),
            (Axis::Descendant | Axis::DescendantOrSelf, Item::Elem(e)) => {
                if axis == Axis::DescendantOrSelf {
                    out.push(item);
                }
                out.extend((e + 1..doc.elems[e].end).map(Item::Elem));
            }
            (Axis::DescendantOrSelf, _) => out.push(item),
            (Axis::Parent, Item::Elem(e)) => out.extend(doc.elems[e].parent.map(Item::Elem)),
            (Axis::Parent, _) => out.push(Item::Elem(item.owner())),
            (Axis::Ancestor | Axis::AncestorOrSelf, _) => {
                if axis == Axis::AncestorOrSelf {
                    out.push(item);
                }
                let mut up = match item {
                    Item::Elem(e) => doc.elems[e].parent,
                    Item::Attr(e, _) => Some(e),
                };
                while let Some(e) = up {
                    out.push(Item::Elem(e));
                    up = doc.elems[e].parent;
                }
            }
            (Axis::FollowingSibling | Axis::PrecedingSibling, Item::Elem(e)) => {
                let Some(parent) = doc.elems[e].parent else { return Ok(out) };
                let siblings = &doc.elems[parent].children;
                let here = siblings.iter().position(|&s| s == e).unwrap_or(0);
                if axis == Axis::FollowingSibling {
                    out.extend(siblings.iter().skip(here + 1).map(|&s| Item::Elem(s)));
                } else {
                    out.extend(siblings.iter().take(here).rev().map(|&s| Item::Elem(s)));
                }
            }
            (Axis::Following, _) => {
                // Everything after the item's subtree (an attribute's
                // "subtree" is just itself, so its owner's children follow).
                let from = match item {
                    Item::Elem(e) => doc.elems[e].end,
                    Item::Attr(e, _) => e + 1,
                };
                out.extend((from..doc.elems.len()).map(Item::Elem));
            }
            (Axis::Preceding, _) => {
                // Everything before the item except its ancestors, walked
                // backwards because this is a reverse axis. The owner of an
                // attribute is its ancestor.
                let owner = item.owner();
                out.extend((0..owner).rev().filter(|&d| doc.elems[d].end <= owner).map(Item::Elem));
            }
            (Axis::Attribute, Item::Elem(e)) => {
                out.extend((0..doc.attrs(e).len()).map(|i| Item::Attr(e, i)));
            }
            _ => {}
        }
        self.charge(out.len())?;
        Ok(out)
    }

    fn call(&mut self, name: &str, args: &[Expr], cx: &Ctx) -> Res<Value> {
        // Zero-argument forms default to the context node.
        let arg_or_context = |this: &mut Self, i: usize| -> Res<String> {
            match args.get(i) {
                Some(arg) => this.string(arg, cx),
                None => this.string_value(cx.item),
            }
        };
        let arg = |i: usize| args.get(i).ok_or_else(|| format!("{name}() is missing argument {}", i + 1));
        Ok(match name {
            "last" => Value::Num(cx.size as f64),
            "position" => Value::Num(cx.pos as f64),
            "count" => Value::Num(self.nodes(arg(0)?, cx, name)?.len() as f64),
            "name" | "local-name" => {
                let item = match args.first() {
                    Some(a) => self.nodes(a, cx, name)?.first().copied(),
                    None => Some(cx.item),
                };
                Value::Str(match item {
                    Some(Item::Elem(e)) => self.doc.elems[e].node.map(|n| n.tag.clone()).unwrap_or_default(),
                    Some(Item::Attr(e, i)) => self.doc.attrs(e).get(i).map(|(n, _)| n.clone()).unwrap_or_default(),
                    _ => String::new(),
                })
            }
            "string" => Value::Str(arg_or_context(self, 0)?),
            "concat" => {
                let mut out = String::new();
                for a in args {
                    out.push_str(&self.string(a, cx)?);
                }
                Value::Str(out)
            }
            "starts-with" => {
                let (s, prefix) = (self.string(arg(0)?, cx)?, self.string(arg(1)?, cx)?);
                Value::Bool(s.starts_with(&prefix))
            }
            "contains" => {
                let (s, part) = (self.string(arg(0)?, cx)?, self.string(arg(1)?, cx)?);
                Value::Bool(s.contains(&part))
            }
            "substring-before" => {
                let (s, sep) = (self.string(arg(0)?, cx)?, self.string(arg(1)?, cx)?);
                Value::Str(s.find(&sep).map(|i| s[..i].to_string()).unwrap_or_default())
            }
            "substring-after" => {
                let (s, sep) = (self.string(arg(0)?, cx)?, self.string(arg(1)?, cx)?);
                Value::Str(s.find(&sep).map(|i| s[i + sep.len()..].to_string()).unwrap_or_default())
            }
            "substring" => {
                let s = self.string(arg(0)?, cx)?;
                let start = xpath_round(self.number(arg(1)?, cx)?);
                let end = match args.get(2) {
                    Some(len) => start + xpath_round(self.number(len, cx)?),
                    None => f64::INFINITY,
                };
                // Characters at 1-based position p with start <= p < end;
                // NaN compares false, so a NaN bound selects nothing.
                Value::Str(
                    s.chars()
                        .enumerate()
                        .filter(|(i, _)| {
                            let p = (i + 1) as f64;
                            p >= start && p < end
                        })
                        .map(|(_, c)| c)
                        .collect(),
                )
            }
            "string-length" => Value::Num(arg_or_context(self, 0)?.chars().count() as f64),
            "normalize-space" => Value::Str(xpath_normalize(&arg_or_context(self, 0)?)),
            "translate" => {
                let s = self.string(arg(0)?, cx)?;
                let from: Vec<char> = self.string(arg(1)?, cx)?.chars().collect();
                let to: Vec<char> = self.string(arg(2)?, cx)?.chars().collect();
                Value::Str(
                    s.chars()
                        .filter_map(|c| match from.iter().position(|&f| f == c) {
                            Some(i) => to.get(i).copied(),
                            None => Some(c),
                        })
                        .collect(),
                )
            }
            "boolean" => Value::Bool(self.boolean(arg(0)?, cx)?),
            "not" => Value::Bool(!self.boolean(arg(0)?, cx)?),
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "number" => Value::Num(match args.first() {
                Some(a) => self.number(a, cx)?,
                None => string_to_number(&self.string_value(cx.item)?),
            }),
            "sum" => {
                let mut total = 0.0;
                for item in self.nodes(arg(0)?, cx, name)? {
                    total += string_to_number(&self.string_value(item)?);
                }
                Value::Num(total)
            }
            "floor" => Value::Num(self.number(arg(0)?, cx)?.floor()),
            "ceiling" => Value::Num(self.number(arg(0)?, cx)?.ceil()),
            "round" => Value::Num(xpath_round(self.number(arg(0)?, cx)?)),
            other => return Err(format!("unsupported function '{other}()'")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formatting_and_parsing() {
        assert_eq!(number_to_string(2.0), "2");
        assert_eq!(number_to_string(-0.0), "0");
        assert_eq!(number_to_string(0.5), "0.5");
        assert_eq!(number_to_string(f64::NAN), "NaN");
        assert!(string_to_number("1e3").is_nan());
        assert!(string_to_number("inf").is_nan());
        assert_eq!(string_to_number(" -2.5 "), -2.5);
    }
}
