//! The step definitions: the catalogue (every phrase in one table), the
//! phrases' language, a step's arguments and its run, and one module per
//! area of the flow. Nothing here knows which target runs.

pub mod arguments;
pub mod bluetooth;
pub mod catalogue;
pub mod copy_flow;
pub mod documented;
pub mod execute;
pub mod farm_control;
pub mod phrases;
pub mod rules;
