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
        "no SMS with a temporary PIN code reached the SMS gateway for {to} within {waited:?}; it received: {received}"
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
                // Scrub the PINs of messages to other numbers too: register
                // whatever the pattern finds before printing.
                for m in &messages {
                    if let Some(c) = m.body["text"].as_str().and_then(|t| self.pin_pattern.captures(t)) {
                        if let Some(g) = c.get(1) {
                            Secret::new(SecretKind::TemporaryPin, g.as_str());
                        }
                    }
                }
                let received = if messages.is_empty() {
                    "nothing".to_owned()
                } else {
                    redact(&messages.iter().map(|m| m.body.to_string()).collect::<Vec<_>>().join("; "))
                };
                return Err(GatewayError::NoSms { to: to.to_string(), waited: deadline, received });
            }
            tokio::time::sleep(POLL).await;
        }
    }
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
