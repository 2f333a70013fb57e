//! How much of the documentation a run proved: each documented step and
//! "Before you begin" item → the scenarios whose passing steps prove it.

use std::collections::BTreeMap;

use regex::Regex;

use super::{RunReport, Status};
use crate::steps::catalogue::{Doc, StepDef, DOCUMENTED_STEPS, PRECONDITIONS};

/// The documentation a run proved, and the rules it held.
pub struct Coverage {
    /// Doc → (scenario, passed) for every scenario with a step proving it.
    pub proofs: BTreeMap<Doc, Vec<(String, bool)>>,
    /// Rule tag (`rule-…`) → (scenario, passed) for every scenario gating it.
    pub rules: BTreeMap<String, Vec<(String, bool)>>,
}

impl Coverage {
    /// What `report`'s steps prove, by matching each step's text against
    /// the `catalogue`'s phrases (English and Danish).
    pub fn of(report: &RunReport, catalogue: &[StepDef]) -> Coverage {
        // A step written in Danish proves the same as its English twin.
        let compiled: Vec<(Regex, &[Doc])> = catalogue
            .iter()
            .flat_map(|d| std::iter::once(d.phrase).chain(d.danish).map(move |p| (p, d.docs)))
            .filter_map(|(p, docs)| crate::steps::catalogue::compile(p).ok().map(|r| (r, docs)))
            .collect();
        let mut proofs: BTreeMap<Doc, Vec<(String, bool)>> = BTreeMap::new();
        for n in 1..=DOCUMENTED_STEPS {
            proofs.insert(Doc::Step(n), Vec::new());
        }
        for n in 1..=PRECONDITIONS {
            proofs.insert(Doc::Before(n), Vec::new());
        }
        let mut rules: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        // A scenario left out of the run proves nothing and breaks nothing.
        for (f, s) in report.scenarios().filter(|(_, s)| s.left_out.is_none()) {
            let name = format!("{} ({}:{})", s.name, f.path.display(), s.line);
            for tag in s.tags.iter().filter(|t| t.starts_with("rule-")) {
                rules.entry(tag.clone()).or_default().push((name.clone(), s.status() == Status::Passed));
            }
            let mut docs: BTreeMap<Doc, bool> = BTreeMap::new();
            for step in &s.steps {
                for (re, ds) in &compiled {
                    if re.is_match(&step.text) {
                        for d in *ds {
                            let ok = docs.entry(*d).or_insert(true);
                            *ok &= step.status == Status::Passed;
                        }
                    }
                }
            }
            for (d, ok) in docs {
                proofs.entry(d).or_default().push((name.clone(), ok));
            }
        }
        Coverage { proofs, rules }
    }

    fn covered(&self, pick: impl Fn(&Doc) -> bool) -> usize {
        self.proofs.iter().filter(|(d, p)| pick(d) && p.iter().any(|(_, ok)| *ok)).count()
    }

    /// "documented steps covered: 26/26, preconditions: 3/3, rules held: 14/14"
    pub fn line(&self) -> String {
        let held = self.rules.values().filter(|p| !p.is_empty() && p.iter().all(|(_, ok)| *ok)).count();
        format!(
            "documented steps covered: {}/{}, preconditions: {}/{}, rules held: {held}/{}",
            self.covered(|d| matches!(d, Doc::Step(_))),
            DOCUMENTED_STEPS,
            self.covered(|d| matches!(d, Doc::Before(_))),
            PRECONDITIONS,
            self.rules.len()
        )
    }

    /// `coverage.md`: the line, then a table of the documented steps and
    /// preconditions, and one of the rules.
    pub fn markdown(&self) -> String {
        let mut out = String::from("# Coverage of the documentation\n\n");
        out.push_str(&self.line());
        out.push_str("\n\n| documented | scenarios | result |\n|---|---|---|\n");
        for (d, proofs) in &self.proofs {
            let (label, result) = (label(d), result(proofs));
            let names: Vec<String> =
                proofs.iter().map(|(n, ok)| format!("{}{}", if *ok { "" } else { "✗ " }, cell(n))).collect();
            out.push_str(&format!("| {label} | {} | {result} |\n", names.join("<br>")));
        }
        out.push_str("\n| rule | scenarios | result |\n|---|---|---|\n");
        for (rule, proofs) in &self.rules {
            let result = if proofs.iter().all(|(_, ok)| *ok) { "held" } else { "BROKEN" };
            let names: Vec<String> =
                proofs.iter().map(|(n, ok)| format!("{}{}", if *ok { "" } else { "✗ " }, cell(n))).collect();
            out.push_str(&format!("| @{rule} | {} | {result} |\n", names.join("<br>")));
        }
        out
    }
}

/// A scenario's name and place, for a table cell: a `|` would end the cell,
/// and `<`, `>`, `&` would be read as HTML (the names are joined by `<br>`).
fn cell(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('|', "\\|")
}

/// A documented step as a reader names it: "step 5", "before you begin 2".
pub fn label(d: &Doc) -> String {
    match d {
        Doc::Step(n) => format!("step {n}"),
        Doc::Before(n) => format!("before you begin {n}"),
    }
}

/// What the scenarios proving a documented step say of it: "proved" when
/// one passed, "failed" when all failed, "not covered" when none ran.
pub fn result(proofs: &[(String, bool)]) -> &'static str {
    if proofs.iter().any(|(_, ok)| *ok) {
        "proved"
    } else if proofs.is_empty() {
        "not covered"
    } else {
        "failed"
    }
}
