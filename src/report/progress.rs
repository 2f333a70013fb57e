//! What the console shows while a run goes: at a terminal, a live display
//! under the printed lines (scenarios done of those selected, each running
//! scenario and its current step); with `-v`, a line per step as it
//! starts; and the lines others print through [`Progress::say`] (a scenario's
//! verdict, a real-time wait's heartbeat) above the display.
//!
//! Off a terminal, or with `NO_COLOR` set, there is no display: plain
//! lines only, never an ANSI code or a `\r`, so a log file or a CI log
//! reads as it was printed.
//!
//! The run owns one [`Progress`] (in its context, shared with the
//! recorder): whatever prints while the run goes prints through it, so no
//! line lands in the middle of the display.

use std::collections::BTreeMap;
use std::io::{IsTerminal as _, Write as _};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How the run's progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A display redrawn in place under the printed lines.
    Live,
    /// Printed lines only.
    Plain,
}

impl Mode {
    /// Live for a person at a terminal (stdout is one) who has not set
    /// `NO_COLOR` (no-color.org); plain otherwise.
    pub fn detect() -> Mode {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        if std::io::stdout().is_terminal() && !no_color {
            Mode::Live
        } else {
            Mode::Plain
        }
    }
}

/// A running scenario: its name and place, and the step it is on.
struct Running {
    name: String,
    step: Option<String>,
}

struct State {
    mode: Mode,
    verbose: bool,
    /// The scenarios the run selected so far (the filter counts them as
    /// cucumber reads the features).
    total: Arc<AtomicUsize>,
    done: usize,
    running: BTreeMap<(usize, usize), Running>,
    /// Lines of the display on the screen now, to clear before a line is printed.
    drawn: usize,
}

/// The run's console while it goes: shown from [`Progress::start`] to
/// [`Progress::finish`]; before and after, [`Progress::say`] prints plainly.
#[derive(Default)]
pub struct Progress {
    state: Mutex<Option<State>>,
}

impl Progress {
    fn state(&self) -> std::sync::MutexGuard<'_, Option<State>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts showing the run's progress: `total` counts the scenarios
    /// selected; `verbose` prints each step as it starts.
    pub fn start(&self, mode: Mode, verbose: bool, total: Arc<AtomicUsize>) {
        *self.state() = Some(State { mode, verbose, total, done: 0, running: BTreeMap::new(), drawn: 0 });
    }

    /// Stops: the display is cleared, and lines print plainly again.
    pub fn finish(&self) {
        let mut guard = self.state();
        if let Some(s) = guard.as_mut() {
            let mut out = std::io::stdout().lock();
            clear(s, &mut out);
            let _ = out.flush();
        }
        *guard = None;
    }

    /// A scenario (`key`: unique in the run) started an attempt.
    pub fn scenario_started(&self, key: (usize, usize), name: String) {
        self.update(|s| {
            s.running.insert(key, Running { name, step: None });
            None
        });
    }

    /// A running scenario started a step (`text` with its keyword, cleaned of
    /// secrets). With `-v` it is printed.
    pub fn step_started(&self, key: (usize, usize), text: String) {
        self.update(|s| {
            let r = s.running.get_mut(&key)?;
            let line = s.verbose.then(|| format!("   step  {text}  in {}\n", r.name));
            r.step = Some(text);
            line
        });
    }

    /// A scenario's attempt ended; `done`: it is not tried again.
    pub fn scenario_finished(&self, key: (usize, usize), done: bool) {
        self.update(|s| {
            s.running.remove(&key);
            s.done += usize::from(done);
            None
        });
    }

    /// Prints `text` (whole lines, each ending with a newline, or one line
    /// without) above the display, or plainly when there is none.
    pub fn say(&self, text: &str) {
        let mut text = text.to_owned();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        let mut guard = self.state();
        let mut out = std::io::stdout().lock();
        match guard.as_mut() {
            Some(s) if s.mode == Mode::Live => {
                clear(s, &mut out);
                let _ = out.write_all(text.as_bytes());
                draw(s, &mut out);
            }
            _ => {
                let _ = out.write_all(text.as_bytes());
            }
        }
        let _ = out.flush();
    }

    /// Changes the state; prints what `change` returns and redraws.
    fn update(&self, change: impl FnOnce(&mut State) -> Option<String>) {
        let mut guard = self.state();
        let Some(s) = guard.as_mut() else { return };
        let line = change(s);
        let mut out = std::io::stdout().lock();
        if s.mode == Mode::Live {
            clear(s, &mut out);
        }
        if let Some(line) = line {
            let _ = out.write_all(line.as_bytes());
        }
        if s.mode == Mode::Live {
            draw(s, &mut out);
        }
        let _ = out.flush();
    }
}

fn clear(s: &mut State, out: &mut impl std::io::Write) {
    if s.drawn == 0 {
        return;
    }
    // To the display's first line, erasing each on the way.
    let _ = out.write_all(b"\r\x1b[2K");
    for _ in 1..s.drawn {
        let _ = out.write_all(b"\x1b[1A\x1b[2K");
    }
    s.drawn = 0;
}

fn draw(s: &mut State, out: &mut impl std::io::Write) {
    let lines = display(s.done, s.total.load(Ordering::Relaxed), &s.running, width());
    let _ = out.write_all(lines.join("\n").as_bytes());
    s.drawn = lines.len();
}

/// The display: a bar with scenarios done of total, then a line per
/// running scenario with its current step, each cut to `width` columns.
fn display(done: usize, total: usize, running: &BTreeMap<(usize, usize), Running>, width: usize) -> Vec<String> {
    let total = total.max(done);
    const BAR: usize = 24;
    let filled = (done * BAR).checked_div(total).unwrap_or(0);
    let mut lines = vec![format!(
        "[{}{}] {done}/{total} scenarios done, {} running",
        "#".repeat(filled),
        "-".repeat(BAR - filled),
        running.len()
    )];
    for r in running.values() {
        let step = r.step.as_deref().unwrap_or("starting");
        // The name at most half the line, so the step shows too.
        lines.push(format!("  {}: {step}", cut(&r.name, width / 2)));
    }
    lines.into_iter().map(|l| cut(&l, width)).collect()
}

/// `line` within `width` columns (counted as chars), ending in `…` when cut.
fn cut(line: &str, width: usize) -> String {
    if line.chars().count() <= width {
        return line.to_owned();
    }
    let mut out: String = line.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The terminal's width in columns; 80 when it cannot be told.
fn width() -> usize {
    // SAFETY: TIOCGWINSZ fills the winsize it is given, nothing else.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_col > 0 {
        usize::from(size.ws_col)
    } else {
        80
    }
}

/// A step's own lines (a real-time wait's heartbeat) go above the display.
impl mitid_e2e_steps::world::Console for Progress {
    fn say(&self, text: &str) {
        Progress::say(self, text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_display_counts_scenarios_and_names_each_running_one_with_its_step() {
        let mut running = BTreeMap::new();
        running.insert((0, 1), Running { name: "'Copy' (features/copy.feature:12)".into(), step: None });
        running.insert(
            (0, 2),
            Running {
                name: "'Wrong PINs' (features/rules.feature:30)".into(),
                step: Some("When I enter the PIN \"[PIN]\" three times".into()),
            },
        );
        assert_eq!(
            display(3, 12, &running, 60),
            [
                "[######------------------] 3/12 scenarios done, 2 running",
                "  'Copy' (features/copy.feature…: starting",
                "  'Wrong PINs' (features/rules.…: When I enter the PIN \"[PI…",
            ]
        );
        assert_eq!(display(0, 0, &BTreeMap::new(), 80), ["[------------------------] 0/0 scenarios done, 0 running"]);
    }
}
