//! Whether the run has been asked to stop: the runner's signal listener
//! asks, and the steps and health checks watch ([`Stop`]). What the run
//! then does (winding down, the exit code) is the runner's.

use std::sync::Arc;

use tokio::sync::watch;

/// What a scenario the run never began is reported with (skipped).
pub const NOT_RUN: &str = "not run: the run was interrupted";

/// A signal that stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: a CI job cancelled, `kill`.
    Terminate,
}

impl Signal {
    /// Its name: `SIGINT`, `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// Whether the run has been asked to stop, and by which signal; shared by
/// the run, its steps and the signal listener. The first request wins.
#[derive(Debug, Clone)]
pub struct Stop(Arc<watch::Sender<Option<Signal>>>);

impl Default for Stop {
    fn default() -> Self {
        Stop(Arc::new(watch::channel(None).0))
    }
}

impl Stop {
    /// Asks the run to stop. Returns false when it had already been asked.
    pub fn request(&self, signal: Signal) -> bool {
        self.0.send_if_modified(|asked| {
            if asked.is_some() {
                return false;
            }
            *asked = Some(signal);
            true
        })
    }

    /// The signal that asked the run to stop, if one has.
    pub fn requested(&self) -> Option<Signal> {
        *self.0.borrow()
    }

    /// Waits until the run is asked to stop.
    pub async fn wait(&self) -> Signal {
        let mut rx = self.0.subscribe();
        let asked = rx.wait_for(Option::is_some).await.ok().and_then(|s| *s);
        match asked {
            Some(signal) => signal,
            // The sender lives as long as `self`: this cannot end.
            None => std::future::pending().await,
        }
    }
}
