//! W3C WebDriver errors: the error code, its HTTP status, and a message that
//! tells a tester what was wrong and what was expected.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// One W3C error (WebDriver §6.6), as every command of the farm returns them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct W3cError {
    pub code: &'static str,
    pub message: String,
}

macro_rules! constructors {
    ($($fn_name:ident => $code:literal),* $(,)?) => {
        impl W3cError {
            $(pub fn $fn_name(message: impl Into<String>) -> W3cError {
                W3cError { code: $code, message: message.into() }
            })*
        }
    };
}

constructors! {
    invalid_argument => "invalid argument",
    invalid_session_id => "invalid session id",
    invalid_selector => "invalid selector",
    invalid_element_state => "invalid element state",
    no_such_element => "no such element",
    no_such_alert => "no such alert",
    stale_element => "stale element reference",
    session_not_created => "session not created",
    unknown_command => "unknown command",
    unknown_method => "unknown method",
    unknown_error => "unknown error",
    unsupported_operation => "unsupported operation",
    timeout => "timeout",
}

impl W3cError {
    /// The HTTP status the W3C spec gives each error code.
    pub fn status(&self) -> StatusCode {
        match self.code {
            "invalid argument" | "invalid selector" | "invalid element state" => StatusCode::BAD_REQUEST,
            "invalid session id"
            | "no such element"
            | "no such alert"
            | "stale element reference"
            | "unknown command" => StatusCode::NOT_FOUND,
            "unknown method" => StatusCode::METHOD_NOT_ALLOWED,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for W3cError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "value": { "error": self.code, "message": self.message, "stacktrace": "" }
        });
        (self.status(), Json(body)).into_response()
    }
}

/// A successful W3C answer: `{"value": ...}`.
pub fn ok(value: serde_json::Value) -> Response {
    Json(serde_json::json!({ "value": value })).into_response()
}

pub type W3cResult = Result<Response, W3cError>;
