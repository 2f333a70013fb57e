//! Every session the run has open on the farm, so that none outlives the
//! run: a scenario closes its own when it ends, and whatever is still here
//! when the run ends (a step cancelled while its session was being created,
//! a scenario dropped after an interrupt, a close that failed) the runner
//! ends with a direct `DELETE` ([`OpenSessions::close_all`]).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use mitid_e2e_framework::phone::Phone;
use tokio::sync::Notify;

/// A session the run opened and has not closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSession {
    /// The session's id.
    pub id: String,
    /// The Appium server (or Grid hub) it is on.
    pub server: String,
    /// The phone it is on.
    pub udid: String,
    /// What it was opened for: "the old phone", "health check".
    pub role: String,
}

#[derive(Default)]
struct State {
    open: BTreeMap<String, OpenSession>,
    /// Sessions being created now: their ids are not known yet.
    opening: usize,
}

/// The run's open sessions (see the module's documentation).
#[derive(Default)]
pub struct OpenSessions {
    state: Mutex<State>,
    settled: Notify,
}

/// A session being created: counted until dropped, so the runner can wait
/// for it before closing what is open.
pub struct Opening(Arc<OpenSessions>);

impl Drop for Opening {
    fn drop(&mut self) {
        self.0.lock().opening -= 1;
        self.0.settled.notify_waiters();
    }
}

impl OpenSessions {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a session being created, until the guard is dropped.
    pub fn opening(self: &Arc<Self>) -> Opening {
        self.lock().opening += 1;
        Opening(self.clone())
    }

    /// Records a session just opened.
    pub fn opened(&self, phone: &Phone) {
        match phone.session_id() {
            Some(id) => {
                let session = OpenSession {
                    id: id.to_owned(),
                    server: phone.server().to_owned(),
                    udid: phone.udid().to_owned(),
                    role: phone.role().to_owned(),
                };
                self.lock().open.insert(session.id.clone(), session);
            }
            None => tracing::warn!(
                udid = phone.udid(),
                "the client did not say the session's id: should the run stop early, it cannot end it directly"
            ),
        }
    }

    /// Forgets a session that was closed.
    pub fn closed(&self, phone: &Phone) {
        if let Some(id) = phone.session_id() {
            self.lock().open.remove(id);
        }
    }

    /// The sessions open now.
    pub fn open(&self) -> Vec<OpenSession> {
        self.lock().open.values().cloned().collect()
    }

    /// Waits, at most `within`, until no session is being created. True if none is.
    pub async fn settle(&self, within: Duration) -> bool {
        let wait = async {
            loop {
                let settled = self.settled.notified();
                if self.lock().opening == 0 {
                    return;
                }
                settled.await;
            }
        };
        tokio::time::timeout(within, wait).await.is_ok()
    }

    /// Ends every session still open, all at once, each with a direct
    /// `DELETE` (bounded like [`Phone::close`]). Returns the sessions it
    /// ended and, for each it could not, why.
    pub async fn close_all(&self) -> (Vec<OpenSession>, Vec<(OpenSession, String)>) {
        let open = std::mem::take(&mut self.lock().open);
        let tasks: Vec<_> = open
            .into_values()
            .map(|s| {
                tokio::spawn(async move {
                    let result = mitid_e2e_framework::phone::delete_session(&s.server, &s.id).await;
                    (s, result)
                })
            })
            .collect();
        let (mut ended, mut failed) = (Vec::new(), Vec::new());
        for task in tasks {
            match task.await {
                Ok((s, Ok(()))) => ended.push(s),
                Ok((s, Err(why))) => failed.push((s, why)),
                Err(e) => tracing::warn!("ending a session stopped: {e}"),
            }
        }
        (ended, failed)
    }
}
