//! The phrases' language: Cucumber Expressions with the suite's parameter
//! types, or anchored regexes; compiling a phrase, reading the values of a
//! match, and showing a phrase as QA reads it.

/// A parameter type of the phrases' Cucumber Expressions, beside the
/// built-in `{int}`, `{float}`, `{word}`, `{string}` and `{}`.
pub struct ParameterType {
    /// The name written between braces: `{phone}`.
    pub name: &'static str,
    /// What it matches (no capture groups: one parameter, one value).
    pub regex: &'static str,
    /// What QA may write, for the `steps` listing.
    pub means: &'static str,
}

/// The parameter types the phrases use, in one place: the runner compiles
/// phrases with them, and editors read them from `steps/glue.rs`.
/// Danish words mean what their English twins do, so one type serves both.
pub const PARAMETER_TYPES: &[ParameterType] = &[
    ParameterType { name: "phone", regex: "old|new|gamle|nye", means: "old or new (gamle or nye)" },
    ParameterType { name: "answer", regex: "yes|no|ja|nej", means: "yes or no (ja or nej)" },
    ParameterType {
        name: "unit",
        regex: "hours?|minutes?|seconds?|timer?|minut(?:ter)?|sekund(?:er)?",
        means: "hour(s), minute(s), second(s) (time(r), minut(ter), sekund(er))",
    },
    ParameterType { name: "count", regex: r"an?|\d+", means: "a or a number" },
    ParameterType { name: "version", regex: r"\d+\.\d+\.\d+", means: "a version: 3.1.0" },
];

/// Whether a phrase is a regular expression: anchored at both ends, as
/// cucumber-js and the Cucumber language server tell them apart. Every
/// other phrase is a Cucumber Expression.
pub fn is_regex(phrase: &str) -> bool {
    phrase.starts_with('^') && phrase.ends_with('$')
}

/// A phrase that is neither a valid Cucumber Expression nor a valid regex.
#[derive(Debug, thiserror::Error)]
#[error("the phrase \"{phrase}\" does not compile: {reason}")]
pub struct PhraseError {
    /// The phrase as written.
    pub phrase: String,
    /// What the expression parser or regex compiler said.
    pub reason: String,
}

/// The regex a phrase matches with: a Cucumber Expression expanded with
/// [`PARAMETER_TYPES`], or the phrase itself when it is a regex.
pub fn compile(phrase: &str) -> Result<regex::Regex, PhraseError> {
    let error = |reason: String| PhraseError { phrase: phrase.to_owned(), reason };
    if is_regex(phrase) {
        return regex::Regex::new(phrase).map_err(|e| error(e.to_string()));
    }
    let types: std::collections::HashMap<&str, &str> = PARAMETER_TYPES.iter().map(|t| (t.name, t.regex)).collect();
    cucumber_expressions::Expression::regex_with_parameters(phrase, &types).map_err(|e| error(e.to_string()))
}

/// The values of a match, one per parameter. An expression's `{string}`
/// is one parameter matched by two groups (double or single quotes), named
/// `__<n>_0` and `__<n>_1`; its value is whichever matched, without quotes.
pub fn arguments(groups: impl IntoIterator<Item = (Option<String>, String)>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut last_string: Option<String> = None;
    for (name, value) in groups {
        match name.as_deref().and_then(|n| n.strip_prefix("__")).and_then(|n| n.split_once('_')) {
            Some((id, _)) => {
                if last_string.as_deref() == Some(id) {
                    if let Some(v) = out.last_mut().filter(|v| v.is_empty()) {
                        *v = value;
                    }
                } else {
                    last_string = Some(id.to_owned());
                    out.push(value);
                }
            }
            None => {
                last_string = None;
                out.push(value);
            }
        }
    }
    out
}

/// The parameters' values where `re` (a [`compile`]d phrase) matches
/// `text`, as a step body gets them; `None` where it does not match.
///
/// ```
/// use mitid_e2e_steps::phrases::{compile, values_of};
/// let re = compile("I press {string} on my {phone} phone").unwrap();
/// assert_eq!(values_of(&re, "I press 'OK' on my old phone").unwrap(), ["OK", "old"]);
/// ```
pub fn values_of(re: &regex::Regex, text: &str) -> Option<Vec<String>> {
    let caps = re.captures(text)?;
    let groups = re
        .capture_names()
        .zip(caps.iter())
        .skip(1)
        .map(|(name, m)| (name.map(str::to_owned), m.map_or(String::new(), |m| m.as_str().to_owned())));
    Some(arguments(groups))
}

/// A phrase as QA reads it. A Cucumber Expression reads as written; a
/// regex is shown in the same style: `{string}` for quoted text, `{int}`
/// for a number, `{phone}` for old/new, `{answer}` for yes/no, `{unit}`
/// for a unit of time, `{count}` for "a" or a number, `word/other` for
/// alternatives, `app(s)` for an optional ending.
pub fn readable(phrase: &str) -> String {
    if !is_regex(phrase) {
        return phrase.to_owned();
    }
    let mut out = phrase.trim_start_matches('^').trim_end_matches('$').replace("\\\"", "\"");
    let named: &[(&str, &str)] = &[
        (r#""([^"]+)""#, r#""{string}""#),
        (r"'([^']+)'", "'{string}'"),
        (r"(\d+\.\d+\.\d+)", "{version}"),
        (r"(\d+)", "{int}"),
        (r"(old|new)", "{phone}"),
        (r"(gamle|nye)", "{phone}"),
        (r"(yes|no)", "{answer}"),
        (r"(ja|nej)", "{answer}"),
        (r"(a|\d+)", "{count}"),
        (r"(hours?|minutes?|seconds?)", "{unit}"),
        (r"(timer?|minut(?:ter)?|sekund(?:er)?)", "{unit}"),
        (r"([a-zA-Z]+)", "{word}"),
        (r"\.", "."),
    ];
    for (regex, shown) in named {
        out = out.replace(regex, shown);
    }
    // What is left: optional endings and alternatives.
    let optional = regex::Regex::new(r"\(\?:([^()|]+)\)\?|([a-z])\?").expect("a valid regex");
    out = optional
        .replace_all(&out, |c: &regex::Captures| match (c.get(1), c.get(2)) {
            (Some(text), _) => format!("\u{2039}{}\u{203a}", text.as_str()),
            (_, Some(letter)) => format!("\u{2039}{}\u{203a}", letter.as_str()),
            _ => String::new(),
        })
        .into_owned();
    // One-word alternatives read `a/b`; longer ones `[a | b]`.
    let alternatives = regex::Regex::new(r"\((?:\?:)?([^()]+)\)").expect("a valid regex");
    let out = alternatives.replace_all(&out, |c: &regex::Captures| {
        if c[1].contains(' ') {
            format!("[{}]", c[1].replace('|', " | "))
        } else {
            c[1].replace('|', "/")
        }
    });
    out.replace('\u{2039}', "(").replace('\u{203a}', ")")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::all;

    #[test]
    fn every_phrase_reads_without_regex() {
        assert_eq!(readable(r#"^I press \"([^\"]+)\"$"#), r#"I press "{string}""#);
        assert_eq!(readable("^(\\d+) (hours?|minutes?|seconds?) pass(?:es)?$"), "{int} {unit} pass(es)");
        assert_eq!(readable("^I take my (old|new) phone$"), "I take my {phone} phone");
        assert_eq!(readable("I take my {phone} phone"), "I take my {phone} phone");
        for def in all() {
            for phrase in std::iter::once(def.phrase).chain(def.danish) {
                let shown = readable(phrase);
                for regex in ["(?:", "[^", "\\", "?", "^", "$"] {
                    assert!(!shown.contains(regex), "{phrase} reads as {shown}");
                }
            }
        }
    }

    #[test]
    fn an_expression_gives_one_value_per_parameter_whatever_the_quotes() {
        let re = compile("I press {string} on my {phone} phone {int} time(s)").unwrap();
        for (text, quoted) in [
            (r#"I press "Get started" on my old phone 2 times"#, "Get started"),
            ("I press 'OK' on my nye phone 1 time", "OK"),
        ] {
            let values = values_of(&re, text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(values.len(), 3, "{values:?}");
            assert_eq!(values[0], quoted);
        }
        assert!(!re.is_match("I press \"OK\" on my third phone 1 time"));
        assert!(compile("^I (?:have followed|follow) steps (\\d+) to (\\d+)$")
            .unwrap()
            .is_match("I follow steps 1 to 4"));
        let error = compile("I press {colour}").unwrap_err().to_string();
        assert!(error.contains("{colour}") || error.contains("colour"), "{error}");
    }
}
