//! The SMS and push gateways the backend posts to: wiremock servers the
//! framework owns, and reads what arrived.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use regex::Regex;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::profile::GatewaySettings;
use crate::secret::{redact, Secret, SecretKind};

const POLL: Duration = Duration::from_millis(50);

/// What went wrong with a gateway.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// A gateway cannot listen on the profile's `gateways.bind` address.
    #[error("cannot bind the {which} gateway on {bind}: {source}")]
    Bind {
        /// "SMS" or "push".
        which: &'static str,
        /// The address it tried.
        bind: String,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The profile's PIN pattern is not a regex (the message says why).
    #[error("gateways.temporary_pin_pattern: {0}")]
    Pattern(String),
    /// The temporary PIN did not come in time; `received` lists, redacted,
    /// what did.
    #[error(
        "no SMS with a temporary PIN code reached the SMS gateway for {to} within {waited:?}; it received for {to}: {received}"
    )]
    NoSms {
        /// The number the SMS was for, redacted.
        to: String,
        /// How long the gateway was watched.
        waited: Duration,
        /// The messages that did arrive, redacted, or "nothing".
        received: String,
    },
}

/// One message as the gateway received it.
#[derive(Debug, Clone)]
pub struct Message {
    /// The posted body: its JSON, or a JSON string of its text when it is
    /// not JSON.
    pub body: Value,
}

/// The SMS and push gateways of a run.
///
/// ```no_run
/// # async fn example() -> Result<(), mitid_e2e_framework::gateways::GatewayError> {
/// use mitid_e2e_framework::gateways::Gateways;
/// let gateways = Gateways::start(&Default::default()).await?;
/// println!("tell the backend: {} and {}", gateways.sms_url(), gateways.push_url());
/// # Ok(()) }
/// ```
pub struct Gateways {
    sms: MockServer,
    push: MockServer,
    pin_pattern: Regex,
    advertise_host: Option<String>,
}

impl Gateways {
    /// Starts both gateways on `settings.bind`, each on a port of its own
    /// that the system picks; every POST is answered 200 and kept.
    pub async fn start(settings: &GatewaySettings) -> Result<Gateways, GatewayError> {
        let pin_pattern =
            Regex::new(&settings.temporary_pin_pattern).map_err(|e| GatewayError::Pattern(e.to_string()))?;
        let sms = serve(&settings.bind, "SMS").await?;
        let push = serve(&settings.bind, "push").await?;
        Ok(Gateways { sms, push, pin_pattern, advertise_host: settings.advertise_host.clone() })
    }

    fn url_of(&self, server: &MockServer) -> String {
        match &self.advertise_host {
            Some(host) => format!("http://{host}:{}", server.address().port()),
            None => server.uri(),
        }
    }

    /// The URL the backend posts SMS to, on `advertise_host` when the
    /// profile names one.
    pub fn sms_url(&self) -> String {
        self.url_of(&self.sms)
    }

    /// The URL the backend posts push messages to (see [`Gateways::sms_url`]).
    pub fn push_url(&self) -> String {
        self.url_of(&self.push)
    }

    /// Every SMS received so far, oldest first.
    pub async fn sms_messages(&self) -> Vec<Message> {
        received(&self.sms).await
    }

    /// Every push message received so far, oldest first.
    pub async fn push_messages(&self) -> Vec<Message> {
        received(&self.push).await
    }

    /// Push messages addressed to a device.
    pub async fn pushes_to(&self, device: &str) -> Vec<Message> {
        self.push_messages().await.into_iter().filter(|m| m.body["device"] == device).collect()
    }

    /// Where the gateways' logs stand now. A scenario takes its mark when it
    /// gets its phones: what arrived before is another scenario's.
    pub async fn mark(&self) -> Mark {
        Mark { sms: received(&self.sms).await.len(), push: received(&self.push).await.len() }
    }

    /// The SMS to `to` that arrived after `mark`.
    pub async fn sms_since(&self, mark: Mark, to: &Secret) -> Vec<Message> {
        let all = self.sms_messages().await;
        all.into_iter().skip(mark.sms).filter(|m| m.body["to"].as_str() == Some(to.expose())).collect()
    }

    /// The push messages to any of `devices` that arrived after `mark`.
    pub async fn pushes_since(&self, mark: Mark, devices: &[&str]) -> Vec<Message> {
        let all = self.push_messages().await;
        all.into_iter().skip(mark.push).filter(|m| devices.iter().any(|d| m.body["device"] == *d)).collect()
    }

    /// An SMS as it may be shown in a log or report. The temporary PIN the
    /// profile's pattern finds becomes a secret, and is scrubbed. Where the
    /// pattern finds none (a lab's SMS worded otherwise), the runner cannot
    /// tell the PIN from the rest, so every digit is masked and the text
    /// says so: its shape is what helps fix the pattern.
    pub fn shown_sms(&self, m: &Message) -> String {
        let to = m.body["to"].as_str().map_or_else(|| "?".to_owned(), redact);
        let Some(text) = m.body["text"].as_str() else {
            return format!(
                "SMS to {to}, not the JSON {{\"to\", \"text\"}} expected: {}",
                mask_digits(&m.body.to_string())
            );
        };
        match self.pin_pattern.captures(text).and_then(|c| c.get(1)) {
            Some(pin) => {
                Secret::new(SecretKind::TemporaryPin, pin.as_str());
                format!("SMS to {to}: {}", redact(text))
            }
            None => format!(
                "SMS to {to} (gateways.temporary_pin_pattern found no PIN in it, so every digit is masked): {}",
                mask_digits(&redact(text))
            ),
        }
    }

    /// A push message as it may be shown: the runner reads only its words,
    /// so any digits in its body are masked, as in an SMS it cannot parse.
    pub fn shown_push(&self, m: &Message) -> String {
        let field = |k: &str| m.body[k].as_str().map_or_else(|| "?".to_owned(), redact);
        format!("push to {}: {}: {}", field("device"), field("title"), mask_digits(&field("body")))
    }

    /// The temporary PIN in the newest SMS to `to`, waiting up to `deadline`.
    /// On timeout the error lists, redacted, what did arrive.
    pub async fn temporary_pin(
        &self,
        to: &Secret,
        already_seen: usize,
        deadline: Duration,
    ) -> Result<Secret, GatewayError> {
        let started = Instant::now();
        loop {
            let messages = self.sms_messages().await;
            let found = messages
                .iter()
                .skip(already_seen)
                .rev()
                .filter(|m| m.body["to"].as_str() == Some(to.expose()))
                .find_map(|m| {
                    let text = m.body["text"].as_str()?;
                    self.pin_pattern.captures(text)?.get(1).map(|g| g.as_str().to_owned())
                });
            if let Some(pin) = found {
                return Ok(Secret::new(SecretKind::TemporaryPin, pin));
            }
            if started.elapsed() >= deadline {
                let mine: Vec<String> = messages
                    .iter()
                    .skip(already_seen)
                    .filter(|m| m.body["to"].as_str() == Some(to.expose()))
                    .map(|m| self.shown_sms(m))
                    .collect();
                let received = if mine.is_empty() { "nothing".to_owned() } else { mine.join("; ") };
                return Err(GatewayError::NoSms { to: to.to_string(), waited: deadline, received });
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Where the gateways' logs stood at a moment ([`Gateways::mark`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mark {
    sms: usize,
    push: usize,
}

/// Every ASCII digit as `#`: the shape of a text, without its numbers.
pub fn mask_digits(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

async fn serve(bind: &str, which: &'static str) -> Result<MockServer, GatewayError> {
    let listener =
        TcpListener::bind((bind, 0)).map_err(|source| GatewayError::Bind { which, bind: bind.into(), source })?;
    let server = MockServer::builder().listener(listener).start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    Ok(server)
}

async fn received(server: &MockServer) -> Vec<Message> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| Message {
            body: serde_json::from_slice(&r.body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&r.body).into())),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn gateways(pattern: &str) -> Gateways {
        let settings = GatewaySettings { temporary_pin_pattern: pattern.into(), ..Default::default() };
        Gateways::start(&settings).await.unwrap()
    }

    fn sms(to: &str, text: &str) -> Message {
        Message { body: serde_json::json!({ "to": to, "text": text }) }
    }

    #[tokio::test]
    async fn an_sms_the_pattern_reads_shows_its_pin_as_a_secret() {
        let g = gateways(r"code is (\d{8})").await;
        let shown = g.shown_sms(&sms("+4511", "Your temporary code is 48213377. It is valid 15 minutes."));
        assert!(!shown.contains("48213377"), "{shown}");
        assert!(shown.contains("[TEMPORARY PIN]") && shown.contains("valid 15 minutes"), "{shown}");
    }

    #[tokio::test]
    async fn an_sms_the_pattern_misses_is_shown_with_every_digit_masked() {
        let g = gateways(r"code is (\d{8})").await;
        let shown = g.shown_sms(&sms("+4511", "Din midlertidige kode: 90817265"));
        assert!(!shown.contains("90817265") && !shown.contains('0'), "{shown}");
        assert!(shown.contains("kode: ########") && shown.contains("found no PIN"), "{shown}");
    }

    #[tokio::test]
    async fn an_sms_that_is_not_the_expected_json_is_masked_too() {
        let g = gateways(r"code is (\d{8})").await;
        let shown = g.shown_sms(&Message { body: Value::String("kode 55512345".into()) });
        assert!(!shown.contains("55512345"), "{shown}");
    }

    #[tokio::test]
    async fn a_missing_pin_names_only_what_reached_that_number_masked() {
        let g = gateways(r"code is (\d{8})").await;
        let http = reqwest::Client::new();
        for (to, text) in [("+4511", "Din kode: 12345678"), ("+4522", "code is 87654321")] {
            http.post(g.sms_url()).json(&serde_json::json!({ "to": to, "text": text })).send().await.unwrap();
        }
        let to = Secret::new(SecretKind::Token, "+4511");
        let e = g.temporary_pin(&to, 0, Duration::from_millis(100)).await.unwrap_err().to_string();
        assert!(!e.contains("12345678") && !e.contains("87654321") && !e.contains("+4522"), "{e}");
        assert!(e.contains("Din kode: ########"), "{e}");
    }

    #[tokio::test]
    async fn a_mark_leaves_out_what_came_before_and_what_went_elsewhere() {
        let g = gateways(r"code is (\d{8})").await;
        let http = reqwest::Client::new();
        let push = |device: &str| serde_json::json!({ "device": device, "title": "MitID", "body": "The waiting time is over." });
        http.post(g.push_url()).json(&push("phone-a")).send().await.unwrap();
        let mark = g.mark().await;
        http.post(g.push_url()).json(&push("phone-b")).send().await.unwrap();
        http.post(g.push_url()).json(&push("phone-a")).send().await.unwrap();
        let mine = g.pushes_since(mark, &["phone-a"]).await;
        assert_eq!(mine.len(), 1);
        assert_eq!(g.shown_push(&mine[0]), "push to phone-a: MitID: The waiting time is over.");
    }
}
