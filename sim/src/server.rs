//! Starting and stopping the farm's HTTP server, and delivering what the
//! backend sends to the gateways.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::FarmConfig;
use crate::farm::FarmState;

/// The largest request body the farm takes (camera images are the large ones).
const MAX_BODY: usize = 20 * 1024 * 1024;
/// How long the backend waits for a gateway to take a message.
const GATEWAY_TIMEOUT: Duration = Duration::from_secs(5);

/// What every handler shares.
pub struct Shared {
    state: Mutex<FarmState>,
    http: reqwest::Client,
}

impl Shared {
    /// The farm's state. A handler that panicked while holding the lock
    /// must not take the whole farm down with it: the state is still
    /// consistent at every await point, so the poison is cleared.
    pub fn lock(&self) -> MutexGuard<'_, FarmState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends the backend's queued SMS and push messages, in order, before the
    /// command that caused them answers: a test that sees the click return
    /// can rely on the message having reached the gateway.
    pub async fn deliver_outbox(&self) {
        let outbox = self.lock().take_outbox();
        for message in outbox {
            let result = self
                .http
                .post(&message.url)
                .timeout(GATEWAY_TIMEOUT)
                .json(&message.body)
                .send()
                .await
                .and_then(|r| r.error_for_status());
            if let Err(e) = result {
                let note = format!("{}: POST {} failed: {e}", message.what, message.url);
                tracing::warn!("{note}");
                self.lock().backend.undelivered.push(note);
            } else {
                tracing::debug!(what = %message.what, "delivered");
            }
        }
    }
}

/// Why a farm could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("the farm profile is not usable: {0}")]
    Config(String),
    /// `radio = "bluez"` and D-Bus, BlueZ or an adapter is not there.
    #[error("the farm's BlueZ radio cannot start: {0}")]
    Bluez(String),
}

/// A farm serving on loopback until [`RunningFarm::stop`] or drop.
///
/// ```no_run
/// # async fn example() -> Result<(), mitid_sim::StartError> {
/// let farm = mitid_sim::RunningFarm::start(mitid_sim::FarmConfig::default(), 0).await?;
/// println!("Appium endpoint: {}", farm.url());
/// farm.stop();
/// # Ok(()) }
/// ```
pub struct RunningFarm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
    /// The BlueZ radio's advertiser (`radio = "bluez"`).
    radio: Option<tokio::task::JoinHandle<()>>,
    /// udid → the Bluetooth address of its adapter (BlueZ radio only).
    bluetooth_addresses: std::collections::BTreeMap<String, String>,
    allow_cors: bool,
}

impl RunningFarm {
    /// Binds 127.0.0.1:`port` (0 picks a free port) and serves the farm.
    pub async fn start(mut config: FarmConfig, port: u16) -> Result<RunningFarm, StartError> {
        resolve_air(&mut config)?;
        validate(&config)?;
        let bluez = config.radio == crate::config::RadioMode::Bluez;
        let allow_cors = config.allow_cors;
        let radio_config = config.clone();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = tokio::net::TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr, source })?;
        let http = reqwest::Client::builder().no_proxy().build().map_err(|e| StartError::Config(e.to_string()))?;
        let shared = Arc::new(Shared { state: Mutex::new(FarmState::new(config)), http });
        let app = crate::webdriver::routes()
            .layer(axum::middleware::from_fn(w3c_rejections))
            // A camera image from a real phone's screenshot can be several MB.
            .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
            .merge(crate::control::routes())
            .fallback(unknown_route)
            .with_state(shared.clone());
        // Outermost but for CORS: every request's body is read whole before
        // it is answered.
        let app = app.layer(axum::middleware::from_fn(read_whole_body));
        let app = if allow_cors { app.layer(axum::middleware::from_fn(allow_cross_domain)) } else { app };
        let (radio, bluetooth_addresses) = if bluez {
            let (task, addresses) = crate::bluez::start(shared.clone(), &radio_config).await?;
            (Some(task), addresses)
        } else {
            (None, Default::default())
        };
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("the farm's server stopped: {e}");
            }
        });
        tracing::info!(%addr, "virtual farm listening");
        Ok(RunningFarm { addr, shared, task, radio, bluetooth_addresses, allow_cors })
    }

    /// `http://127.0.0.1:PORT`: the Appium server URL, with the test-control
    /// API under `/sim/`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn udids(&self) -> Vec<String> {
        self.shared.lock().udids()
    }

    /// With `radio = "bluez"`: each phone's udid → the Bluetooth address of
    /// the adapter it advertises on (as a lab rig knows its phones'
    /// addresses). Empty for the in-memory radio.
    pub fn bluetooth_addresses(&self) -> &std::collections::BTreeMap<String, String> {
        &self.bluetooth_addresses
    }

    /// Whether it answers browsers from any origin (`allow_cors`), as
    /// Appium Inspector in a browser needs.
    pub fn allows_cors(&self) -> bool {
        self.allow_cors
    }

    /// Stops serving at once; hung commands and open connections are
    /// dropped, and the BlueZ radio's connection with them.
    pub fn stop(self) {}
}

impl Drop for RunningFarm {
    fn drop(&mut self) {
        self.task.abort();
        if let Some(radio) = &self.radio {
            radio.abort();
        }
    }
}

/// Reads `air` values written `"${NAME}"` from the environment.
fn resolve_air(config: &mut FarmConfig) -> Result<(), StartError> {
    config.system_bus = std::env::var("DBUS_SYSTEM_BUS_ADDRESS").ok();
    for (rig, bus) in &mut config.air {
        if let Some(name) = bus.strip_prefix("${").and_then(|b| b.strip_suffix('}')) {
            *bus = std::env::var(name).map_err(|_| {
                StartError::Config(format!(
                    "air.{rig}: the environment variable {name} is not set; it should hold the D-Bus address of the BlueZ rig '{rig}' is on (like unix:path=/run/rig/system_bus_socket)"
                ))
            })?;
        }
    }
    Ok(())
}

fn validate(config: &FarmConfig) -> Result<(), StartError> {
    if config.phones.is_empty() {
        return Err(StartError::Config("phones: a farm needs at least one phone".into()));
    }
    if !config.air.is_empty() && config.radio != crate::config::RadioMode::Bluez {
        return Err(StartError::Config(
            "air: rigs have an air of their own only on the BlueZ radio (radio = \"bluez\")".into(),
        ));
    }
    for (rig, bus) in &config.air {
        if bus.trim().is_empty() || !bus.contains(':') {
            return Err(StartError::Config(format!(
                "air.{rig}: '{bus}' is not a D-Bus address like unix:path=/run/rig/system_bus_socket"
            )));
        }
    }
    if config.radio == crate::config::RadioMode::Bluez {
        let missing: Vec<&str> =
            config.phones.iter().filter(|p| p.bluetooth_adapter.is_none()).map(|p| p.udid.as_str()).collect();
        if !missing.is_empty() {
            return Err(StartError::Config(format!(
                "radio = \"bluez\" needs bluetooth_adapter = \"hciN\" on every phone; missing on: {}",
                missing.join(", ")
            )));
        }
        let mut used = std::collections::BTreeMap::new();
        for p in &config.phones {
            let a = p.bluetooth_adapter.as_deref().unwrap_or_default();
            if a.is_empty() || a.contains('/') || a.chars().any(char::is_whitespace) {
                return Err(StartError::Config(format!(
                    "phones.bluetooth_adapter: '{a}' of phone '{}' is not an adapter name like \"hci0\"",
                    p.udid
                )));
            }
            // BlueZ advertises one advert per adapter reliably (BlueZoo: only one).
            if let Some(other) = used.insert(a, p.udid.as_str()) {
                return Err(StartError::Config(format!(
                    "phones.bluetooth_adapter: '{a}' is given to both '{other}' and '{}'; each phone needs its own adapter",
                    p.udid
                )));
            }
        }
    }
    for (i, rule) in config.faults.iter().enumerate() {
        rule.check().map_err(|e| StartError::Config(format!("faults[{i}]: {e}")))?;
    }
    let mut seen = std::collections::BTreeSet::new();
    for p in &config.phones {
        if p.udid.trim().is_empty() {
            return Err(StartError::Config("phones.udid: must not be empty".into()));
        }
        if !seen.insert(p.udid.as_str()) {
            return Err(StartError::Config(format!("phones.udid: '{}' is listed twice", p.udid)));
        }
        if p.platform == crate::ui::Platform::Android && p.android_api_level().is_none() {
            return Err(StartError::Config(format!(
                "phones.os_version: '{}' of phone '{}' is not an Android version this farm knows (8 and up)",
                p.os_version, p.udid
            )));
        }
    }
    Ok(())
}

async fn unknown_route(method: axum::http::Method, uri: axum::http::Uri) -> crate::error::W3cError {
    crate::error::W3cError::unknown_command(format!("{method} {} is not a command of this farm", uri.path()))
}

/// Axum answers some bad requests itself, in plain text, before a handler
/// runs: a method a route does not take, a path segment that is not UTF-8, a
/// body over the size limit. A WebDriver client expects a W3C error.
async fn w3c_rejections(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let (status, _, text) = match plain_rejection(next.run(request).await).await {
        Ok(plain) => plain,
        Err(ours) => return ours,
    };
    let error = match status {
        // axum adds the Allow header with the methods the route takes
        // outside this layer.
        axum::http::StatusCode::METHOD_NOT_ALLOWED => crate::error::W3cError::unknown_method(format!(
            "{path} is a command of this farm, but not with {method} (the Allow header lists the methods it takes)"
        )),
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => crate::error::W3cError::invalid_argument(format!(
            "the body of {method} {path} is too large for this farm: {text}"
        )),
        s if s.is_client_error() => crate::error::W3cError::invalid_argument(format!("{method} {path}: {text}")),
        _ => crate::error::W3cError::unknown_error(format!("{method} {path}: {text}")),
    };
    error.into_response()
}

/// An error axum answered by itself, in plain text, before a handler ran:
/// its status, its `Allow` header and its text. `Err` gives back any other
/// answer (a handler's, or a success) untouched.
pub(crate) async fn plain_rejection(
    response: axum::response::Response,
) -> Result<(axum::http::StatusCode, Option<axum::http::HeaderValue>, String), axum::response::Response> {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return Err(response);
    }
    let allow = response.headers().get(axum::http::header::ALLOW).cloned();
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024).await.unwrap_or_default();
    Ok((status, allow, String::from_utf8_lossy(&text).into_owned()))
}

/// Reads a request's body to its end before the handler runs. Hyper closes
/// a keep-alive connection whose request body a handler left unread (a
/// click's `{}`, a clear's, any command that takes no body); a client that
/// pools connections, as Selenium's and Appium's Python clients do, then
/// sends its next command on a connection the farm has closed, and sees
/// "Remote end closed connection without response".
async fn read_whole_body(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(_) if parts.uri.path().starts_with("/sim") => (
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            axum::Json(serde_json::json!({
                "error": format!("the body of {} {} is over {} MB", parts.method, parts.uri.path(), MAX_BODY / (1024 * 1024)),
                "status": 413,
            })),
        )
            .into_response(),
        Err(_) => crate::error::W3cError::invalid_argument(format!(
            "the body of {} {} is too large for this farm (over {} MB)",
            parts.method,
            parts.uri.path(),
            MAX_BODY / (1024 * 1024)
        ))
        .into_response(),
    }
}

/// `allow_cors`: what Appium's `allowCrossDomain` middleware does
/// (@appium/base-driver, lib/express/middleware): these headers on every
/// answer, and a preflight `OPTIONS` answered `200 OK` whatever the path.
async fn allow_cross_domain(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    use axum::response::IntoResponse as _;
    let mut response = if request.method() == axum::http::Method::OPTIONS {
        (axum::http::StatusCode::OK, "OK").into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(CORS_METHODS));
    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(CORS_HEADERS));
    response
}

/// The methods and headers `appium --allow-cors` allows, word for word.
pub const CORS_METHODS: &str = "GET, POST, PUT, OPTIONS, DELETE";
pub const CORS_HEADERS: &str = "Cache-Control, Pragma, Origin, X-Requested-With, Content-Type, Accept, User-Agent";

/// The virtual clock as a phone's status bar shows it: the farm starts at
/// 09:00.
pub fn wall_clock_text(now: Duration) -> String {
    let minutes = 9 * 60 + now.as_secs() / 60;
    format!("{:02}:{:02}", minutes / 60 % 24, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RadioMode;

    #[test]
    fn the_bluez_radio_needs_an_adapter_for_every_phone_and_one_each() {
        let mut config = FarmConfig { radio: RadioMode::Bluez, ..FarmConfig::default() };
        let e = validate(&config).unwrap_err().to_string();
        assert!(e.contains("bluetooth_adapter") && e.contains("android-14-a1") && e.contains("android-13-c2"), "{e}");
        for (i, p) in config.phones.iter_mut().enumerate() {
            p.bluetooth_adapter = Some(format!("hci{i}"));
        }
        validate(&config).unwrap();
        config.phones[1].bluetooth_adapter = Some("hci0".into());
        let e = validate(&config).unwrap_err().to_string();
        assert!(e.contains("'hci0' is given to both 'android-14-a1' and 'android-14-a2'"), "{e}");
        // The in-memory radio needs none.
        validate(&FarmConfig::default()).unwrap();
    }

    #[test]
    fn an_air_needs_the_bluez_radio_an_address_and_its_variable() {
        let mut config = FarmConfig::default();
        config.air.insert("elsewhere".into(), "unix:path=/tmp/bus".into());
        let e = validate(&config).unwrap_err().to_string();
        assert!(e.contains("air: rigs have an air of their own only on the BlueZ radio"), "{e}");
        config.radio = RadioMode::Bluez;
        for (i, p) in config.phones.iter_mut().enumerate() {
            p.bluetooth_adapter = Some(format!("hci{i}"));
        }
        validate(&config).unwrap();
        config.air.insert("elsewhere".into(), "nowhere".into());
        let e = validate(&config).unwrap_err().to_string();
        assert!(e.contains("air.elsewhere: 'nowhere' is not a D-Bus address"), "{e}");
        config.air.insert("elsewhere".into(), "${MITID_TEST_AIR_NEVER_SET}".into());
        let e = resolve_air(&mut config).unwrap_err().to_string();
        assert!(e.contains("air.elsewhere: the environment variable MITID_TEST_AIR_NEVER_SET is not set"), "{e}");
        std::env::set_var("MITID_TEST_AIR_SET", "unix:path=/tmp/air");
        config.air.insert("elsewhere".into(), "${MITID_TEST_AIR_SET}".into());
        resolve_air(&mut config).unwrap();
        assert_eq!(config.air_of("elsewhere"), Some("unix:path=/tmp/air"));
        assert_eq!(config.air_of("rig-a"), None, "rigs not named are on the system bus");
        // An air at the system bus's own address is the system bus's air.
        config.system_bus = Some("unix:path=/tmp/air".into());
        assert_eq!(config.air_of("elsewhere"), None);
    }

    #[tokio::test]
    async fn a_bluez_farm_without_a_bus_says_which_bus() {
        let mut config = FarmConfig { radio: RadioMode::Bluez, ..FarmConfig::default() };
        for (i, p) in config.phones.iter_mut().enumerate() {
            p.bluetooth_adapter = Some(format!("hci{i}"));
        }
        std::env::set_var("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/mitid-e2e/bus");
        let e = RunningFarm::start(config, 0).await.err().expect("no bus, no farm").to_string();
        assert!(e.contains("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/mitid-e2e/bus"), "{e}");
    }
}
