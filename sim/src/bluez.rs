//! The farm's BlueZ radio (`radio = "bluez"` in `[farm]`): while a phone's
//! beacon is on the air ([`FarmState::beacons`](crate::farm::FarmState::beacons)), the phone registers a real
//! LE advertisement through BlueZ's `org.bluez.LEAdvertisingManager1` on its
//! own adapter (`bluetooth_adapter = "hciN"`). A host adapter on the same
//! BlueZ can then scan for it, as a lab's host adapter hears a real phone.
//!
//! Range: one BlueZ (and BlueZoo) has no range model, every adapter on it
//! hears every other. So range is which BlueZ a phone is on, its *air*: the
//! system bus (`DBUS_SYSTEM_BUS_ADDRESS`, where the host probe listens too),
//! or the bus `[farm.air]` names for its rig ([`FarmConfig::air`]). The
//! radio connects to every air and knows each phone's adapter on each; a
//! phone moved to another rig advertises and listens on that rig's air
//! from the next tick on, and what it heard before counts no more at once
//! ([`FarmState::heard`](crate::farm::FarmState::heard)).
//!
//! The advertisement carries the beacon contract (docs/src/bluetooth.md, The
//! beacon contract), as the phone's platform sends it ([`Advertisement`]): one 128-bit
//! service UUID, the MitID prefix [`rules::BEACON_UUID_PREFIX`] followed by
//! the token bound to the QR session, and on an iPhone the local name. No
//! service data and no manufacturer data: an iPhone cannot send them (and
//! BlueZoo breaks on manufacturer data), so this radio refuses an advert
//! that has them. `Discoverable = true`, or BlueZoo does not show it.
//! Listening, the token is read from a device's `UUIDs` alone.
//!
//! The radio also listens: discovery runs on every phone's adapter on every
//! air (`StartDiscovery` once), and every [`RECONCILE_EVERY`] the task reads
//! BlueZ's objects and publishes, per phone, the MitID tokens its own adapter
//! heard lately on the air it is on into
//! [`FarmState::heard_by`](crate::farm::FarmState). The new phone's proximity
//! check decides from that alone; a scan whose beacon is on the air but not
//! heard yet waits for it ([`FarmState::retry_pending_scans`](crate::farm::FarmState::retry_pending_scans)).
//!
//! "Lately": BlueZ (and BlueZoo, which never drops them) keeps device
//! objects after their advertiser went away, so a device object alone says
//! nothing about now. After reading a MitID device the task removes it
//! (`Adapter1.RemoveDevice`); only a device discovered again, on the next
//! scan (BlueZoo: every `--scan-interval`, 1 s), shows up again. A token
//! counts as heard for [`HEARD_FOR`] after its last sighting: longer than a
//! scan interval, so a beacon on the air does not flicker between scans.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dbus::arg::PropMap;
use dbus::channel::MatchingReceiver;
use dbus::message::MatchRule;
use dbus::nonblock::{Proxy, SyncConnection};
use dbus_crossroads::{Crossroads, IfaceBuilder, IfaceToken};

use crate::advert::Advertisement;
use crate::config::FarmConfig;
use crate::farm::Heard;
use crate::rules;
use crate::server::{Shared, StartError};

/// How often the registered adverts are brought in line with the beacons.
pub const RECONCILE_EVERY: Duration = Duration::from_millis(100);
/// How long connecting to a bus and the first checks may take.
const CONNECT_LIMIT: Duration = Duration::from_secs(3);
/// How long one BlueZ call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(2);
const ENV_BUS: &str = "DBUS_SYSTEM_BUS_ADDRESS";
/// How long a token counts as heard after its device was last (re)discovered.
pub const HEARD_FOR: Duration = Duration::from_secs(2);

/// What an advert object serves to BlueZ.
struct Advert {
    uuids: Vec<String>,
    local_name: String,
}

/// One phone's advert as registered with BlueZ.
struct Registered {
    /// Index into [`Radio::airs`].
    air: usize,
    adapter: String,
    path: String,
    advert: Advertisement,
}

/// Aborts a task when dropped: the D-Bus connection's I/O ends with its air.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One BlueZ the phones can be on, with the farm's connection to it.
struct Air {
    /// Its D-Bus address; `None`: the system bus.
    bus: Option<String>,
    conn: Arc<SyncConnection>,
    cr: Arc<Mutex<Crossroads>>,
    iface: Ifaces,
    _io: AbortOnDrop,
}

/// A bus, for messages.
fn bus_name(bus: Option<&str>) -> String {
    match (bus, std::env::var(ENV_BUS)) {
        (Some(a), _) => format!("D-Bus {a}"),
        (None, Ok(a)) => format!("the D-Bus system bus, {ENV_BUS}={a}"),
        (None, Err(_)) => format!("the default D-Bus system bus ({ENV_BUS} is not set)"),
    }
}

/// Connects to every air the farm's rigs are on and checks BlueZ and every
/// phone's adapter on each; the radio task runs until aborted. Returns the
/// task and each phone's adapter address on the air of its own rig.
pub(crate) async fn start(
    shared: Arc<Shared>,
    config: &FarmConfig,
) -> Result<(tokio::task::JoinHandle<()>, BTreeMap<String, String>), StartError> {
    let adapters: BTreeMap<String, String> =
        config.phones.iter().filter_map(|p| Some((p.udid.clone(), p.bluetooth_adapter.clone()?))).collect();
    // Every air a rig is on; `None`, the system bus, sorts (and is checked)
    // first.
    let buses: BTreeSet<Option<String>> = config
        .phones
        .iter()
        .map(|p| p.rig.as_str())
        .chain(config.air.keys().map(String::as_str))
        .map(|rig| config.air_of(rig).map(str::to_owned))
        .collect();
    let mut airs = Vec::new();
    let mut addresses_on: Vec<BTreeMap<String, String>> = Vec::new();
    for bus in buses {
        let (air, addresses) = connect(bus, &adapters).await.map_err(StartError::Bluez)?;
        airs.push(air);
        addresses_on.push(addresses);
    }
    let index = |bus: Option<&str>| airs.iter().position(|a| a.bus.as_deref() == bus);
    let addresses: BTreeMap<String, String> = config
        .phones
        .iter()
        .filter_map(|p| {
            let on = index(config.air_of(&p.rig))?;
            Some((p.udid.clone(), addresses_on[on].get(&p.udid)?.clone()))
        })
        .collect();
    let radio = Radio {
        airs,
        adapters,
        registered: HashMap::new(),
        serial: 0,
        sightings: HashMap::new(),
        problems: Vec::new(),
    };
    let task = tokio::spawn(radio.run(shared));
    Ok((task, addresses))
}

/// Connects to one bus, checks BlueZ and every phone's adapter on it, and
/// serves the adverts' objects there. Returns the air and udid → address.
async fn connect(
    bus: Option<String>,
    adapters: &BTreeMap<String, String>,
) -> Result<(Air, BTreeMap<String, String>), String> {
    let name = bus_name(bus.as_deref());
    // libdbus connects and authenticates blocking, with no timeout against
    // a bus that accepts but never answers: do it on a thread of its own.
    let (tx, rx) = std::sync::mpsc::channel();
    let address = bus.clone();
    std::thread::spawn(move || {
        use dbus::channel::{BusType, Channel};
        let r = match address {
            None => Channel::get_private(BusType::System),
            Some(a) => Channel::open_private(&a).and_then(|mut c| c.register().map(|()| c)),
        };
        let _ = tx.send(r);
    });
    let channel = tokio::task::spawn_blocking(move || rx.recv_timeout(CONNECT_LIMIT))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|_| format!("{name} did not answer within {CONNECT_LIMIT:?}"))?
        .map_err(|e| format!("cannot reach {name}: {e}"))?;
    let (resource, conn) = dbus_tokio::connection::from_channel::<SyncConnection>(channel)
        .map_err(|e| format!("cannot use {name}: {e}"))?;
    let io = AbortOnDrop(tokio::spawn(async move {
        let e = resource.await;
        tracing::warn!("the BlueZ radio lost its D-Bus connection: {e}");
    }));
    let addresses = match tokio::time::timeout(CONNECT_LIMIT, check(&conn, &name, adapters)).await {
        Ok(checked) => checked?,
        Err(_) => return Err(format!("BlueZ on {name} did not answer within {CONNECT_LIMIT:?}")),
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
    Ok((Air { bus, conn, cr, iface, _io: io }, addresses))
}

/// org.bluez has an owner and every named adapter exists; their addresses.
async fn check(
    conn: &Arc<SyncConnection>,
    name: &str,
    adapters: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, String> {
    use dbus::nonblock::stdintf::org_freedesktop_dbus::Properties;
    let bus = Proxy::new("org.freedesktop.DBus", "/org/freedesktop/DBus", CALL_TIMEOUT, conn.clone());
    let owner: Result<(String,), _> = bus.method_call("org.freedesktop.DBus", "GetNameOwner", ("org.bluez",)).await;
    if let Err(e) = owner {
        return Err(format!("BlueZ (org.bluez) is not running on {name}: {e}"));
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
                    "phone '{udid}': BlueZ on {name} has no adapter '{adapter}' ({}); adapters present: {}",
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
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        }
        Err(e) => format!("(cannot list them: {e})"),
    }
}

/// `org.bluez.LEAdvertisement1` with and without a local name: BlueZ reads
/// every property an object has, and an Android app's advert has none (it
/// could only send the phone's own Bluetooth name).
#[derive(Clone, Copy)]
struct Ifaces {
    named: IfaceToken<Advert>,
    unnamed: IfaceToken<Advert>,
}

fn register_iface(cr: &mut Crossroads) -> Ifaces {
    let build = |named: bool| {
        move |b: &mut IfaceBuilder<Advert>| {
            b.property("Type").get(|_, _| Ok("peripheral".to_string()));
            b.property("ServiceUUIDs").get(|_, a: &mut Advert| Ok(a.uuids.clone()));
            b.property("Discoverable").get(|_, _| Ok(true));
            if named {
                b.property("LocalName").get(|_, a: &mut Advert| Ok(a.local_name.clone()));
            }
            b.method("Release", (), (), |_, _, _: ()| Ok(()));
        }
    };
    let named = cr.register("org.bluez.LEAdvertisement1", build(true));
    let unnamed = cr.register("org.bluez.LEAdvertisement1", build(false));
    Ifaces { named, unnamed }
}

struct Radio {
    airs: Vec<Air>,
    /// udid → adapter (the same name on every air).
    adapters: BTreeMap<String, String>,
    /// udid → what is registered now.
    registered: HashMap<String, Registered>,
    serial: u64,
    /// udid → the air it listened on, and token → when its adapter there
    /// last discovered it.
    sightings: HashMap<String, (usize, HashMap<String, Instant>)>,
    /// Problems of this tick, for `GET /sim/state` as well as the log.
    problems: Vec<String>,
}

impl Radio {
    async fn run(mut self, shared: Arc<Shared>) {
        for air in &self.airs {
            for (udid, adapter) in &self.adapters {
                let p = Proxy::new("org.bluez", format!("/org/bluez/{adapter}"), CALL_TIMEOUT, air.conn.clone());
                let called: Result<(), _> = p.method_call("org.bluez.Adapter1", "StartDiscovery", ()).await;
                if let Err(e) = called {
                    let on = bus_name(air.bus.as_deref());
                    self.problems.push(format!("phone '{udid}': StartDiscovery on {adapter} ({on}) failed: {e}"));
                }
            }
        }
        let mut tick = tokio::time::interval(RECONCILE_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (want, at) = {
                let state = shared.lock();
                let want: HashMap<String, Advertisement> =
                    state.beacons().into_iter().map(|b| (b.udid, b.advert)).collect();
                let at: HashMap<String, usize> = state
                    .phones
                    .iter()
                    .filter_map(|p| Some((p.spec.udid.clone(), self.air_index(state.config.air_of(&p.rig))?)))
                    .collect();
                (want, at)
            };
            self.reconcile(&want, &at).await;
            let heard = self.listen(&at).await;
            let problems = std::mem::take(&mut self.problems);
            {
                let mut state = shared.lock();
                state.heard_by = heard;
                for p in problems {
                    tracing::warn!("BlueZ radio: {p}");
                    state.note_radio_problem(p);
                }
                state.retry_pending_scans();
            }
            // A scan decided just now may have queued messages.
            shared.deliver_outbox().await;
        }
    }

    fn air_index(&self, bus: Option<&str>) -> Option<usize> {
        self.airs.iter().position(|a| a.bus.as_deref() == bus)
    }

    /// Reads what each phone's adapter discovered on every air, forgets
    /// those MitID devices so that only a fresh discovery brings them back,
    /// and returns, per phone, the tokens heard within [`HEARD_FOR`] on the
    /// air it is on (`at`: udid → air).
    async fn listen(&mut self, at: &HashMap<String, usize>) -> HashMap<String, Heard> {
        use dbus::nonblock::stdintf::org_freedesktop_dbus::ObjectManager;
        for (i, air) in self.airs.iter().enumerate() {
            let p = Proxy::new("org.bluez", "/", CALL_TIMEOUT, air.conn.clone());
            let objects = match p.get_managed_objects().await {
                Ok(objects) => objects,
                Err(e) => {
                    self.problems.push(format!("cannot read BlueZ's objects on {}: {e}", bus_name(air.bus.as_deref())));
                    continue;
                }
            };
            let now = Instant::now();
            for (udid, adapter) in &self.adapters {
                let prefix = format!("/org/bluez/{adapter}/dev_");
                for (path, ifaces) in &objects {
                    if !path.starts_with(&prefix) || path[prefix.len()..].contains('/') {
                        continue;
                    }
                    let Some(token) = ifaces.get("org.bluez.Device1").and_then(mitid_token) else { continue };
                    // Heard where the phone is; elsewhere only forgotten.
                    if at.get(udid) == Some(&i) {
                        let (on, seen) = self.sightings.entry(udid.clone()).or_insert_with(|| (i, HashMap::new()));
                        if *on != i {
                            *on = i;
                            seen.clear();
                        }
                        seen.insert(token, now);
                    }
                    let a = Proxy::new("org.bluez", format!("/org/bluez/{adapter}"), CALL_TIMEOUT, air.conn.clone());
                    let removed: Result<(), _> =
                        a.method_call("org.bluez.Adapter1", "RemoveDevice", (path.clone(),)).await;
                    if let Err(e) = removed {
                        tracing::debug!("BlueZ radio: RemoveDevice {path} failed: {e}");
                    }
                }
            }
        }
        let now = Instant::now();
        let mut heard = HashMap::new();
        for (udid, &i) in at {
            let mut tokens = HashSet::new();
            if let Some((on, seen)) = self.sightings.get_mut(udid) {
                seen.retain(|_, t| now.duration_since(*t) < HEARD_FOR);
                if *on == i {
                    tokens = seen.keys().cloned().collect();
                }
            }
            heard.insert(udid.clone(), Heard { air: self.airs[i].bus.clone(), tokens });
        }
        heard
    }

    /// Unregisters adverts whose beacon went, changed or moved to another
    /// air; registers the new ones on the air their phone is on.
    async fn reconcile(&mut self, want: &HashMap<String, Advertisement>, at: &HashMap<String, usize>) {
        let stale: Vec<String> = self
            .registered
            .iter()
            .filter(|(udid, r)| want.get(*udid) != Some(&r.advert) || at.get(*udid) != Some(&r.air))
            .map(|(udid, _)| udid.clone())
            .collect();
        for udid in stale {
            if let Some(r) = self.registered.remove(&udid) {
                if let Err(e) = self.unregister(&r).await {
                    self.problems.push(format!("phone '{udid}': {e}"));
                }
            }
        }
        for (udid, advert) in want {
            if self.registered.contains_key(udid) {
                continue;
            }
            let (Some(adapter), Some(&air)) = (self.adapters.get(udid).cloned(), at.get(udid)) else { continue };
            if !advert.service_data.is_empty() || !advert.manufacturer_data.is_empty() {
                self.problems.push(format!(
                    "phone '{udid}': the BlueZ radio sends only a local name and service UUIDs, this advert has service or manufacturer data"
                ));
                continue;
            }
            self.serial += 1;
            let path = format!("/dk/mitid/sim/advert{}", self.serial);
            let r = Registered { air, adapter, path, advert: advert.clone() };
            match self.register(&r).await {
                Ok(()) => {
                    tracing::debug!(udid, adapter = %r.adapter, "beacon advertised over BlueZ");
                    self.registered.insert(udid.clone(), r);
                }
                Err(e) => self.problems.push(format!("phone '{udid}': {e}")),
            }
        }
    }

    async fn register(&self, r: &Registered) -> Result<(), String> {
        let air = &self.airs[r.air];
        let iface = if r.advert.local_name.is_some() { air.iface.named } else { air.iface.unnamed };
        let advert = Advert {
            uuids: r.advert.service_uuids.clone(),
            local_name: r.advert.local_name.clone().unwrap_or_default(),
        };
        air.cr.lock().unwrap_or_else(|p| p.into_inner()).insert(r.path.clone(), &[iface], advert);
        let p = Proxy::new("org.bluez", format!("/org/bluez/{}", r.adapter), CALL_TIMEOUT, air.conn.clone());
        let called: Result<(), _> = p
            .method_call(
                "org.bluez.LEAdvertisingManager1",
                "RegisterAdvertisement",
                (dbus::Path::from(r.path.clone()), PropMap::new()),
            )
            .await;
        called.map_err(|e| {
            forget(air, &r.path);
            format!("RegisterAdvertisement on {} ({}) failed: {e}", r.adapter, bus_name(air.bus.as_deref()))
        })
    }

    async fn unregister(&self, r: &Registered) -> Result<(), String> {
        let air = &self.airs[r.air];
        let p = Proxy::new("org.bluez", format!("/org/bluez/{}", r.adapter), CALL_TIMEOUT, air.conn.clone());
        let called: Result<(), _> = p
            .method_call(
                "org.bluez.LEAdvertisingManager1",
                "UnregisterAdvertisement",
                (dbus::Path::from(r.path.clone()),),
            )
            .await;
        forget(air, &r.path);
        called.map_err(|e| {
            format!("UnregisterAdvertisement on {} ({}) failed: {e}", r.adapter, bus_name(air.bus.as_deref()))
        })
    }
}

fn forget(air: &Air, path: &str) {
    let _ = air.cr.lock().unwrap_or_else(|p| p.into_inner()).remove::<Advert>(&dbus::Path::from(path.to_owned()));
}

/// The MitID token (lowercase hex) in a Device1's advertised service UUIDs
/// (`UUIDs`), if any. Service data is never read: an iPhone cannot send it.
fn mitid_token(props: &PropMap) -> Option<String> {
    let uuids = props.get("UUIDs")?;
    let found = uuids.0.as_iter()?.find_map(|u| u.as_str().and_then(rules::beacon_token_in));
    found
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use dbus::arg::{PropMap, RefArg, Variant};

    fn device(uuids: &[&str], service_data_under: Option<&str>) -> PropMap {
        let mut props = PropMap::new();
        let list: Vec<String> = uuids.iter().map(|u| u.to_string()).collect();
        props.insert("UUIDs".into(), Variant(Box::new(list)));
        if let Some(u) = service_data_under {
            let mut sd: HashMap<String, Variant<Box<dyn RefArg>>> = HashMap::new();
            sd.insert(u.to_owned(), Variant(Box::new(vec![0xabu8; 12])));
            props.insert("ServiceData".into(), Variant(Box::new(sd)));
        }
        props
    }

    #[test]
    fn the_mitid_token_is_read_from_the_service_uuid() {
        let uuid = crate::rules::beacon_service_uuid("00112233445566778899aabb").expect("uuid");
        let battery = "0000180f-0000-1000-8000-00805f9b34fb";
        assert_eq!(
            super::mitid_token(&device(&[battery, &uuid.to_ascii_uppercase()], None)).as_deref(),
            Some("00112233445566778899aabb")
        );
        assert_eq!(super::mitid_token(&device(&[battery], None)), None);
        assert_eq!(super::mitid_token(&PropMap::new()), None);
    }

    #[test]
    fn service_data_is_not_a_beacon() {
        let old = crate::advert::SERVICE_DATA_BEACON_UUID;
        assert_eq!(super::mitid_token(&device(&[old], Some(old))), None);
    }
}
