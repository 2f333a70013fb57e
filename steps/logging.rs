//! Logs go to stderr through `tracing`; `RUST_LOG` picks the level.

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // appium-client's Drop tries to end sessions we already closed, and
        // logs that as an error: it is not one.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,appium_client=off"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).try_init();
}
