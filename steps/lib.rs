//! The runner of mitid-e2e: the CLI's commands, the cucumber World and its
//! step definitions. The only crate that knows both the framework and the
//! virtual farm: it starts the farm, the framework never does.

pub mod cli;
pub mod farm_profile;
pub mod logging;
