//! Durations as people read them: the one place where a message, a report
//! or a log line turns a [`Duration`] into words. Three kinds of reader,
//! three forms: a limit or a wait in a message, a measured time in a
//! report, and a long time someone plans around.

use std::time::Duration;

/// A limit or a wait in a message: "500 ms", "20 s", "1.5 s".
///
/// ```
/// use std::time::Duration;
/// use mitid_e2e_framework::duration::seconds;
///
/// assert_eq!(seconds(Duration::from_millis(500)), "500 ms");
/// assert_eq!(seconds(Duration::from_secs(20)), "20 s");
/// assert_eq!(seconds(Duration::from_millis(1_540)), "1.5 s");
/// ```
pub fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) && !d.is_zero() {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A measured time in a report, to a hundredth of a second: "0.60 s".
///
/// ```
/// use std::time::Duration;
/// use mitid_e2e_framework::duration::precise;
///
/// assert_eq!(precise(Duration::from_millis(604)), "0.60 s");
/// ```
pub fn precise(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// [`precise`], of seconds counted as a float (as the run history keeps
/// them); a negative count reads as none.
pub fn precise_secs(s: f64) -> String {
    Duration::try_from_secs_f64(s.max(0.0)).map_or_else(|_| format!("{s} s"), precise)
}

/// A long time as someone plans around it (a night of runs, the hour's
/// wait): to the second under an hour, to the minute above.
///
/// ```
/// use std::time::Duration;
/// use mitid_e2e_framework::duration::plan;
///
/// assert_eq!(plan(Duration::from_secs(45)), "45 s");
/// assert_eq!(plan(Duration::from_secs(75)), "1 min 15 s");
/// assert_eq!(plan(Duration::from_secs(1_270)), "21 min 10 s");
/// assert_eq!(plan(Duration::from_secs(3_600)), "1 h");
/// assert_eq!(plan(Duration::from_secs(7_500)), "2 h 5 min");
/// ```
pub fn plan(d: Duration) -> String {
    let s = d.as_secs();
    let minutes = (s + 30) / 60;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s.is_multiple_of(60) => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ if minutes.is_multiple_of(60) => format!("{} h", minutes / 60),
        _ => format!("{} h {} min", minutes / 60, minutes % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_at_its_edges() {
        assert_eq!(seconds(Duration::ZERO), "0 s");
        assert_eq!(seconds(Duration::from_millis(999)), "999 ms");
        assert_eq!(seconds(Duration::from_secs(1)), "1 s");
        assert_eq!(plan(Duration::from_secs(59)), "59 s");
        assert_eq!(plan(Duration::from_secs(60)), "1 min");
        assert_eq!(plan(Duration::from_secs(599)), "9 min 59 s");
        assert_eq!(plan(Duration::from_secs(600)), "10 min");
        assert_eq!(plan(Duration::from_secs(3_570)), "59 min 30 s");
        assert_eq!(plan(Duration::from_secs(3_600)), "1 h");
        assert_eq!(plan(Duration::from_secs(3_629)), "1 h");
        assert_eq!(plan(Duration::from_secs(3_630)), "1 h 1 min");
    }
}
