//! How the suite scales with `--concurrency`: the Android 14 happy path, K
//! times, on a virtual farm whose every WebDriver command takes as long as
//! on a real phone, at 1, 2, 4, 8 and 16 pairs of phones.
//!
//! ```text
//! cargo build --release
//! cargo run --release --example bench_concurrency [-- --copies K] [--latency-ms MS] [--pairs 1,2,4,8,16] [--keep]
//! ```
//!
//! (or the environment: `MITID_BENCH_COPIES`, `MITID_BENCH_LATENCY_MS`,
//! `MITID_BENCH_PAIRS`; arguments win). Defaults: K = 16 copies, 150 ms.
//!
//! In a temporary folder it writes a device profile like
//! `devices/virtual.toml` (same timeouts, app, identity) whose `[farm]` has
//! one rig of two Android 14 phones per pair asked for (16 rigs, 32 phones by
//! default) and `latency_ms`, and a features folder holding K copies of the
//! Android 14 examples of `features/copy_your_mitid_app.feature`, each copy
//! with its own feature and scenario name. Then it runs
//! `target/release/mitid-e2e run <features> --profile <profile>
//! --concurrency N --report-dir <tmp>` for each N, checks the exit code
//! (a failing run is reported, with its failing steps, never hidden) and
//! reads the run's `cucumber.json`.
//!
//! Printed per run: wall time (the process, from spawn to exit), speed-up
//! over the first row, phone utilisation = (Σ over scenarios of the
//! scenario's busy time (the sum of its steps' durations) × 2 phones) /
//! (2N phones × wall time), scenarios per minute, and the mean scenario
//! time (which shows whether scenarios slow each other down).
//!
//! A benchmark, not a test: it asserts nothing about the figures. It exits 1
//! when a run failed, 2 on a usage or set-up error.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// The project root: the runner reads `fixtures/` relative to it.
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const SOURCE_FEATURE: &str = "features/copy_your_mitid_app.feature";
/// The examples kept from the source feature.
const KEEP_TAG: &str = "@android-14";
/// Phones each happy-path scenario leases.
const PHONES_PER_SCENARIO: f64 = 2.0;

struct Settings {
    copies: usize,
    latency_ms: u64,
    pairs: Vec<usize>,
    keep: bool,
}

struct Row {
    pairs: usize,
    wall: Duration,
    /// Exit code of the run; `None` when killed by a signal.
    exit: Option<i32>,
    scenarios: usize,
    passed: usize,
    /// Σ over scenarios of the sum of their steps' durations.
    busy: Duration,
    failures: Vec<String>,
}

fn main() -> ExitCode {
    let settings = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            eprintln!("usage: bench_concurrency [--copies K] [--latency-ms MS] [--pairs 1,2,4,8,16] [--keep]");
            return ExitCode::from(2);
        }
    };
    match bench(&settings) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn settings() -> Result<Settings> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut copies = env("MITID_BENCH_COPIES");
    let mut latency = env("MITID_BENCH_LATENCY_MS");
    let mut pairs = env("MITID_BENCH_PAIRS");
    let mut keep = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--copies" => copies = Some(value()?),
            "--latency-ms" => latency = Some(value()?),
            "--pairs" => pairs = Some(value()?),
            "--keep" => keep = true,
            "-h" | "--help" => bail!("help asked"),
            _ => bail!("unknown argument '{arg}'"),
        }
    }
    let copies: usize = match copies {
        None => 16,
        Some(v) => v
            .trim()
            .parse()
            .ok()
            .filter(|&k| k > 0)
            .with_context(|| format!("copies: '{v}' is not a whole number above 0"))?,
    };
    let latency_ms: u64 = match latency {
        None => 150,
        Some(v) => v.trim().parse().with_context(|| format!("latency: '{v}' is not a whole number of milliseconds"))?,
    };
    let pairs: Vec<usize> = match pairs {
        None => vec![1, 2, 4, 8, 16],
        Some(v) => v
            .split(',')
            .map(|p| {
                p.trim()
                    .parse()
                    .ok()
                    .filter(|&n: &usize| n > 0)
                    .with_context(|| format!("pairs: '{p}' is not a whole number above 0"))
            })
            .collect::<Result<_>>()?,
    };
    if pairs.is_empty() {
        bail!("pairs: give at least one, e.g. 1,2,4");
    }
    Ok(Settings { copies, latency_ms, pairs, keep })
}

/// `target/release/mitid-e2e`, next to this example's own executable
/// (`target/release/examples/bench_concurrency`).
fn runner_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find this example's own executable")?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .with_context(|| format!("{} is not inside target/<profile>/examples/", exe.display()))?;
    let bin = profile_dir.join(format!("mitid-e2e{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        bail!(
            "{} is missing: build the runner first with `cargo build --release` (this example runs the release binary)",
            bin.display()
        );
    }
    let exe_dir = profile_dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if exe_dir != "release" {
        eprintln!("warning: running the {exe_dir} build of the runner; figures are meant for `--release`");
    }
    Ok(bin)
}

fn bench(s: &Settings) -> Result<bool> {
    let root = Path::new(ROOT);
    let bin = runner_binary()?;
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    let tmp = std::env::temp_dir().join(format!("mitid-bench-concurrency-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;

    let rigs = s.pairs.iter().copied().max().unwrap_or(1).max(16);
    let profile = tmp.join("bench.toml");
    std::fs::write(&profile, bench_profile(root, rigs, s.latency_ms)?)
        .with_context(|| format!("cannot write {}", profile.display()))?;
    let features = tmp.join("features");
    std::fs::create_dir_all(&features)?;
    let source =
        std::fs::read_to_string(root.join(SOURCE_FEATURE)).with_context(|| format!("cannot read {SOURCE_FEATURE}"))?;
    for k in 1..=s.copies {
        let name = format!("copy_{k:02}.feature");
        std::fs::write(features.join(&name), feature_copy(&source, k)?)?;
    }

    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!(
        "bench_concurrency: {} copies of the Android 14 happy path, {} ms per WebDriver command, {rigs} rigs ({} phones), {cores} cores",
        s.copies,
        s.latency_ms,
        rigs * 2
    );
    println!("runner: {}", bin.display());
    println!("work folder: {}", tmp.display());

    let mut rows = Vec::new();
    for &n in &s.pairs {
        let report_dir = tmp.join(format!("reports-{n:02}"));
        let log = tmp.join(format!("run-{n:02}.log"));
        eprint!("{n:>2} pair(s): running ... ");
        let started = Instant::now();
        let out = Command::new(&bin)
            .current_dir(root)
            .arg("run")
            .arg(&features)
            .arg("--profile")
            .arg(&profile)
            .arg("--concurrency")
            .arg(n.to_string())
            .arg("--report-dir")
            .arg(&report_dir)
            .output()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let wall = started.elapsed();
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        std::fs::write(&log, &text)?;
        let mut row = Row {
            pairs: n,
            wall,
            exit: out.status.code(),
            scenarios: 0,
            passed: 0,
            busy: Duration::ZERO,
            failures: Vec::new(),
        };
        match read_report(&report_dir.join("latest").join("cucumber.json"), &mut row) {
            Ok(()) => {}
            Err(e) => row.failures.push(format!("{e:#}")),
        }
        if row.scenarios != s.copies {
            row.failures.push(format!("{} of {} scenarios in the report", row.scenarios, s.copies));
        }
        let ok = row.exit == Some(0) && row.failures.is_empty();
        eprintln!(
            "{:.1} s, {}",
            wall.as_secs_f64(),
            if ok { "exit 0".to_owned() } else { format!("FAILED (exit {:?}); log: {}", row.exit, log.display()) }
        );
        if !ok {
            let tail: Vec<&str> = text.lines().rev().take(12).collect();
            for line in tail.iter().rev() {
                eprintln!("      | {line}");
            }
        }
        rows.push(row);
    }

    println!();
    print!("{}", table(&rows, s.copies));
    let all_ok = rows.iter().all(|r| r.exit == Some(0) && r.failures.is_empty());
    for r in rows.iter().filter(|r| r.exit != Some(0) || !r.failures.is_empty()) {
        println!();
        println!(
            "FAILED at {} pair(s): exit {}, {} of {} scenarios passed",
            r.pairs,
            r.exit.map_or("(signal)".to_owned(), |c| c.to_string()),
            r.passed,
            r.scenarios
        );
        for f in &r.failures {
            println!("  {f}");
        }
    }
    if all_ok {
        // The book includes the table (docs/src/running.md, Concurrency):
        // written here, by what measured it, never retyped.
        let figure = root.join("docs/src/figures/concurrency.md");
        let text = format!(
            "<!-- written by the bench_concurrency example: measure again rather than edit -->\n\
             Measured {} with `cargo run --release --example bench_concurrency -- --copies {} --latency-ms {}`, on {} cores:\n\n{}",
            mitid_e2e_framework::clock::rfc3339(std::time::SystemTime::now()).get(..10).unwrap_or("today"),
            s.copies,
            s.latency_ms,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            table(&rows, s.copies)
        );
        match std::fs::write(&figure, text) {
            Ok(()) => println!("\nthe table is in {} (the book's Concurrency)", figure.display()),
            Err(e) => eprintln!("warning: cannot write {}: {e}", figure.display()),
        }
    }
    if all_ok && !s.keep {
        let _ = std::fs::remove_dir_all(&tmp);
    } else {
        println!("\nkept: {} (profile, features, logs, reports)", tmp.display());
    }
    Ok(all_ok)
}

/// `devices/virtual.toml` up to its `[farm]` section, then a farm of `rigs`
/// rigs of two Android 14 phones each.
fn bench_profile(root: &Path, rigs: usize, latency_ms: u64) -> Result<String> {
    let base =
        std::fs::read_to_string(root.join("devices/virtual.toml")).context("cannot read devices/virtual.toml")?;
    let head: Vec<&str> = base.lines().take_while(|l| l.trim() != "[farm]").collect();
    if head.len() == base.lines().count() {
        bail!("devices/virtual.toml has no [farm] section to replace");
    }
    let mut out = String::from("# Written by the bench_concurrency example.\n");
    out.push_str(&head.join("\n"));
    writeln!(out, "\n[farm]\nlatency_ms = {latency_ms}")?;
    for r in 1..=rigs {
        for (slot, model) in [("a", "Pixel 8"), ("b", "Pixel 7")] {
            writeln!(
                out,
                "\n[[farm.phones]]\nudid = \"android-14-r{r:02}{slot}\"\nplatform = \"android\"\nos_version = \"14\"\nmodel = \"{model}\"\nrig = \"rig-{r:02}\""
            )?;
        }
    }
    Ok(out)
}

/// The source feature with only the `@android-14` Examples, its feature and
/// scenario names made unique with "(copy k)".
fn feature_copy(source: &str, k: usize) -> Result<String> {
    let lines: Vec<&str> = source.lines().collect();
    let mut drop = vec![false; lines.len()];
    let mut kept = 0;
    for (i, line) in lines.iter().enumerate() {
        if !line.trim_start().starts_with("Examples:") {
            continue;
        }
        let mut start = i;
        while start > 0 && lines[start - 1].trim_start().starts_with('@') {
            start -= 1;
        }
        let mut end = i + 1;
        while end < lines.len() && lines[end].trim_start().starts_with('|') {
            end += 1;
        }
        let tags = lines[start..i].iter().flat_map(|l| l.split_whitespace());
        if tags.clone().any(|t| t == KEEP_TAG) {
            kept += 1;
        } else {
            drop[start..end].iter_mut().for_each(|d| *d = true);
        }
    }
    if kept != 1 {
        bail!("{SOURCE_FEATURE}: expected one Examples block tagged {KEEP_TAG}, found {kept}");
    }
    let mut out = String::new();
    let (mut feature_named, mut scenario_named) = (false, false);
    for (line, dropped) in lines.iter().zip(drop) {
        if dropped {
            continue;
        }
        let t = line.trim_start();
        if t.starts_with("Feature:") && !feature_named {
            feature_named = true;
            writeln!(out, "{line} (copy {k:02})")?;
        } else if t.starts_with("Scenario") && !scenario_named {
            scenario_named = true;
            writeln!(out, "{line} (copy {k:02})")?;
        } else if t.starts_with("Scenario") {
            bail!("{SOURCE_FEATURE}: expected one scenario (the happy path), found more");
        } else {
            writeln!(out, "{line}")?;
        }
    }
    if !(feature_named && scenario_named) {
        bail!("{SOURCE_FEATURE}: no Feature: or Scenario line to name");
    }
    Ok(out)
}

/// Scenario count, passes, busy time and failing steps from cucumber.json.
fn read_report(path: &Path, row: &mut Row) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("no report at {}", path.display()))?;
    let features: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    for f in features.as_array().context("cucumber.json is not a list of features")? {
        for s in f["elements"].as_array().into_iter().flatten() {
            row.scenarios += 1;
            if s["status"] == "passed" {
                row.passed += 1;
            }
            for step in s["steps"].as_array().into_iter().flatten() {
                row.busy += Duration::from_nanos(step["result"]["duration"].as_u64().unwrap_or(0));
                if step["result"]["status"] != "passed" && step["result"]["status"] != "skipped" {
                    row.failures.push(format!(
                        "{} / {}{}: {}",
                        s["name"].as_str().unwrap_or("?"),
                        step["keyword"].as_str().unwrap_or(""),
                        step["name"].as_str().unwrap_or("?"),
                        step["result"]["error_message"].as_str().unwrap_or("(no message)").lines().next().unwrap_or("")
                    ));
                }
            }
        }
    }
    Ok(())
}

fn table(rows: &[Row], copies: usize) -> String {
    let base = rows.first().map(|r| r.wall.as_secs_f64()).unwrap_or(1.0);
    let base_pairs = rows.first().map(|r| r.pairs).unwrap_or(1);
    let mut out = String::new();
    let _ = writeln!(out, "| pairs | wall time (s) | speed-up vs {base_pairs} pair{} | phone utilisation | scenarios/min | mean scenario (s) | result |", if base_pairs == 1 { "" } else { "s" });
    let _ = writeln!(out, "|---:|---:|---:|---:|---:|---:|---|");
    for r in rows {
        let wall = r.wall.as_secs_f64();
        let utilisation = r.busy.as_secs_f64() * PHONES_PER_SCENARIO / (PHONES_PER_SCENARIO * r.pairs as f64 * wall);
        let mean = if r.scenarios == 0 { 0.0 } else { r.busy.as_secs_f64() / r.scenarios as f64 };
        let result = if r.exit == Some(0) && r.failures.is_empty() {
            format!("{}/{copies} passed", r.passed)
        } else {
            format!("FAILED: {}/{copies} passed", r.passed)
        };
        let _ = writeln!(
            out,
            "| {} | {:.1} | {:.2}× | {:.0} % | {:.1} | {:.1} | {result} |",
            r.pairs,
            wall,
            base / wall,
            utilisation * 100.0,
            r.passed as f64 * 60.0 / wall,
            mean
        );
    }
    out
}
