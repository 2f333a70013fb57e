//! What the World tells the report beside cucumber's events: cucumber
//! hands its writer the World only for a failed step, so each attempt's
//! WebDriver requests, the phones it leased, and a passing step's evidence
//! and proofs wait here, in the run's context, until the recorder takes
//! them. One ledger per run: two runs in one process never mix.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use mitid_e2e_framework::phone::RequestCounts;
use mitid_e2e_framework::profile::PhoneProfile;

use super::leases::Leases;
use super::requests::{self, Requests};
use super::{Attachment, ScenarioKey};
use crate::documented::Proof;

/// What a step that then passed leaves for the report: its attachments
/// (the Bluetooth trace) and what it proved of the documentation.
#[derive(Debug, Default)]
pub struct PassingStep {
    /// Its attachments.
    pub attachments: Vec<Attachment>,
    /// What it proved.
    pub proved: Vec<Proof>,
}

/// The run's ledger (see the module's doc).
#[derive(Debug, Default)]
pub struct Ledger {
    requests: Mutex<Vec<(ScenarioKey, Requests)>>,
    leases: Mutex<Leases>,
    passing: Mutex<Vec<(ScenarioKey, PassingStep)>>,
}

/// A poisoned lock still holds what was noted: a panicking step must not
/// lose the run's record.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Takes out of `all` what was left under `key`, leaving the rest.
fn take_for<T>(all: &Mutex<Vec<(ScenarioKey, T)>>, key: &ScenarioKey) -> Vec<T> {
    let mut all = lock(all);
    let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut *all).into_iter().partition(|(k, _)| k == key);
    *all = rest;
    mine.into_iter().map(|(_, t)| t).collect()
}

impl Ledger {
    /// Notes that the scenario at `key` sent `counts` to its `phone` (as the
    /// report names it: "old phone").
    pub fn note_requests(&self, key: &ScenarioKey, phone: &str, counts: &RequestCounts) {
        let by_kind = counts.iter().map(|(k, n)| (k.name().to_owned(), *n)).collect();
        lock(&self.requests).push((key.clone(), Requests::from([(phone.to_owned(), by_kind)])));
    }

    /// What the scenario at `key` sent since the last take, summed.
    pub fn take_requests(&self, key: &ScenarioKey) -> Requests {
        let mut sum = Requests::new();
        for noted in take_for(&self.requests, key) {
            requests::add(&mut sum, &noted);
        }
        sum
    }

    /// Notes that the scenario at `path:line` (as cucumber names it) leased `phones`.
    pub fn note_lease(&self, path: Option<&Path>, line: usize, phones: &[&PhoneProfile]) {
        lock(&self.leases).note(path, line, phones);
    }

    /// Every lease noted so far.
    pub fn leases(&self) -> Leases {
        lock(&self.leases).clone()
    }

    /// Runs `f` on the leases noted so far, without copying every
    /// scenario's (the recorder gives a scenario its phones as it ends).
    pub fn with_leases<T>(&self, f: impl FnOnce(&Leases) -> T) -> T {
        f(&lock(&self.leases))
    }

    /// Attaches `a` to the step now running in the scenario at `key`, should it pass.
    pub fn attach_to_passing_step(&self, key: &ScenarioKey, a: Attachment) {
        lock(&self.passing).push((key.clone(), PassingStep { attachments: vec![a], proved: Vec::new() }));
    }

    /// Records that the step now running in the scenario at `key` proved
    /// `proved`, should it pass.
    pub fn prove_in_passing_step(&self, key: &ScenarioKey, proved: Vec<Proof>) {
        lock(&self.passing).push((key.clone(), PassingStep { attachments: Vec::new(), proved }));
    }

    /// What the scenario at `key`'s step that just passed left.
    pub fn take_passing_step(&self, key: &ScenarioKey) -> PassingStep {
        let mut step = PassingStep::default();
        for left in take_for(&self.passing, key) {
            step.attachments.extend(left.attachments);
            step.proved.extend(left.proved);
        }
        step
    }
}
