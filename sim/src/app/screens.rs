//! Which screen the app shows for its state, in the documentation's own
//! words, on each platform; and the launcher shown while it is not running.

use std::collections::BTreeSet;
use std::time::Duration;

use super::state::{Permission, Phone, Step};
use crate::backend::Backend;
use crate::config::Defect;
use crate::rules;
use crate::ui::{Node, Platform, Role, Screen};

impl Permission {
    fn screen_name(self) -> &'static str {
        match self {
            Permission::Bluetooth => "permission_bluetooth",
            Permission::Location => "permission_location",
            Permission::Camera => "permission_camera",
            Permission::Notifications => "permission_notifications",
        }
    }
}
impl Phone {
    /// What the phone shows now (a defective build may word it otherwise).
    pub fn screen(&self, backend: &Backend, now: Duration, defects: &BTreeSet<Defect>) -> Screen {
        let mut screen = if self.running { self.app_screen(backend, now, defects) } else { launcher() };
        self.decorate(&mut screen);
        screen.layout();
        screen
    }

    fn app_screen(&self, backend: &Backend, now: Duration, defects: &BTreeSet<Defect>) -> Screen {
        let Step::Dialog(permission, side) = self.step else {
            let root = self.step_node(&self.step, backend, now, defects);
            return Screen { secure: self.step.is_secure(), name: root.id.clone(), root, alert: None };
        };
        let name = permission.screen_name().to_owned();
        match self.platform() {
            // The permission controller's window: the only one in the page
            // source while it is shown.
            Platform::Android => Screen { secure: false, name, root: self.android_dialog(permission), alert: None },
            // The alert over the app's screen, which stays where it was.
            Platform::Ios => {
                let under = if permission == Permission::Notifications {
                    Step::Notifications
                } else {
                    Step::BluetoothInfo(side)
                };
                let root = self.step_node(&under, backend, now, defects);
                Screen { secure: false, name, root, alert: Some(ios_alert(permission)) }
            }
        }
    }

    fn step_node(&self, step: &Step, backend: &Backend, now: Duration, defects: &BTreeSet<Defect>) -> Node {
        let android = self.platform() == Platform::Android;
        let biometric_name =
            self.spec.biometric().map_or(if android { "fingerprint" } else { "Face ID" }, |b| b.name());
        let mut s = match step {
            Step::Welcome => screen("activate_welcome")
                .title("activate_title", "Activate your MitID")
                .text("activate_text", "Activate your MitID app to log on and approve with MitID.")
                .button("get_started", "Get started"),
            Step::Method => screen("activation_method")
                .title("method_title", "How do you want to activate your MitID app?")
                .radio("method_copy", "Copy from another MitID app")
                .radio("method_id_document", "Activate with passport or ID card")
                .button_if("method_next", "Next", !self.checked.is_empty()),
            Step::Prerequisite => screen("copy_prerequisite")
                .title("prerequisite_title", "Copy from another MitID app")
                .text("prerequisite_text", "Show the QR code in the MitID app on your old phone/tablet before you scan it.")
                .checkbox("qr_shown_checkbox", "QR code is shown on the old app")
                .button_if("scan_qr_button", "Scan QR code", self.checked.contains("qr_shown_checkbox")),
            Step::Scanner => screen("qr_scanner")
                .title("scanner_title", "Scan the QR code")
                .text("scanner_text", "Hold your phone/tablet up to the QR code on your old app.")
                .image("camera_view", "Camera"),
            Step::UserId => screen("user_id")
                .title("user_id_title", "Enter your user ID")
                .text("user_id_text", "Enter your user ID to confirm your identity.")
                .field("user_id_input", "User ID")
                .button("user_id_next", "Next"),
            Step::TemporaryPin => screen("temporary_pin")
                .title("temporary_pin_title", "Enter temporary PIN code")
                .text("temporary_pin_text", "Enter the temporary PIN code you have received via SMS.")
                .secure_field("temporary_pin_input", "Temporary PIN code")
                .button("temporary_pin_next", "Next"),
            Step::Blocked => screen("copy_blocked")
                .title("blocked_title", "The copy has been blocked")
                .text("blocked_text", "You have entered wrong information too many times. Start again from your old phone/tablet.")
                .button("blocked_ok", "OK"),
            Step::ChoosePin => screen("choose_pin")
                .title("choose_pin_title", "Choose your personal PIN code")
                .text("choose_pin_text", &format!("Your PIN code must be {} digits.", rules::PIN_LENGTH))
                .button("choose_pin_next", "Next"),
            Step::CreatePin => screen("create_pin")
                .title("create_pin_title", "Create your PIN code")
                .secure_field("new_pin_input", "PIN code")
                .button("new_pin_next", "Next"),
            Step::RepeatPin => screen("repeat_pin")
                .title("repeat_pin_title", "Repeat your PIN code")
                .secure_field("repeat_pin_input", "PIN code")
                .button("repeat_pin_next", "Next"),
            Step::BiometricChoice => screen("biometric_choice")
                .title("biometric_choice_title", &format!("Do you want to approve with {biometric_name}?"))
                .text(
                    "biometric_choice_text",
                    if self.spec.biometrics {
                        "You can always change this in the menu."
                    } else {
                        "No biometric is set up on this phone/tablet."
                    },
                )
                .button_if("biometric_yes", "Yes", self.spec.biometrics)
                .button("biometric_no", "No"),
            Step::Notifications => screen("notifications")
                .title("notifications_title", "Notifications")
                .text("notifications_text", "MitID notifies you when you have something to approve.")
                .button("notifications_accept", "Accept notifications"),
            Step::Activated => screen("activated")
                .title("activated_title", "This app is now activated and ready to use")
                .button("activated_ok", "OK"),
            Step::Home => {
                let status = match backend.open_copy_request(&self.spec.udid) {
                    Some(r) => format!(
                        "Copying to a new app. Time left: {}",
                        clock_text(Duration::from_secs(r.ready_at_secs).saturating_sub(now))
                    ),
                    None => String::new(),
                };
                let b = screen("home")
                    .button("menu_button", "Menu")
                    .title("home_title", "MitID")
                    .text("home_status", "Your MitID app is active");
                if status.is_empty() { b } else { b.text("home_copy_status", &status) }
            }
            Step::Menu => screen("menu")
                .title("menu_title", "Menu")
                .button("menu_activate", "Activate")
                .button("menu_close", "Close"),
            Step::ActivateMenu => screen("activate_menu")
                .title("activate_menu_title", "Activate")
                .button("activate_copy_to_new_app", "Copy your MitID to a new app")
                .button("back_home", "Back"),
            Step::UpdateRequired => screen("update_required")
                .title("update_title", "Update the MitID app")
                .text(
                    "update_text",
                    "Your MitID app must be updated before you can copy it. Update the MitID app in the App Store or Google Play.",
                )
                .button("back_home", "OK"),
            Step::CopyInfo => screen("copy_info")
                .title("copy_info_title", "Copy your MitID to a new app")
                .text(
                    "copy_info_text",
                    "You can copy your MitID app to another phone or tablet by scanning a QR code from this app. You can have up to three active MitID apps at the same time.",
                )
                .button("copy_info_next", "Next"),
            Step::Pin(_) => {
                let b = screen("pin_entry")
                    .title("pin_title", "Enter your PIN code")
                    .secure_field("pin_input", "PIN code")
                    .button("pin_next", "Next");
                if self.approves_with_biometric(backend, defects) {
                    b.button("pin_use_biometric", &format!("Use {biometric_name}"))
                } else {
                    b
                }
            }
            Step::ConfirmCopy => screen("copy_confirm")
                .title("copy_confirm_title", "Wait 1 hour before you copy")
                .text(
                    "copy_confirm_text",
                    "As a security measure, you need to wait for 1 hour before you can copy your MitID app.",
                )
                .checkbox("copy_confirm_checkbox", "Yes, I want to copy")
                .button_if(
                    "copy_confirm_start",
                    "Start copying",
                    self.checked.contains("copy_confirm_checkbox") || defects.contains(&Defect::ConsentTickIgnored),
                )
                .button("copy_confirm_cancel", "Cancel"),
            Step::TooManyApps => screen("too_many_apps")
                .title("too_many_apps_title", "You already have three active MitID apps")
                .text(
                    "too_many_apps_text",
                    "You can have up to three active MitID apps at the same time. Delete one of them before you copy your MitID app.",
                )
                .button("back_home", "OK"),
            Step::Waiting => {
                let left = backend
                    .open_copy_request(&self.spec.udid)
                    .map(|r| Duration::from_secs(r.ready_at_secs).saturating_sub(now))
                    .unwrap_or_default();
                let waiting_text = if defects.contains(&Defect::WaitingTextChanged) {
                    "You can close the MitID app while waiting. You'll get a notification from the app when the waiting time is over."
                } else {
                    "You can close the MitID app while waiting. You'll receive a notification from the app when the waiting time is over."
                };
                screen("waiting")
                    .title("waiting_title", "The waiting period has started")
                    .text("waiting_text", waiting_text)
                    .text("waiting_time_left", &format!("Time left: {}", clock_text(left)))
                    .button("waiting_ok", "OK")
            }
            Step::ShowQrIntro => screen("show_qr_intro")
                .title("show_qr_title", "Show QR code and copy MitID to the new app")
                .text("show_qr_text", "The waiting time is over. Show the QR code and scan it with your new phone/tablet.")
                .button("show_qr_button", "Show QR code"),
            Step::Qr(id) => {
                let session = backend.qr_sessions.get(id);
                let mut left = session.map(|s| s.expires_at.saturating_sub(now)).unwrap_or_default();
                if defects.contains(&Defect::QrTimeLeftWrong) {
                    left += Duration::from_secs(60);
                }
                screen("qr_code")
                    .title("qr_title", "Scan the QR code with your new phone/tablet")
                    .qr("qr_code_image", session.map(|s| s.payload()).unwrap_or_default())
                    .text("qr_valid_for", &format!("The QR code is valid for 3 minutes. Time left: {}", clock_text(left)))
                    .button("qr_cancel", "Cancel")
            }
            Step::QrExpired => screen("qr_expired")
                .title("qr_expired_title", "The QR code has expired")
                .text("qr_expired_text", "The QR code is valid for 3 minutes. Show a new QR code to continue.")
                .button("qr_show_new", "Show new QR code")
                .button("qr_cancel", "Cancel"),
            Step::ContinueOnNew(_) => screen("continue_on_new")
                .title("continue_title", "Continue on your new phone/tablet")
                .text("continue_text", "The QR code has been scanned. Follow the instructions on your new phone/tablet.")
                .button("qr_cancel", "Cancel"),
            Step::CopyDone => screen("copy_done")
                .title("copy_done_title", "Your MitID app has been copied")
                .text("copy_done_text", "Your MitID app on this phone/tablet is still active.")
                .button("copy_done_ok", "OK"),
            Step::BluetoothInfo(_) => {
                let title = if self.needs_location(&BTreeSet::new()) {
                    "Bluetooth and location access is required"
                } else {
                    "Bluetooth access is required"
                };
                screen("bluetooth_info")
                    .title("bluetooth_info_title", title)
                    .text("bluetooth_info_text", BLUETOOTH_USAGE)
                    .button("bluetooth_info_next", "Next")
            }
            Step::BluetoothOff(_) => screen("bluetooth_off")
                .title("bluetooth_off_title", "Turn on Bluetooth")
                .text(
                    "bluetooth_off_text",
                    "Bluetooth is turned off. Make sure that Bluetooth is enabled on both phones/tablets. You can activate Bluetooth in your phone's/tablet's settings.",
                )
                .button("bluetooth_try_again", "Try again"),
            Step::PermissionDenied(_) => screen("permission_denied")
                .title("permission_denied_title", "Access is required")
                .text(
                    "permission_denied_text",
                    "MitID cannot copy your app without access to Bluetooth and the camera. Allow access in your phone's/tablet's settings, then try again.",
                )
                .button("permission_try_again", "Try again"),
            // Drawn by `app_screen`; never reached.
            Step::Dialog(..) => screen("permission_prompt"),
            Step::Biometric(_) => self.biometric_prompt(),
        };
        if let Some(message) = &self.message {
            s.children.push(Node::new(Role::Text, "screen_message", message.clone()));
        }
        s
    }

    /// The system's biometric prompt (BiometricPrompt on Android,
    /// LocalAuthentication on an iPhone): its words are the system's.
    fn biometric_prompt(&self) -> Node {
        let (title, text) = match self.spec.biometric() {
            Some(crate::config::Biometric::TouchId) => {
                ("Touch ID for \u{201c}MitID\u{201d}", "Touch the Home button to approve")
            }
            _ if self.platform() == Platform::Android => ("Use fingerprint", "Touch the fingerprint sensor"),
            _ => ("Face ID", "Look at your iPhone to use Face ID"),
        };
        screen("biometric_prompt")
            .title("biometric_prompt_title", title)
            .text("biometric_prompt_text", text)
            .button("biometric_cancel", "Cancel")
    }

    /// The permission controller's grant dialog (`grant_permissions.xml`
    /// of AOSP's PermissionController: the views that are not `gone`), with
    /// the words and buttons of the phone's Android version.
    fn android_dialog(&self, permission: Permission) -> Node {
        let api = self.api_level().unwrap_or(u32::MAX);
        // Android 12 (API 31) renamed "Deny" to "Don’t allow".
        let deny = if api >= 31 { "Don\u{2019}t allow" } else { "Deny" };
        let message = match permission {
            Permission::Bluetooth => {
                "Allow MitID to find, connect to, and determine the relative position of nearby devices?"
            }
            Permission::Location => "Allow MitID to access this device\u{2019}s location?",
            Permission::Camera => "Allow MitID to take pictures and record video?",
            Permission::Notifications => "Allow MitID to send you notifications?",
        };
        // Asked again after a refusal, the same words refuse for good.
        let deny_id = if self.offers_dont_ask_again(permission) { DENY_DONT_ASK_AGAIN } else { DENY };
        // Android 11 (API 30) brought "Only this time" for location and the
        // camera; before, a foreground-only app was asked Allow or Deny.
        let buttons: Vec<(&str, &str)> = match permission {
            Permission::Location | Permission::Camera if api >= 30 => {
                vec![(ALLOW_FOREGROUND, "While using the app"), (ALLOW_ONE_TIME, "Only this time"), (deny_id, deny)]
            }
            _ => vec![(ALLOW, "Allow"), (deny_id, deny)],
        };
        let layout = |id: &str, children: Vec<Node>| {
            let mut n = Node::system(Role::Screen, Some("android.widget.LinearLayout"), id, "");
            n.children = children;
            n
        };
        let description = layout(
            "",
            vec![
                Node::system(Role::Image, None, "permission_icon", ""),
                Node::system(Role::Title, None, "permission_message", message),
            ],
        );
        let content = layout("content_container", vec![description]);
        let button_list =
            layout("", buttons.iter().map(|(id, text)| Node::system(Role::Button, None, *id, *text)).collect());
        let dialog = layout("grant_dialog", vec![content, button_list]);
        let singleton = layout("grant_singleton", vec![dialog]);
        let mut scroll = Node::system(Role::Screen, Some("android.widget.ScrollView"), "", "");
        scroll.children = vec![singleton];
        let mut frame = Node::system(Role::Screen, Some("android.widget.FrameLayout"), "android:id/content", "");
        frame.children = vec![scroll];
        let mut root = Node::system(Role::Screen, Some("android.widget.FrameLayout"), "", "");
        root.children = vec![frame];
        root
    }

    /// The id of the input or check state, for page source and screenshots.
    fn value_of(&self, id: &str) -> String {
        self.inputs.get(id).cloned().unwrap_or_default()
    }
}

/// The ids of the permission controller's buttons (`grant_permissions.xml`).
/// On iOS they name the alert's buttons inside the farm only: XCUITest
/// names a button by its label.
pub(super) const ALLOW: &str = "permission_allow_button";
pub(super) const ALLOW_FOREGROUND: &str = "permission_allow_foreground_only_button";
pub(super) const ALLOW_ONE_TIME: &str = "permission_allow_one_time_button";
pub(super) const DENY: &str = "permission_deny_button";
pub(super) const DENY_DONT_ASK_AGAIN: &str = "permission_deny_and_dont_ask_again_button";

/// An iOS permission alert as XCUITest shows it: an `XCUIElementTypeAlert`
/// named by its title, the title and the app's usage description, and the
/// buttons named by their labels, the one that refuses first.
fn ios_alert(permission: Permission) -> Node {
    const DONT_ALLOW: &str = "Don\u{2019}t Allow";
    let (title, message, buttons): (&str, &str, &[(&str, &str)]) = match permission {
        Permission::Bluetooth => {
            ("\u{201C}MitID\u{201D} Would Like to Use Bluetooth", BLUETOOTH_USAGE, &[(DENY, DONT_ALLOW), (ALLOW, "OK")])
        }
        Permission::Location => (
            "Allow \u{201C}MitID\u{201D} to use your location?",
            BLUETOOTH_USAGE,
            &[(ALLOW_ONE_TIME, "Allow Once"), (ALLOW_FOREGROUND, "Allow While Using App"), (DENY, DONT_ALLOW)],
        ),
        Permission::Camera => (
            "\u{201C}MitID\u{201D} Would Like to Access the Camera",
            "MitID uses the camera to scan the QR code on your old phone/tablet.",
            &[(DENY, DONT_ALLOW), (ALLOW, "OK")],
        ),
        Permission::Notifications => (
            "\u{201C}MitID\u{201D} Would Like to Send You Notifications",
            "Notifications may include alerts, sounds, and icon badges. These can be configured in Settings.",
            &[(DENY, DONT_ALLOW), (ALLOW, "Allow")],
        ),
    };
    let mut body = Node::system(Role::Screen, Some("XCUIElementTypeOther"), "", "");
    body.children.push(Node::system(Role::Title, None, "alert_title", title));
    body.children.push(Node::system(Role::Text, None, "alert_message", message));
    for (id, label) in buttons {
        body.children.push(Node::system(Role::Button, None, *id, *label));
    }
    let mut alert = Node::system(Role::Screen, Some("XCUIElementTypeAlert"), "alert", title);
    alert.children.push(body);
    alert
}

/// The app's usage description for Bluetooth (Info.plist), which iOS shows
/// in its alert.
const BLUETOOTH_USAGE: &str =
    "To ensure that you are the one scanning the QR code, MitID requires the use of Bluetooth.";

/// The OS home screen, shown while the app is not running.
fn launcher() -> Screen {
    let mut root = Node::new(Role::Screen, "launcher", "");
    root.children.push(Node::new(Role::Text, "launcher_title", "Home screen"));
    root.children.push(Node::new(Role::Button, "launcher_mitid", "MitID"));
    Screen { name: "launcher".into(), secure: false, root, alert: None }
}

/// `m:ss` under an hour, `h:mm:ss` from an hour.
pub fn clock_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// The root of an app screen; its id is the screen's name.
fn screen(id: &str) -> Node {
    Node::new(Role::Screen, id, "")
}

/// Chained construction of a screen's children.
trait Children: Sized {
    fn push(self, node: Node) -> Self;
    fn title(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Title, id, text))
    }
    fn text(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Text, id, text))
    }
    fn button(self, id: &str, text: &str) -> Self {
        self.button_if(id, text, true)
    }
    fn button_if(self, id: &str, text: &str, enabled: bool) -> Self {
        let mut n = Node::new(Role::Button, id, text);
        n.enabled = enabled;
        self.push(n)
    }
    fn image(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Image, id, text))
    }
    fn qr(self, id: &str, payload: String) -> Self {
        let mut n = Node::new(Role::QrCode, id, "QR code");
        n.qr = Some(payload);
        self.push(n)
    }
    fn field(self, id: &str, label: &str) -> Self {
        self.push(Node::new(Role::TextField, id, label))
    }
    fn secure_field(self, id: &str, label: &str) -> Self {
        self.push(Node::new(Role::SecureField, id, label))
    }
    fn checkbox(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Checkbox, id, text))
    }
    fn radio(self, id: &str, text: &str) -> Self {
        self.push(Node::new(Role::Radio, id, text))
    }
}

impl Children for Node {
    fn push(mut self, node: Node) -> Self {
        self.children.push(node);
        self
    }
}

impl Phone {
    /// Fills in typed values and ticks on a built screen.
    fn decorate(&self, screen: &mut Screen) {
        fn visit(phone: &Phone, node: &mut Node) {
            if node.is_input() {
                node.value = phone.value_of(&node.id);
                node.focused = phone.running && phone.focused.as_deref() == Some(node.id.as_str());
            }
            if matches!(node.role, Role::Checkbox | Role::Radio) {
                node.checked = phone.checked.contains(&node.id);
            }
            for child in &mut node.children {
                visit(phone, child);
            }
        }
        visit(self, &mut screen.root);
    }
}
