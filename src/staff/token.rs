//! Random tokens (password links, session cookies, API tokens): made from the operating system's
//! random source, 256 bits, lower-case hex (URL- and cookie-safe). Only their SHA-256 is stored.

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::fmt;

/// What an API token starts with, so a leaked one is recognisable (secret scanners, logs).
pub const API_PREFIX: &str = "adv_";
/// Hex digits in a token (256 bits).
pub const TOKEN_HEX: usize = 64;

/// A token to hand out once (in a link, a cookie, or printed); never logged: `Debug` is redacted.
#[derive(Clone)]
pub struct Token(SecretString);

impl Token {
    /// A fresh 256-bit token.
    pub fn generate() -> Token {
        Token(SecretString::from(random_hex()))
    }

    /// A fresh API token: `adv_` and 64 hex digits.
    pub fn generate_api() -> Token {
        Token(SecretString::from(format!("{API_PREFIX}{}", random_hex())))
    }

    /// The token itself, to put in a link, cookie or on the terminal.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// What the database holds in its place.
    pub fn hash(&self) -> String {
        hash(self.expose())
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// An API token as listed (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub person_id: i64,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; TOKEN_HEX / 2];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SHA-256 (hex) of a token. A fast hash suffices: tokens are random, not guessable words.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn is_hex_token(raw: &str) -> bool {
    raw.len() == TOKEN_HEX
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A password-link or session token as received (path segment, cookie): 64 lower-case hex
/// digits, or `None` (answered without asking the database).
pub fn parse_token(raw: &str) -> Option<&str> {
    is_hex_token(raw).then_some(raw)
}

/// An API token as received: `adv_` and 64 lower-case hex digits.
pub fn parse_api_token(raw: &str) -> Option<&str> {
    raw.strip_prefix(API_PREFIX)
        .filter(|rest| is_hex_token(rest))
        .map(|_| raw)
}

/// The API token in an `Authorization` header value (`Bearer adv_...`, scheme in any case).
pub fn parse_bearer(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    parse_api_token(rest.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokens_are_256_bit_hex_and_round_trip_through_the_parsers() {
        let t = Token::generate();
        assert_eq!(parse_token(t.expose()), Some(t.expose()));
        assert_ne!(t.expose(), Token::generate().expose());
        let a = Token::generate_api();
        assert!(a.expose().starts_with("adv_"));
        assert_eq!(parse_api_token(a.expose()), Some(a.expose()));
        let header = format!("Bearer {}", a.expose());
        assert_eq!(parse_bearer(&header), Some(a.expose()));
        assert_eq!(
            parse_bearer(&format!("bearer  {}", a.expose())),
            Some(a.expose())
        );
        assert_eq!(parse_bearer(&format!("Basic {}", a.expose())), None);
        assert_eq!(parse_token(&t.expose().to_uppercase()), None);
        assert_eq!(parse_api_token(t.expose()), None);
        assert_eq!(t.hash().len(), 64);
        assert_ne!(t.hash(), t.expose());
    }

    #[test]
    fn a_token_never_prints() {
        let t = Token::generate();
        assert!(!format!("{t:?}").contains(t.expose()));
    }

    proptest! {
        #[test]
        fn token_parsers_never_panic(raw in "\\PC{0,100}") {
            let _ = parse_token(&raw);
            let _ = parse_api_token(&raw);
            let _ = parse_bearer(&raw);
        }

        #[test]
        fn whatever_the_parsers_accept_is_token_shaped(raw in "(Bearer |adv_)?[0-9a-fA-F]{60,68}") {
            if let Some(t) = parse_token(&raw) {
                prop_assert!(t.len() == 64);
            }
            if let Some(t) = parse_bearer(&raw).or(parse_api_token(&raw)) {
                prop_assert!(t.starts_with("adv_") && t.len() == 68);
            }
        }
    }
}
