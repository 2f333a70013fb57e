//! The step catalogue: every step phrase in one table, with an example for
//! QA, the documented steps it proves (for the coverage line), and its
//! deadline. cucumber's step collection is built from this table, so what
//! `mitid-e2e steps` lists is exactly what runs.
//!
//! Each area's module holds its rows; [`all`](crate::all) gathers them
//! and [`collection`](crate::collection) makes cucumber's steps of them.
//! A row names its body and the types of the body's arguments; the macro
//! `catalogue!` turns the rows into cucumber steps that parse each
//! capture into its type ([`Capture`](crate::arguments::Capture))
//! and run the body ([`execute`](crate::execute::execute)).

use std::time::Duration;

use cucumber::codegen::LocalBoxFuture;
use cucumber::step::{Context, Location};

use crate::world::{CopyWorld, StepResult};

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
/// ([`Capture`](crate::arguments::Capture)) and runs the body.
pub type StepFn = for<'a> fn(&'a mut CopyWorld, Vec<String>) -> LocalBoxFuture<'a, StepResult>;
/// What cucumber calls for a step: the body under its deadline, failing by panic.
pub type CucumberFn = for<'a> fn(&'a mut CopyWorld, Context) -> LocalBoxFuture<'a, ()>;

/// One row of the catalogue.
pub struct StepDef {
    /// Given, When or Then (every phrase answers to all three).
    pub keyword: Keyword,
    /// What the step text must match: a Cucumber Expression, or a regex
    /// anchored with `^…$` where an expression cannot say it ([`compile`](crate::phrases::compile)).
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

/// Where a catalogue row is, for cucumber and editors: the file the row is
/// in and the line and column of its phrase in that file's `source`.
pub fn locate(file: &'static str, source: &str, phrase_literal: &str, fallback_line: u32) -> Location {
    // Cargo builds a workspace member from the workspace's root: `file!()`
    // reads "steps/x.rs", the path a person opens.
    match source.find(phrase_literal) {
        Some(at) => {
            let before = &source[..at];
            let line = before.matches('\n').count() + 1;
            let column = at - before.rfind('\n').map_or(0, |nl| nl + 1) + 1;
            Location { path: file, line: line as u32, column: column as u32 }
        }
        None => Location { path: file, line: fallback_line, column: 1 },
    }
}

/// Builds the catalogue: each entry gets its own cucumber step function
/// (cucumber wants plain fn pointers) that parses its captures into the
/// body's argument types and runs the body under its deadline.
macro_rules! catalogue {
    ($( $kw:ident $phrase:literal $(da $danish:literal)? e.g. $example:literal docs [$($doc:expr),*] $deadline:ident => $body:ident ($($arg:ty),*); )*) => {
        /// This module's rows of the step catalogue.
        pub fn catalogue() -> Vec<$crate::catalogue::StepDef> {
            #[allow(unused_imports)]
            use $crate::catalogue::Doc::*;
            const SOURCE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../", file!()));
            vec![$({
                fn cucumber_step<'a>(
                    world: &'a mut $crate::world::CopyWorld,
                    cx: cucumber::step::Context,
                ) -> cucumber::codegen::LocalBoxFuture<'a, ()> {
                    let body: $crate::catalogue::StepFn = |w, m| {
                        Box::pin(async move {
                            #[allow(unused_mut, unused_variables)]
                            let mut m = m.into_iter();
                            $body(w, $(
                                <$arg as $crate::arguments::Capture>::capture(&m.next().unwrap_or_default())?
                            ),*).await
                        })
                    };
                    Box::pin($crate::execute::execute(world, cx, $crate::catalogue::Deadline::$deadline, body))
                }
                $crate::catalogue::StepDef {
                    keyword: $crate::catalogue::Keyword::$kw,
                    phrase: $phrase,
                    example: $example,
                    danish: None $(.or(Some($danish)))?,
                    docs: &[$($doc),*],
                    deadline: $crate::catalogue::Deadline::$deadline,
                    arity: <[&str]>::len(&[$(stringify!($arg)),*]),
                    location: $crate::catalogue::locate(file!(), SOURCE, stringify!($phrase), line!()),
                    body: stringify!($body),
                    cucumber: cucumber_step,
                }
            }),*]
        }
    };
}
pub(crate) use catalogue;
