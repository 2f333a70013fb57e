//! What a phone's BLE advertisement holds, and what its platform lets an app
//! put on the air. Both radios (memory and BlueZ) carry only adverts a real
//! phone of that platform could send: the farm is never more permissive
//! than the phone.
//!
//! - **iOS**: `CBPeripheralManager.startAdvertising` takes only
//!   `CBAdvertisementDataLocalNameKey` and `CBAdvertisementDataServiceUUIDsKey`
//!   ("You receive an error if you specify any other keys"), in 28 bytes in
//!   the foreground; service UUIDs that do not fit go to the overflow area,
//!   which only an iPhone scanning for them explicitly sees. The local name
//!   may spill into the 10 bytes of the scan response.
//! - **Android**: `BluetoothLeAdvertiser` takes service UUIDs, service data
//!   and manufacturer data, but a legacy advertisement (what every phone
//!   scans for) is 31 bytes with the flags (3) the stack adds:
//!   `ADVERTISE_FAILED_DATA_TOO_LARGE` beyond. An app cannot name the
//!   advert: `setIncludeDeviceName` sends the phone's own Bluetooth name.

use std::collections::BTreeMap;

use crate::rules;
use crate::ui::Platform;

/// The local name an iPhone's MitID app advertises.
pub const IOS_LOCAL_NAME: &str = "MitID";
/// The beacon of the contract before issue #14: one fixed service UUID with
/// the token as service data. Only the `beacon_service_data` fault sends it.
pub const SERVICE_DATA_BEACON_UUID: &str = "6d69d001-c0b7-4e5a-9e2f-4d4954494430";

/// Bytes of the legacy advertising PDU's data.
const LEGACY_BYTES: usize = 31;
/// The flags AD structure every connectable/discoverable advert starts with.
const FLAGS_BYTES: usize = 3;
/// What Core Bluetooth gives an app's service UUIDs and local name in the
/// foreground.
const IOS_FOREGROUND_BYTES: usize = 28;

/// One advertisement as an app asks its platform to send it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Advertisement {
    /// The local name, if the app sets one.
    pub local_name: Option<String>,
    /// 128-bit service UUIDs, canonical lowercase.
    pub service_uuids: Vec<String>,
    /// Service data by 128-bit service UUID.
    pub service_data: BTreeMap<String, Vec<u8>>,
    /// Manufacturer data by company id.
    pub manufacturer_data: BTreeMap<u16, Vec<u8>>,
}

impl Advertisement {
    /// The MitID beacon for a token, as the app on `platform` sends it: the
    /// service UUID [`rules::beacon_service_uuid`], and on iOS the local
    /// name. None when the token is not one the contract can carry.
    pub fn beacon(platform: Platform, token_hex: &str) -> Option<Advertisement> {
        Some(Advertisement {
            local_name: (platform == Platform::Ios).then(|| IOS_LOCAL_NAME.to_owned()),
            service_uuids: vec![rules::beacon_service_uuid(token_hex)?],
            ..Advertisement::default()
        })
    }

    /// The beacon of the old contract: a fixed service UUID, the token as
    /// service data (the `beacon_service_data` fault).
    pub fn service_data_beacon(platform: Platform, token_hex: &str) -> Advertisement {
        let token = (0..token_hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(token_hex.get(2 * i..2 * i + 2)?, 16).ok())
            .collect();
        Advertisement {
            local_name: (platform == Platform::Ios).then(|| IOS_LOCAL_NAME.to_owned()),
            service_uuids: vec![SERVICE_DATA_BEACON_UUID.to_owned()],
            service_data: BTreeMap::from([(SERVICE_DATA_BEACON_UUID.to_owned(), token)]),
            manufacturer_data: BTreeMap::new(),
        }
    }

    /// The MitID token the advert's service UUIDs carry, as a scanning
    /// phone reads it (lowercase hex). Service data is never read.
    pub fn mitid_token(&self) -> Option<String> {
        self.service_uuids.iter().find_map(|u| rules::beacon_token_in(u))
    }

    /// Why `platform` would refuse to send this advert (the app's start
    /// call fails, nothing goes on the air), or None when it sends it.
    pub fn refused_on(&self, platform: Platform) -> Option<String> {
        let uuids = self.uuid_bytes();
        let name = self.local_name.as_ref().map_or(0, |n| 2 + n.len());
        match platform {
            Platform::Ios => {
                let mut extra = Vec::new();
                if !self.service_data.is_empty() {
                    extra.push("service data");
                }
                if !self.manufacturer_data.is_empty() {
                    extra.push("manufacturer data");
                }
                if !extra.is_empty() {
                    Some(format!(
                        "Core Bluetooth advertises only a local name and service UUIDs; this advert has {}",
                        extra.join(" and ")
                    ))
                } else if uuids > IOS_FOREGROUND_BYTES {
                    Some(format!(
                        "its service UUIDs take {uuids} bytes: Core Bluetooth has {IOS_FOREGROUND_BYTES} in the foreground, the rest goes to the overflow area other phones do not read"
                    ))
                } else {
                    None
                }
            }
            Platform::Android => {
                let data: usize = self.service_data.values().map(|d| 2 + 16 + d.len()).sum();
                let maker: usize = self.manufacturer_data.values().map(|d| 2 + 2 + d.len()).sum();
                let total = FLAGS_BYTES + uuids + name + data + maker;
                (total > LEGACY_BYTES).then(|| {
                    format!("it takes {total} bytes, a legacy advertisement holds {LEGACY_BYTES} (ADVERTISE_FAILED_DATA_TOO_LARGE)")
                })
            }
        }
    }

    /// The complete list of 128-bit service UUIDs as one AD structure.
    fn uuid_bytes(&self) -> usize {
        if self.service_uuids.is_empty() {
            0
        } else {
            2 + 16 * self.service_uuids.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "00112233445566778899aabb";

    #[test]
    fn the_beacon_is_one_both_platforms_send() {
        for platform in [Platform::Ios, Platform::Android] {
            let a = Advertisement::beacon(platform, TOKEN).expect("a valid token");
            assert_eq!(a.refused_on(platform), None, "{platform:?}: {a:?}");
            assert_eq!(a.mitid_token().as_deref(), Some(TOKEN));
            assert!(a.service_data.is_empty() && a.manufacturer_data.is_empty());
        }
        assert_eq!(Advertisement::beacon(Platform::Ios, TOKEN).and_then(|a| a.local_name).as_deref(), Some("MitID"));
        assert_eq!(Advertisement::beacon(Platform::Android, TOKEN).and_then(|a| a.local_name), None);
        assert!(Advertisement::beacon(Platform::Ios, "0011").is_none());
    }

    #[test]
    fn an_iphone_sends_only_a_local_name_and_service_uuids() {
        let mut a = Advertisement::beacon(Platform::Ios, TOKEN).expect("beacon");
        a.service_data.insert(a.service_uuids[0].clone(), vec![1, 2]);
        let why = a.refused_on(Platform::Ios).expect("service data refused on iOS");
        assert!(why.contains("service data"), "{why}");
        let mut m = Advertisement::beacon(Platform::Ios, TOKEN).expect("beacon");
        m.manufacturer_data.insert(0x004c, vec![1]);
        assert!(m.refused_on(Platform::Ios).expect("manufacturer data refused").contains("manufacturer data"));
        // Two 128-bit UUIDs (34 bytes) do not fit the 28 of the foreground.
        let mut two = Advertisement::beacon(Platform::Ios, TOKEN).expect("beacon");
        two.service_uuids.push(SERVICE_DATA_BEACON_UUID.into());
        assert!(two.refused_on(Platform::Ios).expect("overflow").contains("overflow"));
    }

    #[test]
    fn the_old_service_data_beacon_fits_neither_platform_and_carries_no_token() {
        let ios = Advertisement::service_data_beacon(Platform::Ios, TOKEN);
        assert!(ios.refused_on(Platform::Ios).is_some());
        let android = Advertisement::service_data_beacon(Platform::Android, TOKEN);
        // flags 3 + UUID list 18 + service data 2 + 16 + 12 = 51 bytes.
        let why = android.refused_on(Platform::Android).expect("too large for legacy");
        assert!(why.contains("51 bytes"), "{why}");
        assert_eq!(android.mitid_token(), None, "service data is never read as the token");
    }
}
