//! The Gherkin the features are written in, in one place: the
//! `# language:` header a feature file names, and the step keywords of the
//! languages the suite's features use (English and Danish).

use std::sync::LazyLock;

use regex::Regex;

/// The step keywords of English and Danish, for spotting a misspelt one.
pub const STEP_KEYWORDS: &[&str] = &["Given", "When", "Then", "And", "But", "Givet", "Når", "Så", "Og", "Men"];

/// The step keywords that join a step to the one before it (Cucumber
/// Messages' `keywordType` `Conjunction`).
pub const CONJUNCTIONS: &[&str] = &["And", "But", "Og", "Men"];

/// The language of a feature file without a header.
pub const DEFAULT_LANGUAGE: &str = "en";

/// The `# language:` header of a feature file, if it has one: its line
/// (0-based) and the language. As Gherkin reads it, only among the blank
/// lines and comments before the first keyword.
///
/// ```
/// use mitid_e2e::feature_language::language_line;
///
/// assert_eq!(language_line("# language: da\nEgenskab: x\n"), Some((0, "da")));
/// assert_eq!(language_line("Feature: x\n# language: da\n"), None);
/// ```
pub fn language_line(text: &str) -> Option<(usize, &str)> {
    static HEADER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*#\s*language\s*:\s*(\S+)").expect("a valid regex"));
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .find_map(|(i, l)| HEADER.captures(l).and_then(|c| c.get(1)).map(|m| (i, m.as_str())))
}

/// The language a feature file is written in: its header's, else English.
pub fn language_of(text: &str) -> &str {
    language_line(text).map_or(DEFAULT_LANGUAGE, |(_, language)| language)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_found_where_gherkin_reads_it() {
        assert_eq!(language_of("# language: da\nEgenskab: x\n"), "da");
        assert_eq!(language_line("\n  #language:xx\nFeature: x\n"), Some((1, "xx")));
        assert_eq!(language_of("Feature: x\n# language: da\n"), "en");
        assert_eq!(language_line("# a comment\n# language: da\n"), Some((1, "da")));
    }
}
