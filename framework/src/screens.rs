//! Approved screen texts: every screen of the MitID app the run passes shows
//! exactly the texts QA approved for it, per platform and language.
//!
//! The steps check the texts they name; a word changed on any other line of
//! a screen would go unnoticed. So each time a phone's screen changes under
//! the runner (a tap, the app opened; the runner adds: a step ended), the phone reads
//! its page source — as it reads anything, over Appium — and the screen's
//! texts are compared with `<dir>/<platform>/<language>/<screen>.snap`.
//!
//! The files are insta's own snapshot format (a YAML header between `---`
//! lines, then the body), so `cargo insta review` approves a change: on a
//! difference the run writes the proposal next to the approved file as
//! `<screen>.snap.new`, which is what cargo-insta looks for.
//!
//! A screen's texts are its visible text lines in page-source order
//! (Android `text`, iOS `label`), whitespace collapsed; what changes from run
//! to run or is secret is masked: a field's content is `[input]` (user IDs,
//! PINs), a clock is `[time]` (the QR code's time left, the waiting time).
//! One screen can show a few approved *variants* (with a refusal message,
//! without biometrics, …): the body lists each, a blank line between them.
//! System screens (the OS's permission dialogs, the launcher, the biometric
//! prompt) are not the app's texts: `<dir>/screens.toml` names them, and an
//! Android source from another package than the app's, or an iOS alert, is
//! one too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;

use crate::countdown::CountdownSpec;
use crate::file::{FileError, FileKind};
use crate::locators::Locators;
use crate::profile::Platform;
use crate::secret::redact;

/// The language of the app's texts when the phone's capabilities name none
/// (`appium:language`).
pub const DEFAULT_LANGUAGE: &str = "en";

/// What stands for a field's content, whatever was typed.
pub const INPUT_MASK: &str = "[input]";
/// What stands for a clock ("2:59", "0:59:30").
pub const TIME_MASK: &str = "[time]";

/// One screen's texts, one line per visible text.
pub type Variant = Vec<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScreensFile {
    system: Vec<String>,
    /// Screen → the countdown it shows ([`crate::countdown`]).
    #[serde(default)]
    countdowns: BTreeMap<String, CountdownSpec>,
}

/// A screen whose texts differ from the approved ones.
#[derive(Debug, thiserror::Error)]
#[error(
    "the screen '{screen}' does not show its approved texts ({approved}):\n{diff}\n\
     The run wrote {pending}: if the change is intended, approve it with `cargo insta review`"
)]
pub struct TextsChanged {
    /// The screen's logical name.
    pub screen: String,
    /// The approved file.
    pub approved: String,
    /// The changed lines, or why there is no approved file.
    pub diff: String,
    /// The pending file the run wrote.
    pub pending: String,
}

/// The app screen a page source shows, as the locator map names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// The screen's logical name (`fixtures/locators`).
    pub screen: String,
    /// Its texts, normalised and masked.
    pub texts: Variant,
    /// The clocks its texts show, in order, before they were masked.
    pub clocks: Vec<std::time::Duration>,
}

/// What one screen's file holds, and what this run saw of it.
#[derive(Default)]
struct Entry {
    /// The approved variants; `None`: there is no approved file.
    approved: Option<BTreeSet<Variant>>,
    /// Approved variants this run saw.
    seen: BTreeSet<Variant>,
    /// Variants this run saw that are not approved.
    new: BTreeSet<Variant>,
}

/// The approved screen texts of a run: read once, compared by every phone.
pub struct ScreenTexts {
    dir: PathBuf,
    system: BTreeSet<String>,
    countdowns: BTreeMap<String, CountdownSpec>,
    entries: Mutex<BTreeMap<(Platform, String, String), Entry>>,
}

impl std::fmt::Debug for ScreenTexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScreenTexts").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl ScreenTexts {
    /// The approved texts in `dir` (`fixtures/screens`); reads its
    /// `screens.toml` (which screens are the system's).
    pub fn load(dir: &Path) -> Result<ScreenTexts, FileError> {
        let path = dir.join("screens.toml");
        let text = crate::file::read_to_string(FileKind::SCREEN_TEXTS, &path)?;
        let file: ScreensFile =
            toml::from_str(&text).map_err(|e| FileError::invalid(FileKind::SCREEN_TEXTS, &path, e.to_string()))?;
        Ok(ScreenTexts {
            dir: dir.into(),
            system: file.system.into_iter().collect(),
            countdowns: file.countdowns,
            entries: Default::default(),
        })
    }

    /// The folder of the approved texts.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The countdown `screen` shows, if it shows one.
    pub fn countdown(&self, screen: &str) -> Option<&CountdownSpec> {
        self.countdowns.get(screen)
    }

    /// Whether `screen` is the system's, not the app's.
    pub fn is_system(&self, screen: &str) -> bool {
        self.system.contains(screen)
    }

    /// The approved file of a screen.
    pub fn path(&self, platform: Platform, language: &str, screen: &str) -> PathBuf {
        self.dir.join(platform_dir(platform)).join(language).join(format!("{screen}.snap"))
    }

    /// Compares what a phone shows with the approved texts. A difference,
    /// or a screen with no approved file, is an error naming the screen and
    /// the changed lines; the proposal is written beside the approved file
    /// as `.snap.new` for `cargo insta review`.
    pub fn check(&self, platform: Platform, language: &str, shown: &Shown) -> Result<(), TextsChanged> {
        let path = self.path(platform, language, &shown.screen);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries
            .entry((platform, language.to_owned(), shown.screen.clone()))
            .or_insert_with(|| Entry { approved: read_snapshot(&path), ..Entry::default() });
        if entry.approved.as_ref().is_some_and(|a| a.contains(&shown.texts)) {
            entry.seen.insert(shown.texts.clone());
            return Ok(());
        }
        entry.new.insert(shown.texts.clone());
        let pending = path.with_extension("snap.new");
        let write = write_snapshot(&pending, platform, language, &shown.screen, &entry.proposal());
        let diff = match &entry.approved {
            None => format!("  there is no approved file yet; the screen shows:\n{}", indent(&shown.texts)),
            Some(approved) => line_diff(closest(approved, &shown.texts).map_or(&[][..], |v| v), &shown.texts),
        };
        Err(TextsChanged {
            screen: shown.screen.clone(),
            approved: shown_path(&path),
            diff,
            pending: match write {
                Ok(()) => shown_path(&pending),
                Err(e) => format!("nothing: {} could not be written ({e})", pending.display()),
            },
        })
    }
}

/// The folder of a platform's texts, as the locator files are named.
fn platform_dir(platform: Platform) -> &'static str {
    match platform {
        Platform::Android => "android",
        Platform::Ios => "ios",
    }
}

/// A path as a person at the terminal reads it: relative to the current folder.
fn shown_path(path: &Path) -> String {
    let here = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&here).unwrap_or(path).display().to_string()
}

impl Entry {
    /// What QA is asked to approve: the new variants, and the approved ones
    /// except those a new one replaces (the closest to it, when this run did
    /// not also see it unchanged).
    fn proposal(&self) -> BTreeSet<Variant> {
        let mut out = self.new.clone();
        if let Some(approved) = &self.approved {
            let replaced: BTreeSet<&Variant> = self
                .new
                .iter()
                .filter_map(|n| closest(approved, n))
                .filter(|a| !self.seen.contains(*a) && !self.new.contains(*a))
                .collect();
            out.extend(approved.iter().filter(|a| !replaced.contains(a)).cloned());
        }
        out
    }
}

/// The approved variant sharing most lines with `texts` (none shares any: `None`).
fn closest<'a>(approved: &'a BTreeSet<Variant>, texts: &[String]) -> Option<&'a Variant> {
    approved.iter().map(|a| (common(a, texts), a)).filter(|(n, _)| *n > 0).max_by_key(|(n, _)| *n).map(|(_, a)| a)
}

/// The length of the longest common subsequence of lines.
fn common(a: &[String], b: &[String]) -> usize {
    lcs_table(a, b)[0][0]
}

fn lcs_table(a: &[String], b: &[String]) -> Vec<Vec<usize>> {
    let mut t = vec![vec![0; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            t[i][j] = if a[i] == b[j] { t[i + 1][j + 1] + 1 } else { t[i + 1][j].max(t[i][j + 1]) };
        }
    }
    t
}

/// The changed lines only, numbered as on the screen: "- line 2: …" is the
/// approved line, "+ line 2: …" what the phone shows.
pub fn line_diff(approved: &[String], shown: &[String]) -> String {
    let t = lcs_table(approved, shown);
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < approved.len() || j < shown.len() {
        if i < approved.len() && j < shown.len() && approved[i] == shown[j] {
            i += 1;
            j += 1;
        } else if j < shown.len() && (i == approved.len() || t[i][j + 1] >= t[i + 1][j]) {
            out.push(format!("  + line {}: {}", j + 1, shown[j]));
            j += 1;
        } else {
            out.push(format!("  - line {}: {}", i + 1, approved[i]));
            i += 1;
        }
    }
    // A changed line reads best as its approved form, then the shown one.
    out.sort_by_key(|l| {
        let number = l.split(':').next().and_then(|p| p.rsplit(' ').next()?.parse::<usize>().ok());
        (number, l.starts_with("  +"))
    });
    out.join("\n")
}

fn indent(lines: &[String]) -> String {
    lines.iter().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

/// The variants of an approved file; `None` when there is none (or it
/// cannot be read: then it is as good as missing, and the run says so).
fn read_snapshot(path: &Path) -> Option<BTreeSet<Variant>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(parse_body(snapshot_body(&text)))
}

/// The body of an insta snapshot: what follows the `---` header.
fn snapshot_body(text: &str) -> &str {
    let mut lines = text.split_inclusive('\n');
    if lines.next().map(str::trim_end) != Some("---") {
        return text;
    }
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        at += line.len();
        if at > 4 && line.trim_end() == "---" {
            return &text[at..];
        }
    }
    ""
}

/// Variants, a blank line between them.
fn parse_body(body: &str) -> BTreeSet<Variant> {
    let mut out = BTreeSet::new();
    let mut current = Vec::new();
    for line in body.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.insert(std::mem::take(&mut current));
            }
        } else {
            current.push(line.to_owned());
        }
    }
    if !current.is_empty() {
        out.insert(current);
    }
    out
}

/// An insta snapshot file: the header cargo-insta reads, then the variants.
pub fn snapshot_text(platform: Platform, language: &str, screen: &str, variants: &BTreeSet<Variant>) -> String {
    let body: Vec<String> = variants.iter().map(|v| v.join("\n")).collect();
    format!(
        "---\nsource: framework/src/screens.rs\ndescription: \"The texts of the screen '{screen}' on {}, language '{language}': each variant its lines in page-source order, a blank line between variants\"\nexpression: screen_texts\n---\n{}\n",
        platform_dir(platform),
        body.join("\n\n")
    )
}

fn write_snapshot(
    path: &Path,
    platform: Platform,
    language: &str,
    screen: &str,
    variants: &BTreeSet<Variant>,
) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, snapshot_text(platform, language, screen, variants))
}

/// One element of a page source: its tag and attributes, unescaped.
struct Element {
    tag: String,
    attrs: Vec<(String, String)>,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The elements of a UiAutomator2 or XCUITest page source, in order.
fn elements(source: &str) -> Vec<Element> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        if rest.starts_with(['?', '/', '!']) {
            continue;
        }
        let Some(end) = tag_end(rest) else { break };
        let inner = rest[..end].trim_end_matches('/');
        rest = &rest[end + 1..];
        let name_end = inner.find(|c: char| c.is_whitespace()).unwrap_or(inner.len());
        let mut el = Element { tag: inner[..name_end].to_owned(), attrs: Vec::new() };
        let mut a = &inner[name_end..];
        while let Some(eq) = a.find('=') {
            let key = a[..eq].trim().to_owned();
            let after = a[eq + 1..].trim_start();
            let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else { break };
            let Some(close) = after[1..].find(quote) else { break };
            el.attrs.push((key, unescape(&after[1..1 + close])));
            a = &after[close + 2..];
        }
        out.push(el);
    }
    out
}

/// Where a tag ends: the first `>` outside a quoted attribute.
fn tag_end(s: &str) -> Option<usize> {
    let mut quote = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(i),
            _ => {}
        }
    }
    None
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let ch = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The app screen a page source shows, and its texts; `None` for a system
/// screen (another package than `app_id` on Android, an alert on iOS) or a
/// screen the locator map cannot name by accessibility id or id.
pub fn shown(source: &str, platform: Platform, app_id: &str, locators: &Locators) -> Option<Shown> {
    let els = elements(source);
    match platform {
        Platform::Android => {
            let package = els.iter().find_map(|e| e.attr("package"))?;
            if package != app_id {
                return None;
            }
        }
        Platform::Ios => {
            if els.iter().any(|e| e.tag == "XCUIElementTypeAlert") {
                return None;
            }
        }
    }
    let screen = els.iter().find_map(|e| screen_of(e, platform, locators))?;
    let texts = els.iter().filter_map(|e| text_of(e, platform)).collect();
    let clocks = els
        .iter()
        .filter_map(|e| raw_text(e, platform))
        .flat_map(|t| {
            clock_re().find_iter(t).filter_map(|m| crate::countdown::parse_clock(m.as_str())).collect::<Vec<_>>()
        })
        .collect();
    Some(Shown { screen, texts, clocks })
}

/// The screen whose locator finds this element, by accessibility id or id
/// (what a page source shows of them).
fn screen_of(e: &Element, platform: Platform, locators: &Locators) -> Option<String> {
    let (a11y, id) = match platform {
        Platform::Android => (e.attr("content-desc"), e.attr("resource-id")),
        Platform::Ios => (e.attr("name"), e.attr("name")),
    };
    locators.screen_names().find_map(|name| {
        let l = locators.screen(name).ok()?;
        let hit = match l.strategy.as_str() {
            "accessibility id" => a11y == Some(l.value.as_str()),
            "id" => id.is_some_and(|id| id == l.value || id.ends_with(&format!(":id/{}", l.value))),
            _ => false,
        };
        hit.then(|| name.to_owned())
    })
}

/// One element's visible text as the page source has it, where a clock can
/// be read: a label or a text that is not a field's content.
fn raw_text(e: &Element, platform: Platform) -> Option<&str> {
    match platform {
        Platform::Ios if e.tag == "XCUIElementTypeApplication" => None,
        Platform::Ios => e.attr("label"),
        Platform::Android if e.attr("class").unwrap_or(&e.tag).ends_with("EditText") => None,
        Platform::Android => e.attr("text"),
    }
}

/// A clock in a text: "2:41", "0:59:30".
fn clock_re() -> &'static regex::Regex {
    static CLOCK: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    CLOCK.get_or_init(|| regex::Regex::new(r"\b\d{1,2}:\d{2}(?::\d{2})?\b").expect("a valid regex"))
}

/// One element's visible text, normalised and masked.
fn text_of(e: &Element, platform: Platform) -> Option<String> {
    let (text, input) = match platform {
        // The app's own name on the application element is not a screen text.
        Platform::Ios if e.tag == "XCUIElementTypeApplication" => return None,
        Platform::Ios => (
            e.attr("label").unwrap_or_default(),
            matches!(e.tag.as_str(), "XCUIElementTypeTextField" | "XCUIElementTypeSecureTextField"),
        ),
        Platform::Android => {
            let input = e.attr("class").unwrap_or(&e.tag).ends_with("EditText");
            // What a field shows is what was typed (or its hint): masked whole.
            (if input { "" } else { e.attr("text").unwrap_or_default() }, input)
        }
    };
    let text = normalise(text);
    match (text.is_empty(), input) {
        (true, false) => None,
        (true, true) => Some(INPUT_MASK.to_owned()),
        (false, true) => Some(format!("{text} {INPUT_MASK}")),
        (false, false) => Some(text),
    }
}

/// Whitespace collapsed, clocks masked, secrets scrubbed.
pub fn normalise(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    redact(&clock_re().replace_all(&collapsed, TIME_MASK))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Variant {
        lines.iter().map(|s| s.to_string()).collect()
    }

    fn locators() -> Locators {
        Locators::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/locators").as_path(), Platform::Android)
            .unwrap()
    }

    const ANDROID: &str = r#"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<hierarchy index="0" class="hierarchy" rotation="0" width="360" height="760">
  <android.widget.FrameLayout index="0" package="dk.mitid.app.android" class="android.widget.FrameLayout" text="" content-desc="waiting">
    <android.widget.TextView index="0" package="dk.mitid.app.android" class="android.widget.TextView" text="The  waiting period&#10;has started" content-desc="waiting_title"/>
    <android.widget.TextView index="1" package="dk.mitid.app.android" class="android.widget.TextView" text="Time left: 0:59:58" content-desc="waiting_time_left"/>
    <android.widget.EditText index="2" package="dk.mitid.app.android" class="android.widget.EditText" text="AB12345" password="false" content-desc="user_id_input"/>
    <android.widget.Button index="3" package="dk.mitid.app.android" class="android.widget.Button" text="O&apos;K &gt;" content-desc="waiting_ok"/>
  </android.widget.FrameLayout>
</hierarchy>"#;

    #[test]
    fn an_android_source_gives_its_screen_and_masked_texts() {
        let s = shown(ANDROID, Platform::Android, "dk.mitid.app.android", &locators()).unwrap();
        assert_eq!(s.screen, "waiting");
        assert_eq!(s.texts, v(&["The waiting period has started", "Time left: [time]", "[input]", "O'K >"]));
    }

    #[test]
    fn a_system_dialog_is_not_the_apps() {
        let dialog = ANDROID.replace("dk.mitid.app.android", "com.android.permissioncontroller");
        assert_eq!(shown(&dialog, Platform::Android, "dk.mitid.app.android", &locators()), None);
        let ios = r#"<AppiumAUT><XCUIElementTypeApplication name="MitID" label="MitID"><XCUIElementTypeAlert name="x" label="Allow?"/></XCUIElementTypeApplication></AppiumAUT>"#;
        assert_eq!(shown(ios, Platform::Ios, "dk.mitid.app", &locators()), None);
    }

    #[test]
    fn an_ios_source_masks_fields_and_leaves_out_the_app_name() {
        let ios = r#"<?xml version="1.0" encoding="UTF-8"?>
<AppiumAUT>
  <XCUIElementTypeApplication type="XCUIElementTypeApplication" name="MitID" label="MitID">
    <XCUIElementTypeOther type="XCUIElementTypeOther" name="user_id" label="">
      <XCUIElementTypeStaticText type="XCUIElementTypeStaticText" name="user_id_title" label="Enter your user ID"/>
      <XCUIElementTypeTextField type="XCUIElementTypeTextField" name="user_id_input" label="User ID" value="AB12345"/>
    </XCUIElementTypeOther>
  </XCUIElementTypeApplication>
</AppiumAUT>"#;
        let s = shown(ios, Platform::Ios, "dk.mitid.app", &locators()).unwrap();
        assert_eq!(s.screen, "user_id");
        assert_eq!(s.texts, v(&["Enter your user ID", "User ID [input]"]));
    }

    #[test]
    fn the_diff_names_the_changed_line_only() {
        let d = line_diff(
            &v(&["Title", "You'll receive a notification", "OK"]),
            &v(&["Title", "You'll get a notification", "OK"]),
        );
        assert_eq!(d, "  - line 2: You'll receive a notification\n  + line 2: You'll get a notification");
        assert_eq!(line_diff(&v(&["a"]), &v(&["a", "b"])), "  + line 2: b");
    }

    #[test]
    fn a_snapshot_round_trips_with_its_header() {
        let variants: BTreeSet<Variant> = [v(&["A", "B"]), v(&["A", "C: [time]"])].into_iter().collect();
        let text = snapshot_text(Platform::Ios, "en", "home", &variants);
        assert!(text.starts_with("---\nsource: framework/src/screens.rs\n"), "{text}");
        assert_eq!(parse_body(snapshot_body(&text)), variants);
    }

    #[test]
    fn a_changed_line_fails_writes_the_proposal_and_replaces_its_variant() {
        let dir = std::env::temp_dir().join(format!("mitid-screens-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("android/en")).unwrap();
        std::fs::write(dir.join("screens.toml"), "system = [\"launcher\"]\n").unwrap();
        let approved: BTreeSet<Variant> = [v(&["Wait", "You'll receive it", "OK"]), v(&["Other", "OK"])].into();
        std::fs::write(
            dir.join("android/en/waiting.snap"),
            snapshot_text(Platform::Android, "en", "waiting", &approved),
        )
        .unwrap();
        let texts = ScreenTexts::load(&dir).unwrap();
        assert!(texts.is_system("launcher"));
        let ok = Shown { screen: "waiting".into(), texts: v(&["Wait", "You'll receive it", "OK"]), clocks: vec![] };
        texts.check(Platform::Android, "en", &ok).unwrap();
        let changed = Shown { screen: "waiting".into(), texts: v(&["Wait", "You'll get it", "OK"]), clocks: vec![] };
        // Seen unchanged in this run too, the approved variant is kept.
        let e = texts.check(Platform::Android, "en", &changed).unwrap_err().to_string();
        assert!(e.contains("the screen 'waiting'") && e.contains("- line 2: You'll receive it"), "{e}");
        assert!(e.contains("+ line 2: You'll get it") && e.contains("cargo insta review"), "{e}");
        let pending = std::fs::read_to_string(dir.join("android/en/waiting.snap.new")).unwrap();
        assert_eq!(parse_body(snapshot_body(&pending)).len(), 3, "{pending}");
        // In a run that saw only the changed text, it replaces its variant.
        let fresh = ScreenTexts::load(&dir).unwrap();
        fresh.check(Platform::Android, "en", &changed).unwrap_err();
        let pending = std::fs::read_to_string(dir.join("android/en/waiting.snap.new")).unwrap();
        let expected: BTreeSet<Variant> = [v(&["Wait", "You'll get it", "OK"]), v(&["Other", "OK"])].into();
        assert_eq!(parse_body(snapshot_body(&pending)), expected);
        // No approved file at all: strict, it fails and proposes one.
        let e = fresh.check(Platform::Ios, "en", &ok).unwrap_err().to_string();
        assert!(e.contains("there is no approved file yet"), "{e}");
        assert!(dir.join("ios/en/waiting.snap.new").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
