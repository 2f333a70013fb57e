//! The runner of mitid-e2e: the CLI's commands, the cucumber World and its
//! step definitions, and the reports. The only crate that knows both the
//! framework and the virtual farm: it starts the farm, the framework never
//! does.

pub mod bluetooth;
pub mod catalogue;
pub mod cli;
pub mod copy_flow;
pub mod farm_control;
pub mod farm_profile;
pub mod logging;
pub mod report;
pub mod rules;
pub mod run;
pub mod world;
