//! Conformance, measured: the same W3C and Appium requests go to real
//! Appium 3 with `@appium/fake-driver` and to the virtual farm, and their
//! answers are compared — HTTP status, W3C error name, and the shape of the
//! answer (its JSON types and keys, not its values).
//!
//! The two serve different apps (the fake driver's XML app; the farm's
//! MitID app on an Android phone), so each request names its element ids,
//! locators and `mobile:`/`fake:` methods per target. Whatever still
//! differs must be listed, with its reason, in the book's table (docs/src/virtual-farm.md)
//! "Where the farm answers differently from Appium 3" (under The virtual
//! farm): the test reads that table and fails on a difference it does not
//! list, on a row whose answers are no longer what it says, and on a row
//! for a difference that is gone.
//!
//! Needs `bash tests/install/appium-env.sh` (the test fails, saying so, without
//! it): `cargo test --test integration conformance:: -- --nocapture` prints the table.

use crate::support::appium;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use appium::{appium_dir, Appium};
use serde_json::{json, Value};

/// The whole conversation with both servers, so that a hung command fails.
const BUDGET: Duration = Duration::from_secs(240);

/// The fake driver's app: what it finds in, clicks and types into.
const APP_XML: &str = r#"<app width="1080" height="1920">
  <MockScreen id="home">
    <MockLabel id="title" text="Copy MitID to a new phone"/>
    <MockButton id="next_button" text="Next"/>
    <MockInputField id="pin_input"/>
  </MockScreen>
</app>
"#;

/// One request, as a template: `<<name>>` is replaced by the target's
/// value for `name` (see [`Target::vars`]).
struct Case {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    /// How deep the answer's shape is compared: 0 its JSON type only, 1 an
    /// object's keys and their types, and so on.
    depth: usize,
}

const fn case(name: &'static str, method: &'static str, path: &'static str, body: Option<&'static str>) -> Case {
    Case { name, method, path, body, depth: 2 }
}

const fn shallow(name: &'static str, method: &'static str, path: &'static str, body: Option<&'static str>) -> Case {
    Case { name, method, path, body, depth: 0 }
}

/// The requests, in the order they are sent; the session is deleted last.
/// `<<el>>` and `<<input>>` are found afresh before each request that
/// names them (a button, a text field).
const CASES: &[Case] = &[
    // The server and sessions.
    // W3C fixes only `ready` and `message`; `build` is each server's own.
    Case { depth: 1, ..case("GET /status", "GET", "/status", None) },
    case(
        "POST /session, capabilities no server serves",
        "POST",
        "/session",
        Some(
            r#"{"capabilities": {"alwaysMatch": {"platformName": "<<platform>>", "appium:automationName": "NoSuchAutomation"}}}"#,
        ),
    ),
    case("POST /session, body not JSON", "POST", "/session", Some("{not json")),
    case("POST /session, no capabilities", "POST", "/session", Some("{}")),
    case("POST /session, capabilities not an object", "POST", "/session", Some(r#"{"capabilities": 5}"#)),
    case(
        "POST /session, unprefixed non-standard capability",
        "POST",
        "/session",
        Some(r#"{"capabilities": {"alwaysMatch": {"platformName": "<<platform>>", "deviceName": "x"}}}"#),
    ),
    shallow("GET /appium/sessions", "GET", "/appium/sessions", None),
    Case { depth: 0, ..case("GET /session/:id", "GET", "/session/<<sid>>", None) },
    Case {
        depth: 1,
        ..case("GET /session/:id/appium/capabilities", "GET", "/session/<<sid>>/appium/capabilities", None)
    },
    case("GET /session/:id, no such session", "GET", "/session/no-such-session", None),
    case("GET /source, no such session", "GET", "/session/no-such-session/source", None),
    case("DELETE /session/:id, no such session", "DELETE", "/session/no-such-session", None),
    // Timeouts, window, page.
    case("GET /timeouts", "GET", "/session/<<sid>>/timeouts", None),
    case("POST /timeouts implicit 0", "POST", "/session/<<sid>>/timeouts", Some(r#"{"implicit": 0}"#)),
    case("POST /timeouts implicit not a number", "POST", "/session/<<sid>>/timeouts", Some(r#"{"implicit": "1s"}"#)),
    case("GET /window/rect", "GET", "/session/<<sid>>/window/rect", None),
    case("GET /window/size (not a W3C or Appium 3 route)", "GET", "/session/<<sid>>/window/size", None),
    case("GET /source", "GET", "/session/<<sid>>/source", None),
    case("GET /screenshot", "GET", "/session/<<sid>>/screenshot", None),
    // Orientation and contexts.
    case("GET /orientation", "GET", "/session/<<sid>>/orientation", None),
    case("POST /orientation PORTRAIT", "POST", "/session/<<sid>>/orientation", Some(r#"{"orientation": "PORTRAIT"}"#)),
    case("POST /orientation SIDEWAYS", "POST", "/session/<<sid>>/orientation", Some(r#"{"orientation": "SIDEWAYS"}"#)),
    case("POST /orientation without orientation", "POST", "/session/<<sid>>/orientation", Some("{}")),
    shallow("GET /contexts", "GET", "/session/<<sid>>/contexts", None),
    case("GET /context", "GET", "/session/<<sid>>/context", None),
    case("POST /context NATIVE_APP", "POST", "/session/<<sid>>/context", Some(r#"{"name": "NATIVE_APP"}"#)),
    case("POST /context, no such context", "POST", "/session/<<sid>>/context", Some(r#"{"name": "WEBVIEW_42"}"#)),
    shallow("GET /appium/contexts", "GET", "/session/<<sid>>/appium/contexts", None),
    case("GET /appium/context", "GET", "/session/<<sid>>/appium/context", None),
    // Settings, commands, extensions, logs.
    shallow("GET /appium/settings", "GET", "/session/<<sid>>/appium/settings", None),
    case(
        "POST /appium/settings",
        "POST",
        "/session/<<sid>>/appium/settings",
        Some(r#"{"settings": {"mitidProbe": 1}}"#),
    ),
    case(
        "POST /appium/settings without settings",
        "POST",
        "/session/<<sid>>/appium/settings",
        Some(r#"{"mitidProbe": 1}"#),
    ),
    Case { depth: 1, ..case("GET /appium/commands", "GET", "/session/<<sid>>/appium/commands", None) },
    Case { depth: 1, ..case("GET /appium/extensions", "GET", "/session/<<sid>>/appium/extensions", None) },
    shallow("GET /se/log/types", "GET", "/session/<<sid>>/se/log/types", None),
    case("POST /se/log, unknown type", "POST", "/session/<<sid>>/se/log", Some(r#"{"type": "no-such-log"}"#)),
    case("POST /se/log without type", "POST", "/session/<<sid>>/se/log", Some("{}")),
    // Device routes.
    case("GET /appium/device/system_time", "GET", "/session/<<sid>>/appium/device/system_time", None),
    case("GET /appium/device/is_keyboard_shown", "GET", "/session/<<sid>>/appium/device/is_keyboard_shown", None),
    case(
        "POST /appium/device/app_state",
        "POST",
        "/session/<<sid>>/appium/device/app_state",
        Some(r#"{"appId": "<<app>>"}"#),
    ),
    case(
        "POST /appium/device/pull_file",
        "POST",
        "/session/<<sid>>/appium/device/pull_file",
        Some(r#"{"path": "/sdcard/none.txt"}"#),
    ),
    // Finding elements, by every strategy both serve.
    case(
        "POST /element by accessibility id",
        "POST",
        "/session/<<sid>>/element",
        Some(r#"{"using": "accessibility id", "value": "<<aid>>"}"#),
    ),
    case("POST /element by id", "POST", "/session/<<sid>>/element", Some(r#"{"using": "id", "value": "<<aid>>"}"#)),
    case(
        "POST /element by xpath",
        "POST",
        "/session/<<sid>>/element",
        Some(r#"{"using": "xpath", "value": "<<xpath>>"}"#),
    ),
    case(
        "POST /element by class name",
        "POST",
        "/session/<<sid>>/element",
        Some(r#"{"using": "class name", "value": "<<class>>"}"#),
    ),
    case(
        "POST /elements by accessibility id",
        "POST",
        "/session/<<sid>>/elements",
        Some(r#"{"using": "accessibility id", "value": "<<aid>>"}"#),
    ),
    case(
        "POST /elements by xpath, none",
        "POST",
        "/session/<<sid>>/elements",
        Some(r#"{"using": "xpath", "value": "//NoSuchThing"}"#),
    ),
    case(
        "POST /element, no such element",
        "POST",
        "/session/<<sid>>/element",
        Some(r#"{"using": "accessibility id", "value": "not_on_this_screen"}"#),
    ),
    case(
        "POST /element, invalid XPath",
        "POST",
        "/session/<<sid>>/element",
        Some(r#"{"using": "xpath", "value": "//*["}"#),
    ),
    case(
        "POST /element, unknown strategy",
        "POST",
        "/session/<<sid>>/element",
        Some(r#"{"using": "magic wand", "value": "x"}"#),
    ),
    case(
        "POST /element, -android uiautomator",
        "POST",
        "/session/<<sid>>/element",
        Some(r#"{"using": "-android uiautomator", "value": "new UiSelector().text(\"<<text>>\")"}"#),
    ),
    case("POST /element without value", "POST", "/session/<<sid>>/element", Some(r#"{"using": "id"}"#)),
    case("POST /element, body not JSON", "POST", "/session/<<sid>>/element", Some("using=id")),
    case(
        "POST /element/:id/element",
        "POST",
        "/session/<<sid>>/element/<<parent>>/element",
        Some(r#"{"using": "accessibility id", "value": "<<aid>>"}"#),
    ),
    case(
        "POST /element/:id/elements, none",
        "POST",
        "/session/<<sid>>/element/<<el>>/elements",
        Some(r#"{"using": "accessibility id", "value": "<<aid>>"}"#),
    ),
    case("GET /element/active", "GET", "/session/<<sid>>/element/active", None),
    // Element commands.
    case("GET /element/:id/text", "GET", "/session/<<sid>>/element/<<el>>/text", None),
    case("GET /element/:id/name", "GET", "/session/<<sid>>/element/<<el>>/name", None),
    case("GET /element/:id/attribute/:name", "GET", "/session/<<sid>>/element/<<el>>/attribute/<<attr>>", None),
    case(
        "GET /element/:id/attribute, no such attribute",
        "GET",
        "/session/<<sid>>/element/<<el>>/attribute/noSuchAttribute",
        None,
    ),
    case("GET /element/:id/displayed", "GET", "/session/<<sid>>/element/<<el>>/displayed", None),
    case("GET /element/:id/enabled", "GET", "/session/<<sid>>/element/<<el>>/enabled", None),
    case("GET /element/:id/selected", "GET", "/session/<<sid>>/element/<<el>>/selected", None),
    case("GET /element/:id/rect", "GET", "/session/<<sid>>/element/<<el>>/rect", None),
    case("GET /element/:id/screenshot", "GET", "/session/<<sid>>/element/<<el>>/screenshot", None),
    case("POST /element/:id/value", "POST", "/session/<<sid>>/element/<<input>>/value", Some(r#"{"text": "1234"}"#)),
    case("POST /element/:id/value without text", "POST", "/session/<<sid>>/element/<<input>>/value", Some("{}")),
    case(
        "POST /element/:id/value on a button",
        "POST",
        "/session/<<sid>>/element/<<el>>/value",
        Some(r#"{"text": "1234"}"#),
    ),
    case("POST /element/:id/clear", "POST", "/session/<<sid>>/element/<<input>>/clear", Some("{}")),
    case("POST /element/:id/click", "POST", "/session/<<sid>>/element/<<el>>/click", Some("{}")),
    case("GET /element/:id/text, stale element", "GET", "/session/<<sid>>/element/<<stale>>/text", None),
    case("POST /element/:id/click, stale element", "POST", "/session/<<sid>>/element/<<stale>>/click", Some("{}")),
    // Actions.
    case(
        "POST /actions, a tap",
        "POST",
        "/session/<<sid>>/actions",
        Some(
            r#"{"actions": [{"type": "pointer", "id": "finger", "parameters": {"pointerType": "touch"}, "actions": [{"type": "pointerMove", "duration": 0, "x": 1, "y": 1}, {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]}"#,
        ),
    ),
    case("POST /actions without actions", "POST", "/session/<<sid>>/actions", Some("{}")),
    case("DELETE /actions", "DELETE", "/session/<<sid>>/actions", None),
    // Execute: the driver's extension methods.
    case(
        "execute: an extension method",
        "POST",
        "/session/<<sid>>/execute/sync",
        Some(r#"{"script": "<<method>>", "args": [<<method_args>>]}"#),
    ),
    case(
        "execute: an extension method without its parameter",
        "POST",
        "/session/<<sid>>/execute/sync",
        Some(r#"{"script": "<<method>>", "args": [{}]}"#),
    ),
    case(
        "execute: no such extension method",
        "POST",
        "/session/<<sid>>/execute/sync",
        Some(r#"{"script": "mobile: noSuchMethod", "args": []}"#),
    ),
    case(
        "execute: a method name without the space",
        "POST",
        "/session/<<sid>>/execute/sync",
        Some(r#"{"script": "<<method_nospace>>", "args": [<<method_args>>]}"#),
    ),
    case(
        "execute: two arguments",
        "POST",
        "/session/<<sid>>/execute/sync",
        Some(r#"{"script": "<<method>>", "args": [{}, {}]}"#),
    ),
    case("execute: without args", "POST", "/session/<<sid>>/execute/sync", Some(r#"{"script": "<<method>>"}"#)),
    case(
        "execute: a JavaScript script",
        "POST",
        "/session/<<sid>>/execute/sync",
        Some(r#"{"script": "return 1", "args": []}"#),
    ),
    // Routes and methods nobody has.
    case("GET an unknown path", "GET", "/no/such/path", None),
    case("POST /status (a method the route does not take)", "POST", "/status", Some("{}")),
    case("GET /session/:id/url (a browser command)", "GET", "/session/<<sid>>/url", None),
    // The end of the session.
    case("DELETE /session/:id", "DELETE", "/session/<<sid>>", None),
    case("GET /source after DELETE", "GET", "/session/<<sid>>/source", None),
];

/// What a server answered to one request, reduced to what is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Outcome {
    status: u16,
    /// The W3C error name, or the shape of the `value`.
    what: String,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.what)
    }
}

/// A JSON value's shape: its type, and to `depth` levels an object's keys
/// and an array's first item.
fn shape(v: &Value, depth: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "boolean".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(_) if depth == 0 => "array".into(),
        Value::Array(a) => format!("[{}]", a.first().map(|x| shape(x, depth - 1)).unwrap_or_default()),
        Value::Object(_) if depth == 0 => "object".into(),
        Value::Object(m) => {
            let fields: Vec<String> = m.iter().map(|(k, x)| format!("{k}: {}", shape(x, depth - 1))).collect();
            format!("{{{}}}", fields.join(", "))
        }
    }
}

/// One of the two servers, with its session and the values its requests
/// are filled in with.
struct Target {
    name: &'static str,
    url: String,
    vars: BTreeMap<&'static str, String>,
    http: reqwest::Client,
}

impl Target {
    fn fill(&self, template: &str) -> String {
        let mut out = template.to_owned();
        for (k, v) in &self.vars {
            out = out.replace(&format!("<<{k}>>"), v);
        }
        out
    }

    async fn send(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.header("content-type", "application/json; charset=utf-8").body(body.to_owned());
        }
        let answer = request.send().await.unwrap_or_else(|e| panic!("{}: {path}: no answer: {e}", self.name));
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A fresh find; the element's id.
    async fn find(&self, using: &str, value: &str) -> String {
        let sid = &self.vars["sid"];
        let body = json!({ "using": using, "value": value }).to_string();
        let (status, answer) = self.send("POST", &format!("/session/{sid}/element"), Some(&body)).await;
        assert_eq!(status, 200, "{}: finding {using} {value}: {answer}", self.name);
        answer["value"]["element-6066-11e4-a52e-4f735466cecf"].as_str().expect("an element id").to_owned()
    }

    async fn run(&mut self, case: &Case) -> Outcome {
        let needs = |v: &str| case.path.contains(v) || case.body.is_some_and(|b| b.contains(v));
        if needs("<<el>>") || needs("<<parent>>") {
            let el = self.find("accessibility id", &self.vars["aid"].clone()).await;
            self.vars.insert("el", el);
            let parent = self.find("xpath", &self.vars["parent_xpath"].clone()).await;
            self.vars.insert("parent", parent);
        }
        if needs("<<input>>") {
            let input = self.find("accessibility id", &self.vars["input_aid"].clone()).await;
            self.vars.insert("input", input);
        }
        let path = self.fill(case.path);
        let body = case.body.map(|b| self.fill(b));
        let (status, answer) = self.send(case.method, &path, body.as_deref()).await;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        let what = match value.get("error").and_then(Value::as_str) {
            Some(error) if status >= 400 => {
                assert!(
                    value["message"].is_string(),
                    "{}: {} {path}: an error has a message: {answer}",
                    self.name,
                    case.method
                );
                error.to_owned()
            }
            _ if answer.get("value").is_none() => format!("(not W3C: {})", shape(&answer, 0)),
            _ => shape(&value, case.depth),
        };
        Outcome { status, what }
    }
}

/// The preflight of a browser, and the headers every answer then carries.
async fn preflight(target: &Target) -> Outcome {
    let answer = target
        .http
        .request(reqwest::Method::OPTIONS, format!("{}/session", target.url))
        .header("Origin", "http://localhost:4723")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .expect("an answer to OPTIONS");
    let headers: Vec<String> =
        ["access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers"]
            .into_iter()
            .map(|h| format!("{h}: {}", answer.headers().get(h).and_then(|v| v.to_str().ok()).unwrap_or("-")))
            .collect();
    Outcome { status: answer.status().as_u16(), what: headers.join("; ") }
}

/// A new session's capabilities as Appium 3 returns them: unprefixed, with
/// the common ones present.
fn check_capabilities(target: &str, caps: &Value) {
    let caps = caps.as_object().unwrap_or_else(|| panic!("{target}: capabilities: {caps}"));
    let prefixed: Vec<&String> = caps.keys().filter(|k| k.starts_with("appium:")).collect();
    assert!(prefixed.is_empty(), "{target} returned prefixed capabilities: {prefixed:?}");
    for key in ["platformName", "automationName", "deviceName"] {
        assert!(caps.get(key).is_some_and(Value::is_string), "{target}: '{key}' missing: {caps:?}");
    }
}

/// The book's table of differences (docs/src/virtual-farm.md): request →
/// (Appium, farm, why).
fn documented() -> BTreeMap<String, (String, String, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/src/virtual-farm.md");
    let book = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = book
        .find("## Where the farm answers differently from Appium 3")
        .expect("docs/src/virtual-farm.md has the section '## Where the farm answers differently from Appium 3'");
    let mut rows = BTreeMap::new();
    for line in book[start..].lines().skip(1).skip_while(|l| !l.starts_with('|')).take_while(|l| l.starts_with('|')) {
        let cells: Vec<String> =
            line.trim_matches('|').split(" | ").map(|c| c.trim().trim_matches('`').to_owned()).collect();
        if cells.len() == 4 && cells[0] != "request" && !cells[0].starts_with("---") {
            rows.insert(cells[0].clone(), (cells[1].clone(), cells[2].clone(), cells[3].clone()));
        }
    }
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_farm_answers_as_appium_3_does_or_the_book_says_why_not() {
    let dir = appium_dir();
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("conformance-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let app = work.join("app.xml");
    std::fs::write(&app, APP_XML).unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    // Appium as a user of Appium Inspector in a browser starts it; the farm
    // the same way.
    let mut server = Appium::start(&dir, &work, &["--allow-cors", "--allow-insecure", "*:session_discovery"]);
    server.wait_ready(&http).await;
    let farm = mitid_sim::RunningFarm::start(mitid_sim::FarmConfig { allow_cors: true, ..Default::default() }, 0)
        .await
        .unwrap();

    tokio::time::timeout(BUDGET, async {
        // Sessions: the fake app, and the MitID app on an Android phone at
        // its PIN screen (a button and a text field, as in the fake app).
        let mut appium = Target { name: "Appium 3 + fake driver", url: server.url.clone(), vars: BTreeMap::new(), http: http.clone() };
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "platformName": "Fake", "appium:automationName": "Fake", "appium:deviceName": "Fake", "appium:app": app } } });
        let (status, created) = appium.send("POST", "/session", Some(&caps.to_string())).await;
        assert_eq!(status, 200, "{created}");
        check_capabilities(appium.name, &created["value"]["capabilities"]);
        let new_session_appium = Outcome { status, what: shape(&created["value"], 1) };
        appium.vars.extend([
            ("sid", created["value"]["sessionId"].as_str().unwrap().to_owned()),
            ("platform", "Fake".to_owned()),
            ("aid", "next_button".to_owned()),
            ("input_aid", "pin_input".to_owned()),
            ("xpath", "//MockButton[@id='next_button']".to_owned()),
            ("parent_xpath", "//MockScreen".to_owned()),
            ("class", "MockButton".to_owned()),
            ("text", "Next".to_owned()),
            ("attr", "id".to_owned()),
            ("stale", "999999".to_owned()),
            ("app", "io.appium.fake".to_owned()),
            ("method", "fake: addition".to_owned()),
            ("method_nospace", "fake:addition".to_owned()),
            ("method_args", r#"{"num1": 2, "num2": 3}"#.to_owned()),
        ]);

        let mut farmt = Target { name: "the farm", url: farm.url(), vars: BTreeMap::new(), http: http.clone() };
        let udid = "android-14-a1";
        let provision = json!({ "user_id": "conformance", "phone_number": "+4500000000", "pin": "246810", "app_on": [udid] });
        let answer = http.post(format!("{}/sim/identities", farm.url())).json(&provision).send().await.unwrap();
        assert!(answer.status().is_success());
        let caps = json!({ "capabilities": { "alwaysMatch": { "platformName": "Android", "appium:udid": udid } } });
        let (status, created) = farmt.send("POST", "/session", Some(&caps.to_string())).await;
        assert_eq!(status, 200, "{created}");
        check_capabilities(farmt.name, &created["value"]["capabilities"]);
        let new_session_farm = Outcome { status, what: shape(&created["value"], 1) };
        farmt.vars.insert("sid", created["value"]["sessionId"].as_str().unwrap().to_owned());
        let stale = farmt.find("accessibility id", "menu_button").await;
        for id in ["menu_button", "menu_activate", "activate_copy_to_new_app", "copy_info_next"] {
            let el = farmt.find("accessibility id", id).await;
            let sid = farmt.vars["sid"].clone();
            let (status, _) = farmt.send("POST", &format!("/session/{sid}/element/{el}/click"), Some("{}")).await;
            assert_eq!(status, 200, "tapping {id}");
        }
        farmt.vars.extend([
            ("platform", "Android".to_owned()),
            ("aid", "pin_next".to_owned()),
            ("input_aid", "pin_input".to_owned()),
            ("xpath", "//android.widget.Button[@content-desc='pin_next']".to_owned()),
            ("parent_xpath", "//android.widget.FrameLayout".to_owned()),
            ("class", "android.widget.Button".to_owned()),
            ("text", "Next".to_owned()),
            ("attr", "text".to_owned()),
            ("stale", stale),
            ("app", "dk.mitid.app.android".to_owned()),
            ("method", "mobile: queryAppState".to_owned()),
            ("method_nospace", "mobile:queryAppState".to_owned()),
            ("method_args", r#"{"appId": "dk.mitid.app.android"}"#.to_owned()),
        ]);

        // Every request to both.
        let mut results: Vec<(String, Outcome, Outcome)> = vec![
            ("OPTIONS /session (a browser's preflight)".into(), preflight(&appium).await, preflight(&farmt).await),
            ("POST /session".into(), new_session_appium, new_session_farm),
        ];
        for case in CASES {
            let a = appium.run(case).await;
            let f = farmt.run(case).await;
            results.push((case.name.to_owned(), a, f));
        }

        // Compare with what the book says.
        let documented = documented();
        let mut problems = Vec::new();
        let mut table = Vec::new();
        let differing: Vec<&(String, Outcome, Outcome)> = results.iter().filter(|(_, a, f)| a != f).collect();
        for (name, a, f) in &differing {
            let reason = documented.get(name).map(|d| d.2.clone()).unwrap_or_else(|| "WHY?".into());
            table.push(format!("| `{name}` | {a} | {f} | {reason} |"));
            match documented.get(name) {
                None => problems.push(format!("not in the book (docs/src/virtual-farm.md): `{name}`: Appium {a}, the farm {f}")),
                Some((da, df, _)) if *da != a.to_string() || *df != f.to_string() => problems.push(format!(
                    "the book says `{name}` is Appium {da}, the farm {df}; now Appium {a}, the farm {f}"
                )),
                Some(_) => {}
            }
        }
        for name in documented.keys() {
            if !differing.iter().any(|(n, _, _)| n == name) {
                problems.push(format!("the book lists `{name}`, but it no longer differs (or is not sent)"));
            }
        }
        println!(
            "{} requests to both; {} answered alike; {} differ:\n| request | Appium 3 + fake driver | the farm | why |\n|---|---|---|---|\n{}",
            results.len(),
            results.len() - differing.len(),
            differing.len(),
            table.join("\n")
        );
        assert!(results.len() >= 60, "at least 60 requests: {}", results.len());
        assert!(problems.is_empty(), "the farm's differences from Appium 3 and the book (docs/src/virtual-farm.md) disagree:\n{}", problems.join("\n"));
    })
    .await
    .unwrap_or_else(|_| panic!("the conformance run did not finish within {BUDGET:?}"));
    drop(server);
    farm.stop();
    let _ = std::fs::remove_dir_all(&work);
}
