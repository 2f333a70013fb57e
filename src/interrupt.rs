//! Stopping a run cleanly on Ctrl-C (SIGINT) or SIGTERM.
//!
//! The first signal asks the run to stop ([`Stop`]): no scenario begins
//! after it (each is reported skipped, [`NOT_RUN`]), a running step ends at
//! once as an error ("interrupted"), the scenario's sessions are closed as
//! usual, the runner then closes any session still open and writes the
//! reports, and exits with the signal's [`Exit`]. A second signal exits at
//! once, without waiting for any of that.
//!
//! cucumber has no cancellation of its own: the steps ([`mitid_e2e_steps::execute::execute`])
//! and the health check watch the [`Stop`], and [`run_until_stopped`] gives
//! the run a bounded time to wind down.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::exit::Exit;
pub use mitid_e2e_steps::world::stop::{Signal, Stop, NOT_RUN};

/// How long the run may take to wind down after the first signal: running
/// steps end at once, and each scenario's sessions are closed (a close
/// behind a hung command waits 3 s, then ends the session directly). What
/// has not wound down by then is dropped, and its sessions are closed by
/// the runner.
pub const WIND_DOWN: Duration = Duration::from_secs(10);

impl From<Signal> for Exit {
    /// The exit code of a run a signal stopped, as shells report a process
    /// it ended: 128 + the signal's number, 130 for SIGINT, 143 for SIGTERM.
    fn from(signal: Signal) -> Exit {
        match signal {
            Signal::Interrupt => Exit::Interrupted,
            Signal::Terminate => Exit::Terminated,
        }
    }
}

/// The signals a run listens for: SIGINT and SIGTERM on Unix.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals { interrupt: signal(SignalKind::interrupt())?, terminate: signal(SignalKind::terminate())? })
    }

    async fn next(&mut self) -> Option<Signal> {
        tokio::select! {
            Some(()) = self.interrupt.recv() => Some(Signal::Interrupt),
            Some(()) = self.terminate.recv() => Some(Signal::Terminate),
            else => None,
        }
    }
}

/// Elsewhere, Ctrl-C alone.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Option<Signal> {
        tokio::signal::ctrl_c().await.ok().map(|()| Signal::Interrupt)
    }
}

/// Listens for SIGINT and SIGTERM from now on: the first asks `stop`, and
/// says on stderr what happens next; a second exits the process at once with
/// its signal's [`Exit`]. From this call on, the signals no longer end
/// the process by their default action.
pub fn listen(stop: Stop) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let mut signals = Signals::new()?;
    Ok(tokio::spawn(async move {
        while let Some(got) = signals.next().await {
            if stop.request(got) {
                eprintln!(
                    "\n{}: stopping the run: no new scenario starts, running steps end now, every session is closed \
                     and the reports are written (Ctrl-C again stops at once, leaving sessions open)",
                    got.name()
                );
            } else {
                eprintln!(
                    "\n{} again: stopping at once; sessions this run opened may be left open on the farm",
                    got.name()
                );
                std::process::exit(i32::from(Exit::from(got).code()));
            }
        }
    }))
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It ran to its end, unasked to stop.
    Finished,
    /// A signal stopped it.
    Interrupted {
        /// Which.
        signal: Signal,
        /// From the signal until the run had wound down (or was dropped).
        took: Duration,
        /// Whether it wound down by itself within [`WIND_DOWN`]; if not, it
        /// was dropped, and scenarios still running are not finished in the report.
        wound_down: bool,
    },
}

/// Drives `run` to its end, unless `stop` is asked: then the run has
/// `wind_down` to finish by itself (its steps watch `stop` too), after which
/// it is dropped. A stop asked while the run ends by itself still counts.
pub async fn run_until_stopped<F: Future>(run: F, stop: &Stop, wind_down: Duration) -> Outcome {
    tokio::pin!(run);
    let signal = tokio::select! {
        _ = &mut run => return stop.requested().map_or(Outcome::Finished, |signal| {
            Outcome::Interrupted { signal, took: Duration::ZERO, wound_down: true }
        }),
        signal = stop.wait() => signal,
    };
    let asked = Instant::now();
    let wound_down = tokio::time::timeout(wind_down, &mut run).await.is_ok();
    Outcome::Interrupted { signal, took: asked.elapsed(), wound_down }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_request_wins_and_wakes_every_waiter() {
        let stop = Stop::default();
        assert_eq!(stop.requested(), None);
        let waiter = tokio::spawn({
            let stop = stop.clone();
            async move { stop.wait().await }
        });
        assert!(stop.request(Signal::Terminate));
        assert!(!stop.request(Signal::Interrupt));
        assert_eq!(stop.requested(), Some(Signal::Terminate));
        assert_eq!(waiter.await.unwrap(), Signal::Terminate);
        // Asked before waiting: the wait ends at once.
        assert_eq!(stop.wait().await, Signal::Terminate);
        assert_eq!((Exit::from(Signal::Interrupt).code(), Exit::from(Signal::Terminate).code()), (130, 143));
    }

    #[tokio::test]
    async fn a_run_that_winds_down_in_time_is_driven_to_its_end() {
        let stop = Stop::default();
        let ended = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let run = {
            let (stop, ended) = (stop.clone(), ended.clone());
            async move {
                stop.wait().await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                ended.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        };
        let asker = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            asker.request(Signal::Interrupt);
        });
        let outcome = run_until_stopped(run, &stop, Duration::from_secs(5)).await;
        assert!(
            matches!(outcome, Outcome::Interrupted { signal: Signal::Interrupt, wound_down: true, .. }),
            "{outcome:?}"
        );
        assert!(ended.load(std::sync::atomic::Ordering::SeqCst), "the run was driven to its end");
    }

    #[tokio::test]
    async fn a_run_that_does_not_wind_down_is_dropped_at_the_bound() {
        let stop = Stop::default();
        stop.request(Signal::Interrupt);
        let started = Instant::now();
        let outcome = run_until_stopped(std::future::pending::<()>(), &stop, Duration::from_millis(100)).await;
        assert!(matches!(outcome, Outcome::Interrupted { wound_down: false, .. }), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
        let done = run_until_stopped(async {}, &Stop::default(), Duration::from_millis(100)).await;
        assert_eq!(done, Outcome::Finished);
    }
}
