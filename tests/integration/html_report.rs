//! The run's `index.html` as a person reads it: a real run on the virtual
//! farm (a defective build fails one scenario, tried again once; another
//! passes), its page opened from a `file://` URL in real headless Chromium
//! and read through the DOM, on a desktop and on a phone-sized window.

use crate::support::chromium;

use std::path::{Path, PathBuf};
use std::process::Command;

use fantoccini::Locator;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mitid-e2e");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Fails under `old_app_deactivated` (its last step), on Android.
const FAILING: &str = "features/copy_your_mitid_app.feature:58";
/// Passes under it: no step of it checks the old app after a copy.
const PASSING: &str = "features/rules/bluetooth.feature:73";

/// The fixture identity's secrets (user ID, PIN, phone number).
const SECRETS: [&str; 3] = ["anna-copy-4711", "246810", "4520471100"];

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mitid-html-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_run_page_shows_the_run_in_real_chromium_on_a_phone_and_a_desktop() {
    let dir = scratch();
    let reports = dir.join("reports");
    let out = Command::new(BIN)
        .args(["run", FAILING, PASSING, "--defect", "old_app_deactivated", "--retry", "1", "--report-dir"])
        .arg(&reports)
        .current_dir(ROOT)
        .output()
        .expect("the binary runs");
    let console = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{console}");
    let run_dir = std::fs::canonicalize(reports.join("latest")).unwrap();
    let page = run_dir.join("index.html");
    let shown = page.strip_prefix(&dir).map_or(page.clone(), Path::to_path_buf);
    assert!(
        console.lines().any(|l| l.starts_with("report page: ") && l.ends_with("/index.html")),
        "the console names the page: {console}"
    );
    let html = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}\n{console}", shown.display()));

    // Self-contained: the policy forbids loading anything but itself and
    // data: images, and no URL in it leads off the machine.
    assert!(html.contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"));
    for outside in ["http://", "https://", "<script", "<link", "@import", "url("] {
        assert!(!html.contains(outside), "index.html has {outside}");
    }
    for secret in SECRETS {
        assert!(!html.contains(secret), "index.html shows {secret} in clear");
    }
    let info: Value = serde_json::from_str(&std::fs::read_to_string(run_dir.join("run.json")).unwrap()).unwrap();
    let coverage_rows = std::fs::read_to_string(run_dir.join("coverage.md"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("| step ") || l.starts_with("| before ") || l.starts_with("| @"))
        .count();

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let browser = chromium::Chromium::start(&dir.join("chromium-profile"), 1366, 900).await;
        let c = &browser.client;
        c.goto(&format!("file://{}", page.display())).await.unwrap();
        let text = |css: &'static str| async move { c.find(Locator::Css(css)).await.unwrap().text().await.unwrap() };

        // The header: verdict, counts, where and of what it ran.
        assert_eq!(c.title().await.unwrap(), format!("mitid-e2e run {}", info["run_id"].as_str().unwrap()));
        assert_eq!(text("#verdict").await, "FAILED");
        assert_eq!(text("#counts .count.scenarios dd").await, "2");
        assert_eq!(text("#counts .count.passed dd").await, "1");
        assert_eq!(text("#counts .count.failed dd").await, "1");
        assert_eq!(text("#meta-git-commit").await, info["meta"]["git_commit"].as_str().unwrap_or("unknown"));
        assert_eq!(text("#meta-profile").await, info["meta"]["profile"].as_str().unwrap());
        assert_eq!(text("#meta-defects").await, "old_app_deactivated");
        assert!(text("#meta-started").await.ends_with('Z'));

        // A red run opens on what went wrong: first in <main>, the failing
        // scenario, its step, the message and both phones' screenshots
        // (loaded), linking down to the whole scenario.
        let first = c.execute("return document.querySelector('main > *').id", vec![]).await.unwrap();
        assert_eq!(first, "failures", "the summary comes first on a red run");
        let summary = text("#failures").await;
        assert!(summary.contains(FAILING) && summary.contains("line"), "{summary}");
        let loaded = c
            .execute(
                "return Array.from(document.querySelectorAll('#failures .shot img')).map(i => i.naturalWidth)",
                vec![],
            )
            .await
            .unwrap();
        let loaded: Vec<u64> = loaded.as_array().unwrap().iter().map(|w| w.as_u64().unwrap()).collect();
        assert!(loaded.len() == 2 && loaded.iter().all(|w| *w > 0), "both phones' screenshots load: {loaded:?}");
        let link = c.find(Locator::Css("#failures .failure h3 a")).await.unwrap().attr("href").await.unwrap().unwrap();
        let anchor = link.trim_start_matches('#').to_owned();
        let target = c.find(Locator::Id(&anchor)).await.unwrap();
        assert!(target.text().await.unwrap().contains(FAILING), "the link leads to the scenario");

        // The coverage matrix: a row per documented step, precondition and
        // rule, as coverage.md has them; the broken rule links its scenario.
        let rows = c.find_all(Locator::Css("#coverage tbody tr")).await.unwrap();
        assert_eq!(rows.len(), coverage_rows);
        let broken = text("#coverage tr.rule.broken").await;
        assert!(broken.starts_with("@rule-old-app-stays-active") && broken.contains(FAILING), "{broken}");

        // The failing scenario: every attempt, and for its failing step both
        // phones' screenshots (loaded), labelled, the page source and the
        // messages, redacted.
        let failed = c.find_all(Locator::Css("article.scenario.failed")).await.unwrap();
        assert_eq!(failed.len(), 1);
        assert!(failed[0].text().await.unwrap().contains(FAILING));
        assert_eq!(c.find_all(Locator::Css("article.failed details.attempt.earlier")).await.unwrap().len(), 1);
        assert_eq!(text("article.failed p.attempt.last").await.split(':').next(), Some("attempt 2 of 2"));
        let step = "article.failed > ol.steps > li.step.failed";
        let captions = c.find_all(Locator::Css(&format!("{step} .shot figcaption"))).await.unwrap();
        let mut labels = Vec::new();
        for f in captions {
            labels.push(f.text().await.unwrap());
        }
        assert_eq!(labels, ["old-phone screenshot file", "new-phone screenshot file"]);
        let widths = c
            .execute(
                &format!("return Array.from(document.querySelectorAll('{step} .shot img')).map(i => i.naturalWidth)"),
                vec![],
            )
            .await
            .unwrap();
        let widths: Vec<u64> = widths.as_array().unwrap().iter().map(|w| w.as_u64().unwrap()).collect();
        assert!(widths.len() == 2 && widths.iter().all(|w| *w > 0), "the screenshots load: {widths:?}");
        let source = text("article.failed > ol.steps > li.step.failed details.page-source pre").await;
        assert!(source.contains("hierarchy") || source.contains("AppiumAUT"), "{source}");
        let messages = text("article.failed > ol.steps > li.step.failed details.messages pre").await;
        assert!(messages.contains("[TEMPORARY PIN]"), "the message timeline, redacted: {messages}");
        for secret in SECRETS {
            assert!(!messages.contains(secret), "the timeline shows {secret}");
        }
        let dom = c.source().await.unwrap();
        for secret in SECRETS {
            assert!(!dom.contains(secret), "the page shows {secret}");
        }

        // Side by side on a desktop.
        let (old, new) = shot_boxes(c).await;
        assert!(old.1 == new.1 && new.0 > old.0, "side by side at 1366 px: {old:?} {new:?}");
        save(&run_dir, "index-1366x900-top.png", &c.screenshot().await.unwrap());
        scroll_to(c, "article.failed > ol.steps > li.step.failed").await;
        save(&run_dir, "index-1366x900.png", &c.screenshot().await.unwrap());

        // The filter "failed" leaves the failed scenario only.
        let passed = c.find(Locator::Css("article.scenario.passed")).await.unwrap();
        assert!(passed.is_displayed().await.unwrap());
        c.find(Locator::Css("label[for=f-failed]")).await.unwrap().click().await.unwrap();
        assert!(!passed.is_displayed().await.unwrap(), "the filter hides the passed scenario");
        assert!(c.find(Locator::Css("article.scenario.failed")).await.unwrap().is_displayed().await.unwrap());
        c.find(Locator::Css("label[for=f-all]")).await.unwrap().click().await.unwrap();
        assert!(passed.is_displayed().await.unwrap());

        // Stacked on a phone, the page no wider than the screen.
        c.set_window_size(390, 844).await.unwrap();
        let inner = c.execute("return window.innerWidth", vec![]).await.unwrap();
        assert_eq!(inner, 390, "the page is laid out for a phone's width");
        let (old, new) = shot_boxes(c).await;
        assert!(new.1 >= old.1 + old.3 && (new.0 - old.0).abs() < 1.0, "stacked at 390 px: {old:?} {new:?}");
        let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth", vec![]).await;
        let wide = c
            .execute(
                "return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right \
                 > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + \
                 e.getBoundingClientRect().right)",
                vec![],
            )
            .await
            .unwrap();
        assert!(overflow.unwrap().as_f64().unwrap() <= 0.0, "no sideways scrolling on a phone: {wide}");
        scroll_to(c, "article.failed > ol.steps > li.step.failed .shots").await;
        let png = c.screenshot().await.unwrap();
        save(&run_dir, "index-390x844.png", &png);

        // A URL naming the scenario, as a console or a chat gives it: the
        // page shows that scenario alone, at the top, and the way back.
        c.set_window_size(1366, 900).await.unwrap();
        c.goto(&format!("file://{}{link}", page.display())).await.unwrap();
        let failed = c.find(Locator::Css("article.scenario.failed")).await.unwrap();
        assert!(failed.is_displayed().await.unwrap(), "the named scenario shows");
        assert!(!c.find(Locator::Css("article.scenario.passed")).await.unwrap().is_displayed().await.unwrap());
        assert!(!c.find(Locator::Css("#coverage")).await.unwrap().is_displayed().await.unwrap());
        let top =
            c.execute(&format!("return document.getElementById('{anchor}').getBoundingClientRect().top"), vec![]).await;
        assert!(top.unwrap().as_f64().unwrap() < 900.0, "the scenario is in view");
        c.find(Locator::Css(".focus a")).await.unwrap().click().await.unwrap();
        assert!(
            c.find(Locator::Css("article.scenario.passed")).await.unwrap().is_displayed().await.unwrap(),
            "the whole run again"
        );

        // Nothing was fetched: every resource the page loaded is the file itself.
        let loaded =
            c.execute("return performance.getEntriesByType('resource').map(e => e.name)", vec![]).await.unwrap();
        assert_eq!(loaded, serde_json::json!([]), "the page fetched something");
        browser.close().await;
    });
    let _ = std::fs::remove_dir_all(&dir);
}

/// The old and new phone's screenshots' boxes (x, y, width, height) in the
/// failing step.
async fn shot_boxes(c: &fantoccini::Client) -> ((f64, f64, f64, f64), (f64, f64, f64, f64)) {
    let js = "return Array.from(document.querySelectorAll('article.failed > ol.steps > li.step.failed .shot'))\
              .map(f => { const r = f.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })";
    let boxes = c.execute(js, vec![]).await.unwrap();
    let b: Vec<Vec<f64>> = serde_json::from_value(boxes).unwrap();
    assert_eq!(b.len(), 2, "two screenshots");
    ((b[0][0], b[0][1], b[0][2], b[0][3]), (b[1][0], b[1][1], b[1][2], b[1][3]))
}

async fn scroll_to(c: &fantoccini::Client, css: &str) {
    c.execute(&format!("document.querySelector('{css}').scrollIntoView()"), vec![]).await.unwrap();
}

/// A screenshot of the page, into the run's folder and `target/` (to look at).
fn save(run_dir: &Path, name: &str, png: &[u8]) {
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000, "a screenshot of the page");
    std::fs::write(run_dir.join(name), png).unwrap();
    let kept = Path::new(ROOT).join("target").join(format!("html-report-{name}"));
    std::fs::write(&kept, png).unwrap();
    println!("screenshot: {}", kept.display());
}
