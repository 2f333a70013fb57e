//! Parsing XPath tokens into an expression tree, by XPath 1.0's grammar,
//! with errors that say where and what was expected.

use super::lex::{Tok, Token};
use super::MAX_NESTING;

/// Parses a whole expression; `len` is the expression's length in
/// characters, to place "end of expression" in messages.
pub(super) fn parse(tokens: &[Token], len: usize) -> Result<Expr, String> {
    Parser { tokens, pos: 0, depth: 0, len }.parse()
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Axis {
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
pub(super) enum NodeTest {
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
pub(super) struct Step {
    pub(super) axis: Axis,
    pub(super) test: NodeTest,
    pub(super) predicates: Vec<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Op {
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
pub(super) enum Expr {
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
