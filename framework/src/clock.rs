//! How time passes for a scenario: the backend's clock moved through the
//! test-control API, or real waiting with a heartbeat line.

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::control::{ControlApi, ControlError};
use crate::duration::plan;

/// How often a real-time wait says who is waiting and how long is left.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// Lets time pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The backend's clock is moved: an hour passes in milliseconds.
    Virtual,
    /// Really wait, saying so every [`HEARTBEAT`].
    Real,
}

impl Clock {
    /// Lets `by` pass for a scenario's phones. A virtual farm keeps a clock
    /// per phone, so scenarios on other phones are not disturbed; a backend
    /// with one clock for everything ignores `udids`. A real wait gives
    /// `say` a [`heartbeat`] line naming `who` (the scenario) as it starts
    /// and every [`HEARTBEAT`], and one when it is over.
    pub async fn pass(
        &self,
        by: Duration,
        control: &ControlApi,
        udids: &[String],
        who: &str,
        say: &dyn Fn(&str),
    ) -> Result<(), ControlError> {
        match self {
            Clock::Virtual => control.advance_clock(by, udids).await,
            Clock::Real => {
                wait_really(by, who, HEARTBEAT, tokio::time::sleep, say).await;
                Ok(())
            }
        }
    }
}

/// What a real-time wait says: `who` waits, with `left` of `of` to go; or,
/// when nothing is left, that it waited. One plain line (no `\r`, no
/// colour), so a log file or CI log reads it as a terminal does.
pub fn heartbeat(who: &str, left: Duration, of: Duration) -> String {
    if left.is_zero() {
        format!("waited {} in real time: {who}", plan(of))
    } else {
        format!("waiting in real time: {who}: {} left of {}", plan(left), plan(of))
    }
}

/// Waits `by` through `sleep` in naps of at most `every`, saying a
/// [`heartbeat`] before each nap and when done. `sleep` is the time
/// source: tokio's in a run, a recording one in a test.
pub async fn wait_really<F: Future<Output = ()>>(
    by: Duration,
    who: &str,
    every: Duration,
    sleep: impl Fn(Duration) -> F,
    mut say: impl FnMut(&str),
) {
    let mut left = by;
    while !left.is_zero() {
        say(&heartbeat(who, left, by));
        let nap = left.min(every);
        sleep(nap).await;
        left -= nap;
    }
    say(&heartbeat(who, Duration::ZERO, by));
}

/// The calendar date (year, month, day) of a count of days since
/// 1970-01-01: Howard Hinnant's `civil_from_days`, so no date crate is needed.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `t` in UTC as RFC 3339 with milliseconds, e.g. `2026-11-30T12:56:51.042Z`:
/// the one way the framework and the runner's reports write a time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let t = UNIX_EPOCH + Duration::from_millis(1_796_040_000_042);
/// assert_eq!(mitid_e2e_framework::clock::rfc3339(t), "2026-11-30T12:00:00.042Z");
/// ```
pub fn rfc3339(t: SystemTime) -> String {
    let ms = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis()) as i64;
    let (days, rest) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, min, sec, milli) = (rest / 3_600_000, rest / 60_000 % 60, rest / 1000 % 60, rest % 1000);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{sec:02}.{milli:03}Z")
}

/// A time in milliseconds since the epoch, to the minute, as tables show
/// it: `YYYY-MM-DD HH:MM` (UTC).
///
/// ```
/// assert_eq!(mitid_e2e_framework::clock::minute(1_796_040_000_042), "2026-11-30 12:00");
/// ```
pub fn minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}", rest / 3600, rest % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A real wait of 75 s on a virtual time source: a line at 75, 45 and
    /// 15 s left, naps of 30, 30 and 15 s, then the line that it is over.
    #[tokio::test]
    async fn a_real_wait_names_its_scenario_every_30_seconds_with_the_time_left() {
        let naps = RefCell::new(Vec::new());
        let mut said = Vec::new();
        let who = "'Copy to Android' (features/copy.feature:12)";
        wait_really(
            Duration::from_secs(75),
            who,
            HEARTBEAT,
            |d| {
                naps.borrow_mut().push(d.as_secs());
                std::future::ready(())
            },
            |line| said.push(line.to_owned()),
        )
        .await;
        assert_eq!(naps.into_inner(), [30, 30, 15]);
        assert_eq!(
            said,
            [
                format!("waiting in real time: {who}: 1 min 15 s left of 1 min 15 s"),
                format!("waiting in real time: {who}: 45 s left of 1 min 15 s"),
                format!("waiting in real time: {who}: 15 s left of 1 min 15 s"),
                format!("waited 1 min 15 s in real time: {who}"),
            ]
        );
        assert!(said.iter().all(|l| !l.contains('\r') && !l.contains('\u{1b}')));
    }
}
