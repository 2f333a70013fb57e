//! mitid-sim: a virtual device farm for the MitID copy flow.
//!
//! An Appium-compatible W3C WebDriver server whose phones run a simulated
//! MitID app against a simulated MitID backend, with a virtual clock, a
//! virtual Bluetooth radio and a test-control API under `/sim/`. Tests reach
//! it only as they would reach real phones: WebDriver over HTTP, SMS and push
//! gateways over HTTP, and the control API a lab rig would offer.
//!
//! ```no_run
//! # async fn example() -> Result<(), mitid_sim::StartError> {
//! let farm = mitid_sim::RunningFarm::start(mitid_sim::FarmConfig::default(), 4723).await?;
//! println!("attach Appium Inspector to {}", farm.url());
//! # Ok(()) }
//! ```

mod advert;
mod app;
mod backend;
mod bluez;
mod camera;
mod config;
mod control;
mod device;
mod dom;
mod error;
mod farm;
pub mod latency;
mod locate;
pub mod rules;
mod screenshot;
mod server;
mod source;
mod ui;
mod webdriver;
mod xpath;

/// The farm's virtual camera, as `mobile: injectCameraImage` reads a PNG.
pub use camera::{decode_qr as decode_qr_png, CameraError};
pub use config::{Biometric, Defect, FarmConfig, FaultKind, FaultRule, Form, PhoneSpec, RadioMode};
pub use server::{RunningFarm, StartError};
pub use ui::Platform;

/// The MitID app's Android package, as Google Play lists it and as
/// app-switching integrations query it.
pub const ANDROID_PACKAGE: &str = "dk.mitid.app.android";

/// The MitID app's iOS bundle identifier. An assumption: the App Store
/// listing does not show it, and nothing public names it; a lab sets its
/// own (`[app] ios_bundle_id`), and the farm's iPhones take only this one.
pub const IOS_BUNDLE_ID: &str = "dk.mitid.app";

/// The MitID app's id on `platform`: its package or its bundle identifier.
pub fn app_id(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => ANDROID_PACKAGE,
        Platform::Ios => IOS_BUNDLE_ID,
    }
}
