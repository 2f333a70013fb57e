//! The runner's integration tests, one binary (as nextest's own
//! `integration-tests`): each module proves one thing about the `mitid-e2e`
//! binary, its reports or the real parts it works with, and shares helpers
//! only through `support`. Linked once, not once per file.
//!
//! A module that needs a real part installs nothing itself: `tests/run`
//! installs each project-locally first (`tests/install/`), and the module's
//! tests fail, naming the installer, without it.

mod support;

/// The phone driver against real Appium 3 + @appium/fake-driver
/// (`tests/install/appium-env.sh`).
mod appium_fake_driver;
/// The Bluetooth features over BlueZoo on a private dbus-daemon
/// (`tests/install/bluez-env.sh`).
mod bluetooth;
/// The same W3C and Appium requests to Appium 3 + @appium/fake-driver and to
/// the farm; every difference must be in the book's table
/// (`tests/install/appium-env.sh`).
mod conformance;
/// Suite sensitivity: each defect switch turns exactly its rule's scenarios red.
mod defects;
/// Editor support: the Cucumber language service (VS Code's Cucumber
/// extension) loads steps/glue.rs and every feature (`tests/install/editor-env.sh`).
mod editor;
/// The suite through a Selenium Grid 4 hub and two relay nodes, each in front
/// of its own virtual farm (`tests/install/grid-env.sh`, Java 17).
mod grid;
/// The run history with known answers: 30 nights in SQLite and in a real
/// PostgreSQL 15 (started as nobody), two writers at once, a merged sharded
/// run counted once.
mod history;
/// The run's index.html in real headless Chromium (Debian chromium and
/// chromium-driver): a failing, retried scenario's evidence, the filters, a
/// phone-sized and a desktop window.
mod html_report;
/// Ctrl-C and SIGTERM mid-run against a farm in its own process: exit
/// 130/143, no session left open, reports that mark what was interrupted.
mod interrupt;
/// The whole suite at every concurrency, on the default profile and on 16
/// rigs: each scenario observes only what it caused.
mod isolation;
/// messages.ndjson against the @cucumber/messages schema and rendered by
/// @cucumber/html-formatter, cucumber.json by cucumber-html-reporter and
/// multiple-cucumber-html-reporter, Allure's results by Allure
/// (`tests/install/report-tools-env.sh`).
mod report_consumers;
/// The runner as users meet it: the binary, its exit codes, messages and
/// reports, and that no secret reaches any of them.
mod runner;
/// The approved screen texts against the real cargo-insta
/// (`tests/install/insta-env.sh`).
mod screen_texts;
