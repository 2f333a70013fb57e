//! The step definitions: the catalogue (every phrase in one table) and one
//! module per area of the flow. Nothing here knows which target runs.

pub mod bluetooth;
pub mod catalogue;
pub mod copy_flow;
pub mod documented;
pub mod farm_control;
pub mod rules;
