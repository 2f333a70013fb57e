//! A phone's system side as Appium reads it: its virtual clock as the
//! device's date and time, and its system log as logcat (Android) or syslog
//! (iOS) entries.

use std::time::Duration;

use crate::app::{LogLevel, LogLine};
use crate::ui::Platform;

/// Unix seconds of the moment every phone's clock reads zero: 09:00 UTC on
/// the day the farm started (the status bar shows 09:00 then).
pub fn epoch_at_start() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    now - now % 86_400 + 9 * 3600
}

/// A date and time of day, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub millis: u32,
}

impl DateTime {
    /// The device's time: `epoch` plus the phone's virtual clock.
    pub fn at(epoch: u64, clock: Duration) -> DateTime {
        let total_ms = u128::from(epoch) * 1000 + clock.as_millis();
        let secs = (total_ms / 1000) as i64;
        let days = secs.div_euclid(86_400);
        let of_day = secs.rem_euclid(86_400);
        // Howard Hinnant's days-to-civil.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        DateTime {
            year,
            month,
            day,
            hour: (of_day / 3600) as u32,
            minute: (of_day / 60 % 60) as u32,
            second: (of_day % 60) as u32,
            millis: (total_ms % 1000) as u32,
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn unix_millis(epoch: u64, clock: Duration) -> u128 {
        u128::from(epoch) * 1000 + clock.as_millis()
    }

    /// Formatted with the moment.js/dayjs tokens Appium's `getDeviceTime`
    /// takes (`YYYY`, `YY`, `MM`, `M`, `DD`, `D`, `HH`, `H`, `hh`, `h`,
    /// `mm`, `m`, `ss`, `s`, `SSS`, `A`, `a`, `Z`, `ZZ`, `X`, `x`; text in
    /// `[brackets]` is kept as is, as is any other character). The device
    /// is on UTC. Default: `YYYY-MM-DDTHH:mm:ssZ`, the drivers' default.
    pub fn format(&self, format: &str, unix_ms: u128) -> String {
        const TOKENS: &[&str] = &[
            "YYYY", "SSS", "YY", "MM", "DD", "HH", "hh", "mm", "ss", "ZZ", "M", "D", "H", "h", "m", "s", "A", "a", "Z",
            "X", "x",
        ];
        let hour12 = if self.hour.is_multiple_of(12) { 12 } else { self.hour % 12 };
        let mut out = String::new();
        let mut rest = format;
        while let Some(c) = rest.chars().next() {
            if c == '[' {
                if let Some(end) = rest.find(']') {
                    out.push_str(&rest[1..end]);
                    rest = &rest[end + 1..];
                    continue;
                }
            }
            let Some(token) = TOKENS.iter().find(|t| rest.starts_with(**t)) else {
                out.push(c);
                rest = &rest[c.len_utf8()..];
                continue;
            };
            out.push_str(&match *token {
                "YYYY" => format!("{:04}", self.year),
                "YY" => format!("{:02}", self.year.rem_euclid(100)),
                "MM" => format!("{:02}", self.month),
                "M" => self.month.to_string(),
                "DD" => format!("{:02}", self.day),
                "D" => self.day.to_string(),
                "HH" => format!("{:02}", self.hour),
                "H" => self.hour.to_string(),
                "hh" => format!("{hour12:02}"),
                "h" => hour12.to_string(),
                "mm" => format!("{:02}", self.minute),
                "m" => self.minute.to_string(),
                "ss" => format!("{:02}", self.second),
                "s" => self.second.to_string(),
                "SSS" => format!("{:03}", self.millis),
                "A" => if self.hour < 12 { "AM" } else { "PM" }.into(),
                "a" => if self.hour < 12 { "am" } else { "pm" }.into(),
                "Z" => "+00:00".into(),
                "ZZ" => "+0000".into(),
                "X" => (unix_ms / 1000).to_string(),
                _ => unix_ms.to_string(),
            });
            rest = &rest[token.len()..];
        }
        out
    }
}

/// The drivers' default device-time format.
pub const DEFAULT_TIME_FORMAT: &str = "YYYY-MM-DDTHH:mm:ssZ";

/// Where the farm's phones are: Copenhagen, at sea level, as a rig in a
/// Danish lab would report it.
pub const LOCATION: (f64, f64, f64) = (55.6761, 12.5683, 0.0);

/// Every log type a platform's driver lists (UiAutomator2's
/// `supportedLogTypes`, XCUITest's): the device log first.
pub fn log_types(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::Android => &["logcat", "bugreport", "server"],
        Platform::Ios => &["syslog", "crashlog", "performance", "server", "safariConsole", "safariNetwork"],
    }
}

/// The log type a platform's driver serves the device log under.
pub fn log_type(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "logcat",
        Platform::Ios => "syslog",
    }
}

/// A log line as a Selenium log entry (`{timestamp, level, message}`), the
/// message in the shape of `adb logcat -v threadtime` or of an iPhone's
/// syslog. Level is "ALL", as appium-adb and the XCUITest driver send it.
pub fn log_entry(platform: Platform, epoch: u64, model: &str, line: &LogLine) -> serde_json::Value {
    let t = DateTime::at(epoch, line.at);
    let pid = 4321;
    let message = match platform {
        Platform::Android => {
            let level = match line.level {
                LogLevel::Debug => 'D',
                LogLevel::Info => 'I',
                LogLevel::Warn => 'W',
            };
            format!(
                "{:02}-{:02} {:02}:{:02}:{:02}.{:03}  {pid:>5}  {pid:>5} {level} {:<8}: {}",
                t.month, t.day, t.hour, t.minute, t.second, t.millis, line.tag, line.message
            )
        }
        Platform::Ios => {
            const MONTHS: [&str; 12] =
                ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
            let level = match line.level {
                LogLevel::Debug => "Debug",
                LogLevel::Info => "Notice",
                LogLevel::Warn => "Warning",
            };
            let process = if line.tag == "MitID" { "MitID".to_owned() } else { format!("MitID({})", line.tag) };
            format!(
                "{} {:>2} {:02}:{:02}:{:02} {} {process}[{pid}] <{level}>: {}",
                MONTHS[(t.month as usize).saturating_sub(1) % 12],
                t.day,
                t.hour,
                t.minute,
                t.second,
                model.replace(' ', "-"),
                line.message
            )
        }
    };
    serde_json::json!({ "timestamp": DateTime::unix_millis(epoch, line.at), "level": "ALL", "message": message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_from_the_epoch() {
        let epoch = 1_796_029_200; // 2026-11-30T09:00:00Z
        let t = DateTime::at(epoch, Duration::from_millis(3_723_456));
        assert_eq!((t.year, t.month, t.day, t.hour, t.minute, t.second, t.millis), (2026, 11, 30, 10, 2, 3, 456));
        let unix = DateTime::unix_millis(epoch, Duration::from_millis(3_723_456));
        assert_eq!(t.format(DEFAULT_TIME_FORMAT, unix), "2026-11-30T10:02:03+00:00");
        assert_eq!(t.format("[Today is] D/M/YY h:mm a, x", unix), "Today is 30/11/26 10:02 am, 1796032923456");
        assert_eq!(t.format("X", unix), "1796032923");
        let leap = DateTime::at(951_782_400, Duration::ZERO); // 2000-02-29
        assert_eq!((leap.year, leap.month, leap.day), (2000, 2, 29));
        let new_year = DateTime::at(1_798_761_599, Duration::from_secs(1)); // 2027-01-01T00:00:00Z
        assert_eq!((new_year.year, new_year.month, new_year.day, new_year.hour), (2027, 1, 1, 0));
    }

    #[test]
    fn the_epoch_is_nine_in_the_morning() {
        assert_eq!(epoch_at_start() % 86_400, 9 * 3600);
    }
}
