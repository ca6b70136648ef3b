//! Passwords: the policy a new password must meet, and Argon2id hashing and verification.
//!
//! Hashing and verifying are CPU-bound by design (tens of milliseconds): callers run them with
//! [`hash_blocking`] / [`verify_blocking`], which move the work off the async executor.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use std::sync::OnceLock;

/// Shortest password accepted, in characters (ASVS 2.1.1).
pub const MIN_CHARS: usize = 12;
/// Longest password accepted, in characters (ASVS 2.1.2 asks that at least 64 be allowed; the
/// bound keeps hashing cheap to refuse).
pub const MAX_CHARS: usize = 128;
/// Least zxcvbn score accepted (0 to 4).
pub const MIN_SCORE: u8 = 3;

/// Why a new password was refused; each message is safe to show and says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("The password must be at least {MIN_CHARS} characters long.")]
    TooShort,
    #[error("The password must be at most {MAX_CHARS} characters long.")]
    TooLong,
    #[error("The password must not contain your email address or its name part.")]
    ContainsEmail,
    #[error("That password is too easy to guess; try a longer phrase of unrelated words.")]
    Weak,
}

/// Checks a new password for the account `email`: 12 to 128 characters (any character, spaces
/// included, not trimmed), not holding the email's local part, and a zxcvbn score of at least 3
/// with the email's parts as known words.
pub fn check_policy(password: &str, email: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordError::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordError::TooLong);
    }
    let email = email.to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if local.chars().count() >= 3 && password.to_lowercase().contains(local) {
        return Err(PasswordError::ContainsEmail);
    }
    let mut inputs: Vec<&str> = vec![email.as_str(), local, "advocate", "campaign", "zero"];
    inputs.extend(
        email
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() >= 3),
    );
    let score: u8 = zxcvbn::zxcvbn(password, &inputs).score().into();
    if score < MIN_SCORE {
        return Err(PasswordError::Weak);
    }
    Ok(())
}

/// Argon2id with OWASP's first recommended setting: 19 MiB, 2 passes, 1 lane.
fn hasher() -> Argon2<'static> {
    // The constants are valid, so `Params::new` cannot fail; the fallback is the same setting.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashing failed (it does not for valid parameters; kept as an error rather than a panic).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// The PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of `password`, with a fresh
/// 128-bit salt.
pub fn hash(password: &SecretString) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    hasher()
        .hash_password(password.expose_secret().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True when `password` matches the stored PHC string. The parameters are read from the string,
/// so hashes made with older settings still verify. A malformed string never matches.
pub fn verify(password: &SecretString, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, verified against when there is no real hash to check (unknown
/// email, no password set yet), so that such a login takes as long as a real one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hash(&SecretString::from(hex::encode(bytes))).unwrap_or_default()
    })
}

/// Verifies off the async executor. With `stored` `None`, verifies against a dummy hash (and
/// returns false), taking the same time.
pub async fn verify_blocking(password: SecretString, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match stored {
        Some(stored) => verify(&password, &stored),
        None => {
            let _ = verify(&password, dummy_hash());
            false
        }
    })
    .await
    .unwrap_or(false)
}

/// Checks the policy then hashes, off the async executor (zxcvbn and Argon2 are both CPU-bound).
pub async fn check_and_hash_blocking(
    password: SecretString,
    email: String,
) -> Result<Result<String, PasswordError>, HashError> {
    tokio::task::spawn_blocking(move || {
        if let Err(e) = check_policy(password.expose_secret(), &email) {
            return Ok(Err(e));
        }
        hash(&password).map(Ok)
    })
    .await
    .map_err(|e| HashError(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "jane.doe@example.org";

    #[test]
    fn short_long_and_weak_passwords_are_refused() {
        assert_eq!(
            check_policy("Tr0ub4dor&3", EMAIL),
            Err(PasswordError::TooShort)
        );
        assert_eq!(
            check_policy(&"correct horse ".repeat(10), EMAIL),
            Err(PasswordError::TooLong)
        );
        assert_eq!(
            check_policy("password1234", EMAIL),
            Err(PasswordError::Weak)
        );
        assert_eq!(
            check_policy("aaaaaaaaaaaaaaaa", EMAIL),
            Err(PasswordError::Weak)
        );
        assert_eq!(
            check_policy("qwertyuiop123", EMAIL),
            Err(PasswordError::Weak)
        );
        assert_eq!(
            check_policy("123456789012", EMAIL),
            Err(PasswordError::Weak)
        );
    }

    #[test]
    fn a_password_holding_the_email_name_is_refused() {
        assert_eq!(
            check_policy("Jane.Doe-violet-lantern-91", EMAIL),
            Err(PasswordError::ContainsEmail)
        );
    }

    #[test]
    fn strong_passphrases_are_accepted_with_spaces_and_unicode() {
        for ok in [
            "violet lantern under quiet gravel",
            "Grüne Laterne über Kiesweg 7",
            "xK9#mQ2$vL8!pR4z",
            &"é"
                .repeat(6)
                .chars()
                .chain("-Zq8!wP3#".chars())
                .collect::<String>(),
        ] {
            assert_eq!(check_policy(ok, EMAIL), Ok(()), "{ok}");
        }
        // Exactly the bounds: 12 and 128 characters.
        assert_eq!(check_policy("xK9#mQ2$vL8!", EMAIL), Ok(()));
        let long: String = "violet lantern quiet gravel 42 "
            .repeat(5)
            .chars()
            .take(128)
            .collect();
        assert_eq!(check_policy(&long, EMAIL), Ok(()));
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let pw = SecretString::from("violet lantern under quiet gravel");
        let a = hash(&pw).expect("hash");
        let b = hash(&pw).expect("hash");
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify(&pw, &a));
        assert!(!verify(
            &SecretString::from("violet lantern under quiet grave"),
            &a
        ));
        assert!(!verify(&pw, "not a hash"));
    }

    #[tokio::test]
    async fn the_dummy_verification_never_succeeds() {
        let pw = SecretString::from("anything at all here");
        assert!(!verify_blocking(pw, None).await);
    }
}
