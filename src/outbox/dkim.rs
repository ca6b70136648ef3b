//! DKIM signatures (RFC 6376; Ed25519 as RFC 8463) on every mail the service sends, when
//! `smtp.dkim_domain`, `smtp.dkim_selector` and `smtp.dkim_key_file` are set.
//!
//! The key is read and checked once, when the settings load: a PEM file holding an RSA key of
//! 2048 to 4096 bits (PKCS#1 `BEGIN RSA PRIVATE KEY`, or PKCS#8 `BEGIN PRIVATE KEY`, as
//! `openssl genpkey` writes it) or an Ed25519 key (PKCS#8). Anything else stops start-up with
//! one line naming the setting, never the key. lettre's signer then signs each mail just
//! before it is sent (relaxed/relaxed canonicalisation) over [`SIGNED_HEADERS`].

use base64::Engine;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use lettre::Message;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use std::path::Path;

/// The headers every signature covers (those a mail lacks, such as the confirmation's
/// Reply-To, are signed as absent: adding one later breaks the signature).
pub const SIGNED_HEADERS: [&str; 8] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "Reply-To",
    "MIME-Version",
    "Content-Type",
];

/// RSA keys shorter than this are refused (RFC 8301 asks signers for at least 2048 bits in
/// practice: 1024-bit keys are treated as unsigned by some receivers).
pub const MIN_RSA_BITS: usize = 2048;
/// RSA keys longer than this are refused: their public key no longer fits a DNS TXT record
/// most providers accept.
pub const MAX_RSA_BITS: usize = 4096;

/// Signs mails as `d=<domain>; s=<selector>`.
pub struct Signer {
    config: DkimConfig,
    domain: String,
    selector: String,
    algorithm: &'static str,
}

// Never print the key.
impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("domain", &self.domain)
            .field("selector", &self.selector)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for `domain` and `selector` (checked DNS names, see [`dns_name`]) with the key
    /// in the PEM file `path`. The error says what is wrong with the file, not what it holds.
    pub fn load(domain: &str, selector: &str, path: &Path) -> Result<Signer, String> {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {}", path.display(), io_reason(&e)))?;
        Signer::from_pem(domain, selector, &pem)
            .map_err(|why| format!("the key in {} {why}", path.display()))
    }

    /// A signer with the key `pem` (see [`parse_key`]).
    pub fn from_pem(domain: &str, selector: &str, pem: &str) -> Result<Signer, String> {
        let key = parse_key(pem)?;
        let algorithm = key.algorithm();
        let signing = key.into_lettre()?;
        let headers = SIGNED_HEADERS
            .iter()
            .map(|name| HeaderName::new_from_ascii_str(name))
            .collect();
        let config = DkimConfig::new(
            selector.to_string(),
            domain.to_string(),
            signing,
            headers,
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        Ok(Signer {
            config,
            domain: domain.to_string(),
            selector: selector.to_string(),
            algorithm,
        })
    }

    /// Adds the `DKIM-Signature` header to `message` (built, not yet sent).
    pub fn sign(&self, message: &mut Message) {
        message.sign(&self.config);
    }

    pub fn domain(&self) -> &str {
        &self.domain
    }

    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// `rsa` or `ed25519`, as the signature's `a=` tag and the TXT record's `k=` name it.
    pub fn algorithm(&self) -> &'static str {
        self.algorithm
    }
}

/// A private key the service can sign with.
pub enum Key {
    Rsa(Box<RsaPrivateKey>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

impl Key {
    pub fn algorithm(&self) -> &'static str {
        match self {
            Key::Rsa(_) => "rsa",
            Key::Ed25519(_) => "ed25519",
        }
    }

    /// lettre takes RSA keys as PKCS#1 PEM and Ed25519 keys as their base64 seed.
    fn into_lettre(self) -> Result<DkimSigningKey, String> {
        let refused = |_| "cannot be used for signing".to_string();
        match self {
            Key::Rsa(key) => {
                let pem = key
                    .to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)
                    .map_err(|_| "cannot be used for signing".to_string())?;
                DkimSigningKey::new(&pem, DkimSigningAlgorithm::Rsa).map_err(refused)
            }
            Key::Ed25519(key) => {
                let seed = base64::engine::general_purpose::STANDARD.encode(key.to_bytes());
                DkimSigningKey::new(&seed, DkimSigningAlgorithm::Ed25519).map_err(refused)
            }
        }
    }
}

/// Reads a PEM private key: RSA (PKCS#1 or PKCS#8) of [`MIN_RSA_BITS`] to [`MAX_RSA_BITS`]
/// bits, or Ed25519 (PKCS#8). The error completes "the key in FILE ..." and never quotes
/// the key.
pub fn parse_key(pem: &str) -> Result<Key, String> {
    let pem = pem.trim();
    let label = pem
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("-----BEGIN "))
        .and_then(|l| l.strip_suffix("-----"))
        .unwrap_or("");
    let rsa = match label {
        "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(pem)
            .map_err(|_| "does not parse as a PKCS#1 RSA private key".to_string())?,
        "PRIVATE KEY" => match RsaPrivateKey::from_pkcs8_pem(pem) {
            Ok(key) => key,
            Err(_) => {
                return ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
                    .map(|key| Key::Ed25519(Box::new(key)))
                    .map_err(|_| {
                        "is neither an RSA nor an Ed25519 private key (or does not parse)"
                            .to_string()
                    })
            }
        },
        "ENCRYPTED PRIVATE KEY" => {
            return Err(
                "is encrypted: store it without a passphrase, readable only by the \
                        service"
                    .into(),
            )
        }
        "" => {
            return Err(
                "is not a PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN \
                 RSA PRIVATE KEY-----)"
                    .into(),
            )
        }
        _ => return Err("is neither an RSA nor an Ed25519 private key".into()),
    };
    let bits = rsa.size() * 8;
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(format!(
            "is an RSA key of {bits} bits; DKIM keys must be RSA of {MIN_RSA_BITS} to \
             {MAX_RSA_BITS} bits, or Ed25519"
        ));
    }
    Ok(Key::Rsa(Box::new(rsa)))
}

/// Checks a DKIM domain or selector: DNS labels of letters, digits and hyphens (not at either
/// end), 1-63 characters each, joined by dots, 253 characters at most. Returned lower-cased.
pub fn dns_name(raw: &str) -> Result<String, String> {
    let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty() || name.len() > 253 {
        return Err("must be a DNS name of 1 to 253 characters".into());
    }
    for label in name.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(format!(
                "must be a DNS name: dot-separated labels of letters, digits and hyphens \
                 (not `{}`)",
                label.chars().take(63).collect::<String>()
            ));
        }
    }
    Ok(name)
}

fn io_reason(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::NotFound => "no such file".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::InvalidData => "not a text file".into(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dns_names_are_labels_joined_by_dots() {
        assert_eq!(dns_name("Example.ORG").as_deref(), Ok("example.org"));
        assert_eq!(
            dns_name(" mail.example.org. ").as_deref(),
            Ok("mail.example.org")
        );
        assert_eq!(dns_name("s2026-01").as_deref(), Ok("s2026-01"));
        for bad in [
            "", ".", "a..b", "-a.org", "a-.org", "a b.org", "a_b.org", "é.org", "a/b",
        ] {
            assert!(dns_name(bad).is_err(), "{bad:?}");
        }
        assert!(dns_name(&"a".repeat(64)).is_err());
        assert!(dns_name(&["a"; 130].join(".")).is_err());
    }

    #[test]
    fn garbage_and_unsupported_pem_are_refused_without_quoting_them() {
        let secretish = "-----BEGIN PRIVATE KEY-----\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD\n-----END PRIVATE KEY-----\n";
        for (pem, says) in [
            ("not a key", "not a PEM private key"),
            (secretish, "neither an RSA nor an Ed25519"),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n",
                "does not parse",
            ),
            (
                "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
                "neither an RSA nor an Ed25519",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
                "encrypted",
            ),
        ] {
            let err = parse_key(pem).err().expect("refused");
            assert!(err.contains(says), "{err}");
            assert!(!err.contains("TUlJ") && !err.contains("AAAA"), "{err}");
        }
    }

    #[test]
    fn an_ed25519_key_is_taken_and_signs() {
        // RFC 8032's first test key, as PKCS#8 PEM (a published test vector, not a secret).
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
                   -----END PRIVATE KEY-----\n";
        let signer = Signer::from_pem("example.org", "s1", pem).expect("ed25519");
        assert_eq!(signer.algorithm(), "ed25519");
        let mut message = Message::builder()
            .from("a@example.org".parse().expect("from"))
            .to("b@example.net".parse().expect("to"))
            .subject("Hello")
            .body("Hi\r\n".to_string())
            .expect("message");
        signer.sign(&mut message);
        let text = String::from_utf8(message.formatted()).expect("utf-8");
        let header = text
            .split("\r\n\r\n")
            .next()
            .expect("head")
            .replace("\r\n ", " ")
            .to_ascii_lowercase();
        assert!(
            header.contains(
                "dkim-signature: v=1; a=ed25519-sha256; d=example.org; s=s1; c=relaxed/relaxed"
            ),
            "{text}"
        );
        assert!(
            header.contains("h=from:to:subject:date:message-id:reply-to:mime-version:content-type"),
            "{text}"
        );
        assert!(!format!("{signer:?}").contains("MC4C"));
    }

    proptest! {
        #[test]
        fn no_text_is_taken_for_a_key_or_quoted_back(raw in "\\PC{0,400}") {
            let wrapped = format!("-----BEGIN PRIVATE KEY-----\n{raw}\n-----END PRIVATE KEY-----\n");
            for pem in [raw.as_str(), wrapped.as_str()] {
                if let Err(err) = parse_key(pem) {
                    prop_assert!(raw.len() < 8 || !err.contains(raw.trim()), "{err}");
                } else {
                    prop_assert!(false, "accepted {pem:?}");
                }
            }
        }

        #[test]
        fn accepted_dns_names_are_clean_and_stable(raw in "[A-Za-z0-9.\\- _]{0,80}") {
            if let Ok(name) = dns_name(&raw) {
                prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'));
                prop_assert!(!name.starts_with('.') && !name.ends_with('.') && !name.contains(".."));
                prop_assert_eq!(dns_name(&name), Ok(name.clone()));
            }
        }
    }
}
