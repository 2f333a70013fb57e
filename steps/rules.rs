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
use std::time::Duration;

use serde_json::json;

use crate::arguments::{Answer, Count, TimeUnit};
use crate::catalogue::{catalogue, Deadline, DOCUMENTED_STEPS};
use crate::copy_flow;
use crate::documented::{Doc, Way};
use crate::world::{fail, CopyWorld, Role, StepFailure, StepResult};
use mitid_e2e_framework::control::Provisioning;
use mitid_e2e_framework::duration::seconds;
use mitid_e2e_framework::identities::Identity;
use mitid_e2e_framework::profile::{CameraMode, Platform};
use mitid_e2e_framework::secret::{Secret, SecretKind};

/// How long a "nothing arrived" check waits for a message (or a system
/// prompt) that should not come. The virtual farm delivers before it answers; a lab backend may be
/// slower, and no wait can prove a message will never come.
const NOTHING_ARRIVES_WITHIN: Duration = Duration::from_millis(300);

catalogue! {
    Given "^I (?:have followed|follow) steps (\\d+) to (\\d+)$"
        e.g. "Given I have followed steps 1 to 9"
        docs [] Walk => follow_steps(u64, u64);

    Given "the MitID app on my old phone is not updated: it is version {version}"
        e.g. "But the MitID app on my old phone is not updated: it is version 2.9.0"
        docs [] Step => old_app_outdated(String);
    Given "^I already have (\\d+) more active MitID apps? on (?:other phones/tablets|another phone/tablet)$"
        e.g. "But I already have 2 more active MitID apps on other phones/tablets"
        docs [] Step => more_apps_elsewhere(usize);
    Given "my new phone is out of Bluetooth range of my old phone"
        e.g. "But my new phone is out of Bluetooth range of my old phone"
        docs [] Step => out_of_range();
    When "I move my new phone close to my old phone"
        e.g. "When I move my new phone close to my old phone"
        docs [] Step => back_in_range();

    When "{int} minute(s) and {int} second(s) pass"
        e.g. "When 2 minutes and 59 seconds pass"
        docs [] Waiting => minutes_and_seconds_pass(u64, u64);
    When "I close the MitID app"
        e.g. "When I close the MitID app"
        docs [Step(7)] Step => close_app();
    When "I press the Back button of my phone"
        e.g. "When I press the Back button of my phone"
        docs [] Step => press_back();
    Then "I have not received a notification from the app that the waiting time is over"
        e.g. "Then I have not received a notification from the app that the waiting time is over"
        docs [] Step => not_notified();

    When "I do not allow the MitID app to use Bluetooth"
        e.g. "And I do not allow the MitID app to use Bluetooth"
        docs [] Step => deny_bluetooth();
    Then "I am asked to allow the MitID app to use Bluetooth"
        e.g. "Then I am asked to allow the MitID app to use Bluetooth"
        docs [] Step => asked_for_bluetooth();
    Then "I am not asked again to allow the MitID app to use Bluetooth"
        e.g. "Then I am not asked again to allow the MitID app to use Bluetooth"
        docs [] Step => not_asked_again_for_bluetooth();
    Then "I am asked to allow the MitID app to send me notifications"
        e.g. "Then I am asked to allow the MitID app to send me notifications"
        docs [] Step => asked_for_notifications();
    When "I allow the MitID app to send me notifications"
        e.g. "When I allow the MitID app to send me notifications"
        docs [] Step => allow_notifications();
    When "I allow the MitID app to use the camera"
        e.g. "And I allow the MitID app to use the camera"
        docs [] Step => allow_camera();
    When "my new phone's camera sees the QR code on my old app"
        e.g. "And my new phone's camera sees the QR code on my old app"
        docs [] Step => camera_sees_qr();
    When "I take a picture of the QR code on my old app"
        e.g. "When I take a picture of the QR code on my old app"
        docs [] Step => take_picture();
    When "I scan the picture of the QR code with my new phone"
        e.g. "And I scan the picture of the QR code with my new phone"
        docs [] Step => scan_picture();

    When "I enter a user ID that is not mine and press \"Next\""
        e.g. "When I enter a user ID that is not mine and press \"Next\""
        docs [] Step => wrong_user_id();
    Then "I do not receive a temporary PIN code via SMS"
        e.g. "And I do not receive a temporary PIN code via SMS"
        docs [] Step => no_temporary_pin_sms();
    Then "the SMS says that my temporary PIN code is valid for {int} minutes"
        e.g. "And the SMS says that my temporary PIN code is valid for 15 minutes"
        docs [] Step => sms_states_validity(u64);
    When "I enter {count} temporary PIN code(s) other than the one I receive via SMS"
        e.g. "When I enter a temporary PIN code other than the one I receive via SMS"
        docs [] Step => wrong_temporary_pins(Count);
    When "I enter a PIN code that is not mine"
        da "jeg indtaster en PIN-kode, der ikke er min"
        e.g. "When I enter a PIN code that is not mine"
        docs [] Step => wrong_pin();
    When "I create my personal PIN code, press \"Next\", repeat a different PIN code and press \"Next\""
        e.g. "When I create my personal PIN code, press \"Next\", repeat a different PIN code and press \"Next\""
        docs [] Step => pin_and_different_repeat();

    When "I press \"Start copying\" without checking \"Yes, I want to copy\""
        e.g. "When I press \"Start copying\" without checking \"Yes, I want to copy\""
        docs [] Step => start_without_consent();
    Given "my new phone is out of Bluetooth range of my old phone, beside another person's old phone that shows a QR code of its own"
        e.g. "But my new phone is out of Bluetooth range of my old phone, beside another person's old phone that shows a QR code of its own"
        docs [] Walk => beside_another_copy();
    Given "another person has an active MitID app"
        e.g. "Given another person has an active MitID app"
        docs [] Step => another_person();
    When "I enter the other person's user ID and press \"Next\""
        e.g. "When I enter the other person's user ID and press \"Next\""
        docs [] Step => other_persons_user_id();
    When "I enter my user ID in capital letters and press \"Next\""
        e.g. "When I enter my user ID in capital letters and press \"Next\""
        docs [Step(20)] Step => user_id_in_capitals();
    When "I keep the temporary PIN code that I receive via SMS"
        e.g. "And I keep the temporary PIN code that I receive via SMS"
        docs [] Step => keep_temporary_pin();
    When "I enter the temporary PIN code from the earlier attempt"
        e.g. "When I enter the temporary PIN code from the earlier attempt"
        docs [] Step => earlier_temporary_pin();
    When "I create a personal PIN code of {int} digits and press \"Next\""
        e.g. "When I create a personal PIN code of 5 digits and press \"Next\""
        docs [] Step => pin_of_length(usize);
    Then "the MitID app on my {phone} phone approves with biometric"
        e.g. "Then the MitID app on my new phone approves with biometric"
        docs [Step(24)] Step => approves_with_biometric(Role);
    Then "the MitID app on my {phone} phone asks for my PIN code, not biometric"
        e.g. "Then the MitID app on my new phone asks for my PIN code, not biometric"
        docs [Step(24)] Step => asks_for_pin_not_biometric(Role);
    When "^another MitID app of mine is activated on another phone/tablet$"
        e.g. "When another MitID app of mine is activated on another phone/tablet"
        docs [] Step => one_more_app_elsewhere();

    Then "I am told {string}"
        e.g. "Then I am told 'The user ID is not correct'"
        docs [] Step => told(String);
}

// --- Following the documented steps ------------------------------------------------------

/// What the walk says for each documented step, in the main feature's words
/// (features/copy_your_mitid_app.feature): a failure names the step by it.
/// Steps 7, 10, 11, 17 and 18 are walked their own way (see [`walk_step`]).
const WALK: &[(u8, &[&str])] = &[
    (1, &["I open the MitID app on my old phone and open the menu at the top of the screen"]),
    (2, &["I press \"Activate\""]),
    (3, &["I press \"Copy your MitID to a new app\""]),
    (4, &["I read the information and press \"Next\""]),
    (5, &["I enter my PIN code"]),
    (6, &["I check \"Yes, I want to copy\" and press \"Start copying\""]),
    (8, &["1 hour passes", "I open the MitID app and press \"Show QR code\" on the screen 'Show QR code and copy MitID to the new app'"]),
    (9, &["I enter my PIN code"]),
    (12, &["I see a QR code that is valid for 3 minutes"]),
    (13, &["I open the MitID app on my new phone"]),
    (14, &["I press \"Get started\" on the screen 'Activate your MitID'"]),
    (15, &["I choose \"Copy from another MitID app\" and press \"Next\""]),
    (16, &["I mark \"QR code is shown on the old app\" and press \"Scan QR code\""]),
    (19, &["I scan the QR code by holding my new phone up to the QR code on my old app"]),
    (20, &["I enter my user ID to confirm my identity and press \"Next\""]),
    (21, &["I enter the temporary PIN code that I receive via SMS"]),
    (22, &["I press \"Next\" on the screen 'Choose your personal PIN code'"]),
    (23, &["I create my personal PIN code, press \"Next\", repeat it and press \"Next\""]),
    (24, &["I choose no to approving with biometric"]),
    (25, &["I accept notifications from the MitID app"]),
    (26, &["I see 'This app is now activated and ready to use' and press \"OK\""]),
];

async fn follow_steps(w: &mut CopyWorld, from: u64, to: u64) -> StepResult {
    let last = u64::from(DOCUMENTED_STEPS);
    if !(1..=to).contains(&from) || to > last {
        fail!("'steps {from} to {to}' are not documented steps: the help page numbers them 1 to {last}");
    }
    for n in from..=to {
        walk_step(w, n as u8).await?;
    }
    Ok(())
}

/// Runs documented step `n` by calling the catalogue's own bodies, each
/// under its own deadline.
async fn walk_step(w: &mut CopyWorld, n: u8) -> StepResult {
    let said = WALK.iter().find(|(k, _)| *k == n).map_or(&[][..], |(_, lines)| lines);
    let line = |i: usize| said.get(i).copied().unwrap_or("");
    let step = Deadline::Step.limit(w);
    match n {
        1 => walked(n, line(0), step, copy_flow::open_menu(w)).await,
        2 => walked(n, line(0), step, copy_flow::press(w, "Activate".into())).await,
        3 => walked(n, line(0), step, copy_flow::press(w, "Copy your MitID to a new app".into())).await,
        4 => walked(n, line(0), step, copy_flow::read_and_next(w)).await,
        5 | 9 => walked(n, line(0), step, copy_flow::enter_pin(w)).await,
        6 => walked(n, line(0), step, copy_flow::confirm_copy(w)).await,
        // "Press OK if you want to": the walk leaves the waiting screen as it is.
        7 => Ok(()),
        8 => {
            let wait = Deadline::Waiting.limit(w);
            walked(n, line(0), wait, copy_flow::time_passes(w, 1, TimeUnit::Hour)).await?;
            walked(n, line(1), step, copy_flow::show_qr(w)).await
        }
        // Whichever the screen's title (the location rule has its own
        // scenarios), go on; the title read says which alternative it was.
        10 | 17 => {
            walked(n, line(0), step, async {
                copy_flow::read_bluetooth_info(w).await?;
                w.here().await?.tap_text("Next").await?;
                Ok(())
            })
            .await
        }
        11 | 18 => walked(n, line(0), step, copy_flow::accept_bluetooth_prompts(w)).await,
        12 => walked(n, line(0), step, copy_flow::see_qr(w)).await,
        13 => walked(n, line(0), step, copy_flow::open_app_on(w, Role::New)).await,
        14 => walked(n, line(0), step, copy_flow::get_started(w)).await,
        15 => walked(n, line(0), step, copy_flow::choose_copy(w)).await,
        16 => walked(n, line(0), step, copy_flow::mark_and_scan(w)).await,
        19 => walked(n, line(0), step, copy_flow::scan_qr(w)).await,
        20 => walked(n, line(0), step, copy_flow::enter_user_id(w)).await,
        21 => walked(n, line(0), step, copy_flow::enter_temporary_pin(w)).await,
        22 => walked(n, line(0), step, copy_flow::choose_pin_next(w)).await,
        23 => walked(n, line(0), step, copy_flow::create_pin(w)).await,
        24 => walked(n, line(0), step, copy_flow::choose_biometric(w, Answer::No)).await,
        25 => walked(n, line(0), step, copy_flow::accept_notifications(w)).await,
        26 => walked(n, line(0), step, copy_flow::activated(w)).await,
        _ => fail!("step {n} is not a documented step"),
    }
}

/// One line of the walk under its deadline; a failure says which documented
/// step and line it was.
async fn walked(n: u8, line: &str, limit: Duration, body: impl Future<Output = StepResult>) -> StepResult {
    match tokio::time::timeout(limit, body).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(failure)) => Err(failure.context(&format!("step {n} ({line})"))),
        Err(_) => Err(StepFailure::error(format!(
            "step {n} ({line}): the step \"{line}\" did not finish within its deadline of {}",
            seconds(limit)
        ))),
    }
}

// --- Before you begin --------------------------------------------------------------------

async fn old_app_outdated(w: &mut CopyWorld, version: String) -> StepResult {
    let udid = w.phone(Role::Old).await?.udid().to_owned();
    w.control()?.set_phone(&udid, json!({ "app_version": version })).await?;
    Ok(())
}

/// The person is provisioned again, with these apps elsewhere besides the
/// one on the old phone.
async fn more_apps_elsewhere(w: &mut CopyWorld, n: usize) -> StepResult {
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

async fn out_of_range(w: &mut CopyWorld) -> StepResult {
    let udid = w.phone(Role::New).await?.udid().to_owned();
    w.control()?.set_phone(&udid, json!({ "rig": OUT_OF_RANGE_RIG })).await?;
    Ok(())
}

async fn back_in_range(w: &mut CopyWorld) -> StepResult {
    let rig = w.phone_profile(Role::Old)?.rig;
    let udid = w.phone(Role::New).await?.udid().to_owned();
    w.control()?.set_phone(&udid, json!({ "rig": rig })).await?;
    Ok(())
}

/// A third device, another person's, walked through steps 1-12 of their
/// own copy (their hour passes on it alone); then it and my new phone are
/// carried out of range of my old phone, together: its beacon, for its own
/// QR code, is the one my new phone hears. The place is this scenario's
/// own (named after the new phone, which no other scenario holds), so no
/// other scenario's phone hears that beacon.
async fn beside_another_copy(w: &mut CopyWorld) -> StepResult {
    let third = w.phone_profile(Role::Third)?.udid;
    provision_another_person(w, vec![third.clone()]).await?;
    let mine = w.current;
    w.current = Role::Third;
    let phone = w.here().await?;
    phone.activate_app().await?;
    phone.wait_for_screen("home").await?;
    phone.tap("menu_button").await?;
    copy_flow::press(w, "Activate".into()).await?;
    copy_flow::press(w, "Copy your MitID to a new app".into()).await?;
    copy_flow::read_and_next(w).await?;
    // Their PIN code is the same digits as mine (provision_another_person).
    copy_flow::enter_pin(w).await?;
    copy_flow::confirm_copy(w).await?;
    w.pass_time_on(Role::Third, TimeUnit::Hour.times(1)).await?;
    let phone = w.here().await?;
    phone.activate_app().await?;
    phone.wait_for_text("Show QR code and copy MitID to the new app").await?;
    phone.tap_text("Show QR code").await?;
    copy_flow::enter_pin(w).await?;
    let phone = w.here().await?;
    phone.wait_for_screen("bluetooth_info").await?;
    phone.tap_text("Next").await?;
    copy_flow::accept_bluetooth_prompts(w).await?;
    w.here().await?.wait_for_screen("qr_code").await?;
    let new = w.phone_profile(Role::New)?.udid;
    let place = format!("{OUT_OF_RANGE_RIG}-beside-{new}");
    for udid in [&new, &third] {
        w.control()?.set_phone(udid, json!({ "rig": place })).await?;
    }
    w.current = mine;
    Ok(())
}

// --- Waiting --------------------------------------------------------------------------------

async fn minutes_and_seconds_pass(w: &mut CopyWorld, minutes: u64, seconds: u64) -> StepResult {
    w.pass_time(TimeUnit::Minute.times(minutes) + TimeUnit::Second.times(seconds)).await?;
    Ok(())
}

async fn close_app(w: &mut CopyWorld) -> StepResult {
    w.here().await?.terminate_app().await?;
    // "You can close the MitID app while waiting."
    w.proves(Doc::Step(7), None);
    Ok(())
}

async fn not_notified(w: &mut CopyWorld) -> StepResult {
    let udid = w.phone(Role::Old).await?.udid().to_owned();
    tokio::time::sleep(NOTHING_ARRIVES_WITHIN).await;
    let pushes = w.ctx.gateways.pushes_since(w.flow.messages_from, &[&udid]).await;
    let early: Vec<String> =
        pushes.iter().filter(|m| copy_flow::is_waiting_over(m)).map(|m| w.ctx.gateways.shown_push(m)).collect();
    if !early.is_empty() {
        fail!("the old phone already received 'the waiting time is over': {}", early.join("; "));
    }
    Ok(())
}

// --- Bluetooth and the QR code --------------------------------------------------------------

async fn deny_bluetooth(w: &mut CopyWorld) -> StepResult {
    answer_prompt(w, "permission_bluetooth", "permission_deny").await
}

/// Waits for the system's prompt `prompt` and presses `button` on it.
async fn answer_prompt(w: &mut CopyWorld, prompt: &str, button: &str) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen(prompt).await?;
    phone.tap(button).await?;
    Ok(())
}

async fn asked_for_bluetooth(w: &mut CopyWorld) -> StepResult {
    w.here().await?.wait_for_screen("permission_bluetooth").await?;
    Ok(())
}

/// Step 25 on a system that gates notifications (Android 13 and later,
/// iOS): the app must ask the system, or the phone shows none of MitID's.
async fn asked_for_notifications(w: &mut CopyWorld) -> StepResult {
    w.here().await?.wait_for_screen("permission_notifications").await?;
    Ok(())
}

async fn allow_notifications(w: &mut CopyWorld) -> StepResult {
    answer_prompt(w, "permission_notifications", "permission_allow").await
}

/// An iPhone asks once: after a refusal the app stays on its own screen,
/// and no system prompt shows.
async fn not_asked_again_for_bluetooth(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("permission_denied").await?;
    // A real phone draws its alert a moment after the app asks: look for
    // it as long as a message that should not come is waited for.
    let until = tokio::time::Instant::now() + NOTHING_ARRIVES_WITHIN;
    loop {
        if phone.is_on("permission_prompt").await? {
            fail!("{} asked again for Bluetooth; the screen shows: {}", phone.role(), phone.screen_summary().await);
        }
        if tokio::time::Instant::now() >= until {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The new phone's camera prompt, which its scanner brings up the first
/// time (step 19), answered "Allow"; the scanner opens.
async fn allow_camera(w: &mut CopyWorld) -> StepResult {
    w.current = Role::New;
    let new = w.phone(Role::New).await?;
    new.wait_for_any_screen(&["permission_prompt", "qr_scanner"]).await?;
    if !new.is_on("permission_camera").await? {
        fail!("my new phone did not ask for the camera: the MitID app may already use it, so 'I allow' did nothing");
    }
    new.tap("permission_allow").await?;
    new.wait_for_screen("qr_scanner").await?;
    Ok(())
}

/// The old phone's QR code in front of the new phone's camera, whatever
/// screen the new phone shows: nothing is waited for.
async fn camera_sees_qr(w: &mut CopyWorld) -> StepResult {
    copy_flow::hold_up_to_old_qr(w).await
}

async fn take_picture(w: &mut CopyWorld) -> StepResult {
    let old = w.phone(Role::Old).await?;
    old.wait_for_screen("qr_code").await?;
    let png = old.screenshot().await?;
    // A picture without a readable QR code would prove nothing later.
    let (png, decoded) = mitid_e2e_framework::qr::decode_off_thread(png).await;
    let payload = decoded?;
    // What it opens is a secret: reports never show it.
    Secret::new(SecretKind::Token, payload);
    w.flow.qr_picture = Some(png);
    Ok(())
}

async fn scan_picture(w: &mut CopyWorld) -> StepResult {
    let Some(png) = w.flow.qr_picture.clone() else {
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

async fn wrong_user_id(w: &mut CopyWorld) -> StepResult {
    const NOT_MINE: &str = "someone-else";
    if w.identity()?.user_id.expose() == NOT_MINE {
        fail!("the identity's user ID is the one this step uses as someone else's");
    }
    w.flow.sms_seen = w.ctx.gateways.sms_messages().await.len();
    let phone = w.here().await?;
    phone.wait_for_screen("user_id").await?;
    phone.type_text("user_id_input", NOT_MINE).await?;
    phone.tap_text("Next").await?;
    Ok(())
}

async fn no_temporary_pin_sms(w: &mut CopyWorld) -> StepResult {
    let to = w.identity()?.phone_number.expose().to_owned();
    tokio::time::sleep(NOTHING_ARRIVES_WITHIN).await;
    let sent = w
        .ctx
        .gateways
        .sms_messages()
        .await
        .iter()
        .skip(w.flow.sms_seen)
        .filter(|m| m.body["to"] == to.as_str())
        .count();
    if sent > 0 {
        fail!("{sent} SMS message(s) reached my phone number after the user ID was refused");
    }
    Ok(())
}

/// What the SMS tells its reader of the code's life: the minutes it
/// states must be the ones the backend holds to (the boundary scenarios
/// prove those), in English or Danish ("15 minutes", "15 minutter").
async fn sms_states_validity(w: &mut CopyWorld, minutes: u64) -> StepResult {
    let to = w.identity()?.phone_number.clone();
    // Its arrival is awaited as when the code is typed.
    w.ctx.gateways.temporary_pin(&to, w.flow.sms_seen, w.ctx.profile.timeouts.message()).await?;
    let messages = w.ctx.gateways.sms_messages().await;
    let Some(sms) = messages.iter().skip(w.flow.sms_seen).rev().find(|m| m.body["to"].as_str() == Some(to.expose()))
    else {
        fail!("no SMS reached my phone number");
    };
    let stated = regex::Regex::new(&format!(r"\b{minutes} (minutes|minutter)\b")).expect("a valid regex");
    if !sms.body["text"].as_str().is_some_and(|text| stated.is_match(text)) {
        fail!(
            "the SMS with my temporary PIN code does not say it is valid for {minutes} minutes: {}",
            w.ctx.gateways.shown_sms(sms)
        );
    }
    Ok(())
}

async fn wrong_temporary_pins(w: &mut CopyWorld, Count(times): Count) -> StepResult {
    let to = w.identity()?.phone_number.clone();
    let right = w.ctx.gateways.temporary_pin(&to, w.flow.sms_seen, w.ctx.profile.timeouts.message()).await?;
    let wrong = Secret::new(SecretKind::TemporaryPin, other_digits(right.expose()));
    let phone = w.here().await?;
    for _ in 0..times {
        phone.wait_for_screen("temporary_pin").await?;
        phone.type_secret("temporary_pin_input", &wrong).await?;
        phone.tap_text("Next").await?;
    }
    Ok(())
}

/// On the old phone's PIN screen (steps 5 and 9): a PIN code of the right
/// length that is not mine.
async fn wrong_pin(w: &mut CopyWorld) -> StepResult {
    let pin = w.identity()?.pin.clone();
    let wrong = Secret::new(SecretKind::Pin, other_digits(pin.expose()));
    let phone = w.here().await?;
    phone.wait_for_screen("pin_entry").await?;
    phone.type_secret("pin_input", &wrong).await?;
    phone.tap("pin_next").await?;
    Ok(())
}

async fn pin_and_different_repeat(w: &mut CopyWorld) -> StepResult {
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

// --- My consent, my identity, this attempt --------------------------------------------------

/// Step 6 without the tick: "Start copying" pressed as it is. On a phone
/// a disabled button takes the tap and does nothing; the Then steps look
/// at what came of it.
async fn start_without_consent(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("copy_confirm").await?;
    phone.tap_text("Start copying").await?;
    Ok(())
}

/// Another person, provisioned on the backend with an app on a phone
/// outside the farm: their user ID is real, and not mine.
async fn another_person(w: &mut CopyWorld) -> StepResult {
    provision_another_person(w, Vec::new()).await
}

/// Another person on the backend, with an app on a phone outside the farm
/// and on the phones `app_on`; their PIN code is the same digits as mine.
async fn provision_another_person(w: &mut CopyWorld, app_on: Vec<String>) -> StepResult {
    let me = w.identity()?.clone();
    let other = Identity {
        name: format!("{}-other", me.name),
        user_id: Secret::new(SecretKind::UserId, format!("{}-other-person", me.user_id.expose())),
        phone_number: Secret::new(SecretKind::Token, format!("{}9", me.phone_number.expose())),
        pin: me.pin.clone(),
    };
    w.control()?
        .provision(Provisioning {
            user_id: &other.user_id,
            phone_number: &other.phone_number,
            pin: &other.pin,
            active_apps_elsewhere: 1,
            app_on,
        })
        .await?;
    w.flow.other_person = Some(other);
    Ok(())
}

async fn other_persons_user_id(w: &mut CopyWorld) -> StepResult {
    let Some(other) = w.flow.other_person.clone() else {
        fail!("no other person: use 'Given another person has an active MitID app' first");
    };
    copy_flow::type_user_id(w, &other.user_id).await
}

/// MitID's help page on the user ID: "Whether you use upper or lower case
/// does not make a difference."
async fn user_id_in_capitals(w: &mut CopyWorld) -> StepResult {
    let mine = w.identity()?.user_id.clone();
    let capitals = mine.expose().to_uppercase();
    if capitals == mine.expose() {
        fail!("the identity's user ID has no small letters to write in capitals");
    }
    copy_flow::type_user_id(w, &Secret::new(SecretKind::UserId, capitals)).await?;
    w.proves(Doc::Step(20), None);
    Ok(())
}

async fn keep_temporary_pin(w: &mut CopyWorld) -> StepResult {
    let to = w.identity()?.phone_number.clone();
    let pin = w.ctx.gateways.temporary_pin(&to, w.flow.sms_seen, w.ctx.profile.timeouts.message()).await?;
    w.flow.earlier_temporary_pin = Some(pin);
    Ok(())
}

async fn earlier_temporary_pin(w: &mut CopyWorld) -> StepResult {
    let Some(earlier) = w.flow.earlier_temporary_pin.clone() else {
        fail!("no temporary PIN code was kept: use 'I keep the temporary PIN code that I receive via SMS' first");
    };
    let to = w.identity()?.phone_number.clone();
    let now = w.ctx.gateways.temporary_pin(&to, w.flow.sms_seen, w.ctx.profile.timeouts.message()).await?;
    if now.expose() == earlier.expose() {
        fail!("this attempt was sent the same temporary PIN code as the earlier one: the step proves nothing");
    }
    let phone = w.here().await?;
    phone.wait_for_screen("temporary_pin").await?;
    phone.type_secret("temporary_pin_input", &earlier).await?;
    phone.tap_text("Next").await?;
    Ok(())
}

/// Step 23 with a PIN code of another length than the app asks for: my
/// PIN code's digits, cut short or made longer.
async fn pin_of_length(w: &mut CopyWorld, digits: usize) -> StepResult {
    let mine = w.identity()?.pin.clone();
    let pin: String = mine.expose().chars().cycle().take(digits).collect();
    let phone = w.here().await?;
    phone.wait_for_screen("create_pin").await?;
    phone.type_secret("new_pin_input", &Secret::new(SecretKind::Pin, pin)).await?;
    phone.tap("new_pin_next").await?;
    Ok(())
}

/// Steps 1-4 on a phone whose app is active, to its PIN screen (step 5):
/// where the app asks me to approve.
async fn to_approval(w: &mut CopyWorld, role: Role) -> StepResult {
    w.current = role;
    let phone = w.here().await?;
    phone.activate_app().await?;
    phone.wait_for_screen("home").await?;
    phone.tap("menu_button").await?;
    copy_flow::press(w, "Activate".into()).await?;
    copy_flow::press(w, "Copy your MitID to a new app".into()).await?;
    copy_flow::read_and_next(w).await?;
    w.here().await?.wait_for_screen("pin_entry").await?;
    Ok(())
}

/// Step 24's "yes" seen afterwards: the app offers biometric where it asks
/// me to approve, and my biometric approves; then I leave without copying.
async fn approves_with_biometric(w: &mut CopyWorld, role: Role) -> StepResult {
    to_approval(w, role).await?;
    let phone = w.here().await?;
    if !phone.has("pin_use_biometric").await? {
        fail!(
            "{} asks for my PIN code only: it does not offer biometric; the screen shows: {}",
            phone.role(),
            phone.screen_summary().await
        );
    }
    phone.tap("pin_use_biometric").await?;
    let kind = copy_flow::give_biometric(w).await?;
    let phone = w.here().await?;
    phone.wait_for_screen("copy_confirm").await?;
    phone.tap_text("Cancel").await?;
    // What step 24's "yes" does, seen.
    w.proves(Doc::Step(24), Some(Way::Approve(Some(kind))));
    Ok(())
}

/// Step 24's "no" seen afterwards: the app asks for my PIN code and offers
/// no biometric; my PIN code approves; then I leave without copying.
async fn asks_for_pin_not_biometric(w: &mut CopyWorld, role: Role) -> StepResult {
    to_approval(w, role).await?;
    let phone = w.here().await?;
    if phone.has("pin_use_biometric").await? {
        fail!(
            "{} offers biometric, though I chose not to approve with it; the screen shows: {}",
            phone.role(),
            phone.screen_summary().await
        );
    }
    copy_flow::enter_pin(w).await?;
    let phone = w.here().await?;
    phone.wait_for_screen("copy_confirm").await?;
    phone.tap_text("Cancel").await?;
    // What step 24's "no" does, seen.
    w.proves(Doc::Step(24), Some(Way::Approve(None)));
    Ok(())
}

/// Android's Back key, as UiAutomator2 sends it (`mobile: pressKey`, key
/// code 4, KEYCODE_BACK). An iPhone has no Back button: a scenario that
/// presses it must be tagged for Android.
async fn press_back(w: &mut CopyWorld) -> StepResult {
    const KEYCODE_BACK: u32 = 4;
    let phone = w.here().await?;
    if phone.platform() != Platform::Android {
        fail!(
            "{} is an iPhone or iPad, which has no Back button: tag the scenario for Android (@android-14)",
            phone.role()
        );
    }
    phone.mobile("mobile: pressKey", json!({ "keycode": KEYCODE_BACK })).await?;
    Ok(())
}

/// One more active app of mine, on a phone outside the farm, while the
/// copy is under way (a lab backend's provisioning call).
async fn one_more_app_elsewhere(w: &mut CopyWorld) -> StepResult {
    let more = w.flow.apps_elsewhere + 1;
    w.provision(more).await
}

// --- What the phone tells me ----------------------------------------------------------------

/// Some text on the screen holds these words (a message is often longer
/// than what a rule needs to see of it).
async fn told(w: &mut CopyWorld, words: String) -> StepResult {
    let find = w.ctx.profile.timeouts.find();
    let phone = w.here().await?;
    let deadline = tokio::time::Instant::now() + find;
    loop {
        // The read serves the approved-text check too, when one is owed.
        let shown = mitid_e2e_framework::phone::summarize_source(&phone.read_screen().await?);
        if shown.contains(&words) {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            fail!("{} did not tell me '{words}' within {}; the screen shows: {shown}", phone.role(), seconds(find));
        }
        // A page source is a phone's dearest request: look again less often than a find would.
        tokio::time::sleep(Duration::from_millis(250)).await;
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
    fn every_walked_line_is_one_catalogue_phrase_of_its_documented_step() {
        let all = crate::all();
        for (n, lines) in WALK {
            for line in *lines {
                let rows: Vec<_> =
                    all.iter().filter(|d| crate::phrases::compile(d.phrase).unwrap().is_match(line)).collect();
                assert_eq!(rows.len(), 1, "step {n}: \"{line}\" matches {} phrases", rows.len());
                let proves = rows[0].docs.contains(&crate::catalogue::Doc::Step(*n));
                assert!(proves || line.ends_with("passes"), "step {n}: \"{line}\" is not a phrase of step {n}");
            }
        }
    }
}
