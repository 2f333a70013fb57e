//! The step catalogue: every step phrase in one table, with an example for
//! QA, the documented steps it proves (for the coverage line), and its
//! deadline. cucumber's step collection is built from this table, so what
//! `mitid-e2e steps` lists is exactly what runs.

use std::time::Duration;

use cucumber::codegen::LocalBoxFuture;
use cucumber::step::Context;

use crate::world::{CopyWorld, StepResult};

/// Given, When or Then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyword {
    Given,
    When,
    Then,
}

/// What a step proves of the documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Doc {
    /// A numbered step, 1-26.
    Step(u8),
    /// A "Before you begin" item, 1-3.
    Before(u8),
}

pub const DOCUMENTED_STEPS: u8 = 26;
pub const PRECONDITIONS: u8 = 3;

/// Which deadline a step runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    Step,
    /// Steps that let the 1-hour wait pass (long on a real clock).
    Waiting,
    /// Steps that walk many documented steps at once: the step deadline
    /// for each of the 26, plus the wait.
    Walk,
}

pub type StepFn = for<'a> fn(&'a mut CopyWorld, Vec<String>) -> LocalBoxFuture<'a, StepResult>;
pub type CucumberFn = for<'a> fn(&'a mut CopyWorld, Context) -> LocalBoxFuture<'a, ()>;

pub struct StepDef {
    pub keyword: Keyword,
    /// A regex matched against the whole step text.
    pub phrase: &'static str,
    pub example: &'static str,
    /// The same step in Danish, for features in `# language: da`.
    pub danish: Option<&'static str>,
    pub docs: &'static [Doc],
    pub deadline: Deadline,
    pub cucumber: CucumberFn,
}

/// Builds the catalogue: each entry gets its own cucumber step function
/// (cucumber wants plain fn pointers) that runs the body under its deadline.
macro_rules! catalogue {
    ($( $kw:ident $phrase:literal $(da $danish:literal)? e.g. $example:literal docs [$($doc:expr),*] $deadline:ident => $body:path; )*) => {
        pub fn catalogue() -> Vec<$crate::steps::catalogue::StepDef> {
            #[allow(unused_imports)]
            use $crate::steps::catalogue::Doc::*;
            vec![$({
                fn cucumber_step<'a>(
                    world: &'a mut $crate::world::CopyWorld,
                    cx: cucumber::step::Context,
                ) -> cucumber::codegen::LocalBoxFuture<'a, ()> {
                    let body: $crate::steps::catalogue::StepFn = |w, m| Box::pin($body(w, m));
                    Box::pin($crate::steps::catalogue::execute(world, cx, $crate::steps::catalogue::Deadline::$deadline, body))
                }
                $crate::steps::catalogue::StepDef {
                    keyword: $crate::steps::catalogue::Keyword::$kw,
                    phrase: concat!("^", $phrase, "$"),
                    example: $example,
                    danish: None $(.or(Some(concat!("^", $danish, "$"))))?,
                    docs: &[$($doc),*],
                    deadline: $crate::steps::catalogue::Deadline::$deadline,
                    cucumber: cucumber_step,
                }
            }),*]
        }
    };
}
pub(crate) use catalogue;

/// Runs one step: captures in, the body under its deadline, and on failure
/// the evidence gathered and the step failed with a redacted message.
pub async fn execute(world: &mut CopyWorld, cx: Context, deadline: Deadline, body: StepFn) {
    let timeouts = &world.ctx.profile.timeouts;
    let wait = match world.ctx.clock {
        mitid_e2e_framework::clock::Clock::Real => timeouts.waiting_step(),
        mitid_e2e_framework::clock::Clock::Virtual => timeouts.step(),
    };
    let limit = match deadline {
        Deadline::Step => timeouts.step(),
        Deadline::Waiting => wait,
        Deadline::Walk => timeouts.step() * u32::from(DOCUMENTED_STEPS) + wait,
    };
    let text = cx.step.value.clone();
    let captures: Vec<String> = cx.matches.into_iter().skip(1).map(|(_, v)| v).collect();
    let outcome = tokio::time::timeout(limit, body(world, captures)).await;
    let failure = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(f)) => f.0,
        Err(_) => {
            world.collect_evidence().await;
            world.close_sessions().await;
            let failure = format!(
                "the step \"{text}\" did not finish within its deadline of {}; its phones' sessions were closed",
                human(limit)
            );
            std::panic::panic_any(mitid_e2e_framework::secret::redact(&failure));
        }
    };
    world.collect_evidence().await;
    std::panic::panic_any(mitid_e2e_framework::secret::redact(&failure));
}

pub fn human(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
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
pub fn collection() -> Result<cucumber::step::Collection<CopyWorld>, regex::Error> {
    let mut c = cucumber::step::Collection::new();
    for def in all() {
        // Every phrase answers to every keyword: whether QA write Given,
        // When or Then is a matter of style, not of which steps exist.
        for phrase in std::iter::once(def.phrase).chain(def.danish) {
            let re = regex::Regex::new(phrase)?;
            c = c.given(None, re.clone(), def.cucumber).when(None, re.clone(), def.cucumber).then(
                None,
                re,
                def.cucumber,
            );
        }
    }
    Ok(c)
}
