//! What a failing step leaves behind: each phone's screenshot, page source
//! and latest device log lines, the gateway messages; and the attachments a passing step made
//! (the Bluetooth trace) and what it proved, held until the report records that step.

use std::path::PathBuf;
use std::time::Duration;

use super::CopyWorld;
use crate::steps::documented::Proof;

/// How long gathering a phone's screenshot or page source for a failure
/// may take: a phone that hangs gives no evidence, and must not hold up the run.
const EVIDENCE_WAIT: Duration = Duration::from_secs(2);

/// How many of a phone's latest system log lines a failing step keeps.
const DEVICE_LOG_LINES: usize = 50;

/// Evidence attached to a failing step.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// What it is and of which phone: "old-phone screenshot".
    pub name: String,
    /// Its media type.
    pub mime: &'static str,
    /// Its content, already redacted.
    pub data: Vec<u8>,
}

/// Where a scenario is: its feature file (as cucumber names it), line and
/// column; the key under which a passing step's attachments wait for the report.
pub type ScenarioKey = (Option<PathBuf>, usize, usize);

/// What a step that then passed leaves for the report: cucumber hands its
/// writer the World only for a failed step, so a passing step's evidence
/// (the Bluetooth trace) and what it proved of the documentation wait here
/// until the report records that step.
#[derive(Debug, Default)]
pub struct PassingStep {
    /// Its attachments.
    pub attachments: Vec<Attachment>,
    /// What it proved.
    pub proved: Vec<Proof>,
}

static PASSING: std::sync::Mutex<Vec<(ScenarioKey, PassingStep)>> = std::sync::Mutex::new(Vec::new());

fn leave(key: &ScenarioKey, step: PassingStep) {
    PASSING.lock().unwrap_or_else(|p| p.into_inner()).push((key.clone(), step));
}

/// Attaches `a` to the step now running in the scenario at `key`, should it pass.
pub fn attach_to_passing_step(key: &ScenarioKey, a: Attachment) {
    leave(key, PassingStep { attachments: vec![a], proved: Vec::new() });
}

/// Records that the step now running in the scenario at `key` proved
/// `proved`, should it pass.
pub fn prove_in_passing_step(key: &ScenarioKey, proved: Vec<Proof>) {
    leave(key, PassingStep { attachments: Vec::new(), proved });
}

/// What the scenario at `key`'s step that just passed left.
pub fn take_passing_step(key: &ScenarioKey) -> PassingStep {
    let mut all = PASSING.lock().unwrap_or_else(|p| p.into_inner());
    let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut *all).into_iter().partition(|(k, _)| k == key);
    *all = rest;
    let mut step = PassingStep::default();
    for (_, left) in mine {
        step.attachments.extend(left.attachments);
        step.proved.extend(left.proved);
    }
    step
}

impl CopyWorld {
    /// Evidence for a failing step: each open phone's screenshot (or, when
    /// it is black, its page source), its latest log lines (logcat or
    /// syslog) and the gateway messages, redacted.
    pub async fn collect_evidence(&mut self) {
        // Each phone's evidence is gathered at once, the phones side by side:
        // on real phones a screenshot and a page source each cost a round trip.
        let gathering = self.phones.iter().filter(|(_, p)| !p.is_closed()).map(|(role, phone)| async move {
            let mut found = Vec::new();
            let name = role.name().trim_start_matches("the ").replace(' ', "-");
            let (shot, log, source) = tokio::join!(
                tokio::time::timeout(EVIDENCE_WAIT, phone.screenshot()),
                tokio::time::timeout(EVIDENCE_WAIT, phone.recent_log(DEVICE_LOG_LINES)),
                tokio::time::timeout(EVIDENCE_WAIT, phone.source()),
            );
            if let Ok(Ok(png)) = shot {
                let black = mitid_e2e_framework::qr::decode(&png) == Err(mitid_e2e_framework::qr::QrError::Black);
                found.push(Attachment { name: format!("{name} screenshot"), mime: "image/png", data: png });
                if black {
                    found.push(Attachment {
                        name: format!("{name} note"),
                        mime: "text/plain",
                        data:
                            b"The screenshot is black: the screen is protected by FLAG_SECURE. The page source follows."
                                .to_vec(),
                    });
                }
            }
            // The phone's own log: what the app and the system wrote lately.
            if let Ok(Ok(lines)) = log {
                if !lines.is_empty() {
                    found.push(Attachment {
                        name: format!("{name} device log"),
                        mime: "text/plain",
                        // A real phone's log may hold what an app should never log.
                        data: mitid_e2e_framework::secret::redact(&lines.join("\n")).into_bytes(),
                    });
                }
            }
            if let Ok(Ok(source)) = source {
                let source = mitid_e2e_framework::secret::redact(&source);
                found.push(Attachment {
                    name: format!("{name} page source"),
                    mime: "application/xml",
                    data: source.into_bytes(),
                });
            }
            found
        });
        let mut found: Vec<Attachment> =
            super::each(self.ctx.side_by_side, gathering).await.into_iter().flatten().collect();
        // Only this scenario's messages: to its number and its phones, since it got them.
        let gateways = &self.ctx.gateways;
        let sms = match &self.identity {
            Some(id) => gateways.sms_since(self.messages_from, &id.phone_number).await,
            None => Vec::new(),
        };
        let udids: Vec<String> = self.lease.iter().flat_map(|l| l.phones()).map(|p| p.udid.clone()).collect();
        let udids: Vec<&str> = udids.iter().map(String::as_str).collect();
        let push = gateways.pushes_since(self.messages_from, &udids).await;
        if !sms.is_empty() || !push.is_empty() {
            let text: Vec<String> =
                sms.iter().map(|m| gateways.shown_sms(m)).chain(push.iter().map(|m| gateways.shown_push(m))).collect();
            found.push(Attachment {
                name: "gateway messages".into(),
                mime: "text/plain",
                data: text.join("\n").into_bytes(),
            });
        }
        self.attachments.extend(found);
    }
}
