//! What an undefined step is told: the phrases nearest to it, ranked.
//!
//! A step is compared with each phrase as a set of words, not as a string:
//! a phrase's parameters take the words they would capture (`{string}` a
//! quoted text, or unquoted words at half weight; `{int}` a number;
//! `{phone}` old or new…), a word one letter off still counts, and each
//! phrase is also known by the help page's own words for the steps it
//! proves (`HELP_PAGE`), so "I use biometric (fingerprint/Touch ID/Face ID)"
//! finds "I use biometric instead of my PIN code".

use std::sync::LazyLock;

use regex::Regex;

use mitid_e2e_steps::catalogue::StepDef;
use mitid_e2e_steps::documented::HELP_PAGE;

/// A quoted text, "…" or '…'.
static QUOTED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r#""[^"]*"|'[^']*'"#).expect("a valid regex"));
/// A Cucumber Expression's parameter, `{name}`.
static PARAMETER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{(\w*)\}").expect("a valid regex"));
/// A Cucumber Expression's optional text, `(es)`.
static OPTIONAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\([^)]*\)").expect("a valid regex"));

/// A phrase near an undefined step.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint<'a> {
    /// The phrase as the catalogue writes it.
    pub phrase: &'a str,
    /// Its example, as QA write it (without the keyword).
    pub example: &'a str,
    /// How near, 0 to 1.
    pub score: f64,
}

/// How near a phrase must be to be offered.
const NEAR: f64 = 0.55;
/// How many phrases are offered at most.
const OFFERED: usize = 3;

/// Words that say nothing of which step is meant.
const STOPWORDS: &[&str] = &[
    "i", "my", "me", "the", "a", "an", "and", "on", "of", "to", "is", "it", "has", "have", "that", "your", "you",
    "with", "in", "at", "for", "from", "be", "am", "are", "or", "by", "this", "then", "now", "jeg", "min", "mit",
    "mine", "den", "det", "en", "et", "og", "på", "til", "af", "er", "at", "der", "som",
];

/// What a parameter of a phrase takes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Text,
    Number,
    Phone,
    Answer,
    Unit,
    Version,
}

/// A phrase or a step, as words.
#[derive(Debug, Default)]
struct Words {
    /// Content words (stemmed); a phrase's `a/b` alternative is one entry.
    words: Vec<Vec<String>>,
    /// A phrase's parameters.
    slots: Vec<Slot>,
    /// A step's quoted texts.
    quoted: usize,
    /// A step's numbers.
    numbers: usize,
}

/// Lowercase, without its ending: "passes", "passed" and "pass" are one.
fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    for (end, min) in [("ing", 6), ("es", 5), ("ed", 5), ("s", 5)] {
        // "press" keeps its double s; "passes" loses "es".
        if w.len() >= min && w.ends_with(end) && !(end == "s" && w.ends_with("ss")) {
            return w[..w.len() - end.len()].to_owned();
        }
    }
    w
}

/// The content words of plain text.
fn content(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| !STOPWORDS.contains(&w.to_lowercase().as_str()))
        .map(stem)
        .collect()
}

/// A step as its writer typed it: quoted texts and numbers apart.
fn of_step(text: &str) -> Words {
    let quoted = &*QUOTED;
    let rest = quoted.replace_all(text, " ");
    let numbers = rest.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).count();
    Words {
        words: content(&rest).into_iter().map(|w| vec![w]).collect(),
        slots: Vec::new(),
        quoted: quoted.find_iter(text).count(),
        numbers,
    }
}

/// A Cucumber Expression as words and parameters; `None` for a regular
/// expression (its example stands for it).
fn of_expression(phrase: &str) -> Option<Words> {
    if phrase.starts_with('^') {
        return None;
    }
    let mut out = Words::default();
    let param = &*PARAMETER;
    for c in param.captures_iter(phrase) {
        out.slots.push(match &c[1] {
            "int" | "count" => Slot::Number,
            "phone" => Slot::Phone,
            "answer" => Slot::Answer,
            "unit" => Slot::Unit,
            "version" => Slot::Version,
            _ => Slot::Text,
        });
    }
    // Optional endings ("pass(es)") go; "a/b" is one word of two spellings.
    let optional = &*OPTIONAL;
    let plain = optional.replace_all(&param.replace_all(phrase, " "), "").replace("\\\"", "\"");
    let quoted = &*QUOTED;
    // Quoted words in a phrase are its literal button and screen names.
    let plain = quoted.replace_all(&plain, |m: &regex::Captures| m[0].trim_matches(['"', '\'']).to_owned());
    for word in plain.split_whitespace() {
        let spellings: Vec<String> =
            word.split('/').flat_map(content).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        if !spellings.is_empty() {
            out.words.push(spellings);
        }
    }
    Some(out)
}

/// Whether two words are one, a letter off allowed in a longer word.
fn same(a: &str, b: &str) -> bool {
    a == b
        // A letter off, not the first: "pres" is "press", "hold" is not "told".
        || (a.len().min(b.len()) >= 4 && a.chars().next() == b.chars().next() && distance(a, b) <= 1)
        // "app" and "apps": a plural too short to stem.
        || a.strip_suffix('s') == Some(b)
        || b.strip_suffix('s') == Some(a)
}

/// How near the step `t` is to the phrase `p`: what of the phrase the step
/// has, over all the phrase asks and all the step says beyond it.
fn score(t: &Words, p: &Words) -> f64 {
    let mut unmatched: Vec<&String> = t.words.iter().flatten().collect();
    let mut hits = 0.0;
    for spellings in &p.words {
        if let Some(i) = unmatched.iter().position(|w| spellings.iter().any(|s| same(w, s))) {
            unmatched.remove(i);
            hits += 1.0;
        }
    }
    let (mut numbers, mut quoted, mut swallowed) = (t.numbers, t.quoted, 0);
    let take =
        |unmatched: &mut Vec<&String>, any: &[&str]| match unmatched.iter().position(|w| any.contains(&w.as_str())) {
            Some(i) => {
                unmatched.remove(i);
                1.0
            }
            None => 0.0,
        };
    for slot in &p.slots {
        // A parameter says less of which phrase is meant than a word: half.
        hits += 0.5
            * match slot {
                Slot::Number if numbers > 0 => {
                    numbers -= 1;
                    1.0
                }
                Slot::Number => take(&mut unmatched, &["a", "an", "one", "two", "three"]),
                Slot::Phone => take(&mut unmatched, &["old", "new", "gamle", "nye"]),
                Slot::Answer => take(&mut unmatched, &["yes", "no", "ja", "nej"]),
                Slot::Unit => take(&mut unmatched, &["hour", "minute", "second", "time", "minut", "sekund"]),
                Slot::Version => 0.0,
                Slot::Text if quoted > 0 => {
                    quoted -= 1;
                    1.0
                }
                // Unquoted words may be what the writer meant to quote: half,
                // and the more words it swallows the less sure that is.
                Slot::Text if !unmatched.is_empty() => {
                    swallowed = unmatched.len();
                    unmatched.clear();
                    0.5
                }
                Slot::Text => 0.0,
            };
    }
    let asked = p.words.len() as f64 + 0.5 * p.slots.len() as f64;
    let beyond = unmatched.len() as f64 + (numbers + quoted) as f64 + 0.5 * swallowed as f64;
    if asked == 0.0 {
        0.0
    } else {
        hits / (asked + 0.5 * beyond)
    }
}

/// What share of the step's words the help page's text for `def`'s steps has.
fn help_score(t: &Words, def: &StepDef) -> f64 {
    let words: Vec<String> =
        HELP_PAGE.iter().filter(|(d, _)| def.docs.contains(d)).flat_map(|(_, text)| content(text)).collect();
    let mine: Vec<&String> = t.words.iter().flatten().collect();
    if words.is_empty() || mine.is_empty() {
        return 0.0;
    }
    let found = mine.iter().filter(|w| words.iter().any(|h| same(w, h))).count() as f64;
    // What the step says that the page does not counts against it.
    found / (mine.len() as f64 + 0.5 * (mine.len() as f64 - found))
}

/// The phrases nearest to `text` (a step without its keyword), nearest
/// first: at most three, each near enough, none far behind the first.
pub fn near<'a>(text: &str, catalogue: &'a [StepDef]) -> Vec<Hint<'a>> {
    let keywords = ["Given ", "When ", "Then ", "And ", "But "];
    let step = of_step(text);
    let mut hints: Vec<Hint> = catalogue
        .iter()
        .map(|d| {
            let example = keywords.iter().find_map(|k| d.example.strip_prefix(k)).unwrap_or(d.example);
            let by_phrase = std::iter::once(d.phrase)
                .chain(d.danish)
                .filter_map(of_expression)
                .map(|p| score(&step, &p))
                .fold(0.0, f64::max);
            let by_example = score(&step, &of_step_as_phrase(example));
            let by_help = 0.85 * help_score(&step, d);
            // The phrase's own words break a tie between phrases of one step.
            let best = by_phrase.max(by_example).max(by_help) + 0.05 * by_phrase.max(by_example);
            Hint { phrase: d.phrase, example, score: best }
        })
        .filter(|h| h.score >= NEAR)
        .collect();
    hints.sort_by(|a, b| b.score.total_cmp(&a.score));
    let first = hints.first().map_or(0.0, |h| h.score);
    hints.retain(|h| h.score >= first - 0.25);
    hints.truncate(OFFERED);
    hints
}

/// An example as a phrase whose every word is literal (its quoted values
/// and numbers too: "I press "Activate"" is near "I press Activate").
fn of_step_as_phrase(example: &str) -> Words {
    let literal = example.replace(['"', '\''], " ");
    Words { words: content(&literal).into_iter().map(|w| vec![w]).collect(), ..Words::default() }
}

/// Levenshtein distance, by characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = if ca == *cb { prev } else { 1 + prev.min(row[j]).min(here) };
            prev = here;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natural misphrasings, as a QA engineer new to the project writes
    /// them from the help page, each with the phrase it meant.
    const MISPHRASINGS: &[(&str, &str)] = &[
        ("I use biometric (fingerprint/Touch ID/Face ID)", "I use biometric instead of my PIN code"),
        ("I press Cancel", "I press {string}"),
        ("I enter my PIN", "I enter my PIN code"),
        ("1 hour has passed", "{int} {unit} pass(es)"),
        ("I see the QR code", "I see a QR code that is valid for 3 minutes"),
        ("I pres \"Activate\"", "I press {string}"),
        ("I open the MitID app on the new phone", "I open the MitID app on my {phone} phone"),
        (
            "I open the menu at the top of the screen",
            "I open the MitID app on my old phone and open the menu at the top of the screen",
        ),
        ("I press Copy your MitID to a new app", "I press {string}"),
        ("I read the information and press Next", "I read the information and press \"Next\""),
        (
            "I tick Yes, I want to copy and press Start copying",
            "I check \"Yes, I want to copy\" and press \"Start copying\"",
        ),
        ("the waiting period starts", "the waiting period has started"),
        (
            "I get a notification that the waiting time is over",
            "I receive a notification from the app that the waiting time is over",
        ),
        ("I press Get started", "I press \"Get started\" on the screen 'Activate your MitID'"),
        ("I choose Copy from another MitID app", "I choose \"Copy from another MitID app\" and press \"Next\""),
        (
            "I hold my new phone up to the QR code",
            "I scan the QR code by holding my new phone up to the QR code on my old app",
        ),
        ("I enter my user ID", "I enter my user ID to confirm my identity and press \"Next\""),
        ("I enter the temporary PIN code from the SMS", "I enter the temporary PIN code that I receive via SMS"),
        (
            "I create my personal PIN code",
            "I create my personal PIN code, press \"Next\", repeat it and press \"Next\"",
        ),
        ("I choose yes to biometric", "I choose {answer} to approving with biometric"),
        ("I accept notifications", "I accept notifications from the MitID app"),
        (
            "the app is activated and ready to use",
            "I see 'This app is now activated and ready to use' and press \"OK\"",
        ),
        ("I accept Bluetooth", "I accept that the MitID app uses Bluetooth"),
        ("2 minutes pass", "{int} {unit} pass(es)"),
        ("my old phone is still active", "my MitID app on my old phone is still active"),
    ];

    #[test]
    fn natural_misphrasings_get_the_phrase_they_meant_first() {
        let catalogue = mitid_e2e_steps::all();
        let mut wrong = Vec::new();
        for (text, meant) in MISPHRASINGS {
            let hints = near(text, &catalogue);
            if hints.first().map(|h| h.phrase) != Some(*meant) {
                wrong
                    .push(format!("{text:?}: got {:?}", hints.iter().map(|h| (h.phrase, h.score)).collect::<Vec<_>>()));
            }
        }
        assert!(MISPHRASINGS.len() >= 20);
        assert!(wrong.is_empty(), "{} of {} misphrasings miss:\n{}", wrong.len(), MISPHRASINGS.len(), wrong.join("\n"));
    }

    #[test]
    fn a_step_near_nothing_gets_no_hint() {
        let catalogue = mitid_e2e_steps::all();
        assert_eq!(near("the moon is made of cheese", &catalogue), []);
        assert_eq!(near("I wave my new phone gently at Bob", &catalogue).len(), 0);
    }
}
