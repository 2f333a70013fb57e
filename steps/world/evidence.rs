//! What a failing step leaves behind: each phone's screenshot, page source
//! and latest device log lines, the gateway messages.

use std::path::PathBuf;
use std::time::Duration;

use super::CopyWorld;

/// How long gathering a phone's screenshot or page source for a failure
/// may take: a phone that hangs gives no evidence, and must not hold up the run.
const EVIDENCE_WAIT: Duration = Duration::from_secs(2);

/// How many of a phone's latest system log lines a failing step keeps.
const DEVICE_LOG_LINES: usize = 50;

/// Where a scenario is: its feature file (as cucumber names it), line and
/// column; the key under which a passing step's attachments wait for the report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScenarioKey {
    /// Its feature file, as cucumber names it.
    pub file: Option<PathBuf>,
    /// Its line.
    pub line: usize,
    /// Its column: an outline's rows share a line, not a column-and-line.
    pub column: usize,
}

impl ScenarioKey {
    /// The key of the scenario (or outline row) at `sc` in the feature file `file`.
    pub fn of(file: Option<&std::path::Path>, sc: &cucumber::gherkin::Scenario) -> ScenarioKey {
        ScenarioKey { file: file.map(Into::into), line: sc.position.line, column: sc.position.col }
    }
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
                found.push(Attachment { name: format!("{name} screenshot"), mime: "image/png".into(), data: png });
                if black {
                    found.push(Attachment {
                        name: format!("{name} note"),
                        mime: "text/plain".into(),
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
                        mime: "text/plain".into(),
                        // A real phone's log may hold what an app should never log.
                        data: mitid_e2e_framework::secret::redact(&lines.join("\n")).into_bytes(),
                    });
                }
            }
            if let Ok(Ok(source)) = source {
                let source = mitid_e2e_framework::secret::redact(&source);
                found.push(Attachment {
                    name: format!("{name} page source"),
                    mime: "application/xml".into(),
                    data: source.into_bytes(),
                });
            }
            found
        });
        let mut found: Vec<Attachment> =
            super::each(self.ctx.side_by_side, gathering).await.into_iter().flatten().collect();
        // Only this scenario's messages: to its number and its phones, since it got them.
        let gateways = &self.ctx.gateways;
        let sms = match &self.flow.identity {
            Some(id) => gateways.sms_since(self.flow.messages_from, &id.phone_number).await,
            None => Vec::new(),
        };
        let udids: Vec<String> = self.lease.iter().flat_map(|l| l.phones()).map(|p| p.udid.clone()).collect();
        let udids: Vec<&str> = udids.iter().map(String::as_str).collect();
        let push = gateways.pushes_since(self.flow.messages_from, &udids).await;
        if !sms.is_empty() || !push.is_empty() {
            let text: Vec<String> =
                sms.iter().map(|m| gateways.shown_sms(m)).chain(push.iter().map(|m| gateways.shown_push(m))).collect();
            found.push(Attachment {
                name: "gateway messages".into(),
                mime: "text/plain".into(),
                data: text.join("\n").into_bytes(),
            });
        }
        self.evidence.attachments.extend(found);
    }
}

/// Evidence attached to a step: a screenshot, the page source, the
/// gateway's messages.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// What it is, e.g. `screenshot.png`.
    pub name: String,
    /// Its MIME type, e.g. `image/png`.
    pub mime: String,
    /// The bytes, as attached.
    pub data: Vec<u8>,
}
