//! How time passes for a scenario: the backend's clock moved through the
//! test-control API, or real waiting with a progress line.

use std::io::Write as _;
use std::time::Duration;

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
