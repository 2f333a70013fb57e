//! The `[farm]` section of a device profile: the virtual farm's phones and
//! switches. The framework keeps it opaque; only the runner, which starts
//! the farm, reads it into the farm's own config type.

use anyhow::{Context, Result};
use mitid_e2e_framework::profile::Profile;
use mitid_sim::{Defect, FarmConfig};

/// The farm a virtual profile describes.
pub fn from_profile(profile: &Profile) -> Result<FarmConfig> {
    let farm = profile.farm.clone().with_context(|| {
        format!("{} has no [farm] section: only a virtual-farm profile can start the farm", profile.path.display())
    })?;
    farm.try_into::<FarmConfig>().with_context(|| format!("device profile {}: in [farm]", profile.path.display()))
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
