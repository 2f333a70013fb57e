//! Logs go to stderr through `tracing`; `RUST_LOG` picks the level. Every
//! line passes through the secret redactor on its way out, so a PIN that a
//! library logs at a verbose level (a WebDriver request body, say) is still
//! not printed in clear.

use std::io::{IsTerminal, Write};

/// Sends log lines to stderr, redacted, at `RUST_LOG`'s level (default: warnings).
pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // appium-client's Drop tries to end sessions we already closed, and
        // logs that as an error: it is not one.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,appium_client=off"));
    // Colour only for a person at a terminal, and never when NO_COLOR is set
    // (no-color.org): a log file or CI log gets plain lines.
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(|| Redacting(std::io::stderr()))
        .try_init();
}

/// A writer with every known secret scrubbed from what goes through it.
/// The formatter writes each event in one call, so a secret is not split.
struct Redacting<W: Write>(W);

impl<W: Write> Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = mitid_e2e_framework::secret::redact(&String::from_utf8_lossy(buf));
        self.0.write_all(text.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mitid_e2e_framework::secret::{Secret, SecretKind};

    #[test]
    fn log_lines_never_carry_a_secret_in_clear() {
        let _pin = Secret::new(SecretKind::Pin, "975310");
        let mut out = Redacting(Vec::new());
        out.write_all(b"POST /element/1/value {\"text\":\"975310\"}\n").unwrap();
        let written = String::from_utf8(out.0).unwrap();
        assert_eq!(written, "POST /element/1/value {\"text\":\"[PIN]\"}\n");
    }
}
