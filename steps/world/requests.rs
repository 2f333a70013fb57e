//! The WebDriver requests a scenario sent, by phone and kind: on a real
//! phone each is a round trip, and a night on real phones is planned by
//! them, not by the virtual farm's milliseconds.

use std::collections::BTreeMap;

/// Phone ("old phone") → request kind ("page source") → how many.
pub type Requests = BTreeMap<String, BTreeMap<String, u64>>;

/// Adds `more` into `into`, phone by phone and kind by kind.
pub fn add(into: &mut Requests, more: &Requests) {
    for (phone, kinds) in more {
        let mine = into.entry(phone.clone()).or_default();
        for (kind, n) in kinds {
            *mine.entry(kind.clone()).or_default() += n;
        }
    }
}

/// All of `requests`' phones and kinds together.
pub fn total(requests: &Requests) -> u64 {
    requests.values().flat_map(|k| k.values()).sum()
}
