//! The farm's BlueZ radio (`radio = "bluez"` in `[farm]`): while a phone's
//! beacon is on the air ([`FarmState::beacons`]), the phone registers a real
//! LE advertisement through BlueZ's `org.bluez.LEAdvertisingManager1` on its
//! own adapter (`bluetooth_adapter = "hciN"`), on the system bus that
//! `DBUS_SYSTEM_BUS_ADDRESS` names (BlueZoo in CI, or a real BlueZ). A host
//! adapter on the same BlueZ can then scan for it, as a lab's host adapter
//! hears a real phone.
//!
//! The advertisement carries the beacon contract of DESIGN.md: the 128-bit
//! service UUID [`rules::BEACON_SERVICE_UUID`] and, as *service data* (never
//! manufacturer data, which BlueZoo cannot carry), the 16-byte token bound to
//! the QR session. `Discoverable = true`, or BlueZoo does not show it.
//!
//! The radio also listens: discovery runs on every phone's adapter
//! (`StartDiscovery` once), and every [`RECONCILE_EVERY`] the task reads
//! BlueZ's objects and publishes, per phone, the MitID tokens its own adapter
//! heard lately into [`FarmState::heard_by`](crate::farm::FarmState). The new
//! phone's proximity check decides from that (plus the rigs, which stand in
//! for range: one BlueZoo has no range model).
//!
//! "Lately": BlueZ (and BlueZoo, which never drops them) keeps device
//! objects after their advertiser went away, so a device object alone says
//! nothing about now. After reading a MitID device the task removes it
//! (`Adapter1.RemoveDevice`); only a device discovered again, on the next
//! scan (BlueZoo: every `--scan-interval`, 1 s), shows up again. A token
//! counts as heard for [`HEARD_FOR`] after its last sighting: longer than a
//! scan interval, so a beacon on the air does not flicker between scans.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dbus::arg::{PropMap, Variant};
use dbus::channel::MatchingReceiver;
use dbus::message::MatchRule;
use dbus::nonblock::{Proxy, SyncConnection};
use dbus_crossroads::{Crossroads, IfaceBuilder, IfaceToken};

use crate::rules;
use crate::server::{Shared, StartError};

/// How often the registered adverts are brought in line with the beacons.
pub const RECONCILE_EVERY: Duration = Duration::from_millis(100);
/// How long connecting to the bus and the first checks may take.
const CONNECT_LIMIT: Duration = Duration::from_secs(3);
/// How long one BlueZ call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
const ENV_BUS: &str = "DBUS_SYSTEM_BUS_ADDRESS";
/// How long a token counts as heard after its device was last (re)discovered.
pub const HEARD_FOR: Duration = Duration::from_secs(2);

struct Advert {
    token: Vec<u8>,
}

/// One phone's advert as registered with BlueZ.
struct Registered {
    adapter: String,
    path: String,
    token: String,
}

/// The bus address this radio uses, for messages.
fn bus_name() -> String {
    match std::env::var(ENV_BUS) {
        Ok(a) => format!("{ENV_BUS}={a}"),
        Err(_) => format!("the default system bus ({ENV_BUS} is not set)"),
    }
}

/// Connects to the system bus and checks BlueZ and every phone's adapter;
/// the advertiser task runs until aborted. `adapters`: udid → adapter name.
/// Returns the task and each phone's adapter address.
pub(crate) async fn start(
    shared: Arc<Shared>,
    adapters: BTreeMap<String, String>,
) -> Result<(tokio::task::JoinHandle<()>, BTreeMap<String, String>), StartError> {
    let bluez_err = |m: String| StartError::Bluez(m);
    // libdbus connects and authenticates blocking, with no timeout against
    // a bus that accepts but never answers: do it on a thread of its own.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let r = dbus::channel::Channel::get_private(dbus::channel::BusType::System);
        let _ = tx.send(r);
    });
    let channel = tokio::task::spawn_blocking(move || rx.recv_timeout(CONNECT_LIMIT))
        .await
        .map_err(|e| bluez_err(e.to_string()))?
        .map_err(|_| bluez_err(format!("the D-Bus system bus ({}) did not answer within {CONNECT_LIMIT:?}", bus_name())))?
        .map_err(|e| bluez_err(format!("cannot reach the D-Bus system bus ({}): {e}", bus_name())))?;
    let (resource, conn) = dbus_tokio::connection::from_channel::<SyncConnection>(channel)
        .map_err(|e| bluez_err(format!("cannot use the D-Bus system bus ({}): {e}", bus_name())))?;
    let io = tokio::spawn(async move {
        let e = resource.await;
        tracing::warn!("the BlueZ radio lost its D-Bus connection: {e}");
    });

    let checked = tokio::time::timeout(CONNECT_LIMIT, check(&conn, &adapters)).await;
    let addresses = match checked {
        Ok(Ok(a)) => a,
        Ok(Err(m)) => {
            io.abort();
            return Err(bluez_err(m));
        }
        Err(_) => {
            io.abort();
            return Err(bluez_err(format!("BlueZ on {} did not answer within {CONNECT_LIMIT:?}", bus_name())));
        }
    };

    let mut cr = Crossroads::new();
    cr.set_async_support(Some((
        conn.clone(),
        Box::new(|x| {
            tokio::spawn(x);
        }),
    )));
    let iface = register_iface(&mut cr);
    let cr = Arc::new(Mutex::new(cr));
    let receiver = cr.clone();
    conn.start_receive(
        MatchRule::new_method_call(),
        Box::new(move |msg, conn| {
            let _ = receiver.lock().unwrap_or_else(|p| p.into_inner()).handle_message(msg, conn);
            true
        }),
    );
    let radio = Radio { conn, cr, iface, adapters, registered: HashMap::new(), serial: 0, sightings: HashMap::new(), problems: Vec::new() };
    let task = tokio::spawn(async move {
        // The connection's I/O ends with this task: aborting it drops the
        // connection, and BlueZ forgets the adverts of a vanished client.
        struct AbortOnDrop(tokio::task::JoinHandle<()>);
        impl Drop for AbortOnDrop {
            fn drop(&mut self) {
                self.0.abort();
            }
        }
        let _io = AbortOnDrop(io);
        radio.run(shared).await;
    });
    Ok((task, addresses))
}

/// org.bluez has an owner and every named adapter exists; their addresses.
async fn check(conn: &Arc<SyncConnection>, adapters: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, String> {
    use dbus::nonblock::stdintf::org_freedesktop_dbus::Properties;
    let bus = Proxy::new("org.freedesktop.DBus", "/org/freedesktop/DBus", CALL_TIMEOUT, conn.clone());
    let owner: Result<(String,), _> = bus.method_call("org.freedesktop.DBus", "GetNameOwner", ("org.bluez",)).await;
    if let Err(e) = owner {
        return Err(format!("BlueZ (org.bluez) is not running on the D-Bus system bus ({}): {e}", bus_name()));
    }
    let mut addresses = BTreeMap::new();
    for (udid, adapter) in adapters {
        let p = Proxy::new("org.bluez", format!("/org/bluez/{adapter}"), CALL_TIMEOUT, conn.clone());
        match p.get::<String>("org.bluez.Adapter1", "Address").await {
            Ok(a) => {
                addresses.insert(udid.clone(), a);
            }
            Err(e) => {
                return Err(format!(
                    "phone '{udid}': BlueZ has no adapter '{adapter}' ({}); adapters present: {}",
                    e.message().unwrap_or("unknown"),
                    present_adapters(conn).await
                ))
            }
        }
    }
    Ok(addresses)
}

async fn present_adapters(conn: &Arc<SyncConnection>) -> String {
    use dbus::nonblock::stdintf::org_freedesktop_dbus::ObjectManager;
    let p = Proxy::new("org.bluez", "/", CALL_TIMEOUT, conn.clone());
    match p.get_managed_objects().await {
        Ok(objects) => {
            let mut names: Vec<String> = objects
                .iter()
                .filter(|(_, ifaces)| ifaces.contains_key("org.bluez.Adapter1"))
                .map(|(path, _)| path.rsplit('/').next().unwrap_or_default().to_owned())
                .collect();
            names.sort();
            if names.is_empty() { "none".into() } else { names.join(", ") }
        }
        Err(e) => format!("(cannot list them: {e})"),
    }
}

fn register_iface(cr: &mut Crossroads) -> IfaceToken<Advert> {
    cr.register("org.bluez.LEAdvertisement1", |b: &mut IfaceBuilder<Advert>| {
        b.property("Type").get(|_, _| Ok("peripheral".to_string()));
        b.property("ServiceUUIDs").get(|_, _| Ok(vec![rules::BEACON_SERVICE_UUID.to_string()]));
        b.property("ServiceData").get(|_, a: &mut Advert| {
            let mut m: HashMap<String, Variant<Vec<u8>>> = HashMap::new();
            m.insert(rules::BEACON_SERVICE_UUID.to_string(), Variant(a.token.clone()));
            Ok(m)
        });
        b.property("Discoverable").get(|_, _| Ok(true));
        b.property("LocalName").get(|_, _| Ok("MitID".to_string()));
        b.method("Release", (), (), |_, _, _: ()| Ok(()));
    })
}

struct Radio {
    conn: Arc<SyncConnection>,
    cr: Arc<Mutex<Crossroads>>,
    iface: IfaceToken<Advert>,
    /// udid → adapter.
    adapters: BTreeMap<String, String>,
    /// udid → what is registered now.
    registered: HashMap<String, Registered>,
    serial: u64,
    /// udid → token → when the phone's adapter last discovered it.
    sightings: HashMap<String, HashMap<String, Instant>>,
    /// Problems of this tick, for `GET /sim/state` as well as the log.
    problems: Vec<String>,
}

impl Radio {
    async fn run(mut self, shared: Arc<Shared>) {
        for (udid, adapter) in self.adapters.clone() {
            let p = Proxy::new("org.bluez", format!("/org/bluez/{adapter}"), CALL_TIMEOUT, self.conn.clone());
            let called: Result<(), _> = p.method_call("org.bluez.Adapter1", "StartDiscovery", ()).await;
            if let Err(e) = called {
                self.problems.push(format!("phone '{udid}': StartDiscovery on {adapter} failed: {e}"));
            }
        }
        let mut tick = tokio::time::interval(RECONCILE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let want: HashMap<String, String> =
                shared.lock().beacons().into_iter().map(|b| (b.udid, b.token)).collect();
            self.reconcile(&want).await;
            let heard = self.listen().await;
            let problems = std::mem::take(&mut self.problems);
            let mut state = shared.lock();
            state.heard_by = heard;
            for p in problems {
                tracing::warn!("BlueZ radio: {p}");
                state.note_radio_problem(p);
            }
        }
    }

    /// Reads what each phone's adapter discovered, forgets those MitID
    /// devices so that only a fresh discovery brings them back, and returns
    /// udid → tokens heard within [`HEARD_FOR`].
    async fn listen(&mut self) -> HashMap<String, HashSet<String>> {
        use dbus::nonblock::stdintf::org_freedesktop_dbus::ObjectManager;
        let p = Proxy::new("org.bluez", "/", CALL_TIMEOUT, self.conn.clone());
        match p.get_managed_objects().await {
            Ok(objects) => {
                let now = Instant::now();
                for (udid, adapter) in &self.adapters {
                    let prefix = format!("/org/bluez/{adapter}/dev_");
                    for (path, ifaces) in &objects {
                        if !path.starts_with(&prefix) || path[prefix.len()..].contains('/') {
                            continue;
                        }
                        let Some(token) = ifaces.get("org.bluez.Device1").and_then(mitid_token) else { continue };
                        self.sightings.entry(udid.clone()).or_default().insert(token, now);
                        let a = Proxy::new("org.bluez", format!("/org/bluez/{adapter}"), CALL_TIMEOUT, self.conn.clone());
                        let removed: Result<(), _> = a.method_call("org.bluez.Adapter1", "RemoveDevice", (path.clone(),)).await;
                        if let Err(e) = removed {
                            tracing::debug!("BlueZ radio: RemoveDevice {path} failed: {e}");
                        }
                    }
                }
            }
            Err(e) => self.problems.push(format!("cannot read BlueZ's objects: {e}")),
        }
        let now = Instant::now();
        let mut heard = HashMap::new();
        for (udid, seen) in &mut self.sightings {
            seen.retain(|_, at| now.duration_since(*at) < HEARD_FOR);
            heard.insert(udid.clone(), seen.keys().cloned().collect());
        }
        heard
    }

    /// Unregisters adverts whose beacon went or changed, registers new ones.
    async fn reconcile(&mut self, want: &HashMap<String, String>) {
        let stale: Vec<String> = self
            .registered
            .iter()
            .filter(|(udid, r)| want.get(*udid) != Some(&r.token))
            .map(|(udid, _)| udid.clone())
            .collect();
        for udid in stale {
            if let Some(r) = self.registered.remove(&udid) {
                if let Err(e) = self.unregister(&r).await {
                    self.problems.push(format!("phone '{udid}': {e}"));
                }
            }
        }
        for (udid, token) in want {
            if self.registered.contains_key(udid) {
                continue;
            }
            let Some(adapter) = self.adapters.get(udid).cloned() else { continue };
            let Some(bytes) = decode_hex(token) else {
                self.problems.push(format!("phone '{udid}': the beacon token is not hex"));
                continue;
            };
            self.serial += 1;
            let path = format!("/dk/mitid/sim/advert{}", self.serial);
            let r = Registered { adapter, path, token: token.clone() };
            match self.register(&r, bytes).await {
                Ok(()) => {
                    tracing::debug!(udid, adapter = %r.adapter, "beacon advertised over BlueZ");
                    self.registered.insert(udid.clone(), r);
                }
                Err(e) => self.problems.push(format!("phone '{udid}': {e}")),
            }
        }
    }

    async fn register(&self, r: &Registered, token: Vec<u8>) -> Result<(), String> {
        self.cr.lock().unwrap_or_else(|p| p.into_inner()).insert(r.path.clone(), &[self.iface], Advert { token });
        let p = Proxy::new("org.bluez", format!("/org/bluez/{}", r.adapter), CALL_TIMEOUT, self.conn.clone());
        let called: Result<(), _> = p
            .method_call("org.bluez.LEAdvertisingManager1", "RegisterAdvertisement", (dbus::Path::from(r.path.clone()), PropMap::new()))
            .await;
        called.map_err(|e| {
            self.forget(&r.path);
            format!("RegisterAdvertisement on {} failed: {e}", r.adapter)
        })
    }

    async fn unregister(&self, r: &Registered) -> Result<(), String> {
        let p = Proxy::new("org.bluez", format!("/org/bluez/{}", r.adapter), CALL_TIMEOUT, self.conn.clone());
        let called: Result<(), _> = p
            .method_call("org.bluez.LEAdvertisingManager1", "UnregisterAdvertisement", (dbus::Path::from(r.path.clone()),))
            .await;
        self.forget(&r.path);
        called.map_err(|e| format!("UnregisterAdvertisement on {} failed: {e}", r.adapter))
    }

    fn forget(&self, path: &str) {
        let _ = self.cr.lock().unwrap_or_else(|p| p.into_inner()).remove::<Advert>(&dbus::Path::from(path.to_owned()));
    }
}

/// The MitID token (lowercase hex) in a Device1's ServiceData, if any.
fn mitid_token(props: &PropMap) -> Option<String> {
    let data = props.get("ServiceData")?;
    // a{sv}: keys and values alternate.
    let mut it = data.0.as_iter()?;
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        if k.as_str().is_some_and(|k| k.eq_ignore_ascii_case(rules::BEACON_SERVICE_UUID)) {
            let mut bytes = Vec::new();
            collect_bytes(v, &mut bytes);
            return (!bytes.is_empty()).then(|| bytes.iter().map(|b| format!("{b:02x}")).collect());
        }
    }
    None
}

/// The bytes of an `ay`, through any variants around it.
fn collect_bytes(arg: &dyn dbus::arg::RefArg, out: &mut Vec<u8>) {
    if arg.arg_type() == dbus::arg::ArgType::Byte {
        if let Some(b) = arg.as_u64() {
            out.push(b as u8);
        }
    } else if let Some(it) = arg.as_iter() {
        for a in it {
            collect_bytes(a, out);
        }
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    #[test]
    fn tokens_decode_from_hex() {
        assert_eq!(super::decode_hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(super::decode_hex("0"), None);
        assert_eq!(super::decode_hex("zz"), None);
    }

    #[test]
    fn the_mitid_token_is_read_from_service_data() {
        use dbus::arg::{PropMap, RefArg, Variant};
        let data = |uuid: &str| {
            let mut sd: HashMap<String, Variant<Box<dyn RefArg>>> = HashMap::new();
            sd.insert(uuid.to_owned(), Variant(Box::new(vec![0xabu8, 0x01])));
            let mut props = PropMap::new();
            props.insert("ServiceData".into(), Variant(Box::new(sd)));
            props
        };
        let upper = crate::rules::BEACON_SERVICE_UUID.to_ascii_uppercase();
        assert_eq!(super::mitid_token(&data(&upper)), Some("ab01".to_owned()));
        assert_eq!(super::mitid_token(&data("0000180f-0000-1000-8000-00805f9b34fb")), None);
        assert_eq!(super::mitid_token(&PropMap::new()), None);
    }
}
