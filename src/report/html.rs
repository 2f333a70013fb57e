//! `index.html`: the whole run in one page a person opens from the run's
//! folder (a `file://` URL) or from a CI artefact download.
//!
//! The page loads nothing from anywhere: styles are inline, the filters are
//! CSS (radio buttons, no script), screenshots are `data:` URIs. Images are
//! inlined rather than linked because a `file://` page is an opaque origin,
//! where `img-src 'self'` is not reliably honoured, and because a CI tool
//! that shows one artefact file at a time would show a linked image broken.
//! Every attachment is also linked by its relative path under
//! `attachments/` (see [`super::attachments`]): a link is followed only when
//! clicked, and then within the run's folder. The Content-Security-Policy
//! says the same to the browser, so a stray URL could not load either.
//!
//! Every string is scrubbed of secrets ([`clean`]) and HTML-escaped on its
//! way in, attachments' text included.

use std::collections::HashMap;
use std::fmt::Write as _;

use base64::Engine as _;
use mitid_e2e_framework::duration::precise;

use super::attachments::{self, safe_name};
use super::coverage::Coverage;
use super::{clean, rfc3339, Attachment, FeatureReport, RunReport, ScenarioReport, Status, StepReport};

/// The page's file name in a run folder.
pub const FILE_NAME: &str = "index.html";

/// The page's Content-Security-Policy: nothing but itself and `data:` images.
pub const CSP: &str = "default-src 'none'; img-src data: 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'";

const STYLE: &str = include_str!("html.css");

/// `s` scrubbed of secrets and escaped for HTML text and attribute values.
fn esc(s: &str) -> String {
    let s = clean(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The scenario's anchor in the page: its file and line, which are unique.
fn anchor(f: &FeatureReport, s: &ScenarioReport) -> String {
    format!("s-{}-L{}", safe_name(&f.path.display().to_string()), s.line)
}

/// The verdict a filter and a badge show: flaky before passed.
fn verdict(s: &ScenarioReport) -> &'static str {
    if s.flaky() {
        "flaky"
    } else {
        s.status().name()
    }
}

/// The page for `report`, with `coverage`'s matrix.
pub fn render(report: &RunReport, coverage: &Coverage) -> String {
    let mut out = String::new();
    let title = format!("mitid-e2e run {}", report.run_id);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    header(&mut out, report, coverage);
    // The filters are radio buttons before <main>: the stylesheet hides
    // scenarios by the one checked (`#f-failed:checked ~ main …`).
    out.push_str("<input type=\"radio\" name=\"filter\" id=\"f-all\" checked>\n");
    for f in ["failed", "flaky", "skipped"] {
        let _ = writeln!(out, "<input type=\"radio\" name=\"filter\" id=\"f-{f}\">");
    }
    out.push_str("<nav id=\"filters\" aria-label=\"filters\">show: <label for=\"f-all\">all</label>");
    for (f, n) in [
        ("failed", report.count(Status::Failed) + report.count(Status::Error)),
        ("flaky", report.scenarios().filter(|(_, s)| s.flaky()).count()),
        ("skipped", report.count(Status::Skipped)),
    ] {
        let _ = write!(out, " <label for=\"f-{f}\">{f} ({n})</label>");
    }
    // In the sticky bar, shown only when the URL names a scenario (html.css, `:target`).
    out.push_str(
        " <span class=\"focus\">· one scenario, as the link named it: <a href=\"#run\">the whole run</a></span>",
    );
    out.push_str("</nav>\n<main>\n");
    let files = attachments::files(report);
    // A red run opens on what went wrong, before the coverage.
    failures(&mut out, report, &files);
    coverage_matrix(&mut out, report, coverage);
    for (fi, f) in report.features.iter().enumerate() {
        let _ = writeln!(
            out,
            "<section class=\"feature\">\n<h2>{}: {} <small>{}</small></h2>",
            esc(&f.keyword),
            esc(&f.name),
            esc(&f.path.display().to_string())
        );
        if !f.description.is_empty() {
            let _ = writeln!(out, "<p class=\"description\">{}</p>", esc(&f.description));
        }
        for (si, s) in f.scenarios.iter().enumerate() {
            let links: HashMap<(usize, usize, *const Attachment), String> = files
                .iter()
                .filter(|a| a.feature == fi && a.scenario == si)
                .map(|a| ((a.attempt, a.step_line, a.attachment as *const Attachment), a.path.display().to_string()))
                .collect();
            scenario(&mut out, f, s, &links);
        }
        out.push_str("</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// A red run's summary, first on the page: each failed or errored
/// scenario with its failing step, the message and the phones'
/// screenshots of that step, linking down
/// to the whole scenario. Nothing on a green run.
fn failures(out: &mut String, report: &RunReport, files: &[attachments::AttachmentFile]) {
    let failed: Vec<(usize, usize)> = report
        .features
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| f.scenarios.iter().enumerate().map(move |(si, s)| (fi, si, s)))
        .filter(|(_, _, s)| matches!(s.status(), Status::Failed | Status::Error))
        .map(|(fi, si, _)| (fi, si))
        .collect();
    if failed.is_empty() {
        return;
    }
    let _ = writeln!(out, "<section id=\"failures\">\n<h2>What went wrong ({})</h2>", failed.len());
    for (fi, si) in failed {
        let (f, s) = (&report.features[fi], &report.features[fi].scenarios[si]);
        let verdict = verdict(s);
        let _ = write!(
            out,
            "<article class=\"failure\"><h3><span class=\"badge {verdict}\">{verdict}</span> <a href=\"#{}\">{}</a> <small>{}:{}</small></h3>",
            anchor(f, s),
            esc(&s.name),
            esc(&f.path.display().to_string()),
            s.line
        );
        if let Some(step) = s.failure() {
            let _ = write!(
                out,
                "<p class=\"step\">{} {} <small>(line {})</small></p>",
                esc(&step.keyword),
                esc(&step.text),
                step.line
            );
            if let Some(e) = &step.error {
                let _ = write!(out, "<pre class=\"error\">{}</pre>", esc(e));
            }
            let shots: Vec<&attachments::AttachmentFile> = files
                .iter()
                .filter(|a| {
                    a.feature == fi && a.scenario == si && a.attempt == s.attempts() && a.step_line == step.line
                })
                .filter(|a| a.attachment.mime.starts_with("image/"))
                .collect();
            if !shots.is_empty() {
                out.push_str("<div class=\"shots\">");
                // Embedded like every image of the page: it is one file, whole
                // wherever it is opened or copied.
                for a in shots {
                    let data = base64::engine::general_purpose::STANDARD.encode(&a.attachment.data);
                    let _ = write!(
                        out,
                        "<figure class=\"shot\"><img alt=\"{name}\" src=\"data:{mime};base64,{data}\"><figcaption>{name}</figcaption></figure>",
                        name = esc(&a.attachment.name),
                        mime = esc(&a.attachment.mime)
                    );
                }
                out.push_str("</div>");
            }
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

fn header(out: &mut String, report: &RunReport, coverage: &Coverage) {
    let verdict = if report.passed() { "passed" } else { "failed" };
    let flaky = report.scenarios().filter(|(_, s)| s.flaky()).count();
    let _ = write!(
        out,
        "<header id=\"run\">\n<h1>mitid-e2e run <span class=\"id\">{}</span></h1>\n\
         <p id=\"verdict\" class=\"verdict {verdict}\">{}</p>\n<dl id=\"counts\">",
        esc(&report.run_id),
        verdict.to_uppercase()
    );
    let counts = [
        ("scenarios", report.scenarios().count()),
        ("passed", report.count(Status::Passed)),
        ("failed", report.count(Status::Failed)),
        ("errors", report.count(Status::Error)),
        ("skipped", report.count(Status::Skipped)),
        ("flaky", flaky),
    ];
    for (name, n) in counts {
        let _ = write!(out, "<div class=\"count {name}\"><dt>{name}</dt><dd>{n}</dd></div>");
    }
    out.push_str("</dl>\n<dl id=\"meta\">");
    let mut row = |name: &str, value: &str| {
        let _ = write!(out, "<div><dt>{name}</dt><dd id=\"meta-{}\">{}</dd></div>", safe_name(name), esc(value));
    };
    let started = report.scenarios().filter_map(|(_, s)| s.started).min();
    row("started", &started.map(rfc3339).unwrap_or_else(|| "unknown".into()));
    row("duration", &precise(report.duration));
    let meta = &report.meta;
    row("git commit", meta.git_commit.as_deref().unwrap_or("unknown"));
    row("profile", meta.profile.as_deref().unwrap_or("unknown"));
    row("host", meta.host.as_deref().unwrap_or("unknown"));
    row("shard", &report.shard.map_or_else(|| "whole suite".into(), |(i, n)| format!("{i}/{n}")));
    row("defects", &if meta.defects.is_empty() { "none".into() } else { meta.defects.join(", ") });
    if meta.screen_texts_unchecked {
        row("approved screen texts", "not checked (--no-screen-texts)");
    }
    row("coverage", &coverage.line());
    out.push_str("</dl>\n");
    let mut problems = Vec::new();
    problems.extend(report.parse_errors.iter().map(|e| format!("feature error: {e}")));
    problems.extend(report.undefined.iter().map(|(s, at)| format!("undefined step at {at}: {s}")));
    problems.extend(report.quarantined.iter().map(|(u, why)| format!("quarantined: phone {u} {why}")));
    if !problems.is_empty() {
        out.push_str("<ul id=\"problems\">");
        for p in problems {
            let _ = write!(out, "<li>{}</li>", esc(&p));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</header>\n");
}

/// The documented steps, preconditions and rules, each with the scenarios
/// that prove it (linked) and the result.
fn coverage_matrix(out: &mut String, report: &RunReport, coverage: &Coverage) {
    // Coverage names a scenario "name (path:line)", as the console does.
    let anchors: HashMap<String, String> = report
        .scenarios()
        .map(|(f, s)| (format!("{} ({}:{})", s.name, f.path.display(), s.line), anchor(f, s)))
        .collect();
    let cells = |proofs: &[(String, bool)]| {
        proofs
            .iter()
            .map(|(name, ok)| {
                let class = if *ok { "ok" } else { "broken" };
                match anchors.get(name) {
                    Some(a) => format!("<a class=\"{class}\" href=\"#{a}\">{}</a>", esc(name)),
                    None => format!("<span class=\"{class}\">{}</span>", esc(name)),
                }
            })
            .collect::<Vec<_>>()
            .join("<br>")
    };
    out.push_str(
        "<section id=\"coverage\">\n<h2>Coverage of the documentation</h2>\n<table class=\"matrix\">\n\
         <thead><tr><th>documented</th><th>scenarios</th><th>result</th></tr></thead>\n<tbody>\n",
    );
    for row in &coverage.rows {
        let result = super::coverage::result(&row.proofs);
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{result}</td></tr>",
            safe_name(result),
            esc(&row.label()),
            cells(&row.proofs)
        );
    }
    for (rule, proofs) in &coverage.rules {
        let result = if proofs.iter().all(|(_, ok)| *ok) { "held" } else { "BROKEN" };
        let _ = writeln!(
            out,
            "<tr class=\"rule {}\"><td>@{}</td><td>{}</td><td>{result}</td></tr>",
            safe_name(result),
            esc(rule),
            cells(proofs)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn scenario(
    out: &mut String,
    f: &FeatureReport,
    s: &ScenarioReport,
    links: &HashMap<(usize, usize, *const Attachment), String>,
) {
    let verdict = verdict(s);
    // A failed scenario and one that could not be judged are both "failed"
    // to the filter: each needs a person to look.
    let group = match s.status() {
        Status::Failed | Status::Error => "failed",
        Status::Skipped => "skipped",
        _ => "passed",
    };
    let _ = write!(
        out,
        "<article class=\"scenario {group}{}\" id=\"{}\" data-status=\"{verdict}\">\n\
         <h3><span class=\"badge {verdict}\">{verdict}</span> {}: {}</h3>\n<p class=\"place\">{}:{} · {} · {}",
        if s.flaky() { " flaky" } else { "" },
        anchor(f, s),
        esc(s.keyword.trim()),
        esc(&s.name),
        esc(&f.path.display().to_string()),
        s.line,
        precise(s.total_duration()),
        s.attempt_of(),
    );
    if let Some(t) = s.started {
        let _ = write!(out, " · started {}", rfc3339(t));
    }
    out.push_str("</p>\n");
    if !s.tags.is_empty() {
        let tags: Vec<String> = s.tags.iter().map(|t| format!("@{}", esc(t))).collect();
        let _ = writeln!(out, "<p class=\"tags\">{}</p>", tags.join(" "));
    }
    if let Some(why) = &s.left_out {
        let _ = writeln!(out, "<p class=\"left-out\">left out: {}</p>", esc(why));
    }
    if !s.phones.is_empty() {
        out.push_str("<ul class=\"phones\">");
        for p in &s.phones {
            let _ = write!(
                out,
                "<li>{} · {} · OS {} · {}</li>",
                esc(&p.udid),
                esc(&p.model),
                esc(&p.os_version),
                esc(&p.rig)
            );
        }
        out.push_str("</ul>\n");
    }
    if !s.requests.is_empty() {
        // Each a round trip on a real phone: what a lab's night is planned by.
        let phones: Vec<String> = s
            .requests
            .iter()
            .map(|(phone, kinds)| {
                let total: u64 = kinds.values().sum();
                let each: Vec<String> = kinds.iter().map(|(k, n)| format!("{} {n}", esc(k))).collect();
                format!("{} {total} ({})", esc(phone), each.join(", "))
            })
            .collect();
        let _ = writeln!(out, "<p class=\"requests\">requests: {}</p>", phones.join("; "));
    }
    let attempts = s.attempts().max(1);
    for (i, a) in s.earlier_attempts.iter().enumerate() {
        let _ = writeln!(
            out,
            "<details class=\"attempt earlier\"><summary>attempt {} of {attempts}: {} in {}</summary>",
            i + 1,
            a.status().name(),
            precise(a.duration)
        );
        steps(out, &a.steps, i + 1, links);
        out.push_str("</details>\n");
    }
    if !s.earlier_attempts.is_empty() {
        let _ = writeln!(
            out,
            "<p class=\"attempt last\">attempt {attempts} of {attempts}: {} in {}</p>",
            s.status().name(),
            precise(s.duration)
        );
    }
    steps(out, &s.steps, s.earlier_attempts.len() + 1, links);
    out.push_str("</article>\n");
}

fn steps(
    out: &mut String,
    steps: &[StepReport],
    attempt: usize,
    links: &HashMap<(usize, usize, *const Attachment), String>,
) {
    out.push_str("<ol class=\"steps\">\n");
    for st in steps {
        let _ = write!(
            out,
            "<li class=\"step {}{}\"><span class=\"status\">{}</span> <span class=\"text\"><b>{}</b> {}</span> \
             <span class=\"time\">{}</span> <span class=\"line\">line {}</span>",
            st.status.name(),
            if st.background { " background" } else { "" },
            st.status.name(),
            esc(&st.keyword),
            esc(&st.text),
            precise(st.duration),
            st.line
        );
        if let Some(e) = &st.error {
            let _ = write!(out, "<pre class=\"error\">{}</pre>", esc(e));
        }
        if !st.attachments.is_empty() {
            evidence(out, st, attempt, links);
        }
        out.push_str("</li>\n");
    }
    out.push_str("</ol>\n");
}

/// A step's attachments: screenshots side by side (stacked on a phone),
/// each labelled with its phone; text (page source, messages, Bluetooth
/// trace, device log) folded under its name, open when the step failed.
fn evidence(
    out: &mut String,
    st: &StepReport,
    attempt: usize,
    links: &HashMap<(usize, usize, *const Attachment), String>,
) {
    let link = |a: &Attachment| links.get(&(attempt, st.line, a as *const Attachment)).cloned();
    let (images, texts): (Vec<&Attachment>, Vec<&Attachment>) =
        st.attachments.iter().partition(|a| a.mime.starts_with("image/"));
    out.push_str("<div class=\"evidence\">");
    if !images.is_empty() {
        out.push_str("<div class=\"shots\">");
        for a in images {
            let data = base64::engine::general_purpose::STANDARD.encode(&a.data);
            let _ = write!(
                out,
                "<figure class=\"shot\"><img alt=\"{}\" src=\"data:{};base64,{data}\"><figcaption>{}",
                esc(&a.name),
                esc(&a.mime),
                esc(&a.name)
            );
            if let Some(path) = link(a) {
                let _ = write!(out, " <a href=\"{}\">file</a>", esc(&path));
            }
            out.push_str("</figcaption></figure>");
        }
        out.push_str("</div>");
    }
    let failed = matches!(st.status, Status::Failed | Status::Error | Status::Undefined);
    for a in texts {
        let kind = kind_of(&a.name);
        let _ = write!(
            out,
            "<details class=\"attachment {kind}\"{}><summary>{}",
            if failed { " open" } else { "" },
            esc(&a.name)
        );
        if let Some(path) = link(a) {
            let _ = write!(out, " <a href=\"{}\">file</a>", esc(&path));
        }
        let _ = write!(out, "</summary><pre>{}</pre></details>", esc(&String::from_utf8_lossy(&a.data)));
    }
    out.push_str("</div>");
}

/// What an attachment is, for the page's styles and a reader's search:
/// `page-source`, `messages`, `bluetooth-trace`, `device-log` or `note`.
fn kind_of(name: &str) -> &'static str {
    let name = name.to_lowercase();
    if name.contains("page source") || name.contains("page-source") {
        "page-source"
    } else if name.contains("message") {
        "messages"
    } else if name.contains("bluetooth") {
        "bluetooth-trace"
    } else if name.contains("log") {
        "device-log"
    } else {
        "note"
    }
}
