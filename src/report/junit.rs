//! JUnit XML: a testsuite per feature, a testcase per scenario. Flaky
//! scenarios pass and say so in `system-out`; attachments are listed.

use std::fmt::Write as _;

use super::{RunReport, Status};

/// `junit.xml`: the whole run.
pub fn render(report: &RunReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    // A feature that could not be parsed is a testcase (in error) too.
    let total = report.scenarios().count() + report.parse_errors.len();
    let failures = report.count(Status::Failed);
    let _ = writeln!(
        out,
        "<testsuites name=\"mitid-e2e\" tests=\"{total}\" failures=\"{failures}\" errors=\"{}\" time=\"{:.3}\">",
        report.parse_errors.len() + report.count(Status::Error),
        report.duration.as_secs_f64()
    );
    for e in &report.parse_errors {
        let _ = writeln!(out, "  <testsuite name=\"feature parsing\" tests=\"1\" failures=\"0\" errors=\"1\">");
        let _ = writeln!(
            out,
            "    <testcase name=\"parse\" classname=\"features\"><error message=\"{}\"/></testcase>",
            esc(e)
        );
        out.push_str("  </testsuite>\n");
    }
    for f in &report.features {
        let failed = f.scenarios.iter().filter(|s| s.status() == Status::Failed).count();
        let skipped = f.scenarios.iter().filter(|s| s.status() == Status::Skipped).count();
        let errors = f.scenarios.iter().filter(|s| s.status() == Status::Error).count();
        let time: f64 = f.scenarios.iter().map(|s| s.duration.as_secs_f64()).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" file=\"{}\" tests=\"{}\" failures=\"{failed}\" skipped=\"{skipped}\" errors=\"{errors}\" time=\"{time:.3}\">",
            esc(&f.name),
            esc(&f.path.display().to_string()),
            f.scenarios.len()
        );
        for s in &f.scenarios {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\" time=\"{:.3}\"",
                esc(&s.name),
                esc(&f.name),
                esc(&f.path.display().to_string()),
                s.line,
                s.duration.as_secs_f64()
            );
            let mut body = String::new();
            match s.status() {
                status @ (Status::Failed | Status::Error) => {
                    let step = s.failure();
                    let message = step.and_then(|st| st.error.clone()).unwrap_or_default();
                    let what =
                        step.map(|st| format!("{} {} (line {})", st.keyword, st.text, st.line)).unwrap_or_default();
                    let (element, kind) = match step.map(|st| st.status) {
                        _ if status == Status::Error => ("error", "could not be judged"),
                        Some(Status::Undefined) => ("failure", "undefined step"),
                        _ => ("failure", "step failed"),
                    };
                    let _ = writeln!(
                        body,
                        "      <{element} message=\"{}\" type=\"{kind}\">{}</{element}>",
                        esc(&message),
                        esc(&format!("{what}\n{message}"))
                    );
                }
                // Why, when a step says (a run interrupted before the scenario began).
                Status::Skipped => match s.steps.iter().find_map(|st| st.error.as_deref()) {
                    Some(why) => {
                        let _ = writeln!(body, "      <skipped message=\"{}\"/>", esc(why));
                    }
                    None => body.push_str("      <skipped/>\n"),
                },
                _ => {}
            }
            let mut notes = Vec::new();
            if s.flaky() {
                notes.push(format!("FLAKY: passed only on attempt {}", s.attempts));
            }
            for st in &s.steps {
                for a in &st.attachments {
                    notes.push(format!(
                        "attachment: {} ({}, {} bytes) on step line {}",
                        a.name,
                        a.mime,
                        a.data.len(),
                        st.line
                    ));
                }
            }
            if !notes.is_empty() {
                let _ = writeln!(body, "      <system-out>{}</system-out>", esc(&notes.join("\n")));
            }
            if body.is_empty() {
                out.push_str("/>\n");
            } else {
                out.push_str(">\n");
                out.push_str(&body);
                out.push_str("    </testcase>\n");
            }
        }
        out.push_str("  </testsuite>\n");
    }
    if !report.quarantined.is_empty() {
        let list: Vec<String> = report.quarantined.iter().map(|(u, why)| format!("{u}: {why}")).collect();
        let _ = writeln!(
            out,
            "  <testsuite name=\"device pool\" tests=\"0\" failures=\"0\" errors=\"0\">\n    <system-out>quarantined phones:\n{}</system-out>\n  </testsuite>",
            esc(&list.join("\n"))
        );
    }
    out.push_str("</testsuites>\n");
    out
}

/// XML attribute/text escaping; control characters XML forbids are dropped.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}
