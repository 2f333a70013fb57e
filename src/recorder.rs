//! A cucumber writer that records the run into the report's model (a
//! [`RunReport`]), from cucumber's events and what the World noted in the
//! run's ledger, and prints a line per scenario as it finishes. It stands
//! between the World and the report, so that the report knows no World.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use cucumber::event::{self, Cucumber, Feature, Rule, Scenario, StepError};
use cucumber::{cli, parser, Event, Writer};

use crate::report::progress::Progress;
use crate::report::{
    clean, console, requests, Attempt, FeatureReport, RunReport, ScenarioReport, Status, StepArgument, StepReport,
};
use mitid_e2e_steps::world::{CopyWorld, Ledger, ScenarioKey, StepPanic, Verdict};

/// The feature's index in the report, added when it is not there yet.
fn feature_index(report: &mut RunReport, f: &cucumber::gherkin::Feature) -> usize {
    // Paths relative to where the run started read better and match
    // what QA typed.
    let path = f.path.clone().unwrap_or_default();
    let path = std::env::current_dir().ok().and_then(|d| path.strip_prefix(d).ok().map(Into::into)).unwrap_or(path);
    if let Some(i) = report.features.iter().position(|x| x.path == path && x.name == clean(&f.name)) {
        return i;
    }
    report.features.push(FeatureReport {
        keyword: f.keyword.clone(),
        name: clean(&f.name),
        description: clean(f.description.as_deref().unwrap_or("").trim()),
        path,
        line: f.position.line,
        tags: f.tags.clone(),
        source: f.path.as_deref().and_then(|p| std::fs::read_to_string(p).ok()).map(|s| clean(&s)),
        scenarios: Vec::new(),
    });
    report.features.len() - 1
}

/// The data table or doc string under a step, cleaned of secrets.
fn argument_of(step: &cucumber::gherkin::Step) -> Option<StepArgument> {
    if let Some(table) = &step.table {
        Some(StepArgument::Table(table.rows.iter().map(|r| r.iter().map(|c| clean(c)).collect()).collect()))
    } else {
        step.docstring.as_deref().map(|d| StepArgument::DocString(clean(crate::report::doc_string_text(d))))
    }
}

/// A scenario's tags and those it inherits: the feature's, the rule's, its own.
fn tags_of(
    feature: &cucumber::gherkin::Feature,
    rule_tags: &[String],
    sc: &cucumber::gherkin::Scenario,
) -> Vec<String> {
    feature.tags.iter().chain(rule_tags).chain(&sc.tags).cloned().collect()
}

/// Scenario names as the reports show them, each feature file's shared
/// names read once per run.
#[derive(Default)]
pub struct ScenarioNames {
    /// Per feature file: the names two or more of its scenarios share.
    shared: Mutex<std::collections::HashMap<std::path::PathBuf, Option<std::collections::HashSet<String>>>>,
}

impl ScenarioNames {
    /// A scenario's name as the reports show it: an outline row whose name
    /// another scenario of its feature file shares gets its Examples' name (or,
    /// for Examples without one, its row's values) after it, so rows tell apart.
    /// Which names are shared is read from the file, not from what this run
    /// selected: a row is named alike in every run, whole, sharded or one line.
    pub fn shown(&self, feature: &cucumber::gherkin::Feature, sc: &cucumber::gherkin::Scenario) -> String {
        let name = clean(&sc.name);
        let Some(examples) = sc.examples.first() else { return name };
        let shared = match feature.path.as_deref().and_then(|p| self.shared(p)) {
            Some(shared) => shared.contains(&sc.name),
            None => {
                let all = feature.scenarios.iter().chain(feature.rules.iter().flat_map(|r| r.scenarios.iter()));
                all.filter(|s| s.name == sc.name).count() > 1
            }
        };
        if !shared {
            return name;
        }
        let label = match examples.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => n.to_owned(),
            None => examples.table.as_ref().and_then(|t| t.rows.get(1)).map(|r| r.join(", ")).unwrap_or_default(),
        };
        if label.is_empty() {
            name
        } else {
            format!("{name} ({})", clean(&label))
        }
    }

    /// The scenario names, outline rows filled in, that two or more scenarios
    /// of the feature file at `path` share; read once per file.
    fn shared(&self, path: &std::path::Path) -> Option<std::collections::HashSet<String>> {
        let mut cache = self.shared.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .entry(path.to_path_buf())
            .or_insert_with(|| {
                let text = std::fs::read_to_string(path).ok()?;
                let env = cucumber::gherkin::GherkinEnv::new(crate::feature_language::language_of(&text)).ok()?;
                let parsed = cucumber::gherkin::Feature::parse(&text, env).ok()?;
                let mut count: std::collections::HashMap<String, usize> = Default::default();
                for s in parsed.scenarios.iter().chain(parsed.rules.iter().flat_map(|r| r.scenarios.iter())) {
                    let rows: Vec<String> = s
                        .examples
                        .iter()
                        .filter_map(|e| e.table.as_ref())
                        .filter_map(|t| t.rows.split_first())
                        .flat_map(|(header, rows)| {
                            rows.iter().map(|row| {
                                header.iter().zip(row).fold(s.name.clone(), |n, (k, v)| n.replace(&format!("<{k}>"), v))
                            })
                        })
                        .collect();
                    for n in if rows.is_empty() { vec![s.name.clone()] } else { rows } {
                        *count.entry(n).or_default() += 1;
                    }
                }
                Some(count.into_iter().filter(|(_, n)| *n > 1).map(|(name, _)| name).collect())
            })
            .clone()
    }
}

/// An outline row's values by column: cucumber expands each row into a
/// scenario whose Examples table holds the header and that one row.
fn parameters_of(sc: &cucumber::gherkin::Scenario) -> Vec<(String, String)> {
    let Some(table) = sc.examples.first().and_then(|e| e.table.as_ref()) else { return Vec::new() };
    match (table.rows.first(), table.rows.get(1)) {
        (Some(header), Some(row)) => header.iter().zip(row).map(|(k, v)| (clean(k), clean(v))).collect(),
        _ => Vec::new(),
    }
}

/// A step as written that never ran: skipped, with no time and no evidence.
fn never_run(step: &cucumber::gherkin::Step, background: bool) -> StepReport {
    StepReport {
        keyword: step.keyword.trim().to_owned(),
        text: clean(&step.value),
        line: step.position.line,
        background,
        status: Status::Skipped,
        duration: Duration::ZERO,
        error: None,
        attachments: Vec::new(),
        argument: argument_of(step),
        proved: Vec::new(),
    }
}

/// Records a scenario the run leaves out without running it, and why: its
/// steps as written (background steps first), each skipped. Call it from
/// the run's filter, as the scenario is left out.
pub fn left_out(
    report: &Mutex<RunReport>,
    names: &ScenarioNames,
    feature: &cucumber::gherkin::Feature,
    rule: Option<&cucumber::gherkin::Rule>,
    sc: &cucumber::gherkin::Scenario,
    reason: &str,
) {
    let mut report = report.lock().unwrap_or_else(|p| p.into_inner());
    let fi = feature_index(&mut report, feature);
    let backgrounds = feature.background.iter().chain(rule.and_then(|r| r.background.as_ref()));
    let background = backgrounds.flat_map(|b| b.steps.iter().map(|s| (s, true)));
    let steps = background
        .chain(sc.steps.iter().map(|s| (s, false)))
        .map(|(step, background)| never_run(step, background))
        .collect();
    let rule_tags = rule.map(|r| r.tags.clone()).unwrap_or_default();
    report.features[fi].scenarios.push(ScenarioReport {
        name: names.shown(feature, sc),
        keyword: sc.keyword.clone(),
        line: sc.position.line,
        tags: tags_of(feature, &rule_tags, sc),
        parameters: parameters_of(sc),
        steps,
        duration: Duration::ZERO,
        earlier_attempts: Vec::new(),
        attempts_allowed: 0,
        left_out: Some(clean(reason)),
        started: None,
        phones: Vec::new(),
        requests: Default::default(),
    });
}

/// Records events; the report is shared so the runner reads it after the run.
#[derive(Clone, Default)]
pub struct Recorder {
    /// The run so far.
    pub report: Arc<Mutex<RunReport>>,
    /// Scenarios started and not yet finished, as (feature, scenario)
    /// indexes into the report's features before [`RunReport::sort`]: what
    /// a run dropped after an interrupt leaves unfinished ([`mark_unfinished`]).
    pub running: Arc<Mutex<BTreeSet<(usize, usize)>>>,
    started: HashMap<(usize, usize), SystemTime>,
    step_started: HashMap<(usize, usize, usize), SystemTime>,
    /// Scenarios whose attempt was interrupted or not run: a retry (cucumber
    /// retries them as failed) does not replace that attempt in the report.
    stopped: HashSet<(usize, usize)>,
    /// Scenarios whose events are ignored now: retries of `stopped` ones.
    ignored: HashSet<(usize, usize)>,
    /// Scenarios never begun because the run was interrupted: no console
    /// line each, the runner counts them at the end.
    not_run: HashSet<(usize, usize)>,
    quiet: bool,
    /// What the World tells the report beside cucumber's events.
    ledger: Arc<Ledger>,
    /// The console while the run goes.
    progress: Arc<Progress>,
    /// Scenario names as the reports show them.
    pub names: Arc<ScenarioNames>,
}

impl Recorder {
    /// A recorder of the run whose World notes into `ledger`; `quiet` leaves
    /// out the line per scenario.
    pub fn new(quiet: bool, ledger: Arc<Ledger>, progress: Arc<Progress>) -> Recorder {
        Recorder { quiet, ledger, progress, ..Default::default() }
    }

    fn feature_index(&mut self, f: &cucumber::gherkin::Feature) -> usize {
        feature_index(&mut self.report.lock().unwrap_or_else(|p| p.into_inner()), f)
    }

    #[allow(clippy::too_many_arguments)]
    fn scenario(
        &mut self,
        fi: usize,
        feature: &cucumber::gherkin::Feature,
        sc: &cucumber::gherkin::Scenario,
        rule_tags: &[String],
        ev: Scenario<CopyWorld>,
        retries: Option<event::Retries>,
        at: SystemTime,
    ) {
        let feature_path = feature.path.as_deref();
        let key = (fi, sc.position.line * 10_000 + sc.position.col);
        let mut report = self.report.lock().unwrap_or_else(|p| p.into_inner());
        let tags = tags_of(feature, rule_tags, sc);
        let parameters = parameters_of(sc);
        let name = self.names.shown(feature, sc);
        let feature = &mut report.features[fi];
        let si = match feature.scenarios.iter().position(|s| s.line == sc.position.line && s.name == name) {
            Some(i) => i,
            None => {
                feature.scenarios.push(ScenarioReport {
                    name,
                    keyword: sc.keyword.clone(),
                    line: sc.position.line,
                    tags,
                    parameters,
                    steps: Vec::new(),
                    duration: Duration::ZERO,
                    earlier_attempts: Vec::new(),
                    attempts_allowed: 1,
                    left_out: None,
                    started: None,
                    phones: Vec::new(),
                    requests: Default::default(),
                });
                feature.scenarios.len() - 1
            }
        };
        let scenario = &mut feature.scenarios[si];
        if self.ignored.contains(&key) {
            if matches!(ev, Scenario::Finished) {
                self.ignored.remove(&key);
            }
            return;
        }
        match ev {
            Scenario::Started if self.stopped.contains(&key) => {
                self.ignored.insert(key);
            }
            Scenario::Started => {
                // A retry starts over: the attempt before it is kept whole
                // (steps, errors, evidence, time), and the new one is the
                // one whose verdict counts.
                if self.started.contains_key(&key) {
                    let steps = std::mem::take(&mut scenario.steps);
                    let duration = std::mem::take(&mut scenario.duration);
                    scenario.earlier_attempts.push(Attempt { steps, duration });
                }
                // Cucumber says on every event how many retries were made
                // and are left: the run's --retry, or the scenario's own
                // @retry(N) tag.
                scenario.attempts_allowed = retries.map_or(1, |r| r.current + r.left + 1);
                scenario.started.get_or_insert(at);
                self.started.insert(key, at);
                let place = feature.path.display();
                self.progress.scenario_started(key, format!("'{}' ({place}:{})", scenario.name, scenario.line));
                self.running.lock().unwrap_or_else(|p| p.into_inner()).insert((fi, si));
            }
            Scenario::Step(step, ev) | Scenario::Background(step, ev) => {
                let background = !sc.steps.iter().any(|s| s.position == step.position);
                let skey = (key.0, key.1, step.position.line);
                let (status, error, attachments, proved) = match ev {
                    event::Step::Started => {
                        self.step_started.insert(skey, at);
                        self.progress.step_started(key, clean(&format!("{} {}", step.keyword.trim(), step.value)));
                        return;
                    }
                    event::Step::Passed(..) => {
                        let key = ScenarioKey::of(feature_path, sc);
                        let left = self.ledger.take_passing_step(&key);
                        (Status::Passed, None, left.attachments, left.proved)
                    }
                    event::Step::Skipped => {
                        let place = format!("{}:{}", feature.path.display(), step.position.line);
                        let undefined = (clean(&format!("{} {}", step.keyword.trim(), step.value)), place);
                        // Once, however often the scenario is tried.
                        if !report.undefined.contains(&undefined) {
                            report.undefined.push(undefined);
                        }
                        (Status::Undefined, Some("no step definition matches this step".into()), Vec::new(), Vec::new())
                    }
                    event::Step::Failed(_, _, world, err) => {
                        let attachments = world.map(|w| w.evidence.attachments.clone()).unwrap_or_default();
                        match stopped_by(&err) {
                            Some(Verdict::NotRun) => {
                                self.stopped.insert(key);
                                self.not_run.insert(key);
                            }
                            Some(_) => {
                                self.stopped.insert(key);
                            }
                            None => {}
                        }
                        let (status, message) = describe(&err);
                        (status, Some(clean(&message)), attachments, Vec::new())
                    }
                };
                let feature = &mut report.features[fi];
                let scenario = &mut feature.scenarios[si];
                let started = self.step_started.remove(&skey).unwrap_or(at);
                scenario.steps.push(StepReport {
                    keyword: step.keyword.trim().to_owned(),
                    text: clean(&step.value),
                    line: step.position.line,
                    background,
                    status,
                    duration: at.duration_since(started).unwrap_or_default(),
                    error,
                    attachments,
                    argument: argument_of(&step),
                    proved,
                });
            }
            Scenario::Hook(_, event::Hook::Failed(_, info)) => {
                scenario.steps.push(StepReport {
                    keyword: "Hook".into(),
                    text: "before the scenario".into(),
                    line: sc.position.line,
                    background: true,
                    status: Status::Error,
                    duration: Duration::ZERO,
                    error: Some(clean(&panic_text(&info))),
                    attachments: Vec::new(),
                    argument: None,
                    proved: Vec::new(),
                });
            }
            Scenario::Finished => {
                // Steps after a failure were never run: list them as skipped.
                let all: Vec<&cucumber::gherkin::Step> = sc.steps.iter().collect();
                let ran_scenario_steps = scenario.steps.iter().filter(|s| !s.background).count();
                if ran_scenario_steps < all.len() && scenario.steps.iter().any(|s| s.status != Status::Passed) {
                    for step in &all[ran_scenario_steps..] {
                        scenario.steps.push(never_run(step, false));
                    }
                }
                if let Some(start) = self.started.get(&key) {
                    scenario.duration = at.duration_since(*start).unwrap_or_default();
                }
                self.running.lock().unwrap_or_else(|p| p.into_inner()).remove(&(fi, si));
                // A failed attempt that cucumber will try again is not the
                // scenario's verdict, and says so.
                let again = retries.is_some_and(|r| r.left > 0) && scenario.status() != Status::Passed;
                self.progress.scenario_finished(key, !again);
                // The requests this attempt sent, noted by the World as it ended.
                let attempt_key = ScenarioKey::of(feature_path, sc);
                requests::add(&mut scenario.requests, &self.ledger.take_requests(&attempt_key));
                // Its phones so far, for its line: which model and OS it ran on.
                let file = feature.path.display().to_string();
                self.ledger.with_leases(|leases| crate::report::leases::fill_one(scenario, leases, &file));
                if !self.quiet && !self.not_run.contains(&key) {
                    console::scenario_line(&self.progress, &feature.path, scenario, again);
                }
            }
            _ => {}
        }
    }
}

/// An error and its causes: gherkin's parse error says the file, its cause
/// the line and column.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(&format!(": {c}"));
        cause = c.source();
    }
    out
}

/// What a failed step means, and its message. Our steps fail with a
/// [`StepPanic`] that says failed or error; any other panic is a bug of the
/// harness, so the step could not be judged.
fn describe(err: &StepError) -> (Status, String) {
    match err {
        StepError::Panic(info) => match info.downcast_ref::<StepPanic>() {
            Some(StepPanic { verdict: Verdict::Failed, message }) => (Status::Failed, message.clone()),
            Some(StepPanic { verdict: Verdict::Error | Verdict::Interrupted, message }) => {
                (Status::Error, message.clone())
            }
            Some(StepPanic { verdict: Verdict::NotRun, message }) => (Status::Skipped, message.clone()),
            None => (Status::Error, panic_text(info)),
        },
        other => (Status::Error, other.to_string()),
    }
}

/// Whether a failed step was stopped by an interrupt: interrupted, or not run.
fn stopped_by(err: &StepError) -> Option<Verdict> {
    match err {
        StepError::Panic(info) => match info.downcast_ref::<StepPanic>() {
            Some(StepPanic { verdict: v @ (Verdict::Interrupted | Verdict::NotRun), .. }) => Some(*v),
            _ => None,
        },
        _ => None,
    }
}

/// Marks the scenarios a run dropped after an interrupt left unfinished
/// (`running`, from [`Recorder::running`]) as errors, saying `message`. Call
/// before [`RunReport::sort`]. Returns how many there were.
pub fn mark_unfinished(report: &mut RunReport, running: &BTreeSet<(usize, usize)>, message: &str) -> usize {
    let mut marked = 0;
    for &(fi, si) in running {
        let Some(scenario) = report.features.get_mut(fi).and_then(|f| f.scenarios.get_mut(si)) else { continue };
        scenario.steps.push(StepReport {
            keyword: "Run".into(),
            text: "the scenario was still running when the run stopped".into(),
            line: scenario.line,
            background: false,
            status: Status::Error,
            duration: Duration::ZERO,
            error: Some(clean(message)),
            attachments: Vec::new(),
            argument: None,
            proved: Vec::new(),
        });
        marked += 1;
    }
    marked
}

fn panic_text(info: &event::Info) -> String {
    if let Some(p) = info.downcast_ref::<StepPanic>() {
        p.message.clone()
    } else if let Some(s) = info.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = info.downcast_ref::<&str>() {
        (*s).to_owned()
    } else {
        "the step panicked".into()
    }
}

impl Writer<CopyWorld> for Recorder {
    type Cli = cli::Empty;

    async fn handle_event(&mut self, event: parser::Result<Event<Cucumber<CopyWorld>>>, _: &cli::Empty) {
        let event = match event {
            Ok(e) => e,
            Err(e) => {
                let message = match &e {
                    parser::Error::Parsing(err) => clean(&with_causes(err.as_ref())),
                    parser::Error::ExampleExpansion(err) => clean(&with_causes(err.as_ref())),
                };
                self.report.lock().unwrap_or_else(|p| p.into_inner()).parse_errors.push(message);
                return;
            }
        };
        let (value, meta) = event.split();
        let at = meta.at;
        match value {
            Cucumber::Feature(f, Feature::Scenario(sc, retryable)) => {
                let fi = self.feature_index(&f);
                self.scenario(fi, &f, &sc, &[], retryable.event, retryable.retries, at);
            }
            Cucumber::Feature(f, Feature::Rule(rule, Rule::Scenario(sc, retryable))) => {
                let fi = self.feature_index(&f);
                self.scenario(fi, &f, &sc, &rule.tags, retryable.event, retryable.retries, at);
            }
            Cucumber::Feature(f, Feature::Started) => {
                self.feature_index(&f);
            }
            _ => {}
        }
    }
}
