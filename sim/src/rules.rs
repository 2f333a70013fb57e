//! Every rule value of the simulated MitID, in one place.
//!
//! The documentation (`copy-your-mitid-app.txt`) gives the first group; where
//! it is silent the sim picks a value here, and the book (docs/src/virtual-farm.md,
//! Assumptions) and the features name these as assumptions.

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
/// Whether a user ID must be typed in the letter case it was made in. Not
/// an assumption: MitID's help page on the user ID says "Whether you use
/// upper or lower case does not make a difference."
pub const USER_ID_CASE_SENSITIVE: bool = false;
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

// --- Bluetooth proximity beacon (docs/src/bluetooth.md) ----

/// The first 4 bytes of the beacon's 128-bit service UUID: ASCII "MID"
/// and the contract's version, 1. The other 12 bytes are the QR session's
/// token, so the whole beacon is one service UUID: the one thing both Core
/// Bluetooth (`CBAdvertisementDataServiceUUIDsKey`) and Android
/// (`AdvertiseData.Builder.addServiceUuid`) advertise in the foreground and
/// both read back when scanning. Never service data: an iPhone cannot send it.
pub const BEACON_UUID_PREFIX: [u8; 4] = *b"MID\x01";
/// Bytes of the beacon token: what is left of the 16-byte UUID after the
/// prefix. 96 random bits, valid only while its QR code is (3 minutes).
pub const BEACON_TOKEN_BYTES: usize = 16 - BEACON_UUID_PREFIX.len();

/// The beacon's service UUID for a token (lowercase hex of
/// [`BEACON_TOKEN_BYTES`] bytes), in the canonical lowercase form BlueZ,
/// Android's `ParcelUuid` and Core Bluetooth's `CBUUID` print; None for
/// anything else.
pub fn beacon_service_uuid(token_hex: &str) -> Option<String> {
    let token = token_hex.to_ascii_lowercase();
    if token.len() != BEACON_TOKEN_BYTES * 2 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let prefix: String = BEACON_UUID_PREFIX.iter().map(|b| format!("{b:02x}")).collect();
    let hex = format!("{prefix}{token}");
    Some(format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]))
}

/// The token (lowercase hex) a service UUID carries when it has the MitID
/// prefix; None for any other UUID (16-bit ones included).
pub fn beacon_token_in(service_uuid: &str) -> Option<String> {
    let hex: String = service_uuid.chars().filter(|c| *c != '-').collect::<String>().to_ascii_lowercase();
    let prefix: String = BEACON_UUID_PREFIX.iter().map(|b| format!("{b:02x}")).collect();
    let ok = service_uuid.len() == 36 && hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
    (ok && hex.starts_with(&prefix)).then(|| hex[prefix.len()..].to_owned())
}

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
    fn the_beacon_uuid_is_the_prefix_and_the_token() {
        let token = "00112233445566778899aabb";
        let uuid = beacon_service_uuid(token).expect("a 12-byte token");
        assert_eq!(uuid, "4d494401-0011-2233-4455-66778899aabb");
        assert_eq!(beacon_token_in(&uuid).as_deref(), Some(token));
        assert_eq!(beacon_token_in(&uuid.to_ascii_uppercase()).as_deref(), Some(token));
        // Another prefix (the contract before, a fixed UUID with service data), a short UUID, junk.
        assert_eq!(beacon_token_in("6d69d001-c0b7-4e5a-9e2f-4d4954494430"), None);
        assert_eq!(beacon_token_in("4d494402-0011-2233-4455-66778899aabb"), None);
        assert_eq!(beacon_token_in("0000180f-0000-1000-8000-00805f9b34fb"), None);
        assert_eq!(beacon_token_in("4d4944010011223344556677-8899aabb"), None);
        assert_eq!(beacon_service_uuid("0011"), None);
        assert_eq!(beacon_service_uuid("zz112233445566778899aabb"), None);
    }

    #[test]
    fn location_is_asked_up_to_api_30() {
        assert!(android_needs_location(29));
        assert!(android_needs_location(30));
        assert!(!android_needs_location(31));
    }
}
