//! The host probe's steps: a Bluetooth adapter on the test host hears the
//! old phone's MitID beacon while the QR code is shown, and no longer hears
//! it once the QR code has expired or the copy is done. They need the
//! profile's `[bluetooth]` section (the host adapter).
//!
//! The beacon's token is bound to the QR session but, by design, cannot be
//! derived from the QR payload. So the probe checks that a beacon whose
//! service UUID has the MitID prefix (the rest is the token) comes from the
//! old phone (its adapter address, where
//! the profile knows it) while the QR is shown, asks the test backend
//! whether the token it heard is the one bound to the QR code shown
//! (`POST /sim/beacons/verify`: only the backend knows the binding), records
//! a Bluetooth trace (time, address, token digest, RSSI), and the "gone"
//! steps check that this very token is off the air.

use std::time::Duration;

use mitid_e2e_framework::bluetooth::{BeaconFilter, BeaconPrefix, HostProbe, Sighting};
use mitid_e2e_framework::profile::BluetoothSettings;

use crate::catalogue::catalogue;
use crate::world::Attachment;
use crate::world::{fail, CopyWorld, Role, StepFailure, StepResult};

/// The first 4 bytes of the beacon's service UUID, ASCII "MID" and contract
/// version 1; the other 12 are the token (docs/src/bluetooth.md;
/// the farm's `sim/src/rules.rs`).
pub const BEACON_UUID_PREFIX: BeaconPrefix = BeaconPrefix(*b"MID\x01");
/// The shortest a beacon is listened for before it counts as not heard.
const LISTEN_AT_LEAST: Duration = Duration::from_secs(5);

catalogue! {
    Then "the host sees my old phone's MitID beacon"
        da "^(?:værten ser|ser værten) min gamle telefons MitID-beacon$"
        e.g. "And the host sees my old phone's MitID beacon"
        docs [] Step => host_sees_beacon();
    Then "the beacon is gone after the QR code expires"
        da "beaconen er væk, når QR-koden er udløbet"
        e.g. "Then the beacon is gone after the QR code expires"
        docs [] Step => beacon_gone();
    Then "the beacon is gone after the copy completes"
        da "beaconen er væk, når kopieringen er færdig"
        e.g. "Then the beacon is gone after the copy completes"
        docs [] Step => beacon_gone();
}

fn settings(w: &CopyWorld) -> Result<BluetoothSettings, StepFailure> {
    w.ctx.profile.bluetooth.clone().ok_or_else(|| {
        StepFailure::error(format!(
            "the device profile {} has no [bluetooth] section, so the host cannot listen for the beacon: name the host adapter, e.g. [bluetooth] adapter = \"hci0\" (see docs/src/bluetooth.md)",
            w.ctx.profile.path.display()
        ))
    })
}

async fn open(w: &CopyWorld) -> Result<(HostProbe, BluetoothSettings), StepFailure> {
    let bt = settings(w)?;
    let probe =
        HostProbe::open(&bt.adapter, w.ctx.profile.timeouts.connect()).await?.with_scan_interval(bt.scan_interval());
    Ok((probe, bt))
}

/// Adds a line to the scenario's Bluetooth trace: attached to this step in
/// the reports, and to a later failing step's evidence, whole.
fn trace(w: &mut CopyWorld, line: String) {
    const NAME: &str = "Bluetooth trace";
    let line = mitid_e2e_framework::secret::redact(&line);
    w.ctx.ledger.attach_to_passing_step(
        &w.scenario.key,
        Attachment { name: NAME.into(), mime: "text/plain".into(), data: line.clone().into_bytes() },
    );
    match w.evidence.attachments.iter_mut().find(|a| a.name == NAME) {
        Some(a) => {
            a.data.push(b'\n');
            a.data.extend_from_slice(line.as_bytes());
        }
        None => w.evidence.attachments.push(Attachment {
            name: NAME.into(),
            mime: "text/plain".into(),
            data: line.into_bytes(),
        }),
    }
}

async fn host_sees_beacon(w: &mut CopyWorld) -> StepResult {
    if w.flow.qr_payload.is_none() {
        fail!("the old phone has shown no QR code in this scenario yet: the beacon is advertised while the QR code is shown");
    }
    let (mut probe, bt) = open(w).await?;
    let old = w.phone_profile(Role::Old)?;
    let filter = BeaconFilter { token: None, address: old.bluetooth_address.clone() };
    let within = LISTEN_AT_LEAST.max(bt.scan_interval() * 3);
    let sighting: Sighting = probe.wait_for_beacon(BEACON_UUID_PREFIX, &filter, within).await?;
    let whose = match &old.bluetooth_address {
        Some(_) => "the old phone's adapter",
        None => "an address not checked: the profile gives the old phone no fixed Bluetooth address",
    };
    trace(w, format!("seen by host adapter {}: {} ({whose})", probe.label(), sighting.trace_line()));
    let qr = w.flow.qr_payload.as_ref().ok_or_else(|| StepFailure::error("the QR code shown is not known"))?;
    if !w.control_unseen()?.beacon_bound_to_qr(qr, &sighting.token).await? {
        fail!(
            "the host heard a MitID beacon from {whose} (token digest {}), but the test backend says its token is not the one bound to the QR code shown: the beacon does not prove this QR session",
            sighting.token_digest
        );
    }
    trace(
        w,
        format!("token digest {}: bound to the QR code shown (checked by the test backend)", sighting.token_digest),
    );
    w.flow.beacon = Some(sighting);
    Ok(())
}

async fn beacon_gone(w: &mut CopyWorld) -> StepResult {
    let (mut probe, bt) = open(w).await?;
    let old = w.phone_profile(Role::Old)?;
    // This session's token when it was heard; else any beacon of the old phone.
    let filter = BeaconFilter {
        token: w.flow.beacon.as_ref().map(|s| s.token.clone()),
        address: old.bluetooth_address.clone().or_else(|| w.flow.beacon.as_ref().map(|s| s.address.clone())),
    };
    let window = bt.scan_interval() * 2;
    probe.assert_gone(BEACON_UUID_PREFIX, &filter, window, LISTEN_AT_LEAST.max(window * 2)).await?;
    let digest = w.flow.beacon.as_ref().map_or("any".to_owned(), |s| s.token_digest.clone());
    trace(
        w,
        format!(
            "gone: host adapter {} did not hear the beacon (token digest {digest}) for {} after forgetting it",
            probe.label(),
            mitid_e2e_framework::duration::seconds(window.max(bt.scan_interval() * 2))
        ),
    );
    Ok(())
}
