//! mitid-e2e: the framework that proves "Copy your MitID app to another
//! phone/tablet" on virtual phones, lab phones on Appium, and device farms
//! behind Selenium Grid.
//!
//! It reaches phones only as real hardware is reached: W3C WebDriver/Appium
//! over HTTP ([`phone`]), the SMS and push gateways over HTTP
//! ([`gateways`]), the test-control API ([`control`]), and Bluetooth through
//! BlueZ on the host's own adapter ([`bluetooth`]). Which target runs
//! is a device profile's business ([`profile`]); locators are data
//! ([`locators`]); every app screen passed is checked against its approved
//! texts ([`screens`]); secrets are redacted by construction ([`secret`]); a file
//! it cannot read or use is one error, naming the file's kind ([`file`](mod@file)).

#![warn(missing_docs)]

pub mod bluetooth;
pub mod clock;
pub mod control;
pub mod countdown;
pub mod duration;
pub mod file;
pub mod gateways;
pub mod identities;
pub mod locators;
pub mod phone;
pub mod pool;
pub mod profile;
pub mod qr;
pub mod screens;
pub mod secret;
