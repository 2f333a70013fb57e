//! Steps of the documented flow, in the documentation's words: "Before you
//! begin", the old phone (1-12), the new phone (13-26), and after.
//!
//! A step acts on the phone "I" hold now: "on my old phone" / "on my new
//! phone" switches it. Every `Then` looks at a phone or a gateway.

use std::time::Duration;

use serde_json::json;

use crate::arguments::{Answer, TimeUnit};
use crate::catalogue::catalogue;
use crate::documented::{Doc, Way};
use crate::world::{fail, CopyWorld, Role, StepFailure, StepResult};
use mitid_e2e_framework::gateways::Message;
use mitid_e2e_framework::profile::{Biometric, CameraMode, Platform};
use mitid_e2e_framework::secret::{Secret, SecretKind};

catalogue! {
    Given "my old phone and the MitID app on it are updated"
        da "min gamle telefon og MitID appen på den er opdateret"
        e.g. "Given my old phone and the MitID app on it are updated"
        docs [Before(1)] Step => old_phone_updated();
    Given "the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps"
        da "MitID appen er downloadet på min nye telefon, og jeg har færre end tre aktive MitID apps"
        e.g. "And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps"
        docs [Before(2)] Step => new_phone_installed();
    Given "Bluetooth is enabled on both phones"
        da "Bluetooth er slået til på begge telefoner"
        e.g. "And Bluetooth is enabled on both phones"
        docs [Before(3)] Step => bluetooth_on_both();

    When "I open the MitID app on my {phone} phone"
        da "jeg åbner MitID appen på min {phone} telefon"
        e.g. "When I open the MitID app on my new phone"
        docs [Step(13)] Step => open_app_on(Role);
    When "I open the MitID app on my old phone and open the menu at the top of the screen"
        da "jeg åbner MitID appen på min gamle telefon og åbner menuen øverst på skærmen"
        e.g. "When I open the MitID app on my old phone and open the menu at the top of the screen"
        docs [Step(1)] Step => open_menu();
    When "I press {string}"
        da "jeg trykker på {string}"
        e.g. "And I press \"Activate\""
        docs [Step(2), Step(3)] Step => press(String);
    When "I read the information and press \"Next\""
        da "jeg læser informationen og trykker på \"Next\""
        e.g. "And I read the information and press \"Next\""
        docs [Step(4)] Step => read_and_next();
    When "I enter my PIN code"
        da "jeg indtaster min PIN-kode"
        e.g. "And I enter my PIN code"
        docs [Step(5), Step(9)] Step => enter_pin();
    When "I use biometric instead of my PIN code"
        da "jeg bruger biometri i stedet for min PIN-kode"
        e.g. "And I use biometric instead of my PIN code"
        docs [Step(5), Step(9)] Step => use_biometric();
    When "I use a finger or face that is not mine instead of my PIN code"
        e.g. "When I use a finger or face that is not mine instead of my PIN code"
        docs [] Step => use_someone_elses_biometric();
    When "I check \"Yes, I want to copy\" and press \"Start copying\""
        da "jeg sætter flueben i \"Yes, I want to copy\" og trykker på \"Start copying\""
        e.g. "And I check \"Yes, I want to copy\" and press \"Start copying\""
        docs [Step(6)] Step => confirm_copy();
    Then "the waiting period has started"
        da "^(?:ventetiden er startet|er ventetiden startet)$"
        e.g. "Then the waiting period has started"
        docs [Step(7)] Step => waiting_started();
    When "I press \"OK\" and close the MitID app while waiting"
        da "jeg trykker på \"OK\" og lukker MitID appen, mens jeg venter"
        e.g. "When I press \"OK\" and close the MitID app while waiting"
        docs [Step(7)] Step => ok_and_close();
    When "{int} {unit} pass(es)"
        da "der går {int} {unit}"
        e.g. "And 1 hour passes"
        docs [] Waiting => time_passes(u64, TimeUnit);
    Then "I receive a notification from the app that the waiting time is over"
        da "^(?:jeg får|får jeg) en notifikation fra appen om, at ventetiden er slut$"
        e.g. "Then I receive a notification from the app that the waiting time is over"
        docs [Step(7)] Step => notified();
    When "I open the MitID app and press \"Show QR code\" on the screen 'Show QR code and copy MitID to the new app'"
        da "jeg åbner MitID appen og trykker på \"Show QR code\" på skærmen 'Show QR code and copy MitID to the new app'"
        e.g. "When I open the MitID app and press \"Show QR code\" on the screen 'Show QR code and copy MitID to the new app'"
        docs [Step(8)] Step => show_qr();
    When "^I read the information on the screen '(Bluetooth access is required|Bluetooth and location access is required)' and press \"Next\"$"
        da "^jeg læser informationen på skærmen '(Bluetooth access is required|Bluetooth and location access is required)' og trykker på \"Next\"$"
        e.g. "And I read the information on the screen 'Bluetooth access is required' and press \"Next\""
        docs [Step(10)] Step => bluetooth_info_next(String);
    When "^I press \"Next\" on the screen '(Bluetooth access is required|Bluetooth and location access is required)'$"
        da "^jeg trykker på \"Next\" på skærmen '(Bluetooth access is required|Bluetooth and location access is required)'$"
        e.g. "And I press \"Next\" on the screen 'Bluetooth access is required'"
        docs [Step(17)] Step => bluetooth_info_next(String);
    When "I accept that the MitID app uses Bluetooth"
        da "jeg accepterer, at MitID appen bruger Bluetooth"
        e.g. "And I accept that the MitID app uses Bluetooth"
        docs [Step(11), Step(18)] Step => accept_bluetooth();
    When "I accept that the MitID app uses Bluetooth and accesses my location"
        da "jeg accepterer, at MitID appen bruger Bluetooth og får adgang til min placering"
        e.g. "And I accept that the MitID app uses Bluetooth and accesses my location"
        docs [Step(11), Step(18)] Step => accept_bluetooth_and_location();
    Then "I see a QR code that is valid for 3 minutes"
        da "^(?:jeg ser|ser jeg) en QR-kode, der er gyldig i 3 minutter$"
        e.g. "Then I see a QR code that is valid for 3 minutes"
        docs [Step(12)] Step => see_qr();

    When "I press \"Get started\" on the screen 'Activate your MitID'"
        da "jeg trykker på \"Get started\" på skærmen 'Activate your MitID'"
        e.g. "And I press \"Get started\" on the screen 'Activate your MitID'"
        docs [Step(14)] Step => get_started();
    When "I choose \"Copy from another MitID app\" and press \"Next\""
        da "jeg vælger \"Copy from another MitID app\" og trykker på \"Next\""
        e.g. "And I choose \"Copy from another MitID app\" and press \"Next\""
        docs [Step(15)] Step => choose_copy();
    When "I mark \"QR code is shown on the old app\" and press \"Scan QR code\""
        da "jeg markerer \"QR code is shown on the old app\" og trykker på \"Scan QR code\""
        e.g. "And I mark \"QR code is shown on the old app\" and press \"Scan QR code\""
        docs [Step(16)] Step => mark_and_scan();
    When "I scan the QR code by holding my new phone up to the QR code on my old app"
        da "jeg scanner QR-koden ved at holde min nye telefon op foran QR-koden på min gamle app"
        e.g. "And I scan the QR code by holding my new phone up to the QR code on my old app"
        docs [Step(19)] Step => scan_qr();
    When "I enter my user ID to confirm my identity and press \"Next\""
        da "jeg indtaster mit bruger-ID for at bekræfte min identitet og trykker på \"Next\""
        e.g. "And I enter my user ID to confirm my identity and press \"Next\""
        docs [Step(20)] Step => enter_user_id();
    When "I enter the temporary PIN code that I receive via SMS"
        da "jeg indtaster den midlertidige PIN-kode, som jeg modtager på SMS"
        e.g. "And I enter the temporary PIN code that I receive via SMS"
        docs [Step(21)] Step => enter_temporary_pin();
    When "I press \"Next\" on the screen 'Choose your personal PIN code'"
        da "jeg trykker på \"Next\" på skærmen 'Choose your personal PIN code'"
        e.g. "And I press \"Next\" on the screen 'Choose your personal PIN code'"
        docs [Step(22)] Step => choose_pin_next();
    When "I create my personal PIN code, press \"Next\", repeat it and press \"Next\""
        da "jeg opretter min personlige PIN-kode, trykker på \"Next\", gentager den og trykker på \"Next\""
        e.g. "And I create my personal PIN code, press \"Next\", repeat it and press \"Next\""
        docs [Step(23)] Step => create_pin();
    When "I choose {answer} to approving with biometric"
        da "jeg vælger {answer} til at godkende med biometri"
        e.g. "And I choose yes to approving with biometric"
        docs [Step(24)] Step => choose_biometric(Answer);
    When "I accept notifications from the MitID app"
        da "jeg accepterer notifikationer fra MitID appen"
        e.g. "And I accept notifications from the MitID app"
        docs [Step(25)] Step => accept_notifications();
    Then "I see 'This app is now activated and ready to use' and press \"OK\""
        da "^(?:jeg ser|ser jeg) 'This app is now activated and ready to use' og trykker på \"OK\"$"
        e.g. "Then I see 'This app is now activated and ready to use' and press \"OK\""
        docs [Step(26)] Step => activated();
    Then "my MitID app on my old phone is still active"
        da "^(?:min MitID app på min gamle telefon er|er min MitID app på min gamle telefon) stadig aktiv$"
        e.g. "And my MitID app on my old phone is still active"
        docs [] Step => old_still_active();

    Then "I see {string}"
        da "^(?:jeg ser|ser jeg) '([^']+)'$"
        e.g. "Then I see 'The QR code has expired'"
        docs [] Step => see_text(String);
    Then "I do not see {string}"
        da "^(?:jeg ser|ser jeg) ikke '([^']+)'$"
        e.g. "Then I do not see 'Show QR code'"
        docs [] Step => not_see_text(String);
    When "I take my {phone} phone"
        da "jeg tager min {phone} telefon"
        e.g. "When I take my old phone"
        docs [] Step => take_phone(Role);
}

// --- Before you begin ------------------------------------------------------------------

pub(crate) async fn old_phone_updated(w: &mut CopyWorld) -> StepResult {
    w.provision(0).await?;
    w.current = Role::Old;
    let old = w.phone(Role::Old).await?;
    // An activated, updated app opens on its home screen.
    old.activate_app().await?;
    old.wait_for_screen("home").await?;
    let form = w.form_of(Role::Old)?;
    w.proves(Doc::Before(1), Some(form));
    Ok(())
}

pub(crate) async fn new_phone_installed(w: &mut CopyWorld) -> StepResult {
    // The identity was provisioned with this one app: fewer than three.
    let new = w.phone(Role::New).await?;
    new.terminate_app().await?;
    let store = Way::Store(new.platform());
    w.proves(Doc::Before(2), Some(store));
    Ok(())
}

pub(crate) async fn bluetooth_on_both(w: &mut CopyWorld) -> StepResult {
    for r in [Role::Old, Role::New] {
        set_bluetooth(w, r, true).await?;
    }
    w.proves(Doc::Before(3), None);
    Ok(())
}

/// Android phones switch Bluetooth with UiAutomator2's own `mobile:
/// bluetooth` (no insecure Appium feature needed, unlike `mobile: shell`);
/// iPhones have no such command, so the test-control API (a lab rig's
/// switch) does it.
pub async fn set_bluetooth(w: &mut CopyWorld, r: Role, on: bool) -> StepResult {
    let phone = w.phone(r).await?;
    match phone.platform() {
        Platform::Android => {
            let action = if on { "enable" } else { "disable" };
            phone.mobile("mobile: bluetooth", json!({ "action": action })).await?;
        }
        Platform::Ios => {
            let udid = phone.udid().to_owned();
            // A rig's switch, as `mobile: bluetooth` is on Android: no screen changes by it.
            w.control_unseen()?.set_phone(&udid, json!({ "bluetooth": on })).await?;
        }
    }
    Ok(())
}

// --- The old phone, 1-12 -----------------------------------------------------------------

pub(crate) async fn open_app_on(w: &mut CopyWorld, phone: Role) -> StepResult {
    w.current = phone;
    w.here().await?.activate_app().await?;
    // Step 13 is the new phone's; opening the old one is part of step 1
    // (which also opens the menu) or step 8.
    if phone == Role::New {
        let form = w.form_of(Role::New)?;
        w.proves(Doc::Step(13), Some(form));
    }
    Ok(())
}

pub(crate) async fn open_menu(w: &mut CopyWorld) -> StepResult {
    w.current = Role::Old;
    let old = w.here().await?;
    old.activate_app().await?;
    old.tap("menu_button").await?;
    old.wait_for_screen("menu").await?;
    let form = w.form_of(Role::Old)?;
    w.proves(Doc::Step(1), Some(form));
    Ok(())
}

/// The buttons whose press is a documented step of the old phone's menu.
const DOCUMENTED_BUTTONS: [(&str, u8); 2] = [("Activate", 2), ("Copy your MitID to a new app", 3)];

pub(crate) async fn press(w: &mut CopyWorld, button: String) -> StepResult {
    w.here().await?.tap_text(&button).await?;
    // "Press Activate" is step 2 on the old phone only, not any button anywhere.
    if w.current == Role::Old {
        if let Some((_, n)) = DOCUMENTED_BUTTONS.iter().find(|(b, _)| *b == button) {
            w.proves(Doc::Step(*n), None);
        }
    }
    Ok(())
}

pub(crate) async fn read_and_next(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("copy_info").await?;
    phone.tap_text("Next").await?;
    w.proves(Doc::Step(4), None);
    Ok(())
}

pub(crate) async fn enter_pin(w: &mut CopyWorld) -> StepResult {
    let pin = w.identity()?.pin.clone();
    let phone = w.here().await?;
    phone.wait_for_screen("pin_entry").await?;
    phone.type_secret("pin_input", &pin).await?;
    phone.tap("pin_next").await?;
    // The old phone asks at step 5 and, once asked to show the QR code, at step 9.
    if w.current == Role::Old {
        if w.flow.qr_asked {
            w.proves(Doc::Step(9), None);
        } else {
            w.proves(Doc::Step(5), Some(Way::PinCode));
        }
    }
    Ok(())
}

pub(crate) async fn use_biometric(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("pin_entry").await?;
    phone.tap("pin_use_biometric").await?;
    let kind = give_biometric(w).await?;
    // Step 9 names only the PIN code: biometric there proves no documented step.
    if w.current == Role::Old && !w.flow.qr_asked {
        w.proves(Doc::Step(5), Some(Way::Biometric(kind)));
    }
    Ok(())
}

/// Asks for biometric on the PIN screen and gives the prompt a finger or a
/// face the phone does not know.
pub(crate) async fn use_someone_elses_biometric(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("pin_entry").await?;
    phone.tap("pin_use_biometric").await?;
    answer_biometric_prompt(w, false).await?;
    Ok(())
}

/// Answers the system biometric prompt with the phone's enrolled finger or
/// face, by the command its driver has for that biometric (the profile says
/// which the phone has). Returns that biometric.
pub(crate) async fn give_biometric(w: &mut CopyWorld) -> Result<Biometric, StepFailure> {
    answer_biometric_prompt(w, true).await
}

/// Answers the system biometric prompt by the command the phone's driver
/// has for its biometric (the profile says which): with the enrolled finger
/// or face when `mine`, else with one the phone does not know
/// (`fingerprintId` 2, the suite's own being 1; `match: false`), as the
/// drivers' commands let a test do. Returns that biometric.
async fn answer_biometric_prompt(w: &mut CopyWorld, mine: bool) -> Result<Biometric, StepFailure> {
    let kind = w.phone_profile(w.current)?.biometric();
    let phone = w.here().await?;
    phone.wait_for_screen("biometric_prompt").await?;
    match kind {
        Biometric::Fingerprint => {
            phone.mobile("mobile: fingerprint", json!({ "fingerprintId": if mine { 1 } else { 2 } })).await?
        }
        Biometric::TouchId => {
            phone.mobile("mobile: sendBiometricMatch", json!({ "type": "touchId", "match": mine })).await?
        }
        Biometric::FaceId => {
            phone.mobile("mobile: sendBiometricMatch", json!({ "type": "faceId", "match": mine })).await?
        }
    };
    Ok(kind)
}

pub(crate) async fn confirm_copy(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("copy_confirm").await?;
    phone.select_text("Yes, I want to copy").await?;
    phone.tap_text("Start copying").await?;
    w.proves(Doc::Step(6), None);
    Ok(())
}

pub(crate) async fn waiting_started(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("waiting").await?;
    phone.wait_for_text("The waiting period has started").await?;
    w.proves(Doc::Step(7), None);
    Ok(())
}

pub(crate) async fn ok_and_close(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.tap_text("OK").await?;
    // "Press OK if you want to minimize the waiting window": the app's
    // own screen comes back.
    phone.wait_for_screen("home").await?;
    phone.terminate_app().await?;
    w.proves(Doc::Step(7), None);
    Ok(())
}

pub(crate) async fn time_passes(w: &mut CopyWorld, n: u64, unit: TimeUnit) -> StepResult {
    w.pass_time(unit.times(n)).await?;
    Ok(())
}

/// The push the documentation promises when the hour is up.
pub(crate) fn is_waiting_over(m: &Message) -> bool {
    m.body["body"].as_str().is_some_and(|b| b.contains("waiting time is over"))
}

pub(crate) async fn notified(w: &mut CopyWorld) -> StepResult {
    let udid = w.phone(Role::Old).await?.udid().to_owned();
    let deadline = tokio::time::Instant::now() + w.ctx.profile.timeouts.message();
    loop {
        // Only what reached this scenario's old phone since the scenario got
        // it: the gateways serve the whole run.
        let mine = w.ctx.gateways.pushes_since(w.flow.messages_from, &[&udid]).await;
        if mine.iter().any(is_waiting_over) {
            w.proves(Doc::Step(7), None);
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            fail!(
                "no push 'the waiting time is over' reached the push gateway for the old phone within {}; since this scenario got the phone it received {} push message(s) for it: {}",
                mitid_e2e_framework::duration::seconds(w.ctx.profile.timeouts.message()),
                mine.len(),
                mine.iter().map(|m| w.ctx.gateways.shown_push(m)).collect::<Vec<_>>().join("; ")
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn show_qr(w: &mut CopyWorld) -> StepResult {
    // Step 8 is the old phone's, whichever I held before.
    w.current = Role::Old;
    let phone = w.here().await?;
    phone.activate_app().await?;
    phone.wait_for_text("Show QR code and copy MitID to the new app").await?;
    phone.tap_text("Show QR code").await?;
    w.flow.qr_asked = true;
    w.proves(Doc::Step(8), None);
    Ok(())
}

async fn bluetooth_info_next(w: &mut CopyWorld, screen: String) -> StepResult {
    let title = read_bluetooth_info(w).await?;
    if title != screen {
        fail!("{} shows '{title}', not '{screen}'", w.here().await?.role());
    }
    w.here().await?.tap_text("Next").await?;
    Ok(())
}

/// Steps 10 and 17: reads the title of the screen 'Bluetooth access is
/// required' (or '…and location…', on older Android) and records which of
/// the two the phone showed; the caller presses "Next".
pub(crate) async fn read_bluetooth_info(w: &mut CopyWorld) -> Result<String, StepFailure> {
    let phone = w.here().await?;
    phone.wait_for_screen("bluetooth_info").await?;
    let title = phone.text_of("bluetooth_info_title").await?;
    let doc = if w.current == Role::Old { Doc::Step(10) } else { Doc::Step(17) };
    w.proves(doc, Some(Way::Location(title.contains("location"))));
    Ok(title)
}

/// Step 11 on the old phone, step 18 on the new one.
fn permissions_step(w: &CopyWorld) -> Doc {
    if w.current == Role::Old {
        Doc::Step(11)
    } else {
        Doc::Step(18)
    }
}

async fn accept_permission(w: &mut CopyWorld, screen: &str) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen(screen).await?;
    phone.tap("permission_allow").await?;
    Ok(())
}

pub(crate) async fn accept_bluetooth(w: &mut CopyWorld) -> StepResult {
    accept_permission(w, "permission_bluetooth").await?;
    let phone = w.here().await?;
    if phone.is_on("permission_location").await? {
        fail!(
            "{} also asks for access to location: this step is for phones that only ask for Bluetooth; use 'I accept that the MitID app uses Bluetooth and accesses my location'",
            phone.role()
        );
    }
    let step = permissions_step(w);
    w.proves(step, Some(Way::Location(false)));
    Ok(())
}

/// Android 11 and older: Bluetooth is granted at install, so location is
/// the one prompt; a system that asked for Bluetooth first is answered too.
pub(crate) async fn accept_bluetooth_and_location(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("permission_prompt").await?;
    if phone.is_on("permission_bluetooth").await? {
        phone.tap("permission_allow").await?;
    }
    accept_permission(w, "permission_location").await?;
    let step = permissions_step(w);
    w.proves(step, Some(Way::Location(true)));
    Ok(())
}

/// Steps 11 and 18 whatever the system asks: allows the Bluetooth and
/// location prompts in turn until neither shows (the camera's comes with
/// the scan). A system that asks for neither (Bluetooth granted at
/// install, location not asked for) goes on to the QR code or the scanner.
pub(crate) async fn accept_bluetooth_prompts(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_any_screen(&["permission_prompt", "qr_code", "qr_scanner"]).await?;
    // At most the two prompts: a third would be a loop.
    let mut accepted = None;
    for _ in 0..2 {
        let location = phone.is_on("permission_location").await?;
        if location || phone.is_on("permission_bluetooth").await? {
            phone.tap("permission_allow").await?;
            accepted = Some(accepted.unwrap_or(false) || location);
        } else {
            break;
        }
    }
    // Nothing asked, nothing accepted: the step was not done as the page says.
    if let Some(location) = accepted {
        let step = permissions_step(w);
        w.proves(step, Some(Way::Location(location)));
    }
    Ok(())
}

pub(crate) async fn see_qr(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("qr_code").await?;
    let valid = phone.text_of("qr_valid_for").await?;
    if !valid.contains("valid for 3 minutes") {
        fail!("the QR screen says '{valid}', not that the code is valid for 3 minutes");
    }
    let png = phone.screenshot().await?;
    let (_, decoded) = mitid_e2e_framework::qr::decode_off_thread(png).await;
    let payload = decoded?;
    w.flow.qr_payload = Some(Secret::new(SecretKind::Token, payload));
    w.proves(Doc::Step(12), None);
    Ok(())
}

// --- The new phone, 13-26 ------------------------------------------------------------------

pub(crate) async fn get_started(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("activate_welcome").await?;
    phone.wait_for_text("Activate your MitID").await?;
    phone.tap_text("Get started").await?;
    w.proves(Doc::Step(14), None);
    Ok(())
}

pub(crate) async fn choose_copy(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.select_text("Copy from another MitID app").await?;
    phone.tap_text("Next").await?;
    w.proves(Doc::Step(15), None);
    Ok(())
}

pub(crate) async fn mark_and_scan(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.select_text("QR code is shown on the old app").await?;
    phone.tap_text("Scan QR code").await?;
    w.proves(Doc::Step(16), None);
    Ok(())
}

pub(crate) async fn scan_qr(w: &mut CopyWorld) -> StepResult {
    w.current = Role::New;
    // The camera asks for its permission the first time, if the OS wants it.
    let new = w.phone(Role::New).await?;
    if new.is_on("permission_camera").await? {
        new.tap("permission_allow").await?;
    }
    new.wait_for_screen("qr_scanner").await?;
    hold_up_to_old_qr(w).await?;
    let form = w.form_of(Role::New)?;
    w.proves(Doc::Step(19), Some(form));
    Ok(())
}

/// Puts the old phone's QR code in front of the new phone's camera, as
/// holding it up does: read off the old phone's screen and injected with
/// `camera.mode = "inject"`; a rig's camera sees that screen by itself.
/// Whatever screen the new phone shows: what its app does with the frame is
/// the app's.
pub(crate) async fn hold_up_to_old_qr(w: &mut CopyWorld) -> StepResult {
    let old = w.phone(Role::Old).await?;
    let png = old.screenshot().await?;
    let (png, decoded) = mitid_e2e_framework::qr::decode_off_thread(png).await;
    let payload = decoded?;
    w.flow.qr_payload = Some(Secret::new(SecretKind::Token, payload));
    match w.ctx.profile.camera.mode {
        CameraMode::Inject => {
            use base64::Engine as _;
            let image = base64::engine::general_purpose::STANDARD.encode(&png);
            w.phone(Role::New).await?.mobile("mobile: injectCameraImage", json!({ "image": image })).await?;
        }
        CameraMode::Rig => {}
    }
    Ok(())
}

pub(crate) async fn enter_user_id(w: &mut CopyWorld) -> StepResult {
    let user_id = w.identity()?.user_id.clone();
    type_user_id(w, &user_id).await?;
    w.proves(Doc::Step(20), None);
    Ok(())
}

/// Types a user ID on step 20's screen and presses "Next"; the SMS that had
/// arrived before are noted, so a later step sees only what this sent.
pub(crate) async fn type_user_id(w: &mut CopyWorld, user_id: &Secret) -> StepResult {
    w.flow.sms_seen = w.ctx.gateways.sms_messages().await.len();
    let phone = w.here().await?;
    phone.wait_for_screen("user_id").await?;
    phone.type_secret("user_id_input", user_id).await?;
    phone.tap_text("Next").await?;
    Ok(())
}

pub(crate) async fn enter_temporary_pin(w: &mut CopyWorld) -> StepResult {
    let to = w.identity()?.phone_number.clone();
    let pin = w.ctx.gateways.temporary_pin(&to, w.flow.sms_seen, w.ctx.profile.timeouts.message()).await?;
    let phone = w.here().await?;
    phone.wait_for_screen("temporary_pin").await?;
    phone.type_secret("temporary_pin_input", &pin).await?;
    phone.tap_text("Next").await?;
    w.proves(Doc::Step(21), None);
    Ok(())
}

pub(crate) async fn choose_pin_next(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("choose_pin").await?;
    phone.wait_for_text("Choose your personal PIN code").await?;
    phone.tap_text("Next").await?;
    w.proves(Doc::Step(22), None);
    Ok(())
}

pub(crate) async fn create_pin(w: &mut CopyWorld) -> StepResult {
    let pin = w.identity()?.pin.clone();
    let phone = w.here().await?;
    phone.wait_for_screen("create_pin").await?;
    phone.type_secret("new_pin_input", &pin).await?;
    phone.tap("new_pin_next").await?;
    phone.wait_for_screen("repeat_pin").await?;
    phone.type_secret("repeat_pin_input", &pin).await?;
    phone.tap("repeat_pin_next").await?;
    w.proves(Doc::Step(23), None);
    Ok(())
}

pub(crate) async fn choose_biometric(w: &mut CopyWorld, answer: Answer) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("biometric_choice").await?;
    let chose = if answer == Answer::Yes {
        phone.tap("biometric_yes").await?;
        Some(give_biometric(w).await?)
    } else {
        phone.tap("biometric_no").await?;
        None
    };
    w.proves(Doc::Step(24), Some(Way::Approve(chose)));
    Ok(())
}

pub(crate) async fn accept_notifications(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("notifications").await?;
    phone.tap("notifications_accept").await?;
    // Android 13+ and iOS ask with a system dialog; older Android does not.
    tokio::time::sleep(Duration::from_millis(50)).await;
    if phone.is_on("permission_notifications").await? {
        phone.tap("permission_allow").await?;
    }
    w.proves(Doc::Step(25), None);
    Ok(())
}

pub(crate) async fn activated(w: &mut CopyWorld) -> StepResult {
    let phone = w.here().await?;
    phone.wait_for_screen("activated").await?;
    phone.wait_for_text("This app is now activated and ready to use").await?;
    phone.tap_text("OK").await?;
    phone.wait_for_screen("home").await?;
    w.proves(Doc::Step(26), None);
    Ok(())
}

pub(crate) async fn old_still_active(w: &mut CopyWorld) -> StepResult {
    w.current = Role::Old;
    let old = w.here().await?;
    if old.is_on("copy_done").await? {
        old.tap("copy_done_ok").await?;
    }
    old.wait_for_screen("home").await?;
    old.wait_for_text("Your MitID app is active").await?;
    Ok(())
}

// --- General ------------------------------------------------------------------------------

async fn see_text(w: &mut CopyWorld, text: String) -> StepResult {
    w.here().await?.wait_for_text(&text).await?;
    Ok(())
}

async fn not_see_text(w: &mut CopyWorld, text: String) -> StepResult {
    let phone = w.here().await?;
    if phone.shows_text(&text).await? {
        fail!("{} shows '{text}'; it should not; the screen shows: {}", phone.role(), phone.screen_summary().await);
    }
    Ok(())
}

async fn take_phone(w: &mut CopyWorld, phone: Role) -> StepResult {
    w.current = phone;
    w.here().await?;
    Ok(())
}
