//! The WebDriver requests each scenario attempt sent, by phone and kind:
//! the World notes them as the attempt ends ([`note`]), the report takes
//! them when it records the scenario's end ([`take`]). On a real phone
//! each request is a round trip, and a night on real phones is planned by
//! them, not by the virtual farm's milliseconds.

use std::collections::BTreeMap;
use std::sync::Mutex;

use mitid_e2e_framework::phone::RequestCounts;

use super::ScenarioKey;

/// Phone ("old phone") → request kind ("page source") → how many.
pub type Requests = BTreeMap<String, BTreeMap<String, u64>>;

static NOTED: Mutex<Vec<(ScenarioKey, Requests)>> = Mutex::new(Vec::new());

/// Notes that the scenario at `key` sent `counts` to its `phone` (as the
/// report names it: "old phone").
pub fn note(key: &ScenarioKey, phone: &str, counts: &RequestCounts) {
    let by_kind = counts.iter().map(|(k, n)| (k.name().to_owned(), *n)).collect();
    let requests = Requests::from([(phone.to_owned(), by_kind)]);
    NOTED.lock().unwrap_or_else(|p| p.into_inner()).push((key.clone(), requests));
}

/// What the scenario at `key` sent since the last take, summed.
pub fn take(key: &ScenarioKey) -> Requests {
    let mut all = NOTED.lock().unwrap_or_else(|p| p.into_inner());
    let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut *all).into_iter().partition(|(k, _)| k == key);
    *all = rest;
    let mut sum = Requests::new();
    for (_, requests) in mine {
        add(&mut sum, &requests);
    }
    sum
}

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
