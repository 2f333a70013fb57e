//! What the integration tests share. Each file is one helper; a module
//! uses what it needs (`use crate::support::chromium;`), so some go unused
//! by some tests.
#![allow(dead_code)]

pub mod appium;
pub mod bluezoo;
pub mod child;
pub mod chromium;
pub mod files;
pub mod junit_schema;
pub mod postgres;
pub mod secrets;
