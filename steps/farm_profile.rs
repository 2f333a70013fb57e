//! The `[farm]` section of a device profile: the virtual farm's phones and
//! switches. The framework treats it as opaque; only the runner, which
//! starts the farm, reads it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use mitid_sim::{Defect, FarmConfig};

/// Reads the `[farm]` table of a profile into the farm's own config type.
pub fn load(profile: &Path) -> Result<FarmConfig> {
    let text = std::fs::read_to_string(profile).with_context(|| format!("cannot read profile {}", profile.display()))?;
    let doc: toml::Table = toml::from_str(&text).with_context(|| format!("{} is not valid TOML", profile.display()))?;
    let Some(farm) = doc.get("farm") else {
        bail!("{} has no [farm] section: only a virtual-farm profile can start the farm", profile.display());
    };
    farm.clone()
        .try_into::<FarmConfig>()
        .with_context(|| format!("{}: in [farm]", profile.display()))
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
