//! Every rule value of the simulated MitID, in one place.
//!
//! The documentation (`copy-your-mitid-app.txt`) gives the first group; where
//! it is silent the sim picks a value here, and the README and the features
//! name these as assumptions.

use std::time::Duration;

// --- From the documentation ---------------------------------------------

/// "As a security measure, you need to wait for 1 hour before you can copy".
pub const WAITING_PERIOD: Duration = Duration::from_secs(60 * 60);
/// "The QR code is valid for 3 minutes."
pub const QR_VALIDITY: Duration = Duration::from_secs(3 * 60);
/// "You can have up to three active MitID apps at the same time."
pub const MAX_ACTIVE_APPS: usize = 3;
/// Older Android versions also ask for location access with Bluetooth:
/// Android 12 (API 31) brought the BLUETOOTH_SCAN permission that made
/// location unnecessary, so API 30 and below ask for both.
pub const LAST_ANDROID_API_NEEDING_LOCATION: u32 = 30;

// --- Assumptions (the documentation does not say) -----------------------

/// Digits in a personal PIN code.
pub const PIN_LENGTH: usize = 6;
/// Digits in the temporary PIN code sent by SMS.
pub const TEMPORARY_PIN_LENGTH: usize = 8;
/// How long the temporary PIN code is valid after it is sent.
pub const TEMPORARY_PIN_VALIDITY: Duration = Duration::from_secs(15 * 60);
/// Wrong temporary PIN codes accepted before the copy is blocked.
pub const TEMPORARY_PIN_ATTEMPTS: u32 = 3;
/// Wrong user IDs accepted before the copy is blocked.
pub const USER_ID_ATTEMPTS: u32 = 3;
/// The oldest app version that may start a copy ("Make sure your old
/// phone/tablet and the MitID app on it are updated").
pub const MINIMUM_APP_VERSION: (u32, u32, u32) = (3, 0, 0);
/// The app version a virtual phone has unless the profile says otherwise.
pub const CURRENT_APP_VERSION: &str = "3.4.0";
/// The fingerprint id enrolled on virtual Android phones (`mobile: fingerprint`).
pub const ENROLLED_FINGERPRINT_ID: u32 = 1;
/// Whether a new app closed in the middle of the copy (steps 19-25) keeps
/// it: reopened, it resumes at the last step the backend confirmed — the
/// user ID after the scan, the temporary PIN after the user ID (the SMS
/// already sent stays valid), choosing the personal PIN after the
/// temporary PIN (a PIN typed but not yet repeated is asked for again).
pub const COPY_RESUMES_AFTER_RESTART: bool = true;

// --- Bluetooth proximity beacon (the README's Bluetooth section) ----

/// The 128-bit service UUID the old phone advertises while its QR is shown.
pub const BEACON_SERVICE_UUID: &str = "6d69d001-c0b7-4e5a-9e2f-4d4954494430";

/// Whether an app version string is at least [`MINIMUM_APP_VERSION`].
/// Unparseable versions count as outdated: an app we cannot read is not
/// one we trust to copy.
pub fn app_version_supported(version: &str) -> bool {
    parse_version(version).is_some_and(|v| v >= MINIMUM_APP_VERSION)
}

fn parse_version(version: &str) -> Option<(u32, u32, u32)> {
    let mut parts = version.trim().split('.').map(|p| p.parse::<u32>().ok());
    let major = parts.next()??;
    let minor = parts.next().unwrap_or(Some(0))?;
    let patch = parts.next().unwrap_or(Some(0))?;
    Some((major, minor, patch))
}

/// Whether an Android phone at this API level asks for location as well.
pub fn android_needs_location(api_level: u32) -> bool {
    api_level <= LAST_ANDROID_API_NEEDING_LOCATION
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_below_the_minimum_are_outdated() {
        assert!(app_version_supported("3.0.0"));
        assert!(app_version_supported("3.4"));
        assert!(app_version_supported(CURRENT_APP_VERSION));
        assert!(!app_version_supported("2.9.9"));
        assert!(!app_version_supported("banana"));
        assert!(!app_version_supported(""));
    }

    #[test]
    fn location_is_asked_up_to_api_30() {
        assert!(android_needs_location(29));
        assert!(android_needs_location(30));
        assert!(!android_needs_location(31));
    }
}
