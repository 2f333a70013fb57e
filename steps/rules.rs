//! Steps for the rules and preconditions: what happens when "Before you
//! begin" does not hold, when time runs out, when I am far away, deny a
//! permission or type something wrong. Each rule's scenarios are release
//! gates (`features/rules/`), tagged `@rule-…` for the defect they catch.
//!
//! Set-up (`Given`) may use the test-control API, as a lab rig would; a
//! `Then` looks only at a phone or a gateway.
//!
//! "I have followed steps N to M" walks the documented steps by running the
//! catalogue's own steps, in the main feature's words, so a rule's scenario
//! gets to its point exactly as the documented flow does. Where the main
//! feature checks something other than the way forward (the waiting screen,
//! which permissions are asked for), the walk only goes forward: a rule's
//! scenario must fail on its own rule, not on another's.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::Poll;
use std::time::Duration;

use regex::Regex;
use serde_json::json;

use crate::steps::catalogue::{catalogue, CucumberFn};
use crate::world::{fail, CopyWorld, Role, StepFailure, StepResult};
use mitid_e2e_framework::profile::CameraMode;
use mitid_e2e_framework::secret::{Secret, SecretKind};

/// How long a "nothing arrived" check waits for a message that should not
/// come. The virtual farm delivers before it answers; a lab backend may be
/// slower, and no wait can prove a message will never come.
const NOTHING_ARRIVES_WITHIN: Duration = Duration::from_millis(300);

catalogue! {
    Given "I (?:have followed|follow) steps (\\d+) to (\\d+)"
        e.g. "Given I have followed steps 1 to 9"
        docs [] Walk => follow_steps;

    Given "the MitID app on my old phone is not updated: it is version (\\d+\\.\\d+\\.\\d+)"
        e.g. "But the MitID app on my old phone is not updated: it is version 2.9.0"
        docs [] Step => old_app_outdated;
    Given "I already have (\\d+) more active MitID apps? on (?:other phones/tablets|another phone/tablet)"
        e.g. "But I already have 2 more active MitID apps on other phones/tablets"
        docs [] Step => more_apps_elsewhere;
    Given "my new phone is out of Bluetooth range of my old phone"
        e.g. "But my new phone is out of Bluetooth range of my old phone"
        docs [] Step => out_of_range;
    When "I move my new phone close to my old phone"
        e.g. "When I move my new phone close to my old phone"
        docs [] Step => back_in_range;

    When "(\\d+) minutes? and (\\d+) seconds? pass"
        e.g. "When 2 minutes and 59 seconds pass"
        docs [] Waiting => minutes_and_seconds_pass;
    When "I close the MitID app"
        e.g. "When I close the MitID app"
        docs [Step(7)] Step => close_app;
    Then "I have not received a notification from the app that the waiting time is over"
        e.g. "Then I have not received a notification from the app that the waiting time is over"
        docs [] Step => not_notified;

    When "I do not allow the MitID app to use Bluetooth"
        e.g. "And I do not allow the MitID app to use Bluetooth"
        docs [] Step => deny_bluetooth;
    Then "I am asked to allow the MitID app to use Bluetooth"
        e.g. "Then I am asked to allow the MitID app to use Bluetooth"
        docs [] Step => asked_for_bluetooth;
    When "I take a picture of the QR code on my old app"
        e.g. "When I take a picture of the QR code on my old app"
        docs [] Step => take_picture;
    When "I scan the picture of the QR code with my new phone"
        e.g. "And I scan the picture of the QR code with my new phone"
        docs [] Step => scan_picture;

    When "I enter a user ID that is not mine and press \"Next\""
        e.g. "When I enter a user ID that is not mine and press \"Next\""
        docs [] Step => wrong_user_id;
    Then "I do not receive a temporary PIN code via SMS"
        e.g. "And I do not receive a temporary PIN code via SMS"
        docs [] Step => no_temporary_pin_sms;
    When "I enter (a|\\d+) temporary PIN codes? other than the one I receive via SMS"
        e.g. "When I enter a temporary PIN code other than the one I receive via SMS"
        docs [] Step => wrong_temporary_pins;
    When "I create my personal PIN code, press \"Next\", repeat a different PIN code and press \"Next\""
        e.g. "When I create my personal PIN code, press \"Next\", repeat a different PIN code and press \"Next\""
        docs [] Step => pin_and_different_repeat;

    Then "I am told '([^']+)'"
        e.g. "Then I am told 'The user ID is not correct'"
        docs [] Step => told;
}

// --- Following the documented steps ------------------------------------------------------

/// The documented steps in the main feature's words (features/copy_your_mitid_app.feature),
/// as the walk runs them. Steps 7, 10, 11, 17 and 18 are walked by [`walk_step`] itself.
fn documented_step(n: u8) -> &'static [&'static str] {
    match n {
        1 => &["I open the MitID app on my old phone and open the menu at the top of the screen"],
        2 => &["I press \"Activate\""],
        3 => &["I press \"Copy your MitID to a new app\""],
        4 => &["I read the information and press \"Next\""],
        5 | 9 => &["I enter my PIN code"],
        6 => &["I check \"Yes, I want to copy\" and press \"Start copying\""],
        8 => &[
            "1 hour passes",
            "I open the MitID app and press \"Show QR code\" on the screen 'Show QR code and copy MitID to the new app'",
        ],
        12 => &["I see a QR code that is valid for 3 minutes"],
        13 => &["I open the MitID app on my new phone"],
        14 => &["I press \"Get started\" on the screen 'Activate your MitID'"],
        15 => &["I choose \"Copy from another MitID app\" and press \"Next\""],
        16 => &["I mark \"QR code is shown on the old app\" and press \"Scan QR code\""],
        19 => &["I scan the QR code by holding my new phone up to the QR code on my old app"],
        20 => &["I enter my user ID to confirm my identity and press \"Next\""],
        21 => &["I enter the temporary PIN code that I receive via SMS"],
        22 => &["I press \"Next\" on the screen 'Choose your personal PIN code'"],
        23 => &["I create my personal PIN code, press \"Next\", repeat it and press \"Next\""],
        24 => &["I choose no to approving with biometric"],
        25 => &["I accept notifications from the MitID app"],
        26 => &["I see 'This app is now activated and ready to use' and press \"OK\""],
        _ => &[],
    }
}

async fn follow_steps(w: &mut CopyWorld, m: Vec<String>) -> StepResult {
    let (from, to): (u8, u8) = match (m[0].parse(), m[1].parse()) {
        (Ok(a), Ok(b)) if (1..=b).contains(&a) && b <= crate::steps::catalogue::DOCUMENTED_STEPS => (a, b),
        _ => fail!(
            "'steps {} to {}' are not documented steps: the help page numbers them 1 to {}",
            m[0],
            m[1],
            crate::steps::catalogue::DOCUMENTED_STEPS
        ),
    };
    for n in from..=to {
        walk_step(w, n).await?;
    }
    Ok(())
}

async fn walk_step(w: &mut CopyWorld, n: u8) -> StepResult {
    match n {
        // "Press OK if you want to": the walk leaves the waiting screen as it is.
        7 => Ok(()),
        // Whichever the screen's title and permissions (the location rule has
        // its own scenarios), go on.
        10 | 17 => {
            let phone = w.here().await?;
            phone.wait_for_screen("bluetooth_info").await?;
            phone.tap_text("Next").await?;
            Ok(())
        }
        11 | 18 => {
            let phone = w.here().await?;
            phone.wait_for_screen("permission_bluetooth").await?;
            phone.tap("permission_allow").await?;
            if phone.is_on("permission_location").await? {
                phone.tap("permission_allow").await?;
            }
            Ok(())
        }
        _ => {
            for line in documented_step(n) {
                run_catalogue_step(w, n, line).await?;
            }
            Ok(())
        }
    }
}

/// Every phrase of the catalogue, compiled once.
fn compiled() -> &'static [(Regex, CucumberFn)] {
    static COMPILED: OnceLock<Vec<(Regex, CucumberFn)>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        crate::steps::catalogue::all()
            .into_iter()
            .filter_map(|d| Regex::new(d.phrase).ok().map(|r| (r, d.cucumber)))
            .collect()
    })
}

/// Runs the catalogue's step for this line of documented step `n`, under
/// its own deadline; a failure fails the calling step with that step's
/// message (saying which step it was) and evidence.
async fn run_catalogue_step(w: &mut CopyWorld, n: u8, line: &str) -> StepResult {
    let found: Vec<&(Regex, CucumberFn)> = compiled().iter().filter(|(re, _)| re.is_match(line)).collect();
    let [(re, step)] = found[..] else {
        fail!("the walk's step \"{line}\" matches {} catalogue phrases, not one", found.len());
    };
    let matches = re
        .captures(line)
        .map(|c| {
            re.capture_names()
                .zip(c.iter())
                .map(|(name, m)| (name.map(str::to_owned), m.map_or(String::new(), |m| m.as_str().to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let step_text = cucumber::gherkin::Step {
        keyword: "Given ".into(),
        ty: cucumber::gherkin::StepType::Given,
        value: line.to_owned(),
        docstring: None,
        table: None,
        span: Default::default(),
        position: Default::default(),
    };
    // A failed step panics with its (redacted) message once its evidence is
    // collected; say which documented step it was and fail the same way.
    if let Err(panic) = CatchUnwind(step(w, cucumber::step::Context { step: step_text, matches })).await {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "the step failed".into());
        std::panic::panic_any(mitid_e2e_framework::secret::redact(&format!("step {n} ({line}): {message}")));
    }
    Ok(())
}

/// A future's panic as a value, so the walk can say where it happened.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}

// --- Before you begin --------------------------------------------------------------------

async fn old_app_outdated(w: &mut CopyWorld, m: Vec<String>) -> StepResult {
    let udid = w.phone(Role::Old).await?.udid().to_owned();
    w.control()?.set_phone(&udid, json!({ "app_version": m[0] })).await?;
    Ok(())
}

/// The person is provisioned again, with these apps elsewhere besides the
/// one on the old phone.
async fn more_apps_elsewhere(w: &mut CopyWorld, m: Vec<String>) -> StepResult {
    let n: usize = m[0].parse().map_err(|_| StepFailure(format!("'{}' is not a whole number", m[0])))?;
    w.provision(n).await?;
    let old = w.phone(Role::Old).await?;
    old.activate_app().await?;
    old.wait_for_screen("home").await?;
    Ok(())
}

/// The rig "out of Bluetooth range" carries the new phone to: a rig with
/// no phones of the profile. The in-memory farm needs nothing more; on the
/// BlueZ radio it needs an air of its own (`[farm.air] elsewhere`), and a
/// lab's control API needs somewhere to put the phone under that name.
const OUT_OF_RANGE_RIG: &str = "elsewhere";

async fn out_of_range(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let udid = w.phone(Role::New).await?.udid().to_owned();
    w.control()?.set_phone(&udid, json!({ "rig": OUT_OF_RANGE_RIG })).await?;
    Ok(())
}

async fn back_in_range(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let rig = w.phone_profile(Role::Old)?.rig;
    let udid = w.phone(Role::New).await?.udid().to_owned();
    w.control()?.set_phone(&udid, json!({ "rig": rig })).await?;
    Ok(())
}

// --- Waiting --------------------------------------------------------------------------------

async fn minutes_and_seconds_pass(w: &mut CopyWorld, m: Vec<String>) -> StepResult {
    let number = |s: &str| s.parse::<u64>().map_err(|_| StepFailure(format!("'{s}' is not a whole number")));
    let seconds = number(&m[0])? * 60 + number(&m[1])?;
    w.pass_time(Duration::from_secs(seconds)).await?;
    Ok(())
}

async fn close_app(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    w.here().await?.terminate_app().await?;
    Ok(())
}

async fn not_notified(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let udid = w.phone(Role::Old).await?.udid().to_owned();
    tokio::time::sleep(NOTHING_ARRIVES_WITHIN).await;
    let pushes = w.ctx.gateways.push_messages().await;
    let early: Vec<String> = pushes
        .iter()
        .skip(w.pushes_seen)
        .filter(|m| m.body["device"] == udid.as_str())
        .filter(|m| m.body["body"].as_str().is_some_and(|b| b.contains("waiting time is over")))
        .map(|m| m.body.to_string())
        .collect();
    if !early.is_empty() {
        fail!("the old phone already received 'the waiting time is over': {}", early.join("; "));
    }
    Ok(())
}

// --- Bluetooth and the QR code --------------------------------------------------------------

async fn deny_bluetooth(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("permission_bluetooth").await?;
    phone.tap("permission_deny").await?;
    Ok(())
}

async fn asked_for_bluetooth(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    w.here().await?.wait_for_screen("permission_bluetooth").await?;
    Ok(())
}

async fn take_picture(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let old = w.phone(Role::Old).await?;
    old.wait_for_screen("qr_code").await?;
    let png = old.screenshot().await?;
    // A picture without a readable QR code would prove nothing later.
    let (png, decoded) = mitid_e2e_framework::qr::decode_off_thread(png).await;
    let payload = decoded?;
    // What it opens is a secret: reports never show it.
    Secret::new(SecretKind::Token, payload);
    w.qr_picture = Some(png);
    Ok(())
}

async fn scan_picture(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let Some(png) = w.qr_picture.clone() else {
        fail!("no picture of the QR code was taken: use 'I take a picture of the QR code on my old app' first");
    };
    if w.ctx.profile.camera.mode == CameraMode::Rig {
        fail!("a camera rig sees only the old phone's screen; scanning a picture needs camera.mode = \"inject\"");
    }
    w.current = Role::New;
    let new = w.phone(Role::New).await?;
    if new.is_on("permission_camera").await? {
        new.tap("permission_allow").await?;
    }
    new.wait_for_screen("qr_scanner").await?;
    use base64::Engine as _;
    let image = base64::engine::general_purpose::STANDARD.encode(&png);
    new.mobile("mobile: injectCameraImage", json!({ "image": image })).await?;
    Ok(())
}

// --- Confirming my identity and choosing a PIN ---------------------------------------------

/// Every digit moved by one: as long as the original, and wrong everywhere.
fn other_digits(s: &str) -> String {
    s.chars().map(|c| c.to_digit(10).map_or(c, |d| char::from(b'0' + ((d + 1) % 10) as u8))).collect()
}

async fn wrong_user_id(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    const NOT_MINE: &str = "someone-else";
    if w.identity()?.user_id.expose() == NOT_MINE {
        fail!("the identity's user ID is the one this step uses as someone else's");
    }
    w.sms_seen = w.ctx.gateways.sms_messages().await.len();
    let phone = w.here().await?;
    phone.wait_for_screen("user_id").await?;
    phone.type_text("user_id_input", NOT_MINE).await?;
    phone.tap_text("Next").await?;
    Ok(())
}

async fn no_temporary_pin_sms(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let to = w.identity()?.phone_number.expose().to_owned();
    tokio::time::sleep(NOTHING_ARRIVES_WITHIN).await;
    let sent =
        w.ctx.gateways.sms_messages().await.iter().skip(w.sms_seen).filter(|m| m.body["to"] == to.as_str()).count();
    if sent > 0 {
        fail!("{sent} SMS message(s) reached my phone number after the user ID was refused");
    }
    Ok(())
}

async fn wrong_temporary_pins(w: &mut CopyWorld, m: Vec<String>) -> StepResult {
    let times: usize =
        if m[0] == "a" { 1 } else { m[0].parse().map_err(|_| StepFailure(format!("'{}' is not a number", m[0])))? };
    let to = w.identity()?.phone_number.clone();
    let right = w.ctx.gateways.temporary_pin(&to, w.sms_seen, w.ctx.profile.timeouts.message()).await?;
    let wrong = Secret::new(SecretKind::TemporaryPin, other_digits(right.expose()));
    let phone = w.here().await?;
    for _ in 0..times {
        phone.wait_for_screen("temporary_pin").await?;
        phone.type_secret("temporary_pin_input", &wrong).await?;
        phone.tap_text("Next").await?;
    }
    Ok(())
}

async fn pin_and_different_repeat(w: &mut CopyWorld, _: Vec<String>) -> StepResult {
    let pin = w.identity()?.pin.clone();
    let different = Secret::new(SecretKind::Pin, other_digits(pin.expose()));
    let phone = w.here().await?;
    phone.wait_for_screen("create_pin").await?;
    phone.type_secret("new_pin_input", &pin).await?;
    phone.tap("new_pin_next").await?;
    phone.wait_for_screen("repeat_pin").await?;
    phone.type_secret("repeat_pin_input", &different).await?;
    phone.tap("repeat_pin_next").await?;
    Ok(())
}

// --- What the phone tells me ----------------------------------------------------------------

/// Some text on the screen holds these words (a message is often longer
/// than what a rule needs to see of it).
async fn told(w: &mut CopyWorld, m: Vec<String>) -> StepResult {
    let find = w.ctx.profile.timeouts.find();
    let phone = w.here().await?;
    let deadline = tokio::time::Instant::now() + find;
    loop {
        let shown = mitid_e2e_framework::phone::summarize_source(&phone.source().await?);
        if shown.contains(&m[0]) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            fail!(
                "{} did not tell me '{}' within {}; the screen shows: {shown}",
                phone.role(),
                m[0],
                crate::steps::catalogue::human(find)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_digits_differ_everywhere() {
        assert_eq!(other_digits("09125"), "10236");
        assert!(other_digits("12345678").chars().zip("12345678".chars()).all(|(a, b)| a != b));
    }

    #[test]
    fn every_walked_step_is_one_catalogue_phrase() {
        for n in 1..=crate::steps::catalogue::DOCUMENTED_STEPS {
            for line in documented_step(n) {
                let hits = compiled().iter().filter(|(re, _)| re.is_match(line)).count();
                assert_eq!(hits, 1, "step {n}: \"{line}\" matches {hits} phrases");
            }
        }
    }
}
