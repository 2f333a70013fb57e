//! Splitting an XPath expression into tokens, with XPath's rule for telling
//! `*` and operator names apart from name tests.

use super::eval::number_to_string;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
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

    pub(super) fn describe(&self) -> String {
        match self {
            Tok::Name(name) => format!("'{name}'"),
            Tok::Literal(text) => format!("the string '{text}'"),
            Tok::Number(n) => format!("the number {}", number_to_string(*n)),
            other => format!("'{}'", other.symbol()),
        }
    }

    pub(super) fn symbol(&self) -> &'static str {
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
pub(super) struct Token {
    pub(super) tok: Tok,
    /// 1-based character position in the expression, for error messages.
    pub(super) at: usize,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}

pub(super) fn lex(expr: &str) -> Result<Vec<Token>, String> {
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
