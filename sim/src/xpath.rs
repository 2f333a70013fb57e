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
//! on iOS), not in a text node; so that the common `[text()='Next']` works,
//! every element with a non-empty text attribute gets a virtual text child
//! holding it.
//!
//! Every input is safe: nesting is capped at [`MAX_NESTING`] and evaluation
//! at [`MAX_WORK`] steps, and malformed input is an [`XPathError`].

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
    let tokens = lex(expr).map_err(fail)?;
    let ast = Parser { tokens: &tokens, pos: 0, depth: 0, len: expr.chars().count() }.parse().map_err(fail)?;
    let doc = Doc::new(root);
    let start = match context {
        None => DOCUMENT,
        Some(index) => match doc.elems.iter().position(|e| e.node.and_then(|n| n.node_index) == Some(index)) {
            Some(elem) => elem,
            None => return Ok(Vec::new()),
        },
    };
    let mut ev = Eval { doc: &doc, work: 0 };
    let value = ev.eval(&ast, &Ctx { item: Item::Elem(start), pos: 1, size: 1 }).map_err(fail)?;
    let Value::Nodes(items) = value else {
        return Err(fail(format!("it evaluates to a {}, but a locator must select elements", value.kind())));
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
            Item::Attr(..) | Item::Text(_) => other = true,
        }
    }
    if found.is_empty() && other {
        return Err(fail("it selects attributes or text, but a locator must select elements".into()));
    }
    Ok(found)
}

// ---------------------------------------------------------------- lexing

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Slash,
    DoubleSlash,
    Pipe,
    Plus,
    Minus,
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    /// `*` as a name test.
    Star,
    /// `*` as multiplication.
    Multiply,
    And,
    Or,
    Div,
    Mod,
    Name(String),
    Literal(String),
    Number(f64),
}

impl Tok {
    fn is_operator(&self) -> bool {
        use Tok::*;
        matches!(
            self,
            And | Or | Div | Mod | Multiply | Slash | DoubleSlash | Pipe | Plus | Minus | Eq | Neq | Lt | Le | Gt | Ge
        )
    }

    fn describe(&self) -> String {
        match self {
            Tok::Name(name) => format!("'{name}'"),
            Tok::Literal(text) => format!("the string '{text}'"),
            Tok::Number(n) => format!("the number {}", number_to_string(*n)),
            other => format!("'{}'", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        use Tok::*;
        match self {
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            Dot => ".",
            DotDot => "..",
            At => "@",
            Comma => ",",
            ColonColon => "::",
            Slash => "/",
            DoubleSlash => "//",
            Pipe => "|",
            Plus => "+",
            Minus => "-",
            Eq => "=",
            Neq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Star | Multiply => "*",
            And => "and",
            Or => "or",
            Div => "div",
            Mod => "mod",
            Name(_) | Literal(_) | Number(_) => "",
        }
    }
}

#[derive(Debug)]
struct Token {
    tok: Tok,
    /// 1-based character position in the expression, for error messages.
    at: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}

fn lex(expr: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = expr.chars().collect();
    let mut tokens: Vec<Token> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        let next = chars.get(i + 1).copied();
        // XPath's disambiguation rule: after a token that can end an operand,
        // `*` multiplies and a name must be an operator name.
        let operator_expected = tokens.last().is_some_and(|t| {
            !matches!(t.tok, Tok::At | Tok::ColonColon | Tok::LParen | Tok::LBracket | Tok::Comma)
                && !t.tok.is_operator()
        });
        let (tok, width) = match c {
            ' ' | '\t' | '\r' | '\n' => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            '[' => (Tok::LBracket, 1),
            ']' => (Tok::RBracket, 1),
            '@' => (Tok::At, 1),
            ',' => (Tok::Comma, 1),
            '|' => (Tok::Pipe, 1),
            '+' => (Tok::Plus, 1),
            '-' => (Tok::Minus, 1),
            '=' => (Tok::Eq, 1),
            '!' if next == Some('=') => (Tok::Neq, 2),
            '!' => return Err(format!("'!' at character {at} must be followed by '=' (use not(...) to negate)")),
            '<' if next == Some('=') => (Tok::Le, 2),
            '<' => (Tok::Lt, 1),
            '>' if next == Some('=') => (Tok::Ge, 2),
            '>' => (Tok::Gt, 1),
            '/' if next == Some('/') => (Tok::DoubleSlash, 2),
            '/' => (Tok::Slash, 1),
            ':' if next == Some(':') => (Tok::ColonColon, 2),
            ':' => return Err(format!("unexpected ':' at character {at}; namespace prefixes are not supported")),
            '*' if operator_expected => (Tok::Multiply, 1),
            '*' => (Tok::Star, 1),
            '$' => return Err(format!("variables ('$' at character {at}) are not supported")),
            '\'' | '"' => {
                let Some(len) = chars[i + 1..].iter().position(|&q| q == c) else {
                    return Err(format!("the string starting at character {at} is never closed (missing {c})"));
                };
                (Tok::Literal(chars[i + 1..i + 1 + len].iter().collect()), len + 2)
            }
            '.' if next == Some('.') => (Tok::DotDot, 2),
            '.' if !next.is_some_and(|d| d.is_ascii_digit()) => (Tok::Dot, 1),
            c if c.is_ascii_digit() || c == '.' => {
                let len = chars[i..].iter().take_while(|d| d.is_ascii_digit() || **d == '.').count();
                let text: String = chars[i..i + len].iter().collect();
                match text.parse::<f64>() {
                    Ok(n) if text.matches('.').count() <= 1 => (Tok::Number(n), len),
                    _ => return Err(format!("malformed number '{text}' at character {at}")),
                }
            }
            c if is_name_start(c) => {
                let len = chars[i..].iter().take_while(|d| is_name_char(**d)).count();
                let name: String = chars[i..i + len].iter().collect();
                if chars.get(i + len) == Some(&':') && chars.get(i + len + 1) != Some(&':') {
                    return Err(format!(
                        "namespace prefixes ('{name}:' at character {at}) are not supported; Appium page sources have none"
                    ));
                }
                let tok = if operator_expected {
                    match name.as_str() {
                        "and" => Tok::And,
                        "or" => Tok::Or,
                        "div" => Tok::Div,
                        "mod" => Tok::Mod,
                        _ => {
                            return Err(format!(
                                "expected an operator such as 'and', 'or', '=' or ']' at character {at}, found '{name}'"
                            ))
                        }
                    }
                } else {
                    Tok::Name(name)
                };
                (tok, len)
            }
            c => return Err(format!("unexpected character '{c}' at character {at}")),
        };
        tokens.push(Token { tok, at });
        i += width;
    }
    Ok(tokens)
}

// ---------------------------------------------------------------- syntax

#[derive(Debug, Clone, Copy, PartialEq)]
enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    /// `self::` (and `.`)
    Itself,
    Parent,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
    Following,
    Preceding,
    Attribute,
}

impl Axis {
    fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "self" => Axis::Itself,
            "parent" => Axis::Parent,
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "following-sibling" => Axis::FollowingSibling,
            "preceding-sibling" => Axis::PrecedingSibling,
            "following" => Axis::Following,
            "preceding" => Axis::Preceding,
            "attribute" => Axis::Attribute,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum NodeTest {
    Name(String),
    /// `*`: any element, or any attribute on the attribute axis.
    Any,
    /// `node()`
    Node,
    /// `text()`
    Text,
    /// `comment()` and `processing-instruction()`: valid, never match.
    Nothing,
}

#[derive(Debug, Clone)]
struct Step {
    axis: Axis,
    test: NodeTest,
    predicates: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Neq,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    /// A left-associative chain: `first op1 e1 op2 e2 ...`. Kept flat so a
    /// long chain does not become deep recursion.
    Binary(Box<Expr>, Vec<(Op, Expr)>),
    Neg(Box<Expr>),
    Union(Vec<Expr>),
    Path {
        absolute: bool,
        steps: Vec<Step>,
    },
    /// A primary expression filtered by predicates, then optionally followed
    /// by a relative path: `(//a)[1]/b`.
    Filter {
        primary: Box<Expr>,
        predicates: Vec<Expr>,
        steps: Vec<Step>,
    },
    Literal(String),
    Number(f64),
    Call(&'static str, Vec<Expr>),
}

/// The XPath 1.0 core functions supported, with their argument counts.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("last", 0, 0),
    ("position", 0, 0),
    ("count", 1, 1),
    ("name", 0, 1),
    ("local-name", 0, 1),
    ("string", 0, 1),
    ("concat", 2, usize::MAX),
    ("starts-with", 2, 2),
    ("contains", 2, 2),
    ("substring-before", 2, 2),
    ("substring-after", 2, 2),
    ("substring", 2, 3),
    ("string-length", 0, 1),
    ("normalize-space", 0, 1),
    ("translate", 3, 3),
    ("boolean", 1, 1),
    ("not", 1, 1),
    ("true", 0, 0),
    ("false", 0, 0),
    ("number", 0, 1),
    ("sum", 1, 1),
    ("floor", 1, 1),
    ("ceiling", 1, 1),
    ("round", 1, 1),
];

const NODE_TYPES: &[&str] = &["node", "text", "comment", "processing-instruction"];

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    depth: usize,
    /// The expression's length in characters, to place "end of expression".
    len: usize,
}

impl Parser<'_> {
    fn parse(mut self) -> Result<Expr, String> {
        if self.tokens.is_empty() {
            return Err("the expression is empty".into());
        }
        let expr = self.expr()?;
        match self.tokens.get(self.pos) {
            None => Ok(expr),
            Some(t) => Err(format!("unexpected {} at character {}", t.tok.describe(), t.at)),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + ahead).map(|t| &t.tok)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Where the parser stands, and what it found there, for messages.
    fn here(&self) -> String {
        match self.tokens.get(self.pos) {
            Some(t) => format!("at character {}, found {}", t.at, t.tok.describe()),
            None => format!("at character {}, found the end of the expression", self.len + 1),
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), String> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(format!("expected '{}' {what} {}", tok.symbol(), self.here()))
        }
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!("the expression is nested more than {MAX_NESTING} levels deep {}", self.here()));
        }
        let expr = self.or_expr();
        self.depth -= 1;
        expr
    }

    fn or_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.and_expr()?];
        while self.eat(&Tok::Or) {
            parts.push(self.and_expr()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and_expr(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.equality()?];
        while self.eat(&Tok::And) {
            parts.push(self.equality()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    /// One precedence level of left-associative binary operators.
    fn binary(&mut self, ops: &[(Tok, Op)], operand: fn(&mut Self) -> Result<Expr, String>) -> Result<Expr, String> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        while let Some(op) = ops.iter().find(|(t, _)| self.peek() == Some(t)).map(|(_, op)| *op) {
            self.pos += 1;
            rest.push((op, operand(self)?));
        }
        Ok(if rest.is_empty() { first } else { Expr::Binary(Box::new(first), rest) })
    }

    fn equality(&mut self) -> Result<Expr, String> {
        self.binary(&[(Tok::Eq, Op::Eq), (Tok::Neq, Op::Neq)], Self::relational)
    }

    fn relational(&mut self) -> Result<Expr, String> {
        self.binary(&[(Tok::Lt, Op::Lt), (Tok::Le, Op::Le), (Tok::Gt, Op::Gt), (Tok::Ge, Op::Ge)], Self::additive)
    }

    fn additive(&mut self) -> Result<Expr, String> {
        self.binary(&[(Tok::Plus, Op::Add), (Tok::Minus, Op::Sub)], Self::multiplicative)
    }

    fn multiplicative(&mut self) -> Result<Expr, String> {
        self.binary(&[(Tok::Multiply, Op::Mul), (Tok::Div, Op::Div), (Tok::Mod, Op::Mod)], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        let mut negations = 0;
        while self.eat(&Tok::Minus) {
            negations += 1;
        }
        let expr = self.union()?;
        Ok(if negations % 2 == 1 { Expr::Neg(Box::new(expr)) } else { expr })
    }

    fn union(&mut self) -> Result<Expr, String> {
        let mut parts = vec![self.path_expr()?];
        while self.eat(&Tok::Pipe) {
            parts.push(self.path_expr()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Union(parts) })
    }

    fn path_expr(&mut self) -> Result<Expr, String> {
        let starts_filter = match self.peek() {
            Some(Tok::Literal(_) | Tok::Number(_) | Tok::LParen) => true,
            Some(Tok::Name(name)) => self.peek_at(1) == Some(&Tok::LParen) && !NODE_TYPES.contains(&name.as_str()),
            _ => false,
        };
        if !starts_filter {
            return self.location_path();
        }
        let primary = self.primary()?;
        let predicates = self.predicates()?;
        let steps = match self.peek() {
            Some(Tok::Slash | Tok::DoubleSlash) => self.relative_path(true)?,
            _ => Vec::new(),
        };
        if predicates.is_empty() && steps.is_empty() {
            return Ok(primary);
        }
        Ok(Expr::Filter { primary: Box::new(primary), predicates, steps })
    }

    fn location_path(&mut self) -> Result<Expr, String> {
        if self.eat(&Tok::Slash) {
            // A lone `/` is the document root; otherwise a path follows.
            let steps = if self.starts_step() { self.relative_path(false)? } else { Vec::new() };
            return Ok(Expr::Path { absolute: true, steps });
        }
        let absolute = self.peek() == Some(&Tok::DoubleSlash);
        if !absolute && !self.starts_step() {
            return Err(format!(
                "expected an expression (a path, '@attribute', string, number or function call) {}",
                self.here()
            ));
        }
        let steps = self.relative_path(absolute)?;
        Ok(Expr::Path { absolute, steps })
    }

    fn starts_step(&self) -> bool {
        matches!(self.peek(), Some(Tok::Name(_) | Tok::Star | Tok::At | Tok::Dot | Tok::DotDot))
    }

    /// Steps separated by `/` or `//`; with `leading_separator` the path
    /// starts with one (after `//` at the start, or after a filter).
    fn relative_path(&mut self, leading_separator: bool) -> Result<Vec<Step>, String> {
        let mut steps = Vec::new();
        let mut separated = leading_separator;
        loop {
            if separated {
                if self.eat(&Tok::DoubleSlash) {
                    steps.push(Step { axis: Axis::DescendantOrSelf, test: NodeTest::Node, predicates: Vec::new() });
                } else if !self.eat(&Tok::Slash) {
                    break;
                }
            }
            steps.push(self.step()?);
            separated = true;
        }
        Ok(steps)
    }

    fn step(&mut self) -> Result<Step, String> {
        let step = |axis, test| Step { axis, test, predicates: Vec::new() };
        if self.eat(&Tok::Dot) {
            return Ok(step(Axis::Itself, NodeTest::Node));
        }
        if self.eat(&Tok::DotDot) {
            return Ok(step(Axis::Parent, NodeTest::Node));
        }
        let axis = if self.eat(&Tok::At) {
            Axis::Attribute
        } else if let (Some(Tok::Name(name)), Some(Tok::ColonColon)) = (self.peek(), self.peek_at(1)) {
            let Some(axis) = Axis::from_name(name) else {
                let reason = if name == "namespace" { "is not supported" } else { "does not exist" };
                return Err(format!("the axis '{name}::' {reason} ({})", self.here()));
            };
            self.pos += 2;
            axis
        } else {
            Axis::Child
        };
        let test = self.node_test()?;
        let predicates = self.predicates()?;
        Ok(Step { axis, test, predicates })
    }

    fn node_test(&mut self) -> Result<NodeTest, String> {
        match self.peek().cloned() {
            Some(Tok::Star) => {
                self.pos += 1;
                Ok(NodeTest::Any)
            }
            Some(Tok::Name(name)) if self.peek_at(1) == Some(&Tok::LParen) => {
                let test = match name.as_str() {
                    "node" => NodeTest::Node,
                    "text" => NodeTest::Text,
                    "comment" | "processing-instruction" => NodeTest::Nothing,
                    _ => {
                        return Err(format!(
                            "a function call cannot be a location step; expected an element name, '*', \
                             '@attribute', '.', '..', 'node()' or 'text()' {}",
                            self.here()
                        ))
                    }
                };
                self.pos += 2;
                if name == "processing-instruction" && matches!(self.peek(), Some(Tok::Literal(_))) {
                    self.pos += 1;
                }
                self.expect(&Tok::RParen, &format!("to close '{name}('"))?;
                Ok(test)
            }
            Some(Tok::Name(name)) => {
                self.pos += 1;
                Ok(NodeTest::Name(name))
            }
            _ => Err(format!("expected a step (an element name, '*', '@attribute', '.' or '..') {}", self.here())),
        }
    }

    fn predicates(&mut self) -> Result<Vec<Expr>, String> {
        let mut predicates = Vec::new();
        while self.eat(&Tok::LBracket) {
            predicates.push(self.expr()?);
            self.expect(&Tok::RBracket, "to close the predicate")?;
        }
        Ok(predicates)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let Some(token) = self.tokens.get(self.pos) else {
            return Err(format!("expected an expression {}", self.here()));
        };
        let at = token.at;
        match token.tok.clone() {
            Tok::Literal(text) => {
                self.pos += 1;
                Ok(Expr::Literal(text))
            }
            Tok::Number(n) => {
                self.pos += 1;
                Ok(Expr::Number(n))
            }
            Tok::LParen => {
                self.pos += 1;
                let expr = self.expr()?;
                self.expect(&Tok::RParen, "to close the parenthesis")?;
                Ok(expr)
            }
            Tok::Name(name) => {
                let Some(&(known, min, max)) = FUNCTIONS.iter().find(|(f, _, _)| *f == name) else {
                    let names: Vec<String> = FUNCTIONS.iter().map(|(f, _, _)| format!("{f}()")).collect();
                    return Err(format!(
                        "unsupported function '{name}()' at character {at}; supported: {}",
                        names.join(", ")
                    ));
                };
                self.pos += 2;
                let mut args = Vec::new();
                if !self.eat(&Tok::RParen) {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(&Tok::RParen) {
                            break;
                        }
                        self.expect(&Tok::Comma, &format!("or ')' in the arguments of '{name}()'"))?;
                    }
                }
                if args.len() < min || args.len() > max {
                    let wanted = match (min, max) {
                        (min, max) if min == max => format!("{min}"),
                        (min, usize::MAX) => format!("at least {min}"),
                        (min, max) => format!("{min} to {max}"),
                    };
                    return Err(format!(
                        "'{name}()' at character {at} takes {wanted} argument(s), but was given {}",
                        args.len()
                    ));
                }
                Ok(Expr::Call(known, args))
            }
            _ => Err(format!("expected an expression {}", self.here())),
        }
    }
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

    /// The text Appium keeps in an attribute, exposed as a text node.
    fn text(&self, e: usize) -> Option<&'a str> {
        let node = self.elems[e].node?;
        node.attr("text").or_else(|| node.attr("label")).filter(|t| !t.is_empty())
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
    /// The virtual text child of an element.
    Text(usize),
}

impl Item {
    /// Document order: an element, then its attributes, then its text
    /// (its first child), then its child elements (which have larger ids).
    fn order(self) -> (usize, usize, usize) {
        match self {
            Item::Elem(e) => (e, 0, 0),
            Item::Attr(e, i) => (e, 1, i),
            Item::Text(e) => (e, 2, 0),
        }
    }

    fn owner(self) -> usize {
        match self {
            Item::Elem(e) | Item::Attr(e, _) | Item::Text(e) => e,
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

fn number_to_string(n: f64) -> String {
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
            Item::Text(e) => Ok(self.doc.text(e).unwrap_or_default().to_string()),
            Item::Elem(e) => {
                // An element's string value is all the text beneath it.
                let end = self.doc.elems[e].end;
                self.charge(end - e)?;
                Ok((e..end).filter_map(|d| self.doc.text(d)).collect())
            }
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
            (NodeTest::Text, Item::Text(_)) => true,
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
        let with_text = |e: usize, out: &mut Vec<Item>| {
            out.push(Item::Elem(e));
            if doc.text(e).is_some() {
                out.push(Item::Text(e));
            }
        };
        let mut out = Vec::new();
        match (axis, item) {
            (Axis::Itself, _) => out.push(item),
            (Axis::Child, Item::Elem(e)) => {
                if doc.text(e).is_some() {
                    out.push(Item::Text(e));
                }
                out.extend(doc.elems[e].children.iter().map(|&c| Item::Elem(c)));
            }
            (Axis::Descendant | Axis::DescendantOrSelf, Item::Elem(e)) => {
                if axis == Axis::DescendantOrSelf {
                    out.push(item);
                }
                if doc.text(e).is_some() {
                    out.push(Item::Text(e));
                }
                for d in e + 1..doc.elems[e].end {
                    with_text(d, &mut out);
                }
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
                    _ => Some(item.owner()),
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
                    // The parent's text node comes first among its children.
                    if doc.text(parent).is_some() {
                        out.push(Item::Text(parent));
                    }
                }
            }
            (Axis::FollowingSibling, Item::Text(e)) => out.extend(doc.elems[e].children.iter().map(|&c| Item::Elem(c))),
            (Axis::Following, _) => {
                // Everything after the item's subtree (an attribute's or a
                // text's "subtree" is just itself).
                let from = match item {
                    Item::Elem(e) => doc.elems[e].end,
                    Item::Attr(e, _) => {
                        if doc.text(e).is_some() {
                            out.push(Item::Text(e));
                        }
                        e + 1
                    }
                    Item::Text(e) => e + 1,
                };
                for d in from..doc.elems.len() {
                    with_text(d, &mut out);
                }
            }
            (Axis::Preceding, _) => {
                // Everything before the item except its ancestors, walked
                // backwards because this is a reverse axis. The owner of an
                // attribute or text is its ancestor, and its own text comes
                // after its attributes, so only elements before it count.
                let owner = item.owner();
                for d in (0..owner).rev() {
                    // An ancestor's text precedes its children, so it is
                    // preceding even though the ancestor is not.
                    if doc.text(d).is_some() {
                        out.push(Item::Text(d));
                    }
                    if doc.elems[d].end <= owner {
                        out.push(Item::Elem(d));
                    }
                }
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
        let resource_id = format!("dk.mitid.app:id/{id}");
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
    fn text_and_normalize_space() {
        assert_eq!(android("//*[text()='Next']"), vec![4, 8]);
        assert_eq!(ios("//*[text()='Next']"), vec![4, 8], "iOS text is the label");
        assert_eq!(android("//*[text()='••']"), vec![2], "secure fields are masked");
        assert_eq!(ios("//*[text()='PIN']"), vec![2]);
        assert_eq!(android("//*[contains(text(),'agree')]"), vec![3]);
        assert_eq!(android("//*[normalize-space(@text)='Copy MitID now']"), vec![1]);
        assert_eq!(android("//*[normalize-space(text())='Copy MitID now']"), vec![1]);
        assert_eq!(android("//*[.='Next']"), vec![4, 8], "string value is the text beneath");
        assert_eq!(android("//android.widget.Button/text()/.."), vec![4, 5, 8]);
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
    fn number_formatting_and_parsing() {
        assert_eq!(number_to_string(2.0), "2");
        assert_eq!(number_to_string(-0.0), "0");
        assert_eq!(number_to_string(0.5), "0.5");
        assert_eq!(number_to_string(f64::NAN), "NaN");
        assert!(string_to_number("1e3").is_nan());
        assert!(string_to_number("inf").is_nan());
        assert_eq!(string_to_number(" -2.5 "), -2.5);
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
