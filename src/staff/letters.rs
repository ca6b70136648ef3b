//! The emails the staff workspace sends: a password link for someone just invited, or for
//! someone who lost theirs. Sent straight to the relay (bounded like every send) while the admin
//! waits; when no relay is configured, or it refuses, the admin is shown the link instead.
//!
//! The link is a secret: it goes into the email and nowhere else (no log line, no audit row,
//! no outbox row).

use super::PasswordLink;
use crate::config::Settings;
use crate::outbox::{Delivery, Mailer};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{Address, Message};
use secrecy::ExposeSecret;

/// Why a password link is being sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// A new account: set a first password.
    Invitation,
    /// An existing account: set a new password.
    Reset,
}

/// How sending a link ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The relay accepted the email.
    Emailed,
    /// No relay is configured: show the link.
    NoRelay,
    /// The relay refused it or did not answer in time: show the link, and why.
    Failed(String),
}

/// The relay and sender the staff emails use.
#[derive(Clone, Debug)]
pub struct Letters {
    relay: Option<(Mailer, Address)>,
    from_name: String,
}

impl Letters {
    /// The relay of `smtp.*`, when one is configured with a sender address.
    pub fn from_settings(settings: &Settings) -> Result<Letters, String> {
        let mailer = Mailer::from_settings(&settings.smtp)?;
        let relay = match (mailer, settings.smtp.from_address.clone()) {
            (Some(m), Some(from)) => Some((m, from)),
            _ => None,
        };
        Ok(Letters {
            relay,
            from_name: settings.smtp.from_name.clone(),
        })
    }

    /// No relay: every link is shown instead.
    pub fn none() -> Letters {
        Letters {
            relay: None,
            from_name: String::new(),
        }
    }

    /// True when links are emailed.
    pub fn enabled(&self) -> bool {
        self.relay.is_some()
    }

    /// Emails `link` to `to` (the person's address), saying what it is for and for which
    /// workspace (`site`, the campaign's organisation).
    pub async fn send_link(
        &self,
        to: &str,
        link: &PasswordLink,
        kind: LinkKind,
        site: &str,
    ) -> Sent {
        let Some((mailer, from)) = &self.relay else {
            return Sent::NoRelay;
        };
        let message = match letter(from, &self.from_name, to, link, kind, site) {
            Ok(m) => m,
            Err(reason) => return Sent::Failed(reason),
        };
        match mailer.send(message).await {
            Delivery::Accepted => {
                tracing::info!(person = link.person_id, kind = ?kind, "password link emailed");
                Sent::Emailed
            }
            Delivery::Temporary(reason) | Delivery::Permanent(reason) => {
                tracing::warn!(person = link.person_id, kind = ?kind, %reason, "password link not emailed");
                Sent::Failed(reason)
            }
        }
    }
}

/// The subject and text of the email carrying `link`.
pub fn text(link: &PasswordLink, kind: LinkKind, site: &str) -> (String, String) {
    let expires = link.expires_at.format("%-d %B %Y, %H:%M UTC");
    let url = link.url.expose_secret();
    match kind {
        LinkKind::Invitation => (
            format!("You are invited to the {site} staff workspace"),
            format!(
                "You have been invited to the {site} staff workspace.\n\n\
                 Choose your password here (the link works once, until {expires}):\n\n\
                 {url}\n\n\
                 If you did not expect this, ignore this email: nothing happens until the link is used.\n"
            ),
        ),
        LinkKind::Reset => (
            format!("Set a new password for the {site} staff workspace"),
            format!(
                "An admin of the {site} staff workspace made you a link to set a new password.\n\n\
                 Choose it here (the link works once, until {expires}):\n\n\
                 {url}\n\n\
                 If you did not ask for this, tell an admin. Your current password keeps working \
                 until the link is used.\n"
            ),
        ),
    }
}

fn letter(
    from: &Address,
    from_name: &str,
    to: &str,
    link: &PasswordLink,
    kind: LinkKind,
    site: &str,
) -> Result<Message, String> {
    let to: Address = to
        .parse()
        .map_err(|_| "the address cannot be emailed".to_string())?;
    let site = one_line(site);
    let (subject, body) = text(link, kind, &site);
    let name = one_line(from_name);
    Message::builder()
        .from(Mailbox::new(
            (!name.is_empty()).then_some(name),
            from.clone(),
        ))
        .to(Mailbox::new(None, to))
        .subject(subject)
        .header(ContentType::TEXT_PLAIN)
        .body(body.replace('\n', "\r\n"))
        .map_err(|e| e.to_string())
}

/// `s` without line breaks or other control characters (header-safe).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staff::Token;
    use chrono::{TimeZone, Utc};
    use secrecy::SecretString;

    fn link() -> PasswordLink {
        PasswordLink {
            person_id: 7,
            token: Token::generate(),
            url: SecretString::from("https://example.org/staff/password/abc".to_string()),
            expires_at: Utc
                .with_ymd_and_hms(2026, 12, 2, 9, 30, 0)
                .single()
                .expect("a date"),
        }
    }

    #[test]
    fn the_invitation_names_the_workspace_the_link_and_its_expiry() {
        let (subject, body) = text(&link(), LinkKind::Invitation, "Campaign Zero");
        assert_eq!(
            subject,
            "You are invited to the Campaign Zero staff workspace"
        );
        assert!(body.contains("https://example.org/staff/password/abc"));
        assert!(body.contains("2 December 2026, 09:30 UTC"));
        let (subject, body) = text(&link(), LinkKind::Reset, "Campaign Zero");
        assert!(subject.starts_with("Set a new password"));
        assert!(body.contains("https://example.org/staff/password/abc"));
    }

    #[test]
    fn a_line_break_in_the_site_or_sender_name_cannot_add_a_header() {
        let from: Address = "advocate@example.org".parse().expect("address");
        let message = letter(
            &from,
            "Staff\r\nBcc: evil@example.org",
            "ed@example.org",
            &link(),
            LinkKind::Invitation,
            "Zero\r\nBcc: evil@example.org",
        )
        .expect("a message");
        let raw = String::from_utf8(message.formatted()).expect("utf-8");
        assert!(!raw.contains("\r\nBcc:"), "{raw}");
    }

    #[test]
    fn an_address_that_cannot_be_emailed_is_refused_before_any_connection() {
        let from: Address = "advocate@example.org".parse().expect("address");
        let err = letter(&from, "", "not an address", &link(), LinkKind::Reset, "x");
        assert!(err.is_err());
    }
}
