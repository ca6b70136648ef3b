//! Time-based one-time passwords (RFC 6238: SHA-1, 6 digits, 30-second steps), checked one step
//! either side of now, with replay refused: a code is accepted only for a step later than the last
//! step accepted for that account (the caller stores the step this returns).

use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Steps accepted either side of the current one (clock drift).
pub const SKEW: u64 = 1;

/// A fresh 160-bit secret, base32 (RFC 4648, no padding) as authenticator apps take it.
pub fn new_secret() -> String {
    let mut bytes = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    match Secret::Raw(bytes).to_encoded() {
        Secret::Encoded(s) => s,
        // `to_encoded` of a raw secret is always `Encoded`.
        Secret::Raw(_) => String::new(),
    }
}

fn totp(secret_base32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, DIGITS, SKEW as u8, STEP_SECS, bytes).ok()
}

/// The step (Unix seconds / 30) whose code `code` is, among now and one step either side; `None`
/// when it matches none, is not six digits (spaces allowed between), or the secret is unusable.
/// Each candidate is compared in constant time.
pub fn matching_step(secret_base32: &str, code: &str, now_unix: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_base32)?;
    let now_step = now_unix / STEP_SECS;
    let mut found = None;
    // Look at every candidate (no early exit), so timing does not say which step matched.
    for step in now_step.saturating_sub(SKEW)..=now_step + SKEW {
        let expected = totp.generate(step * STEP_SECS);
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            code.as_bytes(),
        )) {
            found = Some(step);
        }
    }
    found
}

/// [`matching_step`], refusing steps at or before `last_used_step` (a replayed or older code).
pub fn accept(
    secret_base32: &str,
    code: &str,
    now_unix: u64,
    last_used_step: Option<i64>,
) -> Option<u64> {
    let step = matching_step(secret_base32, code, now_unix)?;
    match last_used_step {
        Some(last) if i64::try_from(step).map_or(true, |s| s <= last) => None,
        _ => Some(step),
    }
}

/// The code for `now_unix` (for tests and for showing the enrolment works).
pub fn code_at(secret_base32: &str, now_unix: u64) -> Option<String> {
    totp(secret_base32).map(|t| t.generate(now_unix))
}

/// The `otpauth://` URL authenticator apps read (usually from a QR code) for `account`.
pub fn otpauth_url(secret_base32: &str, issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    let mut url = match url::Url::parse("otpauth://totp/") {
        Ok(u) => u,
        Err(_) => return String::new(),
    };
    url.set_path(&format!("/{}", urlencode(&label)));
    url.query_pairs_mut()
        .append_pair("secret", secret_base32)
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP_SECS.to_string());
    url.to_string()
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B's SHA-1 secret "12345678901234567890", base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_test_vectors() {
        // RFC 6238 gives 8 digits; the 6-digit code is the last six.
        assert_eq!(code_at(RFC_SECRET, 59).as_deref(), Some("287082"));
        assert_eq!(
            code_at(RFC_SECRET, 1_111_111_109).as_deref(),
            Some("081804")
        );
        assert_eq!(
            code_at(RFC_SECRET, 1_234_567_890).as_deref(),
            Some("005924")
        );
    }

    #[test]
    fn one_step_of_drift_either_way_is_accepted_and_no_more() {
        let now = 1_700_000_000;
        let step = now / STEP_SECS;
        for (offset, ok) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let at = ((step as i64 + offset) as u64) * STEP_SECS;
            let code = code_at(RFC_SECRET, at).expect("code");
            let got = matching_step(RFC_SECRET, &code, now);
            assert_eq!(got.is_some(), ok, "offset {offset}");
            if ok {
                assert_eq!(got, Some((step as i64 + offset) as u64));
            }
        }
    }

    #[test]
    fn a_used_step_cannot_be_replayed() {
        let now = 1_700_000_000;
        let code = code_at(RFC_SECRET, now).expect("code");
        let step = accept(RFC_SECRET, &code, now, None).expect("first use");
        assert_eq!(accept(RFC_SECRET, &code, now, Some(step as i64)), None);
        // Nor an older code after a newer one was used.
        let older = code_at(RFC_SECRET, now - STEP_SECS).expect("code");
        assert_eq!(accept(RFC_SECRET, &older, now, Some(step as i64)), None);
        // The next step's code is fine.
        let next = code_at(RFC_SECRET, now + STEP_SECS).expect("code");
        assert_eq!(
            accept(RFC_SECRET, &next, now + STEP_SECS, Some(step as i64)),
            Some(step + 1)
        );
    }

    #[test]
    fn malformed_codes_and_secrets_never_match() {
        let now = 1_700_000_000;
        for bad in ["", "12345", "1234567", "abcdef", "12 34 5x", "１２３４５６"] {
            assert_eq!(matching_step(RFC_SECRET, bad, now), None, "{bad}");
        }
        let code = code_at(RFC_SECRET, now).expect("code");
        assert_eq!(matching_step("not base32!", &code, now), None);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert!(matching_step(RFC_SECRET, &spaced, now).is_some());
    }

    #[test]
    fn fresh_secrets_are_160_bits_and_usable() {
        let s = new_secret();
        assert_eq!(s.len(), 32, "{s}");
        assert_ne!(s, new_secret());
        let code = code_at(&s, 1_700_000_000).expect("code");
        assert!(matching_step(&s, &code, 1_700_000_000).is_some());
        let url = otpauth_url(&s, "advocate", "jane@example.org");
        assert!(
            url.starts_with("otpauth://totp/advocate%3Ajane%40example.org?secret="),
            "{url}"
        );
    }
}
