//! How much of the documentation a run proved: each documented step and
//! "Before you begin" item, each of the alternatives the help page names
//! for it ("PIN code or biometric", "phone or tablet") a row of its own →
//! the scenarios whose passing steps proved it, as each step recorded what
//! it did on the phones ([`mitid_e2e_steps::documented::Proof`]): a phrase
//! proves nothing by being written, only by what it did.

use std::collections::BTreeMap;

use regex::Regex;

use super::{RunReport, Status};
use mitid_e2e_steps::catalogue::StepDef;
use mitid_e2e_steps::documented::{Doc, Proof};

/// One row of the matrix: a documented step, or one of its alternatives.
#[derive(Debug, Clone)]
pub struct Row {
    /// The documented step.
    pub doc: Doc,
    /// The alternative, in the coverage's words; `None` for a step the help
    /// page gives one way.
    pub way: Option<String>,
    /// (scenario, passed) for every scenario with a step that proved it,
    /// or that failed trying.
    pub proofs: Vec<(String, bool)>,
}

impl Row {
    /// "step 5", "step 5: Touch ID".
    pub fn label(&self) -> String {
        Proof { doc: self.doc, way: self.way.clone() }.to_string()
    }

    /// Whether a passing step proved it.
    pub fn proved(&self) -> bool {
        self.proofs.iter().any(|(_, ok)| *ok)
    }
}

/// The documentation a run proved, and the rules it held.
pub struct Coverage {
    /// Every documented step's rows, in the help page's order.
    pub rows: Vec<Row>,
    /// Rule tag (`rule-…`) → (scenario, passed) for every scenario gating it.
    pub rules: BTreeMap<String, Vec<(String, bool)>>,
}

impl Coverage {
    /// What `report`'s steps proved. A passing step counts for what it
    /// recorded; a step that failed counts as a failed try at every row of
    /// what its `catalogue` phrase can prove (English and Danish alike),
    /// every alternative's: which one it was taking is not known once it
    /// failed, and a red row is the safe side of a release gate.
    pub fn of(report: &RunReport, catalogue: &[StepDef]) -> Coverage {
        let compiled: Vec<(Regex, &[Doc])> = catalogue
            .iter()
            .flat_map(|d| std::iter::once(d.phrase).chain(d.danish).map(move |p| (p, d.docs)))
            .filter_map(|(p, docs)| mitid_e2e_steps::phrases::compile(p).ok().map(|r| (r, docs)))
            .collect();
        let mut rows: Vec<Row> = Doc::all()
            .flat_map(|doc| {
                let ways: Vec<Option<String>> = doc.alternatives().iter().map(|w| Some(w.to_string())).collect();
                let ways = if ways.is_empty() { vec![None] } else { ways };
                ways.into_iter().map(move |way| Row { doc, way, proofs: Vec::new() })
            })
            .collect();
        let mut rules: BTreeMap<String, Vec<(String, bool)>> = BTreeMap::new();
        // A scenario left out of the run proves nothing and breaks nothing.
        for (f, s) in report.scenarios().filter(|(_, s)| s.left_out.is_none()) {
            let name = format!("{} ({}:{})", s.name, f.path.display(), s.line);
            for tag in s.tags.iter().filter(|t| t.starts_with("rule-")) {
                rules.entry(tag.clone()).or_default().push((name.clone(), s.status() == Status::Passed));
            }
            // Row index → whether the scenario proved it (a passing step did).
            let mut seen: BTreeMap<usize, bool> = BTreeMap::new();
            for step in &s.steps {
                match step.status {
                    Status::Passed => {
                        for proof in &step.proved {
                            for (i, _) in
                                rows.iter().enumerate().filter(|(_, r)| r.doc == proof.doc && r.way == proof.way)
                            {
                                seen.insert(i, true);
                            }
                        }
                    }
                    Status::Failed | Status::Error => {
                        let tried =
                            compiled.iter().filter(|(re, _)| re.is_match(&step.text)).flat_map(|(_, ds)| ds.iter());
                        for doc in tried {
                            for (i, _) in rows.iter().enumerate().filter(|(_, r)| r.doc == *doc) {
                                seen.entry(i).or_insert(false);
                            }
                        }
                    }
                    _ => {}
                }
            }
            for (i, ok) in seen {
                rows[i].proofs.push((name.clone(), ok));
            }
        }
        Coverage { rows, rules }
    }

    /// Whether every row of `doc` is proved: each alternative taken.
    fn doc_covered(&self, doc: Doc) -> bool {
        self.rows.iter().filter(|r| r.doc == doc).all(Row::proved)
    }

    fn covered(&self, pick: impl Fn(&Doc) -> bool) -> usize {
        Doc::all().filter(|d| pick(d) && self.doc_covered(*d)).count()
    }

    /// "documented steps covered: 26/26, preconditions: 3/3, alternatives:
    /// 20/20, rules held: 14/14". A step with alternatives is covered when
    /// every alternative is.
    pub fn line(&self) -> String {
        let held = self.rules.values().filter(|p| !p.is_empty() && p.iter().all(|(_, ok)| *ok)).count();
        let alternatives: Vec<&Row> = self.rows.iter().filter(|r| r.way.is_some()).collect();
        format!(
            "documented steps covered: {}/{}, preconditions: {}/{}, alternatives: {}/{}, rules held: {held}/{}",
            self.covered(|d| matches!(d, Doc::Step(_))),
            mitid_e2e_steps::documented::DOCUMENTED_STEPS,
            self.covered(|d| matches!(d, Doc::Before(_))),
            mitid_e2e_steps::documented::PRECONDITIONS,
            alternatives.iter().filter(|r| r.proved()).count(),
            alternatives.len(),
            self.rules.len()
        )
    }

    /// `coverage.md`: the line, then a table of the documented steps and
    /// preconditions (a row per alternative), and one of the rules.
    pub fn markdown(&self) -> String {
        let mut out = String::from("# Coverage of the documentation\n\n");
        out.push_str(&self.line());
        out.push_str("\n\n| documented | scenarios | result |\n|---|---|---|\n");
        for row in &self.rows {
            let names: Vec<String> =
                row.proofs.iter().map(|(n, ok)| format!("{}{}", if *ok { "" } else { "✗ " }, cell(n))).collect();
            out.push_str(&format!("| {} | {} | {} |\n", cell(&row.label()), names.join("<br>"), result(&row.proofs)));
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

/// What the scenarios proving a row say of it: "proved" when one passed,
/// "failed" when all failed, "not covered" when none ran.
pub fn result(proofs: &[(String, bool)]) -> &'static str {
    if proofs.iter().any(|(_, ok)| *ok) {
        "proved"
    } else if proofs.is_empty() {
        "not covered"
    } else {
        "failed"
    }
}
