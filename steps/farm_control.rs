//! Steps that set up a rule's circumstances through the test-control API or
//! the phone's own commands: an outdated app, Bluetooth off, a phone out of
//! range, faults (scoped to the scenario's phone, and switched off when the
//! scenario ends: [`CopyWorld::switch_on_fault`]). What a lab rig or test
//! backend can also do.

use serde_json::json;

use crate::catalogue::catalogue;
use crate::copy_flow::set_bluetooth;
use crate::world::{CopyWorld, Role, StepResult};

catalogue! {
    Given "Bluetooth is turned off on my {phone} phone"
        e.g. "Given Bluetooth is turned off on my new phone"
        docs [] Step => bluetooth_off(Role);
    Given "screenshots of secure screens come back black on my {phone} phone"
        e.g. "Given screenshots of secure screens come back black on my old phone"
        docs [] Step => secure_screens_black(Role);
    Given "my {phone} phone stops working"
        e.g. "Given my new phone stops working"
        docs [] Step => phone_stops_working(Role);
    Given "my {phone} phone is slow to hear Bluetooth beacons"
        e.g. "But my new phone is slow to hear Bluetooth beacons"
        docs [] Step => slow_to_hear(Role);
    Given "the command {string} hangs on my {phone} phone"
        e.g. "Given the command \"click\" hangs on my old phone"
        docs [] Step => command_hangs(String, Role);
}

async fn bluetooth_off(w: &mut CopyWorld, phone: Role) -> StepResult {
    set_bluetooth(w, phone, false).await
}

/// Imitates Android's FLAG_SECURE on the farm.
async fn secure_screens_black(w: &mut CopyWorld, phone: Role) -> StepResult {
    w.switch_on_fault(phone, json!({ "fault": "black_screenshots" })).await
}

/// Every session on the phone dies at its next command, as when a real
/// phone drops off its USB hub.
async fn phone_stops_working(w: &mut CopyWorld, phone: Role) -> StepResult {
    w.switch_on_fault(phone, json!({ "fault": "session_dies" })).await
}

async fn command_hangs(w: &mut CopyWorld, command: String, phone: Role) -> StepResult {
    w.switch_on_fault(phone, json!({ "fault": "hang", "command": command })).await
}

/// The farm's `beacon_heard_late`: the phone hears a beacon only a moment
/// after its app began listening, as a phone whose Bluetooth scan starts
/// with its QR scanner does. A farm on the in-memory radio refuses it: it
/// has no hearing time to stretch.
async fn slow_to_hear(w: &mut CopyWorld, phone: Role) -> StepResult {
    w.switch_on_fault(phone, json!({ "fault": "beacon_heard_late" })).await
}
