//! The step catalogue: every step phrase in one table, with an example for
//! QA, the documented steps it proves (for the coverage line), and its
//! deadline. cucumber's step collection is built from this table, so what
//! `mitid-e2e steps` lists is exactly what runs.
//!
//! A row names its body and the types of the body's arguments; each
//! capture of the phrase is parsed into its type here, in one place
//! ([`Capture`]), so a body receives a [`Role`], a number or a word, never
//! a raw capture.

use std::time::Duration;

use cucumber::codegen::LocalBoxFuture;
use cucumber::step::{Context, Location};
use mitid_e2e_framework::duration::seconds;

use crate::world::{CopyWorld, Role, StepFailure, StepPanic, StepResult, Verdict};

/// Given, When or Then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    /// A precondition.
    Given,
    /// An action.
    When,
    /// An observation.
    Then,
}

pub use super::documented::{Doc, DOCUMENTED_STEPS, PRECONDITIONS};

/// Which deadline a step runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The profile's step deadline.
    Step,
    /// Steps that let the 1-hour wait pass (long on a real clock).
    Waiting,
    /// Steps that walk many documented steps at once: the step deadline
    /// for each of the 26, plus the wait.
    Walk,
}

impl Deadline {
    /// How long a step under this deadline may take in `world`'s run.
    pub fn limit(self, world: &CopyWorld) -> Duration {
        let timeouts = &world.ctx.profile.timeouts;
        let wait = match world.ctx.clock {
            mitid_e2e_framework::clock::Clock::Real => timeouts.waiting_step(),
            mitid_e2e_framework::clock::Clock::Virtual => timeouts.step(),
        };
        match self {
            Deadline::Step => timeouts.step(),
            Deadline::Waiting => wait,
            Deadline::Walk => timeouts.step() * u32::from(DOCUMENTED_STEPS) + wait,
        }
    }
}

/// A step body behind its captures: takes the raw captures, parses them
/// ([`Capture`]) and runs the body.
pub type StepFn = for<'a> fn(&'a mut CopyWorld, Vec<String>) -> LocalBoxFuture<'a, StepResult>;
/// What cucumber calls for a step: the body under its deadline, failing by panic.
pub type CucumberFn = for<'a> fn(&'a mut CopyWorld, Context) -> LocalBoxFuture<'a, ()>;

/// One row of the catalogue.
pub struct StepDef {
    /// Given, When or Then (every phrase answers to all three).
    pub keyword: Keyword,
    /// What the step text must match: a Cucumber Expression, or a regex
    /// anchored with `^…$` where an expression cannot say it ([`compile`]).
    pub phrase: &'static str,
    /// A line QA can paste into a feature.
    pub example: &'static str,
    /// The same step in Danish, for features in `# language: da`.
    pub danish: Option<&'static str>,
    /// The documented steps it proves.
    pub docs: &'static [Doc],
    /// The deadline it runs under.
    pub deadline: Deadline,
    /// How many captures the body takes.
    pub arity: usize,
    /// Where the row is: the line of its phrase in `steps/`.
    pub location: Location,
    /// The name of the body function, as written in the row.
    pub body: &'static str,
    /// What cucumber runs.
    pub cucumber: CucumberFn,
}

/// A step argument, parsed from its capture. Danish words mean what their
/// English twins do ("gamle" is [`Role::Old`], "ja" is [`Answer::Yes`]).
pub trait Capture: Sized {
    /// Parses the captured text, or says what was wrong with it.
    fn capture(text: &str) -> Result<Self, StepFailure>;
}

impl Capture for String {
    fn capture(text: &str) -> Result<Self, StepFailure> {
        Ok(text.to_owned())
    }
}

impl Capture for u64 {
    fn capture(text: &str) -> Result<Self, StepFailure> {
        text.parse().map_err(|_| StepFailure::error(format!("'{text}' is not a whole number")))
    }
}

impl Capture for usize {
    fn capture(text: &str) -> Result<Self, StepFailure> {
        text.parse().map_err(|_| StepFailure::error(format!("'{text}' is not a whole number")))
    }
}

impl Capture for Role {
    fn capture(text: &str) -> Result<Self, StepFailure> {
        match text {
            "old" | "gamle" => Ok(Role::Old),
            "new" | "nye" => Ok(Role::New),
            other => Err(StepFailure::error(format!("'{other}' is not a phone: say old or new"))),
        }
    }
}

/// Yes or no ("ja" or "nej").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Yes, ja.
    Yes,
    /// No, nej.
    No,
}

impl Capture for Answer {
    fn capture(text: &str) -> Result<Self, StepFailure> {
        match text {
            "yes" | "ja" => Ok(Answer::Yes),
            "no" | "nej" => Ok(Answer::No),
            other => Err(StepFailure::error(format!("'{other}' is not an answer: say yes or no"))),
        }
    }
}

/// How many times: "a" is one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub usize);

impl Capture for Count {
    fn capture(text: &str) -> Result<Self, StepFailure> {
        match text {
            "a" | "an" => Ok(Count(1)),
            n => usize::capture(n).map(Count),
        }
    }
}

/// A unit of time, singular or plural, English or Danish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// hour(s), time(r).
    Hour,
    /// minute(s), minut(ter).
    Minute,
    /// second(s), sekund(er).
    Second,
}

impl TimeUnit {
    /// `n` of this unit.
    pub fn times(self, n: u64) -> Duration {
        Duration::from_secs(
            n * match self {
                TimeUnit::Hour => 3600,
                TimeUnit::Minute => 60,
                TimeUnit::Second => 1,
            },
        )
    }
}

impl Capture for TimeUnit {
    fn capture(text: &str) -> Result<Self, StepFailure> {
        match text {
            "hour" | "hours" | "time" | "timer" => Ok(TimeUnit::Hour),
            "minute" | "minutes" | "minut" | "minutter" => Ok(TimeUnit::Minute),
            "second" | "seconds" | "sekund" | "sekunder" => Ok(TimeUnit::Second),
            other => Err(StepFailure::error(format!("'{other}' is not a unit of time"))),
        }
    }
}

/// Where a catalogue row is, for cucumber and editors: the file the row is
/// in and the line and column of its phrase in that file's `source`.
pub fn locate(file: &'static str, source: &str, phrase_literal: &str, fallback_line: u32) -> Location {
    // `file!()` of a module under `#[path = "../steps/mod.rs"]` reads
    // "src/../steps/x.rs"; the folder a person opens is "steps/x.rs".
    let path = file.strip_prefix("src/../").unwrap_or(file);
    match source.find(phrase_literal) {
        Some(at) => {
            let before = &source[..at];
            let line = before.matches('\n').count() + 1;
            let column = at - before.rfind('\n').map_or(0, |nl| nl + 1) + 1;
            Location { path, line: line as u32, column: column as u32 }
        }
        None => Location { path, line: fallback_line, column: 1 },
    }
}

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
/// use mitid_e2e::steps::catalogue::{compile, values_of};
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

/// Builds the catalogue: each entry gets its own cucumber step function
/// (cucumber wants plain fn pointers) that parses its captures into the
/// body's argument types and runs the body under its deadline.
macro_rules! catalogue {
    ($( $kw:ident $phrase:literal $(da $danish:literal)? e.g. $example:literal docs [$($doc:expr),*] $deadline:ident => $body:ident ($($arg:ty),*); )*) => {
        /// This module's rows of the step catalogue.
        pub fn catalogue() -> Vec<$crate::steps::catalogue::StepDef> {
            #[allow(unused_imports)]
            use $crate::steps::catalogue::Doc::*;
            const SOURCE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", file!()));
            vec![$({
                fn cucumber_step<'a>(
                    world: &'a mut $crate::world::CopyWorld,
                    cx: cucumber::step::Context,
                ) -> cucumber::codegen::LocalBoxFuture<'a, ()> {
                    let body: $crate::steps::catalogue::StepFn = |w, m| {
                        Box::pin(async move {
                            #[allow(unused_mut, unused_variables)]
                            let mut m = m.into_iter();
                            $body(w, $(
                                <$arg as $crate::steps::catalogue::Capture>::capture(&m.next().unwrap_or_default())?
                            ),*).await
                        })
                    };
                    Box::pin($crate::steps::catalogue::execute(world, cx, $crate::steps::catalogue::Deadline::$deadline, body))
                }
                $crate::steps::catalogue::StepDef {
                    keyword: $crate::steps::catalogue::Keyword::$kw,
                    phrase: $phrase,
                    example: $example,
                    danish: None $(.or(Some($danish)))?,
                    docs: &[$($doc),*],
                    deadline: $crate::steps::catalogue::Deadline::$deadline,
                    arity: <[&str]>::len(&[$(stringify!($arg)),*]),
                    location: $crate::steps::catalogue::locate(file!(), SOURCE, stringify!($phrase), line!()),
                    body: stringify!($body),
                    cucumber: cucumber_step,
                }
            }),*]
        }
    };
}
pub(crate) use catalogue;

/// Runs one step: captures in, the body under its deadline, and on failure
/// the evidence gathered and the step failed with a redacted message.
///
/// Once the run is asked to stop (Ctrl-C, SIGTERM) no step begins: the
/// first of a scenario that has not begun says it was not run
/// ([`Verdict::NotRun`]); any other says it was interrupted. A step running
/// when the stop is asked ends at once, interrupted; its scenario's
/// sessions are closed as it ends, like any scenario's.
pub async fn execute(world: &mut CopyWorld, cx: Context, deadline: Deadline, body: StepFn) {
    // Waiting for free phones has its own deadline (timeouts.lease): the
    // step's starts once the scenario has them.
    if let Err(failure) = world.lease().await {
        let message = mitid_e2e_framework::secret::redact(&failure.message);
        std::panic::panic_any(StepPanic { verdict: failure.verdict, message });
    }
    let limit = deadline.limit(world);
    let text = cx.step.value.clone();
    let stop = world.ctx.stop.clone();
    if let Some(signal) = stop.requested() {
        let (verdict, message) = if world.steps_begun == 0 {
            (Verdict::NotRun, crate::interrupt::NOT_RUN.to_owned())
        } else {
            (
                Verdict::Interrupted,
                format!(
                    "interrupted by {} before this step: the run was stopped, so the scenario could not be judged",
                    signal.name()
                ),
            )
        };
        std::panic::panic_any(StepPanic { verdict, message });
    }
    world.steps_begun += 1;
    // With the phones' request traces, this says which step sent what.
    tracing::debug!(step = %text, "step");
    world.proved.clear();
    let captures = arguments(cx.matches.into_iter().skip(1));
    let started = std::time::Instant::now();
    // Every screen the step leaves its phones on must show its approved
    // texts; that look is part of the step, under its deadline and its stop.
    let counts_before = world.phone_counts();
    let checked = async {
        body(&mut *world, captures).await?;
        world.check_screens(&counts_before).await
    };
    let outcome = tokio::select! {
        outcome = tokio::time::timeout(limit, checked) => outcome,
        signal = stop.wait() => {
            let message = format!(
                "interrupted by {} {} into the step \"{text}\": the run was stopped, so the scenario could not be judged; its phones' sessions are closed",
                signal.name(),
                seconds(started.elapsed()),
            );
            std::panic::panic_any(StepPanic { verdict: Verdict::Interrupted, message: mitid_e2e_framework::secret::redact(&message) });
        }
    };
    let failure = match outcome {
        Ok(Ok(())) => {
            world.ctx.ledger.prove_in_passing_step(&world.scenario, std::mem::take(&mut world.proved));
            return;
        }
        Ok(Err(failure)) => {
            world.collect_evidence().await;
            failure
        }
        // A deadline is the harness's: the step could not be judged.
        Err(_) => {
            world.collect_evidence().await;
            world.close_sessions().await;
            StepFailure::error(format!(
                "the step \"{text}\" did not finish within its deadline of {}; its phones' sessions were closed",
                seconds(limit)
            ))
        }
    };
    let message = mitid_e2e_framework::secret::redact(&failure.message);
    std::panic::panic_any(StepPanic { verdict: failure.verdict, message });
}

/// Every step definition, from all areas.
pub fn all() -> Vec<StepDef> {
    let mut all = crate::steps::copy_flow::catalogue();
    all.extend(crate::steps::farm_control::catalogue());
    all.extend(crate::steps::rules::catalogue());
    all.extend(crate::steps::bluetooth::catalogue());
    all
}

/// cucumber's step collection, from the catalogue.
pub fn collection() -> Result<cucumber::step::Collection<CopyWorld>, PhraseError> {
    let mut c = cucumber::step::Collection::new();
    for def in all() {
        // Every phrase answers to every keyword: whether QA write Given,
        // When or Then is a matter of style, not of which steps exist.
        for phrase in std::iter::once(def.phrase).chain(def.danish) {
            let re = compile(phrase)?;
            let at = Some(def.location);
            c = c.given(at, re.clone(), def.cucumber).when(at, re.clone(), def.cucumber).then(at, re, def.cucumber);
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The step text of an example: the example without its keyword.
    fn text(example: &str) -> &str {
        let keywords = ["Given ", "When ", "Then ", "And ", "But "];
        keywords.iter().find_map(|k| example.strip_prefix(k)).unwrap_or(example)
    }

    #[test]
    fn every_phrase_compiles_and_takes_as_many_captures_as_its_body() {
        for def in all() {
            for phrase in std::iter::once(def.phrase).chain(def.danish) {
                let re = compile(phrase).unwrap_or_else(|e| panic!("{e}"));
                let parameters = arguments(re.capture_names().skip(1).map(|n| (n.map(str::to_owned), String::new())));
                assert_eq!(parameters.len(), def.arity, "{phrase}: parameters vs the body's arguments");
            }
        }
    }

    #[test]
    fn every_example_matches_exactly_its_own_row() {
        let all = all();
        let compiled: Vec<(usize, regex::Regex)> = all
            .iter()
            .enumerate()
            .flat_map(|(i, d)| std::iter::once(d.phrase).chain(d.danish).map(move |p| (i, compile(p).unwrap())))
            .collect();
        for (i, def) in all.iter().enumerate() {
            let rows: Vec<usize> =
                compiled.iter().filter(|(_, re)| re.is_match(text(def.example))).map(|(row, _)| *row).collect();
            assert!(rows.contains(&i), "the example \"{}\" does not match its own phrase {}", def.example, def.phrase);
            let others: Vec<&str> = rows.iter().filter(|r| **r != i).map(|r| all[*r].phrase).collect();
            assert!(others.is_empty(), "the example \"{}\" also matches {others:?}", def.example);
        }
    }

    #[test]
    fn every_row_knows_the_line_of_its_phrase() {
        for def in all() {
            let Location { path, line, .. } = def.location;
            assert!(path.starts_with("steps/"), "{path}");
            let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_owned() + path).unwrap();
            let at = source.lines().nth(line as usize - 1).unwrap_or_default();
            let phrase = def.phrase;
            assert!(
                at.contains(&format!("\"{}\"", phrase.replace('\\', "\\\\").replace('"', "\\\""))),
                "{path}:{line}: {at}"
            );
        }
    }

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

    #[test]
    fn captures_parse_in_both_languages_and_say_what_is_wrong() {
        assert_eq!(Role::capture("gamle").unwrap(), Role::Old);
        assert_eq!(Role::capture("new").unwrap(), Role::New);
        assert_eq!(Answer::capture("nej").unwrap(), Answer::No);
        assert_eq!(Count::capture("a").unwrap(), Count(1));
        assert_eq!(TimeUnit::capture("minutter").unwrap().times(2), Duration::from_secs(120));
        assert_eq!(u64::capture("x").unwrap_err().message, "'x' is not a whole number");
    }
}
