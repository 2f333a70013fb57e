//! What the phone shows, as a client reads it: the page source (the screen
//! turned into the platform's XML) and screenshots.

use std::sync::Arc;

use axum::extract::{Path, State};
use base64::Engine as _;
use serde_json::json;

use super::command;
use super::element::resolve;
use crate::app::Phone;
use crate::dom::XmlNode;
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::FarmState;
use crate::server::Shared;
use crate::source::{self, SourceContext};
use crate::ui::{Platform, Screen};
use crate::{app_id, screenshot};

fn source_context(phone: &Phone, screen: &Screen) -> SourceContext<'static> {
    let package = match (phone.platform(), screen.name.as_str()) {
        // Android 10 (API 29) moved the prompts from the package installer
        // to the permission controller.
        (Platform::Android, name) if name.starts_with("permission_") && name != "permission_denied" => {
            if phone.api_level().is_some_and(|api| api < 29) {
                "com.android.packageinstaller"
            } else {
                "com.android.permissioncontroller"
            }
        }
        (Platform::Android, "biometric_prompt") => "com.android.systemui",
        (Platform::Android, "launcher") => "com.google.android.apps.nexuslauncher",
        _ => app_id(phone.platform()),
    };
    SourceContext {
        platform: phone.platform(),
        package,
        app_name: if screen.name == "launcher" { "Home screen" } else { "MitID" },
    }
}

pub(super) fn screen_of(state: &mut FarmState, udid: &str) -> Result<(Screen, XmlNode), W3cError> {
    let screen = state.screen(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    let phone = state.phone(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    let tree = source::tree(&screen, &source_context(phone, &screen));
    Ok((screen, tree))
}

pub(super) async fn page_source(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getPageSource", |state, s| {
        let (_, tree) = screen_of(state, &s.udid)?;
        Ok(ok(json!(source::to_xml(&tree))))
    })
    .await
}

fn screenshot_png(state: &mut FarmState, udid: &str) -> Result<Vec<u8>, W3cError> {
    let screen = state.screen(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    if state.black_screenshot(udid, &screen) {
        return Ok(screenshot::black());
    }
    let phone = state.phone(udid).ok_or_else(|| W3cError::unknown_error(format!("phone '{udid}' is gone")))?;
    let clock = crate::server::wall_clock_text(phone.clock);
    Ok(screenshot::render(
        &screen,
        &screenshot::StatusBar { platform: phone.platform(), clock: &clock, bluetooth_on: phone.bluetooth_on },
    ))
}

pub(super) async fn take_screenshot(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getScreenshot", |state, s| {
        let png = screenshot_png(state, &s.udid)?;
        Ok(ok(json!(base64::engine::general_purpose::STANDARD.encode(png))))
    })
    .await
}

pub(super) async fn take_screenshot_of_element(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
) -> W3cResult {
    // The whole screen: cropping adds nothing a test of this app needs.
    command(&shared, &sid, "getElementScreenshot", |state, s| {
        resolve(state, &s.udid, &eid)?;
        let png = screenshot_png(state, &s.udid)?;
        Ok(ok(json!(base64::engine::general_purpose::STANDARD.encode(png))))
    })
    .await
}
