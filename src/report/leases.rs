//! The phones each scenario attempt leased, given to the report's scenarios:
//! the World notes each lease in the run's ledger ([`Leases`]), and the
//! history records them from the report.

use mitid_e2e_steps::world::leases::Leases;

/// Gives each scenario of `report` the phones its attempts leased, each
/// once, in the order leased.
pub fn fill(report: &mut super::RunReport, leases: &Leases) {
    for f in &mut report.features {
        let file = f.path.display().to_string();
        for s in &mut f.scenarios {
            fill_one(s, leases, &file);
        }
    }
}

/// Gives the scenario `s` of the feature `file` the phones its attempts
/// leased so far, each once, in the order leased.
pub fn fill_one(s: &mut super::ScenarioReport, leases: &Leases, file: &str) {
    for phone in leases.of(file, s.line).iter().flatten() {
        if !s.phones.contains(phone) {
            s.phones.push(phone.clone());
        }
    }
}
