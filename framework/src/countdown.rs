//! A countdown on a screen ("Time left: 2:41") held against the phone's own
//! clock, not blanked: the approved texts mask a clock as `[time]`, so a QR
//! screen saying "valid for 3 minutes. Time left: 4:00" would pass them.
//!
//! `fixtures/screens/screens.toml` names the screens that show a countdown,
//! which one, and its full length (`[countdowns]`). The first time a phone
//! shows a countdown — the QR code appearing, the waiting period starting —
//! it must show its full length, and the phone's clock then fixes when it
//! ends. From then on each look at a screen with that countdown must show
//! what is left by the phone's clock. A screen shown again after another
//! (a new QR code) may start the countdown afresh, at its full length.
//!
//! ```
//! use std::time::Duration;
//! use mitid_e2e_framework::countdown::{CountdownSpec, Countdowns};
//! let qr = CountdownSpec { countdown: "QR code".into(), seconds: 180 };
//! let mut seen = Countdowns::default();
//! let at = |s: u64| u128::from(s) * 1000;
//! seen.check("qr_code", &qr, Duration::from_secs(180), at(1000)).unwrap();
//! seen.check("qr_code", &qr, Duration::from_secs(179), at(1001)).unwrap();
//! // A minute off: the screen says 3:59 where 2:58 are left.
//! assert!(seen.check("qr_code", &qr, Duration::from_secs(239), at(1002)).is_err());
//! ```

use std::collections::HashMap;
use std::time::Duration;

use serde::Deserialize;

/// How far a shown countdown may be from the phone's clock: the screen
/// shows whole seconds, and the page source and the clock are read one
/// round trip apart on a real phone.
pub const TOLERANCE: Duration = Duration::from_secs(3);

/// A screen's countdown, as `screens.toml` names it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountdownSpec {
    /// Which countdown: screens that show the same one ("waiting period"
    /// on the waiting screen and the home screen) share its end.
    pub countdown: String,
    /// Its full length, in seconds: what it shows when it starts.
    pub seconds: u64,
}

/// A countdown that does not show what the phone's clock leaves of it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the screen '{screen}' shows {shown} left of the {countdown}, but {expected}")]
pub struct CountdownOff {
    /// The screen's logical name.
    pub screen: String,
    /// The countdown's name.
    pub countdown: String,
    /// What the screen shows ("4:00").
    pub shown: String,
    /// What the phone's clock says it should show, in words.
    pub expected: String,
}

/// One phone's countdowns: when each ends by the phone's clock (Unix
/// milliseconds), and the screen it showed last.
#[derive(Debug, Default)]
pub struct Countdowns {
    ends: HashMap<String, u128>,
    last_screen: Option<String>,
}

impl Countdowns {
    /// Notes a screen with no countdown to check (another screen, or one
    /// the runner cannot name): the next countdown screen comes after it.
    pub fn saw(&mut self, screen: Option<&str>) {
        self.last_screen = screen.map(str::to_owned);
    }

    /// Holds the time `left` that `screen` shows against the phone's clock
    /// `now_ms` (Unix milliseconds, `mobile: getDeviceTime` format `x`).
    pub fn check(
        &mut self,
        screen: &str,
        spec: &CountdownSpec,
        left: Duration,
        now_ms: u128,
    ) -> Result<(), CountdownOff> {
        let again = self.last_screen.as_deref() != Some(screen);
        self.last_screen = Some(screen.to_owned());
        let full = Duration::from_secs(spec.seconds);
        let running =
            self.ends.get(&spec.countdown).map(|end| Duration::from_millis(end.saturating_sub(now_ms) as u64));
        if running.is_some_and(|expected| near(left, expected)) {
            return Ok(());
        }
        // A countdown starts at its full length, on a screen just shown.
        let fresh = left <= full && near(left, full);
        if fresh && (again || running.is_none()) {
            self.ends.insert(spec.countdown.clone(), now_ms + left.as_millis());
            return Ok(());
        }
        let expected = match running {
            Some(expected) => format!(
                "by the phone's clock {} are left of the {} it began at; a new one would show {}",
                clock(expected),
                clock(full),
                clock(full)
            ),
            None => format!("a {} that begins shows its full {}", spec.countdown, clock(full)),
        };
        Err(CountdownOff { screen: screen.into(), countdown: spec.countdown.clone(), shown: clock(left), expected })
    }
}

fn near(a: Duration, b: Duration) -> bool {
    a.abs_diff(b) <= TOLERANCE
}

/// A time left as the app shows it: "2:41", "1:00:00".
pub fn clock(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// A clock as the app writes one: "2:41" (minutes and seconds) or
/// "1:00:00" (hours, minutes and seconds); `None` for anything else.
pub fn parse_clock(text: &str) -> Option<Duration> {
    let parts: Vec<u64> = text.split(':').map(|p| p.parse().ok()).collect::<Option<_>>()?;
    let seconds = match parts[..] {
        [m, s] if s < 60 => m * 60 + s,
        [h, m, s] if m < 60 && s < 60 => h * 3600 + m * 60 + s,
        _ => return None,
    };
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn ms(s: u64) -> u128 {
        u128::from(s) * 1000
    }

    fn waiting() -> CountdownSpec {
        CountdownSpec { countdown: "waiting period".into(), seconds: 3600 }
    }

    #[test]
    fn clocks_read_as_the_app_writes_them() {
        assert_eq!(parse_clock("2:41"), Some(secs(161)));
        assert_eq!(parse_clock("59:59"), Some(secs(3599)));
        assert_eq!(parse_clock("1:00:00"), Some(secs(3600)));
        assert_eq!(parse_clock("1:60"), None);
        assert_eq!(parse_clock("a:00"), None);
        assert_eq!(clock(secs(3600)), "1:00:00");
        assert_eq!(clock(secs(161)), "2:41");
    }

    #[test]
    fn a_countdown_follows_the_phone_clock_across_the_screens_that_share_it() {
        let mut c = Countdowns::default();
        c.saw(Some("copy_confirm"));
        c.check("waiting", &waiting(), secs(3600), ms(100)).unwrap();
        // The app closed and opened on its home screen half an hour later.
        c.saw(None);
        c.check("home", &waiting(), secs(1800), ms(1900)).unwrap();
        c.check("home", &waiting(), secs(1799), ms(1901)).unwrap();
    }

    #[test]
    fn a_countdown_off_by_a_minute_fails_naming_what_the_clock_says() {
        let mut c = Countdowns::default();
        c.check("waiting", &waiting(), secs(3600), ms(0)).unwrap();
        let off = c.check("waiting", &waiting(), secs(1860), ms(1800)).unwrap_err();
        assert_eq!(off.shown, "31:00");
        assert!(off.to_string().contains("by the phone's clock 30:00 are left"), "{off}");
        // Nor may it start afresh on the screen it is on.
        assert!(c.check("waiting", &waiting(), secs(3600), ms(1801)).is_err());
    }

    #[test]
    fn a_countdown_begins_at_its_full_length_and_again_only_on_a_screen_shown_anew() {
        let qr = CountdownSpec { countdown: "QR code".into(), seconds: 180 };
        let mut c = Countdowns::default();
        let late = c.check("qr_code", &qr, secs(240), ms(0)).unwrap_err();
        assert!(late.to_string().contains("shows its full 3:00"), "{late}");
        c.check("qr_code", &qr, secs(179), ms(0)).unwrap();
        c.saw(Some("qr_expired"));
        // A new QR code, after the old one expired.
        c.check("qr_code", &qr, secs(180), ms(200)).unwrap();
        c.check("qr_code", &qr, secs(170), ms(210)).unwrap();
    }
}
