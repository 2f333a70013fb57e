//! The step definitions and the cucumber World they work on: the catalogue
//! (every phrase in one table), the phrases' language, a step's arguments
//! and its run, one module per area of the flow, and the [`world`] (one
//! scenario's state, and what a run shares). Nothing here knows which
//! target runs; the runner (`mitid-e2e`) drives cucumber with it and
//! writes the reports.

#![warn(missing_docs)]

pub mod arguments;
pub mod bluetooth;
pub mod catalogue;
pub mod copy_flow;
pub mod documented;
pub mod execute;
pub mod farm_control;
pub mod phrases;
pub mod rules;
pub mod world;

/// Every step definition, from all areas.
pub fn all() -> Vec<catalogue::StepDef> {
    let mut all = copy_flow::catalogue();
    all.extend(farm_control::catalogue());
    all.extend(rules::catalogue());
    all.extend(bluetooth::catalogue());
    all
}

/// cucumber's step collection, from the catalogue.
pub fn collection() -> Result<cucumber::step::Collection<world::CopyWorld>, phrases::PhraseError> {
    let mut c = cucumber::step::Collection::new();
    for def in all() {
        // Every phrase answers to every keyword: whether QA write Given,
        // When or Then is a matter of style, not of which steps exist.
        for phrase in std::iter::once(def.phrase).chain(def.danish) {
            let re = phrases::compile(phrase)?;
            let at = Some(def.location);
            c = c.given(at, re.clone(), def.cucumber).when(at, re.clone(), def.cucumber).then(at, re, def.cucumber);
        }
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phrases::{arguments, compile};
    use cucumber::step::Location;

    /// The step text of an example: the example without its keyword.
    fn text(example: &str) -> &str {
        let keywords = ["Given ", "When ", "Then ", "And ", "But "];
        keywords.iter().find_map(|k| example.strip_prefix(k)).unwrap_or(example)
    }

    #[test]
    fn every_phrase_compiles_and_takes_as_many_captures_as_its_body() {
        for def in all() {
            for phrase in std::iter::once(def.phrase).chain(def.danish) {
                let re = compile(phrase).unwrap_or_else(|e| panic!("{e}"));
                let parameters = arguments(re.capture_names().skip(1).map(|n| (n.map(str::to_owned), String::new())));
                assert_eq!(parameters.len(), def.arity, "{phrase}: parameters vs the body's arguments");
            }
        }
    }

    #[test]
    fn every_example_matches_exactly_its_own_row() {
        let all = all();
        let compiled: Vec<(usize, regex::Regex)> = all
            .iter()
            .enumerate()
            .flat_map(|(i, d)| std::iter::once(d.phrase).chain(d.danish).map(move |p| (i, compile(p).unwrap())))
            .collect();
        for (i, def) in all.iter().enumerate() {
            let rows: Vec<usize> =
                compiled.iter().filter(|(_, re)| re.is_match(text(def.example))).map(|(row, _)| *row).collect();
            assert!(rows.contains(&i), "the example \"{}\" does not match its own phrase {}", def.example, def.phrase);
            let others: Vec<&str> = rows.iter().filter(|r| **r != i).map(|r| all[*r].phrase).collect();
            assert!(others.is_empty(), "the example \"{}\" also matches {others:?}", def.example);
        }
    }

    #[test]
    fn every_row_knows_the_line_of_its_phrase() {
        for def in all() {
            let Location { path, line, .. } = def.location;
            assert!(path.starts_with("steps/"), "{path}");
            let source =
                std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../").to_owned() + path).unwrap();
            let at = source.lines().nth(line as usize - 1).unwrap_or_default();
            let phrase = def.phrase;
            assert!(
                at.contains(&format!("\"{}\"", phrase.replace('\\', "\\\\").replace('"', "\\\""))),
                "{path}:{line}: {at}"
            );
        }
    }
}
