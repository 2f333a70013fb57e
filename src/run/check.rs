//! The first move: what can be known without a phone. The `--tags`
//! expression, the selection of features and scenarios, and every feature
//! checked against the step catalogue; a dry run ends here, and so does a
//! run of features that cannot run as written (refused: exit 2, its
//! reports and history saying why).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use cucumber::gherkin::tagexpr::TagOperation;

use super::{ConfigError, RunOptions};
use crate::exit::Exit;
use crate::lint;
use crate::report::RunReport;
use crate::select::Selection;

/// What the run will take: its tag expression, its selection and the
/// feature files that selection reads.
pub(super) struct Plan {
    pub tags: Option<TagOperation>,
    pub selection: Selection,
    pub files: Vec<PathBuf>,
}

/// Whether the run goes on, with its plan; is done (a dry run); or is
/// refused, for features that cannot run as written.
pub(super) enum Checked {
    Run(Plan),
    Done(Exit),
    /// Refused before any farm starts: `finish` still records why.
    Refused {
        plan: Plan,
        report: Box<RunReport>,
    },
}

/// Checks what `opts` asks.
pub(super) async fn check(opts: &RunOptions, started: Instant) -> Result<Checked, ConfigError> {
    let tags = parse_tags(opts).map_err(ConfigError)?;
    let selection = Selection::new(&opts.features, opts.name.as_deref()).map_err(|e| ConfigError(e.into()))?;
    let files = selection.files();
    let plan = Plan { tags, selection, files };
    let lint = lint::check(&plan.files, &plan.selection, plan.tags.as_ref(), &mitid_e2e_steps::all());
    if opts.dry_run {
        return Ok(Checked::Done(dry_run_report(&lint, started)));
    }
    let blocking = lint.blocking();
    if blocking.is_empty() {
        return Ok(Checked::Run(plan));
    }
    // Refused before any farm starts; the reports still say why, for CI,
    // and the history keeps the run apart from failures: a run of
    // features that cannot run is not a scenario that failed.
    let problems: Vec<String> = blocking.iter().map(|f| format!("{}: {}", f.place(), f.message)).collect();
    let report = RunReport { duration: started.elapsed(), parse_errors: problems, ..Default::default() };
    Ok(Checked::Refused { plan, report: Box::new(report) })
}

/// `--tags` as a tag expression.
fn parse_tags(opts: &RunOptions) -> Result<Option<TagOperation>> {
    match &opts.tags {
        None => Ok(None),
        Some(expr) => Ok(Some(expr.parse::<TagOperation>().map_err(|e| {
            anyhow::anyhow!("--tags '{expr}' is not a tag expression (e.g. \"@android and not @slow\"): {e}")
        })?)),
    }
}

/// What a dry run prints, and its exit code: 0 every step defined, 1 a step
/// undefined or ambiguous, 2 a malformed feature.
fn dry_run_report(lint: &lint::Lint, started: Instant) -> Exit {
    for f in &lint.findings {
        let what = match f.kind {
            lint::Kind::Undefined => "undefined step",
            lint::Kind::Ambiguous => "ambiguous step",
            lint::Kind::NoSteps => "no steps",
            lint::Kind::NoExamples => "outline without examples",
            lint::Kind::Tags => "contradicting tags",
            lint::Kind::Misspelt => "misspelt keyword",
            lint::Kind::Language => "unknown language",
            lint::Kind::Malformed => "malformed feature",
        };
        println!("{}: {what}: {}\n", f.place(), f.message);
    }
    println!(
        "dry run: {} scenario(s), {} step(s) checked against the catalogue in {}; {} problem(s)",
        lint.scenarios,
        lint.steps,
        mitid_e2e_framework::duration::precise(started.elapsed()),
        lint.findings.len()
    );
    lint.exit()
}
