//! What a supporter types when writing to their legislators: their name, email address and city,
//! and the subject and text of a message. Each type can only hold a valid value, so a handler
//! that has one knows, for instance, that no CR, LF or NUL can reach a mail header.
//!
//! These values are personal data: their `Debug` output is redacted so that they never reach a
//! log by accident.

use std::fmt;

/// The longest supporter name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest city accepted, in characters.
pub const MAX_CITY_CHARS: usize = 100;
/// The longest email address accepted (RFC 5321's path limit less the angle brackets).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The longest subject accepted, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The longest message text accepted, in characters.
pub const MAX_BODY_CHARS: usize = 10_000;

/// Why an input was refused, with the form or JSON field it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct InvalidField {
    /// `name`, `email`, `city`, `subject` or `body`.
    pub field: &'static str,
    /// A sentence a supporter can act on.
    pub reason: String,
}

impl InvalidField {
    pub fn new(field: &'static str, reason: impl Into<String>) -> InvalidField {
        InvalidField {
            field,
            reason: reason.into(),
        }
    }
}

/// Characters that must never appear in a one-line value: C0/C1 controls (CR, LF, NUL, TAB,
/// ...), Unicode line and paragraph separators, and the bidirectional overrides that make a
/// name display differently from what it is.
fn is_forbidden_in_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
        )
}

/// A one-line text value: trimmed, 1..=`max` characters, nothing from [`is_forbidden_in_line`].
fn parse_line(
    raw: &str,
    field: &'static str,
    what: &str,
    max: usize,
) -> Result<String, InvalidField> {
    let value = raw.trim();
    if value.is_empty() {
        return Err(InvalidField::new(field, format!("Please enter {what}.")));
    }
    if value.chars().any(is_forbidden_in_line) {
        return Err(InvalidField::new(
            field,
            format!(
                "{} must be one line, without control characters.",
                capitalise(what)
            ),
        ));
    }
    if value.chars().count() > max {
        return Err(InvalidField::new(
            field,
            format!(
                "{} is too long (the limit is {max} characters).",
                capitalise(what)
            ),
        ));
    }
    Ok(value.to_string())
}

/// "your name" -> "Your name".
fn capitalise(what: &str) -> String {
    let mut chars = what.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

macro_rules! redacted_debug {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    concat!(stringify!($name), "(<{} chars>)"),
                    self.0.chars().count()
                )
            }
        }
    };
}

/// A supporter's name as they want it signed: 1 to 100 characters, one line, no control
/// characters.
#[derive(Clone, PartialEq, Eq)]
pub struct SupporterName(String);
redacted_debug!(SupporterName);

impl SupporterName {
    pub fn parse(raw: &str) -> Result<SupporterName, InvalidField> {
        parse_line(raw, "name", "your name", MAX_NAME_CHARS).map(SupporterName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The city a supporter signs with (optional on the forms): up to 100 characters, one line.
#[derive(Clone, PartialEq, Eq)]
pub struct City(String);
redacted_debug!(City);

impl City {
    /// `None` for an empty or blank value.
    pub fn parse_optional(raw: &str) -> Result<Option<City>, InvalidField> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        parse_line(raw, "city", "your city", MAX_CITY_CHARS).map(|c| Some(City(c)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address in plain `local@domain.tld` form (RFC 5322 dot-atom on both sides, a
/// letter-only or `xn--` top-level domain), at most 254 characters. Quoted local parts, comments,
/// display names, IP-literal domains, spaces, CR/LF, quotes and angle brackets are refused: what
/// is left is safe in a header, a `mailto:` link and a log line (were it logged, which it is not).
#[derive(Clone, PartialEq, Eq)]
pub struct EmailAddress(String);
redacted_debug!(EmailAddress);

/// `atext` of RFC 5322: what a dot-atom local part may hold besides dots.
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c)
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, InvalidField> {
        let bad = || {
            InvalidField::new(
                "email",
                "Please enter an email address like name@example.org.",
            )
        };
        let value = raw.trim();
        if value.is_empty() {
            return Err(InvalidField::new(
                "email",
                "Please enter your email address.",
            ));
        }
        if value.chars().count() > MAX_EMAIL_CHARS {
            return Err(InvalidField::new(
                "email",
                format!(
                    "That email address is too long (the limit is {MAX_EMAIL_CHARS} characters)."
                ),
            ));
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && local.split('.').all(|part| !part.is_empty())
            && local.chars().all(|c| c == '.' || is_atext(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = domain.len() <= 253
            && labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| {
                (tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
                    || tld.to_ascii_lowercase().starts_with("xn--")
            });
        if !(local_ok && domain_ok) {
            return Err(bad());
        }
        // Domains are case-insensitive; local parts are the receiving server's business.
        Ok(EmailAddress(format!(
            "{local}@{}",
            domain.to_ascii_lowercase()
        )))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message subject: one line, 1 to 200 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Subject(String);
redacted_debug!(Subject);

impl Subject {
    /// A subject as a supporter typed it.
    pub fn parse(raw: &str) -> Result<Subject, InvalidField> {
        parse_line(raw, "subject", "a subject", MAX_SUBJECT_CHARS).map(Subject)
    }

    /// A subject made by a template: line breaks and runs of white space become one space and
    /// other control characters are dropped before the usual checks, since a template's line
    /// structure is an accident of its layout, not something a supporter asked for.
    pub fn from_rendered(raw: &str) -> Result<Subject, InvalidField> {
        let cleaned: String = raw
            .split(|c: char| c.is_whitespace() || is_forbidden_in_line(c))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        Subject::parse(&cleaned)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message's text: 1 to 10,000 characters of plain text. Line breaks are normalised to `\n`
/// (CRLF and lone CR alike); tabs are kept; NUL and every other control character are refused.
#[derive(Clone, PartialEq, Eq)]
pub struct Body(String);
redacted_debug!(Body);

impl Body {
    pub fn parse(raw: &str) -> Result<Body, InvalidField> {
        let normalised = raw.replace("\r\n", "\n").replace('\r', "\n");
        let value = normalised.trim();
        if value.is_empty() {
            return Err(InvalidField::new("body", "Please write a message."));
        }
        if value
            .chars()
            .any(|c| c != '\n' && c != '\t' && (c.is_control() || c == '\u{FEFF}'))
        {
            return Err(InvalidField::new(
                "body",
                "The message cannot contain control characters.",
            ));
        }
        let chars = value.chars().count();
        if chars > MAX_BODY_CHARS {
            return Err(InvalidField::new(
                "body",
                format!(
                    "The message is too long ({chars} characters; the limit is {MAX_BODY_CHARS})."
                ),
            ));
        }
        Ok(Body(value.to_string()))
    }

    /// The text, lines separated by `\n`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            SupporterName::parse("  Jane Doe ").map(|n| n.as_str().to_string()),
            Ok("Jane Doe".to_string())
        );
        assert_eq!(
            SupporterName::parse("   ").map_err(|e| e.field),
            Err("name")
        );
        assert!(SupporterName::parse(&"a".repeat(100)).is_ok());
        assert!(SupporterName::parse(&"a".repeat(101)).is_err());
        assert!(
            SupporterName::parse(&"é".repeat(100)).is_ok(),
            "counted in characters"
        );
        for bad in [
            "Jane\r\nBcc: x@y.z",
            "Jane\nDoe",
            "Ja\0ne",
            "Jane\u{2028}Doe",
            "\u{202E}enaJ",
        ] {
            assert!(SupporterName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn email_addresses_must_be_plain() {
        for good in [
            "jane@example.org",
            "jane.doe+qi@mail.example.co.uk",
            "o'brien@example.com",
            "x@xn--bcher-kva.example",
        ] {
            assert!(EmailAddress::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            EmailAddress::parse(" Jane@Example.ORG ").map(|e| e.as_str().to_string()),
            Ok("Jane@example.org".to_string())
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.org",
            "jane@example",
            "jane@example.c",
            "jane@example.123",
            "jane doe@example.org",
            "\"jane\"@example.org",
            "<jane@example.org>",
            "Jane <jane@example.org>",
            "jane@example.org\r\nBcc: x@y.z",
            "jane@@example.org",
            "jane@a@example.org",
            ".jane@example.org",
            "ja..ne@example.org",
            "jane@-example.org",
            "jane@example..org",
            "jane@[127.0.0.1]",
            "jané@example.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@{}.org", "a".repeat(64), "b".repeat(186));
        assert_eq!(long.len(), 255);
        assert!(EmailAddress::parse(&long).is_err());
    }

    #[test]
    fn subjects_are_one_line_and_bodies_normalise_line_breaks() {
        assert!(Subject::parse("Please end qualified immunity").is_ok());
        assert!(Subject::parse("a\r\nBcc: x@y.z").is_err());
        assert!(Subject::parse(&"s".repeat(201)).is_err());
        assert_eq!(
            Subject::from_rendered("  Two\nlines\r\n here ").map(|s| s.as_str().to_string()),
            Ok("Two lines here".to_string())
        );
        let body = Body::parse("Dear Senator,\r\n\r\nPlease.\rThanks\n").expect("valid");
        assert_eq!(body.as_str(), "Dear Senator,\n\nPlease.\nThanks");
        assert!(Body::parse("a\0b").is_err());
        assert!(Body::parse(&"b".repeat(10_000)).is_ok());
        assert_eq!(
            Body::parse(&"b".repeat(10_001)).map_err(|e| e.field),
            Err("body")
        );
    }

    #[test]
    fn debug_output_never_shows_the_value() {
        let name = SupporterName::parse("Jane Doe").expect("valid");
        let email = EmailAddress::parse("jane@example.org").expect("valid");
        assert!(!format!("{name:?}{email:?}").contains("Jane"));
        assert!(!format!("{email:?}").contains("jane"));
    }

    proptest! {
        #[test]
        fn parsed_names_never_hold_control_characters(raw in any::<String>()) {
            if let Ok(name) = SupporterName::parse(&raw) {
                let n = name.as_str();
                prop_assert!(!n.chars().any(is_forbidden_in_line));
                prop_assert!((1..=MAX_NAME_CHARS).contains(&n.chars().count()));
                prop_assert_eq!(n.trim(), n);
            }
        }

        #[test]
        fn any_line_break_makes_a_name_or_subject_invalid(
            a in "[^\r\n]{0,40}", b in "[^\r\n]{0,40}", brk in prop::sample::select(vec!["\r", "\n", "\r\n", "\0"])
        ) {
            let raw = format!("x{a}{brk}{b}x");
            prop_assert!(SupporterName::parse(&raw).is_err());
            prop_assert!(Subject::parse(&raw).is_err());
            prop_assert!(City::parse_optional(&raw).is_err());
        }

        #[test]
        fn plain_names_within_the_limit_are_accepted(raw in "[A-Za-z][A-Za-z .'-]{0,98}[A-Za-z]") {
            prop_assert!(SupporterName::parse(&raw).is_ok());
        }

        #[test]
        fn parsed_email_addresses_are_header_safe(raw in any::<String>()) {
            if let Ok(email) = EmailAddress::parse(&raw) {
                let e = email.as_str();
                prop_assert!(e.len() <= MAX_EMAIL_CHARS);
                prop_assert_eq!(e.matches('@').count(), 1);
                prop_assert!(!e.chars().any(|c| c.is_whitespace() || c.is_control() || "\"<>(),;:\\[]".contains(c)));
            }
        }

        #[test]
        fn well_formed_email_addresses_are_accepted(
            local in "[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]",
            domain in "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?",
            tld in "[a-z]{2,6}",
        ) {
            prop_assume!(!local.contains(".."));
            let raw = format!("{local}@{domain}.{tld}");
            prop_assert!(EmailAddress::parse(&raw).is_ok(), "{}", raw);
        }

        #[test]
        fn email_addresses_with_injected_headers_are_refused(
            local in "[a-z]{1,10}", inject in "[\r\n <>\"]", rest in "[a-z:@. ]{0,20}"
        ) {
            let raw = format!("{local}@example.org{inject}{rest}x");
            prop_assert!(EmailAddress::parse(&raw).is_err());
        }

        #[test]
        fn subjects_are_always_one_bounded_line(raw in any::<String>()) {
            for subject in [Subject::parse(&raw), Subject::from_rendered(&raw)].into_iter().flatten() {
                let s = subject.as_str();
                prop_assert!(!s.chars().any(is_forbidden_in_line));
                prop_assert!((1..=MAX_SUBJECT_CHARS).contains(&s.chars().count()));
            }
        }

        #[test]
        fn bodies_hold_no_cr_or_nul_and_stay_bounded(raw in any::<String>()) {
            if let Ok(body) = Body::parse(&raw) {
                let b = body.as_str();
                prop_assert!(!b.contains('\r') && !b.contains('\0'));
                prop_assert!((1..=MAX_BODY_CHARS).contains(&b.chars().count()));
            }
        }

        #[test]
        fn plain_text_bodies_survive_with_their_lines(lines in prop::collection::vec("[a-zA-Z ,.!?']{1,60}", 1..20)) {
            let raw = lines.join("\r\n");
            let body = Body::parse(&format!("x{raw}x")).expect("valid");
            prop_assert_eq!(body.as_str().lines().count(), lines.len());
        }
    }
}
