//! The framework's phone driver (`mitid_e2e_framework::phone::Phone`) against a real
//! Appium 3 server with the `@appium/fake-driver`, so that our client is not
//! tuned to our own virtual farm: session, finds by every locator strategy
//! the framework uses, click, type and read text, page source, screenshot,
//! a `mobile:`-style execute, errors, and an explicit close.
//!
//! Needs Node.js and the project-local Appium from `tests/install/appium-env.sh`:
//!
//!   bash tests/install/appium-env.sh && cargo test --test integration appium_fake_driver::
//!
//! The test starts Appium itself on 127.0.0.1 and a free port, and always
//! stops it by its PID (a guard's Drop), also when the test fails. Without
//! the installation the test fails, saying what to run.
//!
//! The fake driver ships no app, so the test writes the XML "app" it loads
//! (`appium:app`), and the locator file that names its elements.

use crate::support::appium;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use appium::{appium_dir, Appium};

use mitid_e2e_framework::locators::Locators;
use mitid_e2e_framework::phone::{Phone, PhoneError, SessionRequest};
use mitid_e2e_framework::profile::Platform;
use serde_json::{json, Value};

/// The whole conversation with the server, so that a hung command fails.
const BUDGET: Duration = Duration::from_secs(180);
/// How long a find waits for an element that is not there.
const FIND: Duration = Duration::from_secs(2);

/// The fake app: the fake driver answers finds with XPath over this XML,
/// matches `id` and `accessibility id` against the `id` attribute and
/// `class name` against the tag. Only `MockInputField` takes typed text.
const APP_XML: &str = r#"<app width="1080" height="1920">
  <MockScreen id="home">
    <MockLabel id="title" text="Copy MitID to a new phone"/>
    <MockButton id="next_button" text="Next"/>
    <MockButton id="cancel_button" text="Cancel"/>
    <MockButton id="start_button" text="Start" enabled="false"/>
    <MockInputField id="pin_input"/>
  </MockScreen>
</app>
"#;

/// The locator fixture for the fake app, in the framework's format.
const LOCATORS: &str = r#"# Written by tests/integration/appium_fake_driver.rs for the fake driver's app.
text = "xpath=//*[@text={text}]"

[screens]
home = "xpath=//MockScreen[@id='home']"
elsewhere = "accessibility id=elsewhere"

[elements]
title = "class name=MockLabel"
next_button = "accessibility id=next_button"
start_button = "xpath=//MockButton[@id='start_button']"
pin_input = "id=pin_input"
missing = "accessibility id=not_on_this_screen"
"#;

/// A fresh folder for this run's app, locators and log.
fn work_dir() -> PathBuf {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("appium_fake_driver-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn capabilities(app: &Path, automation_name: &str) -> serde_json::Map<String, Value> {
    let caps = json!({
        "platformName": "Fake",
        "appium:automationName": automation_name,
        "appium:app": app.to_str().expect("a UTF-8 path"),
    });
    caps.as_object().unwrap().clone()
}

fn request<'a>(url: &'a str, caps: serde_json::Map<String, Value>, locators: &Arc<Locators>) -> SessionRequest<'a> {
    SessionRequest {
        url,
        role: "the fake phone",
        udid: "fake-1",
        platform: Platform::Android,
        app_id: "io.appium.fake",
        capabilities: caps,
        locators: locators.clone(),
        connect_timeout: Duration::from_secs(30),
        find_timeout: FIND,
    }
}

/// The sessions the server has open, seen from outside the framework.
/// A WebDriver call's JSON answer; the test fails if there is none.
async fn answer(request: reqwest::RequestBuilder) -> Value {
    request.send().await.expect("Appium answers").json().await.expect("Appium answers JSON")
}

async fn open_sessions(http: &reqwest::Client, url: &str) -> Vec<String> {
    let v = answer(http.get(format!("{url}/appium/sessions"))).await;
    v["value"]
        .as_array()
        .unwrap_or_else(|| panic!("GET /appium/sessions answered {v}"))
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect()
}

/// How often the fake driver saw `id` clicked, asked over plain WebDriver.
async fn clicks(http: &reqwest::Client, url: &str, session: &str, id: &str) -> String {
    let find = json!({ "using": "accessibility id", "value": id });
    let found = answer(http.post(format!("{url}/session/{session}/element")).json(&find)).await;
    let element = found["value"]["element-6066-11e4-a52e-4f735466cecf"]
        .as_str()
        .unwrap_or_else(|| panic!("finding '{id}' answered {found}"));
    let v = answer(http.get(format!("{url}/session/{session}/element/{element}/attribute/clicks"))).await;
    v["value"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_driver_works_against_appium_3_with_the_fake_driver() {
    let dir = appium_dir();
    let work = work_dir();
    let app = work.join("app.xml");
    std::fs::write(&app, APP_XML).unwrap();
    std::fs::write(work.join("android.toml"), LOCATORS).unwrap();
    let locators = Arc::new(Locators::load(&work, Platform::Android).expect("the test's locator file loads"));

    let http = reqwest::Client::new();
    let mut appium = Appium::start(&dir, &work, &[]);
    let started = Instant::now();
    appium.wait_ready(&http).await;
    let url = appium.url.clone();

    tokio::time::timeout(BUDGET, async {
        // A capability set no driver matches is refused by the server, and
        // the framework reports it as such (not as an unreachable server).
        let refused =
            Phone::connect(request(&url, capabilities(&app, "NoSuchAutomation"), &locators)).await.unwrap_err();
        assert!(matches!(refused, PhoneError::SessionNotCreated { .. }), "{refused:?}");
        assert!(refused.to_string().contains("NoSuchAutomation"), "{refused}");
        assert!(open_sessions(&http, &url).await.is_empty());

        // Session.
        let mut phone = Phone::connect(request(&url, capabilities(&app, "Fake"), &locators))
            .await
            .unwrap_or_else(|e| panic!("no session: {e}"));
        let sessions = open_sessions(&http, &url).await;
        assert_eq!(sessions.len(), 1, "{sessions:?}");
        let session = sessions[0].clone();

        // Find: xpath (a screen), accessibility id, id, class name; present and absent.
        phone.wait_for_screen("home").await.unwrap();
        assert!(phone.is_on("home").await.unwrap());
        assert!(!phone.is_on("elsewhere").await.unwrap());
        assert!(phone.has("next_button").await.unwrap());
        assert!(phone.has("pin_input").await.unwrap());
        assert!(phone.has("title").await.unwrap());
        assert!(!phone.has("missing").await.unwrap());
        assert!(phone.shows_text("Next").await.unwrap());
        assert!(!phone.shows_text("Not shown").await.unwrap());
        phone.wait_for_text("Copy MitID to a new phone").await.unwrap();
        assert!(phone.is_enabled("next_button").await.unwrap());
        assert!(!phone.is_enabled("start_button").await.unwrap());

        // Click: by logical name and by shown text; the server saw each once.
        assert_eq!(clicks(&http, &url, &session, "next_button").await, "");
        phone.tap("next_button").await.unwrap();
        assert_eq!(clicks(&http, &url, &session, "next_button").await, "1");
        phone.tap_text("Cancel").await.unwrap();
        assert_eq!(clicks(&http, &url, &session, "cancel_button").await, "1");
        assert_eq!(clicks(&http, &url, &session, "next_button").await, "1");

        // Text: type into a field and read it back.
        phone.type_text("pin_input", "112233").await.unwrap();
        assert_eq!(phone.text_of("pin_input").await.unwrap(), "112233");

        // A missing element fails after the find timeout, showing the screen.
        let t = Instant::now();
        let missing = phone.tap("missing").await.unwrap_err();
        assert!(matches!(missing, PhoneError::NotFound { .. }), "{missing:?}");
        assert!(t.elapsed() >= FIND && t.elapsed() < FIND + Duration::from_secs(10), "{:?}", t.elapsed());
        assert!(missing.to_string().contains("'Next'"), "{missing}");

        // Source.
        let source = phone.source().await.unwrap();
        assert!(source.contains("<MockButton id=\"next_button\""), "{source}");
        assert!(phone.screen_summary().await.contains("'Copy MitID to a new phone'"));

        // Screenshot: a PNG.
        let png = phone.screenshot().await.unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG: {:?}", &png[..png.len().min(16)]);
        assert!(png.len() > 100, "{} bytes", png.len());

        // An execute-method command, as `mobile:` ones are sent.
        assert_eq!(phone.mobile("fake: addition", json!({ "num1": 2, "num2": 3 })).await.unwrap(), json!(5));

        // Explicit close: the server has no session left and the old id is dead.
        phone.close().await.unwrap();
        assert!(phone.is_closed());
        phone.close().await.expect("closing twice is fine");
        assert_eq!(open_sessions(&http, &url).await, Vec::<String>::new());
        let old = http.get(format!("{url}/session/{session}/source")).send().await.unwrap();
        assert_eq!(old.status(), 404);
        let body: Value = old.json().await.unwrap();
        assert_eq!(body["value"]["error"], "invalid session id", "{body}");
        let after = phone.source().await.unwrap_err();
        assert!(after.to_string().contains("already closed"), "{after}");
    })
    .await
    .unwrap_or_else(|_| panic!("the test did not finish within {BUDGET:?}"));

    eprintln!("done in {:.1?}, appium start-up included", started.elapsed());
    drop(appium);
    let _ = std::fs::remove_dir_all(&work);
}
