//! The trends page, `reports/history.html`: self-contained — inline CSS and
//! SVG charts drawn here, no script, nothing fetched — so it opens from a CI
//! artifact or a mail. Pass rate per run, the most flaky scenarios, duration
//! trends, phone health, and the runs.

use std::fmt::Write as _;

use mitid_e2e_framework::clock::minute as when;
use mitid_e2e_framework::duration::precise_secs as secs;

use super::queries;
use super::store::History;
use crate::exit::Exit;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1100px;color:#1d2329;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #dde2e6;padding-bottom:4px}
.sub{color:#5b6670;margin:0 0 12px}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef1f3;vertical-align:top}th{background:#f5f7f8;font-weight:600}
td.n{text-align:right;font-variant-numeric:tabular-nums}.bar{display:inline-block;height:10px;background:#d9822b;border-radius:2px;vertical-align:middle}
.bar.f{background:#c23030}.ok{color:#0f7b3f}.bad{color:#c23030;font-weight:600}.warn{color:#a35a00;font-weight:600}
svg{display:block;background:#fbfcfc;border:1px solid #eef1f3;border-radius:4px}svg text{font:11px system-ui,sans-serif;fill:#5b6670}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.none{color:#5b6670;font-style:italic}#phones td:first-child{white-space:nowrap}
";

const COLOURS: [&str; 8] = ["#2b6cb0", "#c23030", "#0f7b3f", "#a35a00", "#6b46c1", "#0e7490", "#b83280", "#4a5568"];

/// The page for the runs of `h` (oldest first).
pub fn render(h: &History) -> String {
    let runs = queries::runs(h);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>mitid-e2e run history</title>\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><style>{CSS}</style></head><body>\n\
         <h1>mitid-e2e run history</h1><p class=\"sub\" id=\"summary\">{} run(s){}; a merged sharded run counts once.</p>\n",
        runs.len(),
        match (runs.first(), runs.last()) {
            (Some(a), Some(b)) => format!(" from {} to {} UTC", when(a.started_ms), when(b.started_ms)),
            _ => String::new(),
        }
    );
    pass_rate(&mut out, &runs);
    // Flaky and slow read comparable runs only: a one-scenario run or a
    // planted defect does not count into a nightly's rates.
    let alike = queries::comparable(h, None, false, usize::MAX).unwrap_or_else(|_| queries::Comparable {
        history: h.clone(),
        basis: None,
        like: None,
        left_out: 0,
    });
    let _ = writeln!(
        out,
        "<p class=\"sub\" id=\"basis\">Flaky scenarios and duration trends {}.</p>",
        esc(&alike.heading())
    );
    flaky(&mut out, &alike.history);
    durations(&mut out, &alike.history);
    phones(&mut out, h);
    runs_table(&mut out, &runs);
    out.push_str("</body></html>\n");
    out
}

fn pass_rate(out: &mut String, runs: &[queries::RunRow]) {
    out.push_str("<h2>Pass rate per run</h2>\n");
    if runs.is_empty() {
        out.push_str("<p class=\"none\">No run recorded yet.</p>\n");
        return;
    }
    let (w, h, left, bottom, top) = (1060.0, 200.0, 40.0, 24.0, 10.0);
    let plot_h = h - bottom - top;
    let step = (w - left - 10.0) / runs.len() as f64;
    let _ = write!(out, "<svg id=\"pass-rate\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"pass rate per run\">");
    for pct in [0, 50, 100] {
        let y = top + plot_h * (1.0 - f64::from(pct) / 100.0);
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e2e6e9\"/><text x=\"4\" y=\"{:.1}\">{pct}%</text>",
            w - 10.0,
            y + 4.0
        );
    }
    for (i, r) in runs.iter().enumerate() {
        let rate = r.pass_rate();
        let bh = plot_h * rate / 100.0;
        let x = left + step * i as f64 + step * 0.15;
        let colour = match (Exit::from_code(r.exit_code), r.flaky) {
            (Some(Exit::Passed), 0) => "#2f9e5b",
            (Some(Exit::Passed), _) => "#d9822b",
            (Some(Exit::Failed), _) => "#c23030",
            _ => "#8a94a0",
        };
        // A run that judged nothing (refused, interrupted early) is a
        // full grey bar: seen, and not read as 0 % passed.
        let bh = if r.passed + r.flaky + r.failed == 0 { plot_h } else { bh };
        let _ = write!(
            out,
            "<rect class=\"run\" x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"{colour}\"><title>{}: {} — {rate:.0}% passed, {} flaky, {} failed, {} errors</title></rect>",
            top + plot_h - bh,
            step * 0.7,
            esc(&r.run_id),
            esc(&r.verdict),
            r.flaky,
            r.failed,
            r.errors
        );
    }
    let _ = write!(
        out,
        "<text x=\"{left}\" y=\"{:.1}\">oldest</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">newest</text></svg>\n\
         <p class=\"legend\"><span><i style=\"background:#2f9e5b\"></i>passed</span><span><i style=\"background:#d9822b\"></i>passed with flaky scenarios</span>\
         <span><i style=\"background:#c23030\"></i>failed</span>\
         <span><i style=\"background:#8a94a0\"></i>refused, interrupted, or some scenarios could not be judged</span></p>\n",
        h - 6.0,
        w - 10.0,
        h - 6.0
    );
}

fn flaky(out: &mut String, h: &History) {
    out.push_str("<h2>Most flaky scenarios</h2>\n");
    let rows = queries::flaky(h);
    if rows.is_empty() {
        out.push_str("<p class=\"none\" id=\"flaky\">No scenario was flaky or failed.</p>\n");
        return;
    }
    out.push_str("<table id=\"flaky\"><tr><th>scenario</th><th>flaky</th><th>failed</th><th>could not be judged</th><th></th></tr>\n");
    for r in rows.iter().take(10) {
        let _ = writeln!(
            out,
            "<tr><td>{}<br><small>{} · {}</small></td><td class=\"n\">{}/{} ({:.0}%)</td><td class=\"n\">{}/{} ({:.0}%)</td>\
             <td class=\"n\">{}/{}</td>\
             <td><span class=\"bar\" style=\"width:{:.0}px\"></span><span class=\"bar f\" style=\"width:{:.0}px\"></span></td></tr>",
            esc(&r.name),
            esc(&r.feature),
            esc(&r.scenario),
            r.flaky,
            r.runs,
            r.flaky_rate * 100.0,
            r.failed,
            r.runs,
            r.failure_rate * 100.0,
            r.errors,
            r.runs,
            r.flaky_rate * 200.0,
            r.failure_rate * 200.0
        );
    }
    out.push_str("</table>\n");
}

fn durations(out: &mut String, h: &History) {
    out.push_str("<h2>Duration trends</h2>\n");
    let per = queries::durations(h);
    if per.is_empty() {
        out.push_str("<p class=\"none\">No passing scenario yet.</p>\n");
        return;
    }
    let slow = queries::slow(h, 5, 1.5);
    // The slowest-growing first, then the longest: at most 8 lines.
    let mut order: Vec<&queries::Durations> = per.values().collect();
    order.sort_by(|a, b| {
        let ra = slow.iter().position(|s| s.scenario == a.place).unwrap_or(usize::MAX);
        let rb = slow.iter().position(|s| s.scenario == b.place).unwrap_or(usize::MAX);
        ra.cmp(&rb).then(queries::median_secs(&b.ms).total_cmp(&queries::median_secs(&a.ms)))
    });
    order.truncate(COLOURS.len());
    let max = order.iter().flat_map(|d| d.ms.iter()).copied().max().unwrap_or(1).max(1) as f64;
    let longest = order.iter().map(|d| d.ms.len()).max().unwrap_or(1).max(2);
    let (w, ht, left, bottom, top) = (1060.0, 220.0, 48.0, 20.0, 10.0);
    let plot_h = ht - bottom - top;
    let step = (w - left - 10.0) / (longest - 1) as f64;
    let _ = write!(out, "<svg id=\"durations\" width=\"{w}\" height=\"{ht}\" viewBox=\"0 0 {w} {ht}\" role=\"img\" aria-label=\"duration trends\">");
    for frac in [0.0, 0.5, 1.0] {
        let y = top + plot_h * (1.0 - frac);
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#e2e6e9\"/><text x=\"4\" y=\"{:.1}\">{}</text>",
            w - 10.0,
            y + 4.0,
            secs(max * frac / 1000.0)
        );
    }
    for (i, d) in order.iter().enumerate() {
        // Aligned to the right: the newest run of each is at the right edge.
        let offset = longest - d.ms.len();
        let points: Vec<String> =
            d.ms.iter()
                .enumerate()
                .map(|(j, ms)| {
                    format!("{:.1},{:.1}", left + step * (offset + j) as f64, top + plot_h * (1.0 - *ms as f64 / max))
                })
                .collect();
        let _ = write!(
            out,
            "<polyline class=\"trend\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            COLOURS[i],
            points.join(" "),
            esc(&d.place)
        );
    }
    out.push_str("</svg>\n<p class=\"legend\">");
    for (i, d) in order.iter().enumerate() {
        let flag = slow
            .iter()
            .find(|s| s.scenario == d.place)
            .map(|s| format!(" <b class=\"warn\">slower: {:.1}x its baseline</b>", s.ratio))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<span><i style=\"background:{}\"></i>{} <small>({}, median {})</small>{flag}</span>",
            COLOURS[i],
            esc(&d.name),
            esc(&d.place),
            secs(queries::median_secs(&d.ms))
        );
    }
    out.push_str("</p>\n");
}

fn phones(out: &mut String, h: &History) {
    out.push_str("<h2>Phone health</h2>\n");
    let rows = queries::phones(h);
    if rows.is_empty() {
        out.push_str("<p class=\"none\" id=\"phones\">No phone leased yet.</p>\n");
        return;
    }
    out.push_str(
        "<table id=\"phones\"><tr><th>phone</th><th>model</th><th>runs</th><th>failures</th><th>errors</th><th>retried</th><th>quarantines</th><th>health</th></tr>\n",
    );
    for r in &rows {
        let class = if r.quarantines > 0 || r.bad_runs * 5 > r.runs {
            "bad"
        } else if r.bad_runs > 0 {
            "warn"
        } else {
            "ok"
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{} <small>{} · {}</small></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"{class}\">{}</td></tr>",
            esc(&r.udid),
            esc(&r.model),
            esc(&r.os_version),
            esc(&r.rig),
            r.runs,
            r.failures,
            r.errors,
            r.retried,
            r.quarantines,
            esc(&r.summary)
        );
    }
    out.push_str("</table>\n");
}

fn runs_table(out: &mut String, runs: &[queries::RunRow]) {
    out.push_str("<h2>Runs</h2>\n<table id=\"runs\"><tr><th>run</th><th>started (UTC)</th><th>kind</th><th>verdict</th><th>passed</th><th>flaky</th><th>failed</th><th>errors</th><th>quarantined</th><th>time</th><th>commit</th><th>asked</th></tr>\n");
    for r in runs.iter().rev() {
        let class = match Exit::from_code(r.exit_code) {
            Some(Exit::Passed) => "ok",
            Some(Exit::Failed) => "bad",
            _ => "warn",
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td><td><small>{}</small></td></tr>",
            esc(&r.run_id),
            when(r.started_ms),
            esc(&r.kind),
            esc(&r.verdict),
            r.passed,
            r.flaky,
            r.failed,
            r.errors,
            r.quarantined,
            secs(r.duration_secs),
            esc(&r.git_commit.as_deref().map(|c| c.chars().take(10).collect::<String>()).unwrap_or_else(|| "-".into())),
            esc(&queries::asked(r))
        );
    }
    out.push_str("</table>\n");
}
