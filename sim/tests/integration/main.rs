//! The virtual farm's integration tests, one binary: each module drives the
//! farm over HTTP as a client of real phones would (appium-client, plain
//! W3C requests, the test-control API) and shares helpers only through
//! `support`.

mod support;

/// What Appium Inspector and Appium clients read from the farm.
mod appium_surface;
/// Every bad input gets a W3C error that names it.
mod bad_input;
/// The BlueZ radio with range as it is there: two private buses with
/// BlueZoo (`tests/install/bluez-env.sh`).
mod bluez_radio;
/// The documented copy flow, steps 1-26, and every documented refusal.
mod copy_flow;
/// The fault switches, each seen by a client.
mod faults;
/// Snapshots of every screen's page source, on Android and iOS.
mod page_source;
/// The system permission prompts as each OS shows them.
mod permission_prompts;
