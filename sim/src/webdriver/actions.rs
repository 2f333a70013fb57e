//! W3C actions: a pointer sequence whose pointer goes down and up is a tap
//! on the deepest enabled control under it.

use std::sync::Arc;

use axum::extract::{Path, State};
use serde_json::Value;

use super::element::{resolve, ELEMENT_KEY};
use super::{command, parse_json};
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::FarmState;
use crate::server::Shared;

pub(super) async fn actions(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let sequences = body
        .get("actions")
        .and_then(Value::as_array)
        .ok_or_else(|| W3cError::invalid_argument("actions needs an array field 'actions'"))?
        .clone();
    command(&shared, &sid, "performActions", |state, s| {
        for seq in sequences.iter().filter(|s| s.get("type").and_then(Value::as_str) == Some("pointer")) {
            let (mut x, mut y) = (0i64, 0i64);
            for action in seq.get("actions").and_then(Value::as_array).into_iter().flatten() {
                match action.get("type").and_then(Value::as_str) {
                    Some("pointerMove") => {
                        let (mut ox, mut oy) = (0, 0);
                        if let Some(eid) = action.get("origin").and_then(|o| o.get(ELEMENT_KEY)).and_then(Value::as_str)
                        {
                            let (screen, _, i) = resolve(state, &s.udid, eid)?;
                            let r = screen.node(i).map(|n| n.rect).unwrap_or_default();
                            ox = i64::from(r.x + r.width / 2);
                            oy = i64::from(r.y + r.height / 2);
                        }
                        x = ox + action.get("x").and_then(Value::as_f64).unwrap_or(0.0) as i64;
                        y = oy + action.get("y").and_then(Value::as_f64).unwrap_or(0.0) as i64;
                    }
                    Some("pointerUp") => tap_at(state, &s.udid, x, y),
                    _ => {}
                }
            }
        }
        Ok(ok(Value::Null))
    })
    .await
}

/// The deepest enabled control under a point gets the tap.
fn tap_at(state: &mut FarmState, udid: &str, x: i64, y: i64) {
    let Some(screen) = state.screen(udid) else { return };
    let hit = screen
        .nodes()
        .into_iter()
        .filter(|n| n.role != crate::ui::Role::Screen && n.enabled)
        .rfind(|n| {
            let r = n.rect;
            x >= i64::from(r.x) && x < i64::from(r.x + r.width) && y >= i64::from(r.y) && y < i64::from(r.y + r.height)
        })
        .cloned();
    if let Some(node) = hit {
        state.with_app(udid, |phone, cx| phone.tap(&node, cx));
    }
}

pub(super) async fn release_actions(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "releaseActions", |_, _| Ok(ok(Value::Null))).await
}
