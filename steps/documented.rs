//! The help page's structure, in one place: its 26 numbered steps, its
//! "Before you begin" items, and the alternatives a step names ("your PIN
//! code or biometric (fingerprint/Touch ID/Face ID)", "phone or tablet"),
//! each of which a run must take for the step to count as covered; and
//! what a passing step proved of it ([`Proof`]), recorded by the step as
//! it acts on a phone, so the coverage counts what was done, not which
//! phrase was written.

use mitid_e2e_framework::profile::{Biometric, Form, Platform};

/// How many numbered steps the documentation has.
pub const DOCUMENTED_STEPS: u8 = 26;
/// How many items its "Before you begin" list has.
pub const PRECONDITIONS: u8 = 3;

/// The help page's own words for each documented step and "Before you
/// begin" item: what a QA engineer reading it beside a feature writes, so a
/// hint for an undefined step can find the phrase by them.
pub const HELP_PAGE: &[(Doc, &str)] = &[
    (Doc::Before(1), "Make sure your old phone/tablet and the MitID app on it are updated."),
    (Doc::Before(2), "Download the MitID app from the Apple App Store or Google Play on the phone/tablet where you want the MitID app installed. You can have up to three active MitID apps at the same time."),
    (Doc::Before(3), "Make sure that Bluetooth is enabled on both phones/tablets. You can activate Bluetooth in your phone's/tablet's settings."),
    (Doc::Step(1), "Open the MitID app on your old phone or tablet. Open the menu at the top of the screen."),
    (Doc::Step(2), "Press Activate."),
    (Doc::Step(3), "Press Copy your MitID to a new app."),
    (Doc::Step(4), "Read the information and press Next."),
    (Doc::Step(5), "Enter your PIN code or use biometric (fingerprint/Touch ID/Face ID)."),
    (Doc::Step(6), "As a security measure, you need to wait for 1 hour before you can copy your MitID app. Check Yes, I want to copy and press Start copying."),
    (Doc::Step(7), "The waiting period has started. Press OK if you want to minimize the waiting window. You can close the MitID app while waiting. You'll receive a notification from the app when the waiting time is over."),
    (Doc::Step(8), "After 1 hour: Open the MitID app. Press Show QR code on the screen 'Show QR code and copy MitID to the new app'."),
    (Doc::Step(9), "Enter your PIN code."),
    (Doc::Step(10), "To ensure that you are the one scanning the QR code, MitID requires the use of Bluetooth. Read the information on the screen 'Bluetooth access is required'/'Bluetooth and location access is required' and press Next."),
    (Doc::Step(11), "Accept that the MitID app uses Bluetooth - and for older versions of Android phones, also accept access to location."),
    (Doc::Step(12), "You'll now see a QR code that you need to scan with your new phone or tablet. The QR code is valid for 3 minutes."),
    (Doc::Step(13), "Open the MitID app on your new phone/tablet."),
    (Doc::Step(14), "Press Get started on the screen 'Activate your MitID'."),
    (Doc::Step(15), "Choose Copy from another MitID app. Press Next."),
    (Doc::Step(16), "Mark QR code is shown on the old app and press Scan QR code."),
    (Doc::Step(17), "Press Next on the screen 'Bluetooth access is required'/'Bluetooth and location access is required'."),
    (Doc::Step(18), "Accept that the MitID app uses Bluetooth - and for older versions of Android phones, also accept access to location."),
    (Doc::Step(19), "Scan the QR code by holding your phone/tablet up to the QR code on your old app. Hold the screen towards yourself so that the MitID app uses your phone's/tablet's camera to scan the QR code."),
    (Doc::Step(20), "Enter your user ID to confirm your identity. Press Next."),
    (Doc::Step(21), "Enter a temporary PIN code that you receive via SMS."),
    (Doc::Step(22), "Press Next on the screen 'Choose your personal PIN code'."),
    (Doc::Step(23), "Create your personal PIN code. Press Next. Repeat the PIN code and press Next."),
    (Doc::Step(24), "Choose whether you want to approve with biometric (fingerprint/Touch ID/Face ID)."),
    (Doc::Step(25), "Accept notifications from the MitID app."),
    (Doc::Step(26), "This app is now activated and ready to use. Press OK."),
];

/// What a step proves of the documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Doc {
    /// A numbered step, 1-26.
    Step(u8),
    /// A "Before you begin" item, 1-3.
    Before(u8),
}

impl Doc {
    /// As a reader names it: "step 5", "before you begin 2".
    pub fn label(&self) -> String {
        match self {
            Doc::Step(n) => format!("step {n}"),
            Doc::Before(n) => format!("before you begin {n}"),
        }
    }

    /// Its tag in the features: `@doc-5`, `@before-2`.
    pub fn tag(&self) -> String {
        match self {
            Doc::Step(n) => format!("@doc-{n}"),
            Doc::Before(n) => format!("@before-{n}"),
        }
    }

    /// Every documented step, then every "Before you begin" item.
    pub fn all() -> impl Iterator<Item = Doc> {
        (1..=DOCUMENTED_STEPS).map(Doc::Step).chain((1..=PRECONDITIONS).map(Doc::Before))
    }

    /// The alternatives the help page names for it, each to be taken by
    /// some passing scenario; empty: it has one way.
    pub fn alternatives(self) -> Vec<Way> {
        // The step says whose device: the old one's at 1, the new one's at 13 and 19.
        let forms = || Form::ALL.map(Way::Form).to_vec();
        match self {
            // "your old phone/tablet", "your old phone or tablet"
            Doc::Before(1) | Doc::Step(1) => forms(),
            // "download the MitID app from the Apple App Store or Google Play"
            Doc::Before(2) => Platform::ALL.iter().map(|&p| Way::Store(p)).collect(),
            // "Enter your PIN code or use biometric (fingerprint/Touch ID/Face ID)"
            Doc::Step(5) => std::iter::once(Way::PinCode).chain(Biometric::ALL.map(Way::Biometric)).collect(),
            // 'Bluetooth access is required'/'Bluetooth and location access is
            // required'; "for older versions of Android phones, also accept
            // access to location"
            Doc::Step(10) | Doc::Step(11) | Doc::Step(17) | Doc::Step(18) => {
                vec![Way::Location(false), Way::Location(true)]
            }
            // "your new phone/tablet", "holding your phone/tablet up"
            Doc::Step(13) | Doc::Step(19) => forms(),
            // "Choose whether you want to approve with biometric (fingerprint/Touch ID/Face ID)"
            Doc::Step(24) => {
                Biometric::ALL.map(|b| Way::Approve(Some(b))).into_iter().chain([Way::Approve(None)]).collect()
            }
            _ => Vec::new(),
        }
    }
}

/// One of the alternatives a documented step names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Way {
    /// The device the step is done on is a phone or a tablet.
    Form(Form),
    /// The app comes from the platform's store.
    Store(Platform),
    /// The PIN code is entered.
    PinCode,
    /// A biometric is used instead of the PIN code.
    Biometric(Biometric),
    /// Bluetooth only (`false`), or Bluetooth and location (older Android).
    Location(bool),
    /// Approving with biometric: yes, with the device's biometric; or no.
    Approve(Option<Biometric>),
}

impl std::fmt::Display for Way {
    /// How the coverage names it: "tablet", "Google Play", "Touch ID", "yes, Face ID".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Way::Form(form) => f.write_str(form.name()),
            Way::Store(Platform::Ios) => f.write_str("App Store"),
            Way::Store(Platform::Android) => f.write_str("Google Play"),
            Way::PinCode => f.write_str("PIN code"),
            Way::Biometric(b) => f.write_str(b.name()),
            Way::Location(false) => f.write_str("Bluetooth"),
            Way::Location(true) => f.write_str("Bluetooth and location"),
            Way::Approve(Some(b)) => write!(f, "yes, {}", b.name()),
            Way::Approve(None) => f.write_str("no"),
        }
    }
}

/// What a passing step proved of the documentation: a documented step, and
/// which of its alternatives it took (`None` for a step without any).
///
/// ```
/// use mitid_e2e_steps::documented::{Doc, Proof, Way};
/// use mitid_e2e_framework::profile::Biometric;
///
/// let proof = Proof::new(Doc::Step(5), Some(Way::Biometric(Biometric::TouchId)));
/// assert_eq!(proof.to_string(), "step 5: Touch ID");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Proof {
    /// The documented step.
    pub doc: Doc,
    /// The alternative, in the coverage's words ([`Way`]'s); read back from a
    /// report, so a string.
    pub way: Option<String>,
}

impl Proof {
    /// `doc`, by `way`.
    pub fn new(doc: Doc, way: Option<Way>) -> Proof {
        Proof { doc, way: way.map(|w| w.to_string()) }
    }

    /// Reads what [`Proof`]'s `Display` wrote: "step 5: Touch ID", "before you begin 2".
    pub fn parse(s: &str) -> Option<Proof> {
        let (doc, way) = match s.split_once(": ") {
            Some((d, w)) => (d, Some(w.to_owned())),
            None => (s, None),
        };
        let doc = if let Some(n) = doc.strip_prefix("step ") {
            Doc::Step(n.parse().ok().filter(|n| (1..=DOCUMENTED_STEPS).contains(n))?)
        } else {
            Doc::Before(
                doc.strip_prefix("before you begin ")?.parse().ok().filter(|n| (1..=PRECONDITIONS).contains(n))?,
            )
        };
        Some(Proof { doc, way })
    }
}

impl std::fmt::Display for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.doc.label())?;
        if let Some(way) = &self.way {
            write!(f, ": {way}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_reads_back_what_it_wrote() {
        for doc in Doc::all() {
            let ways = doc.alternatives();
            for way in ways.iter().map(|w| Some(*w)).chain(ways.is_empty().then_some(None)) {
                let proof = Proof::new(doc, way);
                assert_eq!(Proof::parse(&proof.to_string()), Some(proof.clone()), "{proof}");
            }
        }
        assert_eq!(Proof::parse("step 27"), None);
        assert_eq!(Proof::parse("before you begin 0"), None);
    }

    #[test]
    fn the_help_page_is_here_whole_once_each() {
        let mut docs: Vec<Doc> = HELP_PAGE.iter().map(|(d, _)| *d).collect();
        docs.sort();
        let mut all: Vec<Doc> = Doc::all().collect();
        all.sort();
        assert_eq!(docs, all, "every step and item, once");
    }

    #[test]
    fn the_alternatives_are_the_help_pages() {
        let words = |d: Doc| d.alternatives().iter().map(Way::to_string).collect::<Vec<_>>();
        assert_eq!(words(Doc::Step(5)), ["PIN code", "fingerprint", "Touch ID", "Face ID"]);
        assert_eq!(words(Doc::Step(24)), ["yes, fingerprint", "yes, Touch ID", "yes, Face ID", "no"]);
        assert_eq!(words(Doc::Step(13)), ["phone", "tablet"]);
        assert_eq!(words(Doc::Before(2)), ["Google Play", "App Store"]);
        assert!(Doc::Step(9).alternatives().is_empty(), "step 9 says only: Enter your PIN code");
    }
}
