//! A step's arguments: each capture of a phrase parsed into the type its
//! body takes ([`Capture`]), so a body receives a [`Role`], a number or a
//! word, never a raw capture. Danish words mean what their English twins do.

use std::time::Duration;

use crate::world::{Role, StepFailure};

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

#[cfg(test)]
mod tests {
    use super::*;

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
