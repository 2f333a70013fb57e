//! How time passes for a scenario: the backend's clock moved through the
//! test-control API, or real waiting with a progress line.

use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::control::{ControlApi, ControlError};

/// Lets time pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The backend's clock is moved: an hour passes in milliseconds.
    Virtual,
    /// Really wait, printing progress to stderr each minute.
    Real,
}

impl Clock {
    /// Lets `by` pass for a scenario's phones. A virtual farm keeps a clock
    /// per phone, so scenarios on other phones are not disturbed; a backend
    /// with one clock for everything ignores `udids`.
    pub async fn pass(&self, by: Duration, control: &ControlApi, udids: &[String]) -> Result<(), ControlError> {
        match self {
            Clock::Virtual => control.advance_clock(by, udids).await,
            Clock::Real => {
                let step = Duration::from_secs(60);
                let mut left = by;
                while !left.is_zero() {
                    let nap = left.min(step);
                    eprint!("\rwaiting in real time: {:>4} s left ", left.as_secs());
                    let _ = std::io::stderr().flush();
                    tokio::time::sleep(nap).await;
                    left -= nap;
                }
                eprintln!("\rwaited {} s in real time.          ", by.as_secs());
                Ok(())
            }
        }
    }
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
