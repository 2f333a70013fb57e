//! What a person's action does to the app: a tap, typed text, a biometric, an
//! image in front of the camera and the scan it leads to.

use std::collections::BTreeSet;

use super::screens::{ALLOW, ALLOW_FOREGROUND, ALLOW_ONE_TIME, DENY, DENY_DONT_ASK_AGAIN};
use super::state::{AppContext, Permission, Phone, PinPurpose, Side, Step, LISTEN_FOR_BEACON};
use crate::backend::{ScanRefusal, TemporaryPinRefusal};
use crate::config::{Biometric, Defect};
use crate::rules;
use crate::ui::Screen;

/// Why a person's action on an element could not be done.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ActionError {
    #[error("element '{0}' does not accept text")]
    NotAnInput(String),
    #[error("element '{0}' is disabled")]
    Disabled(String),
}
impl Phone {
    /// Steps 10-11 and 17-18: Bluetooth on, then each permission in turn.
    fn continue_bluetooth(&mut self, side: Side, cx: &mut AppContext) {
        if !self.bluetooth_on && !cx.defects.contains(&Defect::BluetoothOffIgnored) {
            return self.go(Step::BluetoothOff(side));
        }
        if self.bluetooth_dialog_exists() && !self.granted(Permission::Bluetooth) {
            return self.ask(Permission::Bluetooth, side, cx);
        }
        if self.needs_location(cx.defects) && !self.granted(Permission::Location) {
            return self.ask(Permission::Location, side, cx);
        }
        match side {
            Side::Old => self.show_qr(cx),
            Side::New if !self.granted(Permission::Camera) => self.ask(Permission::Camera, Side::New, cx),
            Side::New => self.open_scanner(cx),
        }
    }

    /// The OS's permission prompt shows; a session with `autoAcceptAlerts`
    /// or `autoDismissAlerts` on an iPhone has it answered at once.
    fn ask(&mut self, permission: Permission, side: Side, cx: &mut AppContext) {
        if self.refused_for_good(permission) {
            self.note(
                super::state::LogLevel::Info,
                "PermissionController",
                format!(
                    "{permission:?} refused for good for {}: no prompt, only Settings can allow it",
                    crate::app_id(self.platform())
                ),
            );
            return self.answer(permission, side, false, cx);
        }
        self.go(Step::Dialog(permission, side));
        self.auto_answer(cx);
    }

    /// WebDriverAgent's alert monitor: with a default alert action (the
    /// session's `autoAcceptAlerts` / `autoDismissAlerts`), an alert on an
    /// iPhone is answered as soon as it is seen, one already shown when
    /// the session starts too.
    pub fn auto_answer(&mut self, cx: &mut AppContext) {
        let Step::Dialog(permission, side) = self.step else { return };
        let Some(accept) = self.auto_alerts.filter(|_| self.platform() == crate::ui::Platform::Ios) else { return };
        if !self.running {
            return;
        }
        self.note(
            super::state::LogLevel::Debug,
            "WebDriverAgent",
            if accept { "auto-accepting the alert" } else { "auto-dismissing the alert" },
        );
        self.answer(permission, side, accept, cx);
    }

    /// The person's answer to a permission prompt.
    fn answer(&mut self, permission: Permission, side: Side, allowed: bool, cx: &mut AppContext) {
        self.note(
            super::state::LogLevel::Info,
            "PermissionController",
            format!(
                "{permission:?} {} for {}",
                if allowed { "granted" } else { "denied" },
                crate::app_id(self.platform())
            ),
        );
        self.granted.insert((permission, allowed));
        if !allowed && matches!(self.step, Step::Dialog(..)) {
            *self.refusals.entry(permission).or_default() += 1;
        }
        match permission {
            Permission::Notifications => self.go(Step::Activated),
            Permission::Camera if !allowed => self.go(Step::PermissionDenied(side)),
            _ if !allowed && !cx.defects.contains(&Defect::PermissionDenialIgnored) => {
                self.go(Step::PermissionDenied(side))
            }
            _ if !allowed => {
                // The defect: carry on as if the permission were given.
                self.granted.insert((permission, true));
                self.continue_bluetooth(side, cx)
            }
            _ => self.continue_bluetooth(side, cx),
        }
    }

    fn show_qr(&mut self, cx: &mut AppContext) {
        let udid = self.spec.udid.clone();
        let request = cx.backend.open_copy_request(&udid).map(|r| r.id);
        match request.and_then(|id| cx.backend.new_qr_session(id, cx.now)) {
            Some(session) => self.go(Step::Qr(session.id)),
            None => self.go(Step::Home),
        }
    }

    fn open_scanner(&mut self, cx: &mut AppContext) {
        self.go(Step::Scanner);
        self.scan(cx);
    }

    /// Step 19: the app reads whatever the camera sees. On the BlueZ radio,
    /// a MitID QR code whose beacon this phone's adapter has not heard yet
    /// keeps the scanner listening, for at most [`LISTEN_FOR_BEACON`]: the
    /// radio task decides it again each time it has read the adapters
    /// ([`Phone::scan_again`]). However the code got into the camera,
    /// injected on the scanner or there before it opened.
    fn scan(&mut self, cx: &mut AppContext) {
        // The OS gives an app without the camera permission no frames: the
        // farm is never more permissive than the phone.
        if !self.granted(Permission::Camera) {
            return;
        }
        let Some(payload) = self.camera.take() else { return };
        if let Some(air) = cx.over_air {
            // What this phone hears is all it knows: a real app cannot ask
            // whether the beacon is on the air elsewhere, so it listens as
            // long for a beacon that never comes as for one heard late.
            let token = cx.backend.qr_session_of(&payload).map(|s| s.beacon_token.to_ascii_lowercase());
            let unheard = token.is_some_and(|t| !air.heard.contains(&t));
            let since = *self.listening_since.get_or_insert_with(std::time::Instant::now);
            if self.bluetooth_on && unheard && since.elapsed() < LISTEN_FOR_BEACON {
                self.camera = Some(payload);
                return;
            }
        }
        self.listening_since = None;
        let udid = self.spec.udid.clone();
        let rig = self.rig.clone();
        let bluetooth_on = self.bluetooth_on;
        let beacons = cx.beacons;
        let clocks = cx.clocks;
        let now = cx.now;
        let now_of = |u: &str| clocks.get(u).copied().unwrap_or(now);
        let over_air = cx.over_air;
        // The defect: any MitID beacon in range will do, not the one bound
        // to the scanned code.
        let any_beacon = cx.defects.contains(&Defect::AnyBeaconAccepted);
        let heard = |s: &crate::backend::QrSession| {
            bluetooth_on
                && match over_air {
                    // BlueZ: the token as this phone's own adapter heard it.
                    Some(air) => {
                        any_beacon && !air.heard.is_empty() || air.heard.contains(&s.beacon_token.to_ascii_lowercase())
                    }
                    None => beacons.iter().any(|b| {
                        let bound = b.advert.mitid_token().is_some_and(|t| t.eq_ignore_ascii_case(&s.beacon_token))
                            && b.udid == s.old_udid;
                        let mitid = b.advert.mitid_token().is_some();
                        (bound || any_beacon && mitid) && b.rig == rig
                    }),
                }
        };
        match cx.backend.accept_scan(&payload, &udid, now_of, heard, &cx.defects.iter().copied().collect::<Vec<_>>()) {
            Ok(()) => self.go(Step::UserId),
            Err(refusal) => self.say(match refusal {
                ScanRefusal::NotMitId => "This is not a MitID QR code. Scan the QR code shown in the MitID app on your old phone/tablet.",
                ScanRefusal::Replaced => "This QR code is no longer valid. Scan the QR code your old phone/tablet shows now.",
                ScanRefusal::Expired => "The QR code has expired. Show a new QR code on your old phone/tablet and scan it.",
                ScanRefusal::AlreadyUsed => "This QR code has already been used. Show a new QR code on your old phone/tablet.",
                ScanRefusal::NotInProximity => "To ensure that you are the one scanning the QR code, your new phone/tablet must be close to your old phone/tablet with Bluetooth turned on. Move them closer and try again.",
            }),
        }
    }

    /// BlueZ radio: the scanner is listening for the beacon of the QR code
    /// in the camera; the scan is not decided yet.
    pub fn scan_pending(&self) -> bool {
        self.listening_since.is_some() && self.camera.is_some()
    }

    /// Decides a pending scan again, with what the adapter hears now.
    pub fn scan_again(&mut self, cx: &mut AppContext) {
        if self.running && self.step == Step::Scanner && self.scan_pending() {
            self.scan(cx);
        } else {
            self.listening_since = None;
        }
    }

    /// The camera now sees an image holding this QR payload.
    pub fn inject_camera(&mut self, payload: String, cx: &mut AppContext) {
        self.note(super::state::LogLevel::Debug, "Camera", "a frame with a QR code is in front of the camera");
        self.camera = Some(payload);
        self.listening_since = None;
        if self.running && self.step == Step::Scanner {
            self.scan(cx);
        }
    }

    /// A tap on an element: a text field takes the focus (the keyboard
    /// comes up), anything else does what the app does with the tap.
    pub fn tap(&mut self, node: &crate::ui::Node, cx: &mut AppContext) {
        // A system prompt is modal: the app's views under it get no taps.
        if matches!(self.step, Step::Dialog(..)) && !node.system {
            return;
        }
        if self.running && node.is_input() {
            self.focused = Some(node.id.clone());
        }
        self.click(&node.id, cx);
    }

    /// The Back key (Android's KEYCODE_BACK): first it closes the keyboard;
    /// then a system prompt is dismissed (a permission dialog as a denial,
    /// the biometric prompt as a cancel); then the app goes back a screen,
    /// or, on a screen with nothing before it, leaves for the home screen
    /// and goes on in the background.
    pub fn back(&mut self, cx: &mut AppContext) {
        if !self.running {
            return;
        }
        if self.focused.take().is_some() {
            self.new_views();
            return;
        }
        self.note(super::state::LogLevel::Debug, "MitID", "Back pressed");
        let previous = match self.step.clone() {
            Step::Dialog(..) => return self.click(DENY, cx),
            Step::Biometric(_) => return self.click("biometric_cancel", cx),
            Step::Method => Some(Step::Welcome),
            Step::Prerequisite => Some(Step::Method),
            Step::BluetoothInfo(Side::New) | Step::Scanner => Some(Step::Prerequisite),
            Step::BluetoothOff(side) | Step::PermissionDenied(side) => Some(Step::BluetoothInfo(side)),
            Step::Menu
            | Step::TooManyApps
            | Step::CopyDone
            | Step::Qr(_)
            | Step::QrExpired
            | Step::ContinueOnNew(_) => Some(Step::Home),
            Step::ActivateMenu => Some(Step::Menu),
            Step::CopyInfo | Step::UpdateRequired => Some(Step::ActivateMenu),
            Step::Pin(PinPurpose::StartCopy) | Step::ConfirmCopy => Some(Step::CopyInfo),
            Step::Waiting => Some(self.launch_step(cx.backend, cx.now)),
            Step::Pin(PinPurpose::ShowQr) | Step::BluetoothInfo(Side::Old) => Some(Step::ShowQrIntro),
            // The first screen of each role, and the activation once the QR
            // code is scanned: Back leaves the app.
            Step::Welcome
            | Step::Home
            | Step::ShowQrIntro
            | Step::UserId
            | Step::TemporaryPin
            | Step::Blocked
            | Step::ChoosePin
            | Step::CreatePin
            | Step::RepeatPin
            | Step::BiometricChoice
            | Step::Notifications
            | Step::Activated => None,
        };
        match previous {
            Some(step) => self.go(step),
            None => self.send_to_background(),
        }
    }

    /// A tap on the element with this accessibility id.
    pub fn click(&mut self, id: &str, cx: &mut AppContext) {
        if !self.running {
            if id == "launcher_mitid" {
                self.launch(cx);
            }
            return;
        }
        let defects: Vec<Defect> = cx.defects.iter().copied().collect();
        let udid = self.spec.udid.clone();
        match (self.step.clone(), id) {
            (Step::Welcome, "get_started") => self.go(Step::Method),
            (Step::Method, "method_copy" | "method_id_document") => {
                // A selection re-renders nothing: earlier element references stay valid.
                self.checked = BTreeSet::from([id.to_owned()]);
            }
            (Step::Method, "method_next") if self.checked.contains("method_copy") => self.go(Step::Prerequisite),
            (Step::Method, "method_next") if self.checked.contains("method_id_document") => {
                self.say("Activation with passport or ID card is not part of this virtual farm.")
            }
            (Step::Prerequisite, "scan_qr_button") if self.checked.contains("qr_shown_checkbox") => {
                self.go(Step::BluetoothInfo(Side::New))
            }
            (Step::UserId, "user_id_next") => {
                let entered = self.inputs.get("user_id_input").cloned().unwrap_or_default();
                match cx.backend.check_user_id(&udid, &entered, cx.now, &defects) {
                    Ok(()) => self.go(Step::TemporaryPin),
                    Err(0) => self.go(Step::Blocked),
                    Err(left) => self.say(format!("The user ID is not correct. {}", attempts_left(left))),
                }
            }
            (Step::TemporaryPin, "temporary_pin_next") => {
                let entered = self.inputs.get("temporary_pin_input").cloned().unwrap_or_default();
                match cx.backend.check_temporary_pin(&udid, &entered, cx.now, &defects) {
                    Ok(()) => self.go(Step::ChoosePin),
                    Err(TemporaryPinRefusal::Blocked) => self.go(Step::Blocked),
                    Err(TemporaryPinRefusal::Expired) => {
                        self.go(Step::Blocked);
                        self.say(format!(
                            "The temporary PIN code has expired: it is valid for {} minutes.",
                            rules::TEMPORARY_PIN_VALIDITY.as_secs() / 60
                        ));
                    }
                    Err(TemporaryPinRefusal::Wrong(left)) => {
                        self.say(format!("The temporary PIN code is not correct. {}", attempts_left(left)))
                    }
                }
            }
            (Step::Blocked, "blocked_ok") => {
                cx.backend.end_blocked_attempt(&udid);
                self.go(Step::Welcome)
            }
            (Step::ChoosePin, "choose_pin_next") => self.go(Step::CreatePin),
            (Step::CreatePin, "new_pin_next") => {
                let pin = self.inputs.get("new_pin_input").cloned().unwrap_or_default();
                let length_ok = pin.len() == rules::PIN_LENGTH || defects.contains(&Defect::PinLengthUnchecked);
                if length_ok && !pin.is_empty() && pin.chars().all(|c| c.is_ascii_digit()) {
                    self.go(Step::RepeatPin);
                    self.pending_pin = Some(pin);
                } else {
                    self.say(format!("Your PIN code must be {} digits.", rules::PIN_LENGTH));
                }
            }
            (Step::RepeatPin, "repeat_pin_next") => {
                let repeat = self.inputs.get("repeat_pin_input").cloned().unwrap_or_default();
                let first = self.pending_pin.take().unwrap_or_default();
                if repeat != first && !defects.contains(&Defect::PinMismatchAccepted) {
                    self.go(Step::CreatePin);
                    self.say("The PIN codes do not match. Try again.");
                } else if cx.backend.complete_activation(&udid, &first, &defects).is_ok() {
                    self.go(Step::BiometricChoice);
                } else {
                    self.go(Step::TooManyApps);
                }
            }
            (Step::BiometricChoice, "biometric_yes") if self.spec.biometrics => self.go(Step::Biometric(None)),
            (Step::BiometricChoice, "biometric_no") => self.go(Step::Notifications),
            (Step::Notifications, "notifications_accept") => {
                let asks = !cx.defects.contains(&Defect::NotificationPromptSkipped);
                if asks && self.notification_dialog_exists() && !self.granted(Permission::Notifications) {
                    self.ask(Permission::Notifications, Side::New, cx);
                } else {
                    self.go(Step::Activated);
                }
            }
            (Step::Activated, "activated_ok") => self.go(Step::Home),

            (Step::Home, "menu_button") => self.go(Step::Menu),
            (Step::Menu, "menu_close") => self.go(Step::Home),
            (Step::Menu, "menu_activate") => self.go(Step::ActivateMenu),
            (Step::ActivateMenu, "activate_copy_to_new_app") => {
                if rules::app_version_supported(&self.app_version) || defects.contains(&Defect::OutdatedAppCanCopy) {
                    self.go(Step::CopyInfo);
                } else {
                    self.go(Step::UpdateRequired);
                }
            }
            (Step::ActivateMenu | Step::UpdateRequired | Step::TooManyApps | Step::CopyDone, "back_home") => {
                let step = self.launch_step(cx.backend, cx.now);
                self.go(step)
            }
            (Step::CopyInfo, "copy_info_next") => self.go(Step::Pin(PinPurpose::StartCopy)),
            (Step::Pin(purpose), "pin_next") => {
                let pin = self.inputs.get("pin_input").cloned().unwrap_or_default();
                if cx.backend.check_pin(&udid, &pin) || defects.contains(&Defect::WrongPinAccepted) {
                    self.after_pin(purpose, cx);
                } else {
                    self.say("The PIN code is not correct. Try again.");
                }
            }
            (Step::Pin(purpose), "pin_use_biometric") if self.approves_with_biometric(cx.backend, cx.defects) => {
                self.go(Step::Biometric(Some(purpose)))
            }
            (Step::Biometric(Some(purpose)), "biometric_cancel") => self.go(Step::Pin(purpose)),
            (Step::Biometric(None), "biometric_cancel") => self.go(Step::BiometricChoice),
            // Step 6 left without "Yes, I want to copy": nothing is started.
            (Step::ConfirmCopy, "copy_confirm_cancel") => {
                let step = self.launch_step(cx.backend, cx.now);
                self.go(step)
            }
            (Step::ConfirmCopy, "copy_confirm_start")
                if self.checked.contains("copy_confirm_checkbox") || defects.contains(&Defect::ConsentTickIgnored) =>
            {
                let user_id = cx.backend.identity_of_app(&udid).map(|i| i.user_id.clone()).unwrap_or_default();
                let full = cx.backend.active_apps(&user_id) >= rules::MAX_ACTIVE_APPS;
                if full && !defects.contains(&Defect::FourthAppAllowed) {
                    self.go(Step::TooManyApps);
                } else {
                    cx.backend.start_copy(&udid, cx.now, &defects);
                    self.go(Step::Waiting);
                }
            }
            (Step::Waiting, "waiting_ok") => {
                let step = self.launch_step(cx.backend, cx.now);
                self.go(step)
            }
            (Step::ShowQrIntro, "show_qr_button") => self.go(Step::Pin(PinPurpose::ShowQr)),
            // A cancelled code is dead: a picture of it opens nothing.
            (Step::Qr(id), "qr_cancel") => {
                cx.backend.cancel_qr_session(&id);
                let step = self.launch_step(cx.backend, cx.now);
                self.go(step)
            }
            (Step::QrExpired, "qr_cancel") => {
                let step = self.launch_step(cx.backend, cx.now);
                self.go(step)
            }
            (Step::QrExpired, "qr_show_new") => self.show_qr(cx),
            (Step::ContinueOnNew(_), "qr_cancel") => self.go(Step::Home),
            (Step::CopyDone, "copy_done_ok") => self.go(Step::Home),

            (Step::BluetoothInfo(side), "bluetooth_info_next") => self.continue_bluetooth(side, cx),
            (Step::BluetoothOff(side), "bluetooth_try_again") => self.continue_bluetooth(side, cx),
            (Step::PermissionDenied(side), "permission_try_again") => {
                self.granted.retain(|(_, allowed)| *allowed);
                self.continue_bluetooth(side, cx)
            }
            (Step::Dialog(permission, side), ALLOW | ALLOW_FOREGROUND | ALLOW_ONE_TIME) => {
                self.answer(permission, side, true, cx)
            }
            (Step::Dialog(permission, side), DENY | DENY_DONT_ASK_AGAIN) => self.answer(permission, side, false, cx),
            (_, id) if self.checkable_ids().contains(&id) => {
                // A tap toggles the tick.
                if self.checked.contains(id) {
                    self.checked.remove(id);
                } else {
                    self.checked.insert(id.to_owned());
                }
            }
            _ => {}
        }
    }

    fn after_pin(&mut self, purpose: PinPurpose, cx: &mut AppContext) {
        match purpose {
            PinPurpose::StartCopy => {
                if cx.defects.contains(&Defect::CopyStartedWithoutConsent) {
                    let defects: Vec<Defect> = cx.defects.iter().copied().collect();
                    cx.backend.start_copy(&self.spec.udid, cx.now, &defects);
                }
                self.go(Step::ConfirmCopy)
            }
            PinPurpose::ShowQr => self.go(Step::BluetoothInfo(Side::Old)),
        }
    }

    fn checkable_ids(&self) -> &'static [&'static str] {
        match self.step {
            Step::ConfirmCopy => &["copy_confirm_checkbox"],
            Step::Prerequisite => &["qr_shown_checkbox"],
            _ => &[],
        }
    }

    /// Text typed into a field (W3C "element send keys"): appended.
    pub fn type_text(&mut self, id: &str, text: &str, screen: &Screen) -> Result<(), ActionError> {
        let node = screen.find_by_id(id).ok_or_else(|| ActionError::NotAnInput(id.to_owned()))?;
        if !node.is_input() {
            return Err(ActionError::NotAnInput(id.to_owned()));
        }
        if !node.enabled {
            return Err(ActionError::Disabled(id.to_owned()));
        }
        self.inputs.entry(id.to_owned()).or_default().push_str(text);
        // Typing into a field gives it the focus, and the keyboard comes up.
        self.focused = Some(id.to_owned());
        Ok(())
    }

    pub fn clear(&mut self, id: &str, screen: &Screen) -> Result<(), ActionError> {
        let node = screen.find_by_id(id).ok_or_else(|| ActionError::NotAnInput(id.to_owned()))?;
        if !node.is_input() {
            return Err(ActionError::NotAnInput(id.to_owned()));
        }
        self.inputs.remove(id);
        Ok(())
    }

    /// A biometric given to the prompt (`mobile: fingerprint` /
    /// `mobile: sendBiometricMatch`). Returns false when no prompt is open.
    /// A biometric of another kind than the phone's (Touch ID sent to a
    /// Face ID iPhone) does nothing, as on a simulator: the prompt waits.
    pub fn biometric(&mut self, given: Biometric, matched: bool, cx: &mut AppContext) -> bool {
        let Step::Biometric(purpose) = self.step.clone() else { return false };
        if !self.running {
            return false;
        }
        if self.spec.biometric().is_some_and(|kind| kind != given) {
            self.note(
                super::state::LogLevel::Debug,
                "Biometrics",
                format!(
                    "a {} given to a phone with {}: nothing happens",
                    given.name(),
                    self.spec.biometric().map_or("none", Biometric::name)
                ),
            );
            return true;
        }
        if !matched || !self.spec.biometrics {
            self.say("Not recognised. Try again.");
            return true;
        }
        match purpose {
            Some(purpose) => self.after_pin(purpose, cx),
            None => {
                // Step 24's "yes": from now on this app approves with biometric.
                cx.backend.approve_with_biometric(&self.spec.udid);
                self.go(Step::Notifications)
            }
        }
        true
    }
}

fn attempts_left(n: u32) -> String {
    if n == 1 {
        "You have 1 attempt left.".into()
    } else {
        format!("You have {n} attempts left.")
    }
}

// The farm's side of the app's listening, kept last so that it moves no
// line of the app's behaviour (tests/mutants names mutants by line).
impl Phone {
    /// BlueZ radio: how long the scanner has been listening for a beacon
    /// (the `beacon_heard_late` fault's clock).
    pub fn listening_for(&self) -> Option<std::time::Duration> {
        self.listening_since.map(|t| t.elapsed())
    }
}
