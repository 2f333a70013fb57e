//! The simulated MitID app on one virtual phone: both roles of the copy
//! flow, every screen in the documentation's own words.
//!
//! The app is a state machine ([`Step`](state::Step)) driven by what a person
//! does (click, type, biometrics, camera) and by time. Each screen is built
//! fresh from the state by [`Phone::screen`], so what the page source, XPath
//! and screenshot show is always what the app is in.

mod actions;
mod screens;
mod state;

pub use state::{AppContext, Beacon, LogLevel, LogLine, OverAir, Phone, LISTEN_FOR_BEACON};
