//! The fixture identity's secrets, looked for in everything a run writes:
//! tests/integration/runner.rs and tests/integration/report_consumers.rs include this file by path.
#![allow(dead_code)]

/// The fixture identity's user ID, PIN and phone number
/// (fixtures/identities.toml).
pub const FIXTURE_SECRETS: [&str; 3] = ["anna-copy-4711", "246810", "4520471100"];

/// Where `secret` appears in `text` in clear, if it does. A number counts
/// only where it is not part of a longer number (a timestamp's nanoseconds
/// may hold the PIN's digits); beside a letter it still counts ("PIN246810").
pub fn in_clear(text: &str, secret: &str) -> Option<usize> {
    let digits = secret.bytes().all(|c| c.is_ascii_digit());
    let b = text.as_bytes();
    let digit = |c: Option<&u8>| c.is_some_and(u8::is_ascii_digit);
    text.match_indices(secret)
        .map(|(i, _)| i)
        .find(|&i| !digits || !(digit(i.checked_sub(1).and_then(|j| b.get(j))) || digit(b.get(i + secret.len()))))
}

/// Fails when `what` shows a fixture secret in clear, or a temporary PIN in
/// an SMS neither scrubbed nor masked digit by digit.
pub fn assert_no_secrets(what: &str, text: &str) {
    for secret in FIXTURE_SECRETS {
        if let Some(i) = in_clear(text, secret) {
            let mut from = i.saturating_sub(200);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            let mut to = (i + 200).min(text.len());
            while !text.is_char_boundary(to) {
                to += 1;
            }
            panic!("'{secret}' appears in clear in {what}:\n{}", &text[from..to]);
        }
    }
    let sms = "temporary PIN code for MitID is ";
    for (i, _) in text.match_indices(sms) {
        let after = &text[i + sms.len()..];
        assert!(
            after.starts_with("[TEMPORARY PIN]") || after.starts_with("########"),
            "a temporary PIN appears in clear in {what}: {}",
            after.chars().take(20).collect::<String>()
        );
    }
}
