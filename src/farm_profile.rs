//! The `[farm]` section of a device profile: the virtual farm's phones and
//! switches. The framework keeps it opaque; only the runner, which starts
//! the farm, reads it into the farm's own config type.

use anyhow::{Context, Result};
use mitid_e2e_framework::profile::{Biometric, Form, PhoneProfile, Platform, Profile};
use mitid_sim::{Defect, FarmConfig, RunningFarm};

/// The farm a virtual profile describes.
pub fn from_profile(profile: &Profile) -> Result<FarmConfig> {
    let farm = profile.farm.clone().with_context(|| {
        format!("{} has no [farm] section: only a virtual-farm profile can start the farm", profile.path.display())
    })?;
    farm.try_into::<FarmConfig>().with_context(|| format!("device profile {}: in [farm]", profile.path.display()))
}

/// The farm's phones as a profile lists a lab's: what the pool leases from.
pub fn phones_of(config: &FarmConfig) -> Vec<PhoneProfile> {
    config
        .phones
        .iter()
        .map(|p| PhoneProfile {
            udid: p.udid.clone(),
            platform: match p.platform {
                mitid_sim::Platform::Android => Platform::Android,
                mitid_sim::Platform::Ios => Platform::Ios,
            },
            os_version: p.os_version.clone(),
            rig: p.rig.clone(),
            model: Some(p.model.clone()),
            control: None,
            capabilities: Default::default(),
            bluetooth_address: None,
            biometric: p.biometric().map(|b| match b {
                mitid_sim::Biometric::Fingerprint => Biometric::Fingerprint,
                mitid_sim::Biometric::TouchId => Biometric::TouchId,
                mitid_sim::Biometric::FaceId => Biometric::FaceId,
            }),
            form: match p.form {
                mitid_sim::Form::Phone => Form::Phone,
                mitid_sim::Form::Tablet => Form::Tablet,
            },
        })
        .collect()
}

/// Starts the farm a virtual profile describes, on `port` (0: a free one),
/// with the `defects` named planted in its app, and `allow_cors` on top of
/// the profile's own setting. Returns it with the phones the pool leases
/// from: the farm's, each with its Bluetooth adapter's address as a rig
/// knows it (the BlueZ radio's, where the farm runs one).
pub async fn start(
    profile: &Profile,
    defects: &[String],
    port: u16,
    allow_cors: bool,
) -> Result<(RunningFarm, Vec<PhoneProfile>)> {
    let mut config = from_profile(profile)?;
    config.defects.extend(self::defects(defects)?);
    config.allow_cors |= allow_cors;
    let mut phones = phones_of(&config);
    let farm = RunningFarm::start(config, port).await.context("cannot start the virtual farm")?;
    for p in &mut phones {
        p.bluetooth_address = farm.bluetooth_addresses().get(&p.udid).cloned();
    }
    Ok((farm, phones))
}

/// Names → defects, with an error listing the known names.
pub fn defects(names: &[String]) -> Result<Vec<Defect>> {
    names
        .iter()
        .map(|n| {
            Defect::from_name(n).with_context(|| {
                let known: Vec<String> = Defect::ALL.iter().map(|d| d.name()).collect();
                format!("unknown defect '{n}'; known defects: {}", known.join(", "))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The framework cannot see the farm (the boundary rule), so the app's
    /// ids are written in both: here they are held to each other.
    #[test]
    fn a_profiles_default_app_ids_are_the_farms() {
        let app = mitid_e2e_framework::profile::App::default();
        assert_eq!(app.android_package, mitid_sim::ANDROID_PACKAGE);
        assert_eq!(app.ios_bundle_id, mitid_sim::IOS_BUNDLE_ID);
    }
}
