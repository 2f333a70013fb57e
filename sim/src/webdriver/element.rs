//! Element commands: find (with the implicit wait), element references and
//! their staleness, and acting on or reading from one element.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use serde_json::{json, Value};

use super::screen::screen_of;
use super::{command, parse_json, str_field};
use crate::dom::XmlNode;
use crate::error::{ok, W3cError, W3cResult};
use crate::farm::FarmState;
use crate::locate;
use crate::server::Shared;
use crate::ui::Screen;

/// The W3C key under which element references travel.
pub(super) const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Server-side polling interval of the implicit wait.
const IMPLICIT_WAIT_POLL: Duration = Duration::from_millis(25);

fn element_ref(instance: u64, index: usize) -> Value {
    let id = format!("{instance}-{index}");
    json!({ ELEMENT_KEY: id, "ELEMENT": id })
}

/// The node an element reference points at, if the screen it was found on
/// is still the one shown.
pub(super) fn resolve(state: &mut FarmState, udid: &str, eid: &str) -> Result<(Screen, XmlNode, usize), W3cError> {
    let (instance, index) = eid
        .split_once('-')
        .and_then(|(i, n)| Some((i.parse::<u64>().ok()?, n.parse::<usize>().ok()?)))
        .ok_or_else(|| W3cError::no_such_element(format!("'{eid}' is not an element reference of this farm")))?;
    let (screen, tree) = screen_of(state, udid)?;
    let current = state.phone(udid).map(|p| p.instance).unwrap_or_default();
    if instance != current {
        return Err(W3cError::stale_element(format!(
            "element '{eid}' belonged to an earlier screen; the phone now shows '{}'. Find the element again.",
            screen.name
        )));
    }
    if screen.node(index).is_none() {
        return Err(W3cError::no_such_element(format!("element '{eid}' is not on the screen '{}'", screen.name)));
    }
    Ok((screen, tree, index))
}

struct Locator {
    using: String,
    value: String,
}

fn locator(body: &axum::body::Bytes) -> Result<Locator, W3cError> {
    let body = parse_json(body)?;
    Ok(Locator { using: str_field(&body, "using")?.to_owned(), value: str_field(&body, "value")?.to_owned() })
}

/// Finds with the session's implicit wait: polls the screen until a match
/// or the deadline. An empty result is only final at the deadline.
async fn find(shared: &Arc<Shared>, sid: &str, name: &str, from: Option<&str>, loc: Locator, many: bool) -> W3cResult {
    let started = Instant::now();
    loop {
        let attempt = command(shared, sid, name, |state, s| {
            let (instance, tree, context) = match from {
                Some(eid) => {
                    let (_, tree, index) = resolve(state, &s.udid, eid)?;
                    (state.phone(&s.udid).map(|p| p.instance).unwrap_or_default(), tree, Some(index))
                }
                None => {
                    let (_, tree) = screen_of(state, &s.udid)?;
                    (state.phone(&s.udid).map(|p| p.instance).unwrap_or_default(), tree, None)
                }
            };
            // Every locator problem is an `invalid selector`, as UiAutomator2
            // and XCUITest answer an unknown strategy or a malformed selector.
            let found = locate::find(&tree, &loc.using, &loc.value, context)
                .map_err(|e| W3cError::invalid_selector(e.to_string()))?;
            Ok((found.into_iter().map(|i| element_ref(instance, i)).collect::<Vec<_>>(), s.implicit_wait))
        })
        .await?;
        let (found, wait) = attempt;
        if !found.is_empty() || started.elapsed() >= wait {
            return if many {
                Ok(ok(Value::Array(found)))
            } else {
                found.into_iter().next().map(ok).ok_or_else(|| {
                    W3cError::no_such_element(format!(
                        "no element matches {} '{}' (waited {} ms)",
                        loc.using,
                        loc.value,
                        wait.as_millis()
                    ))
                })
            };
        }
        tokio::time::sleep(IMPLICIT_WAIT_POLL).await;
    }
}

pub(super) async fn find_element(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElement", None, locator(&body)?, false).await
}

pub(super) async fn find_elements(
    State(shared): State<Arc<Shared>>,
    Path(sid): Path<String>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElements", None, locator(&body)?, true).await
}

pub(super) async fn find_element_from(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElementFromElement", Some(&eid), locator(&body)?, false).await
}

pub(super) async fn find_elements_from(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> W3cResult {
    find(&shared, &sid, "findElementsFromElement", Some(&eid), locator(&body)?, true).await
}

pub(super) async fn active_element(State(shared): State<Arc<Shared>>, Path(sid): Path<String>) -> W3cResult {
    command(&shared, &sid, "getActiveElement", |state, s| {
        let screen = state.screen(&s.udid).ok_or_else(|| W3cError::unknown_error("phone is gone"))?;
        let instance = state.phone(&s.udid).map(|p| p.instance).unwrap_or_default();
        // The field with the input focus (tapped or typed into), as the
        // drivers answer; none has it before that.
        let focused = state.phone(&s.udid).and_then(|p| if p.running { p.focused.clone() } else { None });
        screen
            .nodes()
            .iter()
            .position(|n| n.is_input() && focused.as_deref() == Some(n.id.as_str()))
            .map(|i| ok(element_ref(instance, i)))
            .ok_or_else(|| W3cError::no_such_element("no element has the input focus on this screen"))
    })
    .await
}

pub(super) async fn click(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    command(&shared, &sid, "click", |state, s| {
        let (screen, _, index) = resolve(state, &s.udid, &eid)?;
        let node = screen.node(index).cloned().ok_or_else(|| W3cError::no_such_element(eid.clone()))?;
        // A tap on a disabled control does nothing on a phone; neither here.
        if node.enabled {
            state.with_app(&s.udid, |phone, cx| phone.tap(&node, cx));
        }
        Ok(ok(Value::Null))
    })
    .await
}

/// W3C "element send keys": `{"text": "..."}` (or the legacy `value` array).
pub(super) async fn send_keys(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> W3cResult {
    let body = parse_json(&body)?;
    let text = match (body.get("text"), body.get("value")) {
        (Some(Value::String(t)), _) => t.clone(),
        (_, Some(Value::Array(parts))) => parts.iter().filter_map(Value::as_str).collect(),
        _ => return Err(W3cError::invalid_argument("element send keys needs a string field 'text'")),
    };
    command(&shared, &sid, "setValue", |state, s| {
        let (screen, _, index) = resolve(state, &s.udid, &eid)?;
        let id = screen.node(index).map(|n| n.id.clone()).unwrap_or_default();
        let result = state.with_app(&s.udid, |phone, _| phone.type_text(&id, &text, &screen));
        match result {
            Some(Ok(())) => Ok(ok(Value::Null)),
            Some(Err(e)) => Err(W3cError::invalid_element_state(e.to_string())),
            None => Err(W3cError::unknown_error("phone is gone")),
        }
    })
    .await
}

pub(super) async fn clear(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    command(&shared, &sid, "clear", |state, s| {
        let (screen, _, index) = resolve(state, &s.udid, &eid)?;
        let id = screen.node(index).map(|n| n.id.clone()).unwrap_or_default();
        match state.with_app(&s.udid, |phone, _| phone.clear(&id, &screen)) {
            Some(Ok(())) => Ok(ok(Value::Null)),
            Some(Err(e)) => Err(W3cError::invalid_element_state(e.to_string())),
            None => Err(W3cError::unknown_error("phone is gone")),
        }
    })
    .await
}

/// Reads one property of an element.
async fn element_property(
    shared: &Arc<Shared>,
    sid: &str,
    eid: &str,
    name: &str,
    read: impl FnOnce(&Screen, &XmlNode, usize) -> Value,
) -> W3cResult {
    command(shared, sid, name, |state, s| {
        let (screen, tree, index) = resolve(state, &s.udid, eid)?;
        Ok(ok(read(&screen, &tree, index)))
    })
    .await
}

pub(super) async fn text(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "getText", |screen, _, i| {
        json!(screen.node(i).map(|n| n.visible_text()).unwrap_or_default())
    })
    .await
}

pub(super) async fn tag_name(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "getName", |_, tree, i| {
        json!(locate::node_by_index(tree, i).map(|x| x.tag.clone()).unwrap_or_default())
    })
    .await
}

pub(super) async fn attribute(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid, name)): Path<(String, String, String)>,
) -> W3cResult {
    element_property(&shared, &sid, &eid, "getAttribute", |_, tree, i| {
        locate::node_by_index(tree, i).and_then(|x| x.attr(&name)).map_or(Value::Null, |v| json!(v))
    })
    .await
}

pub(super) async fn displayed(
    State(shared): State<Arc<Shared>>,
    Path((sid, eid)): Path<(String, String)>,
) -> W3cResult {
    element_property(&shared, &sid, &eid, "elementDisplayed", |_, _, _| json!(true)).await
}

pub(super) async fn enabled(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "elementEnabled", |screen, _, i| {
        json!(screen.node(i).is_some_and(|n| n.enabled))
    })
    .await
}

pub(super) async fn selected(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "elementSelected", |screen, _, i| {
        json!(screen.node(i).is_some_and(|n| n.checked))
    })
    .await
}

pub(super) async fn rect(State(shared): State<Arc<Shared>>, Path((sid, eid)): Path<(String, String)>) -> W3cResult {
    element_property(&shared, &sid, &eid, "getElementRect", |screen, _, i| {
        let r = screen.node(i).map(|n| n.rect).unwrap_or_default();
        json!({ "x": r.x, "y": r.y, "width": r.width, "height": r.height })
    })
    .await
}
