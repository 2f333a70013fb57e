//! The runner of mitid-e2e: the CLI's commands, one run of the suite and
//! the reports. The step definitions and the cucumber World (one
//! scenario's state) are the crate `mitid-e2e-steps`, in `steps/`.
//!
//! The only crate that knows both the framework and the virtual farm: it
//! starts the farm, the framework never does.

#![warn(missing_docs)]

pub mod cli;
pub mod doctor;
pub mod exit;
pub mod farm_profile;
pub mod feature_language;
pub mod glue_writer;
pub mod hints;
pub mod history;
pub mod interrupt;
pub mod lint;
pub mod logging;
pub mod recorder;
pub mod report;
pub mod root;
pub mod run;
pub mod select;
