//! The host probe: a Bluetooth adapter on the test host scans (btleplug →
//! BlueZ over D-Bus) for the old phone's MitID proximity beacon, as a
//! person's new phone would hear it: one advertised 128-bit service UUID, a
//! fixed MitID prefix ([`BeaconPrefix`]) followed by the token bound to the
//! QR session (docs/src/bluetooth.md). Only the advertised service
//! UUIDs are read (btleplug's `PeripheralProperties::services`): an iPhone
//! cannot advertise service data, so the contract never depends on it.
//!
//! Every way the Bluetooth stack can be missing is a clear error, never a
//! hang: the D-Bus system bus unreachable (naming `DBUS_SYSTEM_BUS_ADDRESS`),
//! BlueZ not running, no such adapter (listing those present), the adapter
//! powered off, or the adapter removed while waiting (noticed within about
//! a second: btleplug itself says nothing, so the probe polls the adapter).
//!
//! Tokens are [`Secret`]s: a sighting carries only a digest of its token.
//!
//! BlueZ keeps a device it has seen (BlueZoo forever) and replays its last
//! advertisement data; so before a wait the probe forgets (`RemoveDevice`)
//! the beacons it has cached, and only what is heard afresh counts.

use std::collections::BTreeSet;
use std::pin::Pin;
use std::time::{Duration, SystemTime};

use btleplug::api::{BDAddr, Central, CentralEvent, CentralState, Manager as _, Peripheral as _, ScanFilter};
use btleplug::platform::{Adapter, Manager};
use futures::{Stream, StreamExt};

use crate::secret::{Secret, SecretKind};

pub use uuid::Uuid;

/// The environment variable libdbus reads for the system bus.
pub const ENV_SYSTEM_BUS: &str = "DBUS_SYSTEM_BUS_ADDRESS";
/// How often a waiting probe checks that its adapter is still there.
const PRESENCE_EVERY: Duration = Duration::from_millis(500);
/// How long one presence check may take.
const PRESENCE_LIMIT: Duration = Duration::from_secs(2);
const CALL_TIMEOUT: Duration = Duration::from_secs(2);

/// Why the probe cannot do its job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BluetoothError {
    /// The system bus does not answer, or not in time.
    #[error("the D-Bus system bus is unreachable ({bus}): {detail}")]
    DbusUnreachable {
        /// Which bus ([`bus_description`]).
        bus: String,
        /// What failed.
        detail: String,
    },
    /// The bus answers, but nothing owns `org.bluez` on it.
    #[error("BlueZ (org.bluez) is not running on the D-Bus system bus ({bus})")]
    BluezNotRunning {
        /// Which bus ([`bus_description`]).
        bus: String,
    },
    /// BlueZ has no adapter of that name or address.
    #[error("the host has no Bluetooth adapter '{wanted}'; adapters present: {present}")]
    NoSuchAdapter {
        /// The name or address asked for.
        wanted: String,
        /// The adapters BlueZ has, or "none".
        present: String,
    },
    /// The adapter is there but powered off.
    #[error("the host Bluetooth adapter {adapter} is powered off")]
    PoweredOff {
        /// The host adapter, by name (and address, once found).
        adapter: String,
    },
    /// The adapter went away while the probe was using it.
    #[error("the host Bluetooth adapter {adapter} is gone (removed or unplugged) while the probe was using it")]
    AdapterGone {
        /// The host adapter, by name (and address, once found).
        adapter: String,
    },
    /// The awaited beacon was not heard in time.
    #[error("the host Bluetooth adapter {adapter} did not see {what} within {within:?}{seen}")]
    NotSeen {
        /// The host adapter, by name (and address, once found).
        adapter: String,
        /// The beacon waited for, in words.
        what: String,
        /// How long the probe listened.
        within: Duration,
        /// What it heard instead, as a clause starting "; ".
        seen: String,
    },
    /// A beacon that should have stopped was still heard at the deadline.
    #[error("{what} is still on the air: the host Bluetooth adapter {adapter} heard it at {address} after it should have gone ({within:?} watched)")]
    StillAdvertising {
        /// The host adapter, by name (and address, once found).
        adapter: String,
        /// The beacon, in words.
        what: String,
        /// The Bluetooth address it was heard from.
        address: String,
        /// How long the probe watched.
        within: Duration,
    },
    /// Any other error from btleplug or BlueZ.
    #[error("Bluetooth error on the host adapter {adapter}: {detail}")]
    Other {
        /// The host adapter, by name (and address, once found).
        adapter: String,
        /// The error, as btleplug or BlueZ put it.
        detail: String,
    },
}

/// The system bus the probe talks to, for messages.
pub fn bus_description() -> String {
    match std::env::var(ENV_SYSTEM_BUS) {
        Ok(a) => format!("{ENV_SYSTEM_BUS}={a}"),
        Err(_) => format!("{ENV_SYSTEM_BUS} not set: the default /run/dbus/system_bus_socket"),
    }
}

/// The fixed first bytes of the MitID beacon's 128-bit service UUID; the
/// rest of the UUID is the token. A UUID without them is not a MitID beacon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeaconPrefix(pub [u8; 4]);

impl BeaconPrefix {
    /// The token (lowercase hex) `uuid` carries, when it starts with this
    /// prefix.
    pub fn token_in(&self, uuid: &Uuid) -> Option<String> {
        let bytes = uuid.as_bytes();
        (bytes[..self.0.len()] == self.0).then(|| hex(&bytes[self.0.len()..]))
    }
}

impl std::fmt::Display for BeaconPrefix {
    /// As the UUID starts: "4d494401-…".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-…", hex(&self.0))
    }
}

/// Which beacon a wait is for. Empty fields match any beacon with the
/// MitID prefix.
#[derive(Debug, Clone, Default)]
pub struct BeaconFilter {
    /// The token the service UUID must hold (hex), if known.
    pub token: Option<Secret>,
    /// The Bluetooth address the advert must come from, if known. Real
    /// phones advertise from a random private address: only a farm whose
    /// adapters have fixed addresses can name one.
    pub address: Option<String>,
}

impl BeaconFilter {
    fn matches(&self, address: &str, token_hex: &str) -> bool {
        self.token.as_ref().is_none_or(|t| t.expose().eq_ignore_ascii_case(token_hex))
            && self.address.as_ref().is_none_or(|a| a.eq_ignore_ascii_case(address))
    }

    fn describe(&self, prefix: BeaconPrefix) -> String {
        let mut s = format!("a beacon with a service UUID {prefix}");
        if let Some(a) = &self.address {
            s.push_str(&format!(" from {a}"));
        }
        if self.token.is_some() {
            s.push_str(" with the expected token");
        }
        s
    }
}

/// One beacon heard.
#[derive(Debug, Clone)]
pub struct Sighting {
    /// The Bluetooth address the advert came from.
    pub address: String,
    /// As BlueZ reports it (BlueZoo: always 0).
    pub rssi: Option<i16>,
    /// When the probe heard it.
    pub at: SystemTime,
    /// The token, redacted by construction.
    pub token: Secret,
    /// [`token_digest`] of the token, safe to print.
    pub token_digest: String,
}

impl Sighting {
    /// One line of a Bluetooth trace: time, address, token digest, RSSI.
    pub fn trace_line(&self) -> String {
        let rssi = self.rssi.map_or("unknown".to_owned(), |r| format!("{r} dBm"));
        format!(
            "{}  address {}  token digest {}  RSSI {rssi}",
            crate::clock::rfc3339(self.at),
            self.address,
            self.token_digest
        )
    }
}

/// A printable digest of a token: FNV-1a 64-bit, first 8 hex digits, labelled
/// as what it is — a non-cryptographic hash, for telling tokens apart in a
/// trace, not for hiding them from a determined reader.
pub fn token_digest(token_hex: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token_hex.to_ascii_lowercase().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv1a64:{:08x}", h >> 32)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

type Events = Pin<Box<dyn Stream<Item = CentralEvent> + Send>>;

/// A scan on one host adapter.
pub struct HostProbe {
    adapter: Adapter,
    /// "hci2".
    name: String,
    address: String,
    events: Events,
    scan_interval: Duration,
}

impl HostProbe {
    /// Opens the adapter named `adapter` ("hci2") or with that address, and
    /// starts scanning. `timeout` bounds the whole opening.
    pub async fn open(adapter: &str, timeout: Duration) -> Result<HostProbe, BluetoothError> {
        let wanted = adapter.to_owned();
        match tokio::time::timeout(timeout, Self::open_inner(wanted.clone())).await {
            Ok(r) => r,
            Err(_) => Err(BluetoothError::DbusUnreachable {
                bus: bus_description(),
                detail: format!("opening adapter '{wanted}' took longer than {timeout:?}"),
            }),
        }
    }

    async fn open_inner(wanted: String) -> Result<HostProbe, BluetoothError> {
        preflight().await?;
        let manager = Manager::new().await.map_err(|e| classify(&e, &wanted))?;
        let mut present = Vec::new();
        let mut found = None;
        for a in manager.adapters().await.map_err(|e| classify(&e, &wanted))? {
            // adapter_info: "hci2 (usb:v1D6Bp0246d0537)"
            let info = a.adapter_info().await.map_err(|e| classify(&e, &wanted))?;
            let name = info.split_whitespace().next().unwrap_or_default().to_owned();
            let address = a.adapter_address().await.ok().flatten().map(|x| x.to_string()).unwrap_or_default();
            if name == wanted || (!address.is_empty() && address.eq_ignore_ascii_case(&wanted)) {
                found = Some((a, name, address));
                break;
            }
            present.push(if address.is_empty() { name } else { format!("{name} ({address})") });
        }
        let Some((adapter, name, address)) = found else {
            present.sort();
            return Err(BluetoothError::NoSuchAdapter {
                wanted,
                present: if present.is_empty() { "none".into() } else { present.join(", ") },
            });
        };
        let label = format!("{name} ({address})");
        match adapter.adapter_state().await.map_err(|e| classify(&e, &label))? {
            CentralState::PoweredOn => {}
            _ => return Err(BluetoothError::PoweredOff { adapter: label }),
        }
        let events = adapter.events().await.map_err(|e| classify(&e, &label))?;
        adapter.start_scan(ScanFilter::default()).await.map_err(|e| classify(&e, &label))?;
        Ok(HostProbe { adapter, name, address, events, scan_interval: Duration::from_secs(1) })
    }

    /// How often the adapter reports a beacon that is on the air (BlueZoo's
    /// `--scan-interval`; a real adapter hears several adverts a second).
    pub fn with_scan_interval(mut self, every: Duration) -> HostProbe {
        self.scan_interval = every;
        self
    }

    /// "hci2 (00:00:00:00:0C:03)".
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.address)
    }

    /// Waits until a beacon whose service UUID starts with `prefix` and
    /// that `filter` matches is heard afresh, at most `within`.
    pub async fn wait_for_beacon(
        &mut self,
        prefix: BeaconPrefix,
        filter: &BeaconFilter,
        within: Duration,
    ) -> Result<Sighting, BluetoothError> {
        self.forget_cached(prefix, filter).await?;
        let mut others = BTreeSet::new();
        match self.listen(prefix, filter, within, &mut others).await? {
            Some(s) => Ok(s),
            None => Err(BluetoothError::NotSeen {
                adapter: self.label(),
                what: filter.describe(prefix),
                within,
                seen: if others.is_empty() {
                    "; it heard no MitID beacon at all".into()
                } else {
                    format!("; it heard MitID beacons only from {}", others.into_iter().collect::<Vec<_>>().join(", "))
                },
            }),
        }
    }

    /// Checks a beacon is off the air: forgets it, then must not hear it
    /// again for `window` (at least two scan intervals). A beacon heard in a
    /// window is forgotten and watched again until `deadline` passes (the
    /// phone may take a moment to stop).
    pub async fn assert_gone(
        &mut self,
        prefix: BeaconPrefix,
        filter: &BeaconFilter,
        window: Duration,
        deadline: Duration,
    ) -> Result<(), BluetoothError> {
        let window = window.max(self.scan_interval * 2);
        let end = tokio::time::Instant::now() + deadline.max(window);
        loop {
            self.forget_cached(prefix, filter).await?;
            let mut others = BTreeSet::new();
            match self.listen(prefix, filter, window, &mut others).await? {
                None => return Ok(()),
                Some(s) if tokio::time::Instant::now() + window > end => {
                    return Err(BluetoothError::StillAdvertising {
                        adapter: self.label(),
                        what: filter.describe(prefix),
                        address: s.address,
                        within: deadline,
                    })
                }
                Some(_) => continue,
            }
        }
    }

    /// Removes BlueZ's cached devices that advertised a MitID service UUID
    /// (and match the filter's address), then drops events already queued.
    async fn forget_cached(&mut self, prefix: BeaconPrefix, filter: &BeaconFilter) -> Result<(), BluetoothError> {
        self.check_present().await?;
        let peripherals = self.adapter.peripherals().await.map_err(|e| classify(&e, &self.label()))?;
        let mut stale = Vec::new();
        for p in peripherals {
            let Ok(Some(props)) = p.properties().await else { continue };
            let address = props.address.to_string();
            if props.services.iter().any(|u| prefix.token_in(u).is_some())
                && filter.address.as_ref().is_none_or(|a| a.eq_ignore_ascii_case(&address))
            {
                stale.push(props.address);
            }
        }
        if !stale.is_empty() {
            remove_devices(&self.name, &stale).await?;
        }
        while let Some(Some(_)) = futures::FutureExt::now_or_never(self.events.next()) {}
        Ok(())
    }

    async fn check_present(&self) -> Result<(), BluetoothError> {
        match tokio::time::timeout(PRESENCE_LIMIT, self.adapter.adapter_info()).await {
            Err(_) => Err(BluetoothError::DbusUnreachable {
                bus: bus_description(),
                detail: format!("BlueZ did not answer about adapter {} within {PRESENCE_LIMIT:?}", self.label()),
            }),
            Ok(Err(e)) => Err(classify(&e, &self.label())),
            Ok(Ok(_)) => match tokio::time::timeout(PRESENCE_LIMIT, self.adapter.adapter_state()).await {
                Ok(Ok(CentralState::PoweredOn)) => Ok(()),
                Ok(Ok(_)) => Err(BluetoothError::PoweredOff { adapter: self.label() }),
                Ok(Err(e)) => Err(classify(&e, &self.label())),
                Err(_) => Err(BluetoothError::DbusUnreachable {
                    bus: bus_description(),
                    detail: format!("BlueZ did not answer about adapter {} within {PRESENCE_LIMIT:?}", self.label()),
                }),
            },
        }
    }

    /// Listens for `within`; the first matching beacon, or None. Addresses
    /// of other MitID beacons heard go into `others`.
    async fn listen(
        &mut self,
        prefix: BeaconPrefix,
        filter: &BeaconFilter,
        within: Duration,
        others: &mut BTreeSet<String>,
    ) -> Result<Option<Sighting>, BluetoothError> {
        let end = tokio::time::Instant::now() + within;
        let mut poll = tokio::time::interval(PRESENCE_EVERY);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let event = tokio::select! {
                _ = tokio::time::sleep_until(end) => return Ok(None),
                _ = poll.tick() => {
                    self.check_present().await?;
                    continue;
                }
                e = self.events.next() => match e {
                    Some(e) => e,
                    None => return Err(BluetoothError::Other { adapter: self.label(), detail: "btleplug's event stream ended".into() }),
                },
            };
            let id = match event {
                CentralEvent::DeviceDiscovered(id)
                | CentralEvent::DeviceUpdated(id)
                | CentralEvent::ServiceDataAdvertisement { id, .. }
                | CentralEvent::ServicesAdvertisement { id, .. } => id,
                CentralEvent::StateUpdate(CentralState::PoweredOn) => continue,
                CentralEvent::StateUpdate(_) => return Err(BluetoothError::PoweredOff { adapter: self.label() }),
                _ => continue,
            };
            // A device removed meanwhile has no properties: not a sighting.
            let Ok(p) = self.adapter.peripheral(&id).await else { continue };
            let Ok(Some(props)) = p.properties().await else { continue };
            // BlueZ adds every service UUID a device advertised to its list
            // until it is removed: any MitID token on it may be the one.
            let tokens: Vec<String> = props.services.iter().filter_map(|u| prefix.token_in(u)).collect();
            if tokens.is_empty() {
                continue;
            }
            let address = props.address.to_string();
            if let Some(token_hex) = tokens.into_iter().find(|t| filter.matches(&address, t)) {
                return Ok(Some(Sighting {
                    address,
                    rssi: props.rssi,
                    at: SystemTime::now(),
                    token_digest: token_digest(&token_hex),
                    token: Secret::new(SecretKind::Token, token_hex),
                }));
            }
            others.insert(address);
        }
    }
}

impl Drop for HostProbe {
    fn drop(&mut self) {
        // Stop scanning in the background; nothing to wait for.
        let adapter = self.adapter.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = tokio::time::timeout(CALL_TIMEOUT, adapter.stop_scan()).await;
            });
        }
    }
}

/// Runs a blocking libdbus job on its own thread, bounded: libdbus connects
/// and authenticates with no timeout against a bus that never answers.
async fn bounded<T: Send + 'static>(
    limit: Duration,
    job: impl FnOnce() -> Result<T, dbus::Error> + Send + 'static,
) -> Result<Result<T, dbus::Error>, BluetoothError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(job());
    });
    match tokio::time::timeout(limit, rx).await {
        Ok(Ok(r)) => Ok(r),
        _ => Err(BluetoothError::DbusUnreachable {
            bus: bus_description(),
            detail: format!("no answer within {limit:?}"),
        }),
    }
}

/// The system bus answers and org.bluez has an owner. (btleplug's
/// `Manager::new` can hang on a bus that is gone; this cannot.)
async fn preflight() -> Result<(), BluetoothError> {
    let r = bounded(Duration::from_secs(3), || {
        let c = dbus::blocking::Connection::new_system()?;
        let p = c.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", CALL_TIMEOUT);
        let (owner,): (String,) = p.method_call("org.freedesktop.DBus", "GetNameOwner", ("org.bluez",))?;
        Ok(owner)
    })
    .await?;
    match r {
        Ok(_) => Ok(()),
        Err(e) if e.name() == Some("org.freedesktop.DBus.Error.NameHasNoOwner") => {
            Err(BluetoothError::BluezNotRunning { bus: bus_description() })
        }
        Err(e) => Err(BluetoothError::DbusUnreachable { bus: bus_description(), detail: e.to_string() }),
    }
}

/// `Adapter1.RemoveDevice` for each address: BlueZ forgets them.
async fn remove_devices(adapter: &str, addresses: &[BDAddr]) -> Result<(), BluetoothError> {
    let adapter = adapter.to_owned();
    let label = adapter.clone();
    let paths: Vec<String> =
        addresses.iter().map(|a| format!("/org/bluez/{adapter}/dev_{}", a.to_string().replace(':', "_"))).collect();
    let r = bounded(Duration::from_secs(3), move || {
        let c = dbus::blocking::Connection::new_system()?;
        let p = c.with_proxy("org.bluez", format!("/org/bluez/{adapter}"), CALL_TIMEOUT);
        for path in paths {
            let r: Result<(), dbus::Error> =
                p.method_call("org.bluez.Adapter1", "RemoveDevice", (dbus::Path::from(path),));
            match r {
                // Already gone: what we wanted.
                Err(e) if e.name() == Some("org.bluez.Error.DoesNotExist") => {}
                other => other?,
            }
        }
        Ok(())
    })
    .await?;
    r.map_err(|e| classify_dbus(e.name(), &e.to_string(), &label))
}

/// btleplug's errors, by the D-Bus error name underneath.
fn classify(e: &btleplug::Error, adapter: &str) -> BluetoothError {
    let name = match e {
        btleplug::Error::Other(b) => b.downcast_ref::<bluez_async::BluetoothError>().and_then(|be| match be {
            bluez_async::BluetoothError::DbusError(d) => d.name().map(str::to_owned),
            _ => None,
        }),
        _ => None,
    };
    classify_dbus(name.as_deref(), &e.to_string(), adapter)
}

fn classify_dbus(name: Option<&str>, detail: &str, adapter: &str) -> BluetoothError {
    match name {
        Some("org.freedesktop.DBus.Error.UnknownObject" | "org.freedesktop.DBus.Error.UnknownMethod") => {
            BluetoothError::AdapterGone { adapter: adapter.into() }
        }
        Some("org.freedesktop.DBus.Error.ServiceUnknown" | "org.freedesktop.DBus.Error.NameHasNoOwner") => {
            BluetoothError::BluezNotRunning { bus: bus_description() }
        }
        Some(
            "org.freedesktop.DBus.Error.Disconnected"
            | "org.freedesktop.DBus.Error.NoReply"
            | "org.freedesktop.DBus.Error.FileNotFound"
            | "org.freedesktop.DBus.Error.NoServer"
            | "org.freedesktop.DBus.Error.Timeout",
        ) => BluetoothError::DbusUnreachable { bus: bus_description(), detail: detail.into() },
        Some("org.bluez.Error.NotReady") => BluetoothError::PoweredOff { adapter: adapter.into() },
        _ => BluetoothError::Other { adapter: adapter.into(), detail: detail.into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_short_stable_and_labelled() {
        let d = token_digest("00112233445566778899aabbccddeeff");
        assert!(d.starts_with("fnv1a64:") && d.len() == 16, "{d}");
        assert_eq!(d, token_digest("00112233445566778899AABBCCDDEEFF"));
        assert_ne!(d, token_digest("00112233445566778899aabbccddeef0"));
    }

    #[test]
    fn trace_times_are_utc() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_641_157_829);
        assert_eq!(crate::clock::rfc3339(at), "2026-11-25T21:12:37.829Z");
        assert_eq!(
            crate::clock::rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn filters_match_token_and_address() {
        let f = BeaconFilter {
            token: Some(Secret::new(SecretKind::Token, "0a0b")),
            address: Some("00:00:00:00:0A:01".into()),
        };
        assert!(f.matches("00:00:00:00:0a:01", "0A0B"));
        assert!(!f.matches("00:00:00:00:0A:02", "0a0b"));
        assert!(!f.matches("00:00:00:00:0A:01", "0a0c"));
        assert!(BeaconFilter::default().matches("x", "y"));
    }

    #[test]
    fn the_token_is_the_service_uuid_after_the_prefix() {
        let prefix = BeaconPrefix(*b"MID\x01");
        let uuid = Uuid::parse_str("4d494401-0011-2233-4455-66778899aabb").expect("uuid");
        assert_eq!(prefix.token_in(&uuid).as_deref(), Some("00112233445566778899aabb"));
        // Another prefix, the fixed UUID of the service-data beacon, a 16-bit UUID.
        assert_eq!(BeaconPrefix(*b"MID\x02").token_in(&uuid), None);
        let fixed = Uuid::parse_str("6d69d001-c0b7-4e5a-9e2f-4d4954494430").expect("uuid");
        assert_eq!(prefix.token_in(&fixed), None);
        let battery = Uuid::parse_str("0000180f-0000-1000-8000-00805f9b34fb").expect("uuid");
        assert_eq!(prefix.token_in(&battery), None);
        assert_eq!(prefix.to_string(), "4d494401-…");
    }

    #[tokio::test]
    async fn an_unreachable_bus_is_named_not_waited_for() {
        // A socket path that does not exist: libdbus fails at once.
        let dir = std::env::temp_dir().join(format!("mitid-no-bus-{}", std::process::id()));
        std::env::set_var(ENV_SYSTEM_BUS, format!("unix:path={}/none", dir.display()));
        let e = HostProbe::open("hci0", Duration::from_secs(5)).await.err().expect("no bus, no probe");
        let text = e.to_string();
        assert!(matches!(e, BluetoothError::DbusUnreachable { .. }), "{text}");
        assert!(text.contains(ENV_SYSTEM_BUS), "{text}");
    }
}
