//! Building mails with lettre's typed builders: every header value goes through lettre's own
//! encoding, so no text a supporter wrote can start a header of its own.

use crate::store::ClaimedMail;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{Address, Message};

/// Why a stored mail could not be built (a permanent failure: retrying cannot help).
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("the {0} address is not valid")]
    Address(&'static str),
    #[error("the mail's text was removed before it was sent")]
    Purged,
    #[error("the message could not be built: {0}")]
    Builder(String),
}

/// The `Message-ID` of mail `id`, fixed when the mail is written so a resend after a crash
/// carries the same one (receiving servers can tell it is the same message).
pub fn message_id(id: &str, from: &Address) -> String {
    format!("<{id}@{}>", from.domain())
}

/// The name a supporter's message is sent under: `"<supporter> via <campaign>"`.
pub fn via(supporter: &str, campaign: &str) -> String {
    format!("{supporter} via {campaign}")
}

/// A display name fit for one header: control characters become spaces (lettre encodes the
/// rest). Stored values were validated already; this is the last line of defence.
fn one_line(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn mailbox(name: Option<&str>, address: &str, what: &'static str) -> Result<Mailbox, BuildError> {
    let address = address
        .parse::<Address>()
        .map_err(|_| BuildError::Address(what))?;
    let name = name.map(one_line).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, address))
}

/// The mail to send for a claimed outbox row, from `from` (the configured sender address):
/// `From: "<name>" <from>`, `Reply-To` the supporter (messages only), `To` the office, the stored
/// `Message-ID`, and the text as UTF-8 plain text.
pub fn build(mail: &ClaimedMail, from: &Address) -> Result<Message, BuildError> {
    let (Some(to), Some(subject), Some(body)) = (&mail.to_address, &mail.subject, &mail.body)
    else {
        return Err(BuildError::Purged);
    };
    let from_name = mail.from_name.as_deref().map(one_line);
    let mut builder = Message::builder()
        .from(Mailbox::new(
            from_name.filter(|n| !n.is_empty()),
            from.clone(),
        ))
        .to(mailbox(Some(&mail.recipient_name), to, "recipient")?)
        .subject(one_line(subject))
        .message_id(Some(mail.message_id.clone()))
        .header(ContentType::TEXT_PLAIN)
        .header(lettre::message::header::MIME_VERSION_1_0);
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(mailbox(
            mail.from_name.as_deref().map(supporter_part),
            reply_to,
            "reply-to",
        )?);
    }
    builder
        .body(body.replace("\r\n", "\n").replace('\n', "\r\n"))
        .map_err(|e| BuildError::Builder(e.to_string()))
}

/// The supporter's own name from a `"<supporter> via <campaign>"` sender name.
fn supporter_part(from_name: &str) -> &str {
    from_name
        .rsplit_once(" via ")
        .map(|(name, _)| name)
        .unwrap_or(from_name)
}

/// One line of the confirmation email's list of messages.
pub struct Recipient<'a> {
    pub name: &'a str,
    pub title: &'a str,
}

/// The confirmation email's subject and text.
pub fn confirmation_text(
    supporter: &str,
    campaign: &str,
    recipients: &[Recipient<'_>],
    confirm_url: &str,
    receipt_url: &str,
    valid_days: i64,
) -> (String, String) {
    let n = recipients.len();
    let messages = if n == 1 {
        "1 message".to_string()
    } else {
        format!("{n} messages")
    };
    let subject = format!("Confirm your {messages} to your legislators");
    let mut body =
        format!("Hello {supporter},\n\nYou asked to send {messages} for {campaign} to:\n\n");
    for r in recipients {
        body.push_str(&format!("  - {}, {}\n", r.name, r.title));
    }
    body.push_str(&format!(
        "\nNothing has been sent yet. To read the messages and send them, open this link \
         (it works for {valid_days} days):\n\n  {confirm_url}\n\n\
         Opening the link does not send anything: the page shows the messages and a button \
         to send them.\n\nFollow each message's delivery here:\n\n  {receipt_url}\n\n\
         If you did not ask for this, ignore this email: nothing is sent without your \
         confirmation, and your name and address are deleted after {valid_days} days.\n\n\
         -- {campaign}\n"
    ));
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn claimed(name: &str, subject: &str, body: &str) -> ClaimedMail {
        ClaimedMail {
            id: "0b7c7a0e-0000-4000-8000-000000000001".into(),
            kind: crate::outbox::MailKind::Message,
            recipient_name: "Sen. Lydia Edwards".into(),
            to_address: Some("lydia.edwards@masenate.gov".into()),
            from_name: Some(via(name, "End Qualified Immunity")),
            reply_to: Some("jane@example.org".into()),
            subject: Some(subject.into()),
            body: Some(body.into()),
            message_id: "<0b7c7a0e@advocate.example>".into(),
            attempts: 1,
            lease_id: Some("l".into()),
        }
    }

    fn from() -> Address {
        "send@advocate.example".parse().expect("address")
    }

    /// The header names of a formatted message, in order (folded lines joined).
    fn header_names(raw: &[u8]) -> Vec<String> {
        let text = String::from_utf8_lossy(raw);
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        head.split("\r\n")
            .filter(|l| !l.starts_with(' ') && !l.starts_with('\t'))
            .map(|l| l.split(':').next().unwrap_or_default().to_ascii_lowercase())
            .collect()
    }

    const EXPECTED: [&str; 9] = [
        "from",
        "reply-to",
        "to",
        "subject",
        "message-id",
        "content-type",
        "content-transfer-encoding",
        "date",
        "mime-version",
    ];

    fn assert_headers(raw: &[u8]) {
        let mut names = header_names(raw);
        names.sort();
        let mut expected: Vec<String> = EXPECTED.iter().map(|s| s.to_string()).collect();
        expected.sort();
        assert_eq!(names, expected, "{}", String::from_utf8_lossy(raw));
    }

    #[test]
    fn a_message_has_the_headers_the_issue_names() {
        let m = build(
            &claimed(
                "Jane Doe",
                "End qualified immunity",
                "Dear Senator,\n\nPlease act.",
            ),
            &from(),
        )
        .expect("built");
        let raw = m.formatted();
        assert_headers(&raw);
        let text = String::from_utf8_lossy(&raw);
        assert!(
            text.contains("From: \"Jane Doe via End Qualified Immunity\" <send@advocate.example>"),
            "{text}"
        );
        assert!(
            text.contains("Reply-To: \"Jane Doe\" <jane@example.org>"),
            "{text}"
        );
        assert!(
            text.contains("To: \"Sen. Lydia Edwards\" <lydia.edwards@masenate.gov>"),
            "{text}"
        );
        assert!(
            text.contains("Message-ID: <0b7c7a0e@advocate.example>"),
            "{text}"
        );
        assert!(
            text.contains("Content-Type: text/plain; charset=utf-8"),
            "{text}"
        );
    }

    #[test]
    fn a_purged_mail_is_not_built() {
        let mut m = claimed("Jane", "s", "b");
        m.body = None;
        assert!(matches!(build(&m, &from()), Err(BuildError::Purged)));
    }

    #[test]
    fn the_confirmation_names_every_recipient_and_both_links() {
        let (subject, body) = confirmation_text(
            "Jane",
            "End Qualified Immunity",
            &[
                Recipient {
                    name: "Lydia Edwards",
                    title: "State Senator",
                },
                Recipient {
                    name: "Aaron Michlewitz",
                    title: "State Representative",
                },
            ],
            "https://x.example/confirm/abc",
            "https://x.example/receipts/def",
            7,
        );
        assert_eq!(subject, "Confirm your 2 messages to your legislators");
        for needle in [
            "Lydia Edwards",
            "Aaron Michlewitz",
            "/confirm/abc",
            "/receipts/def",
            "7 days",
        ] {
            assert!(body.contains(needle), "{needle} missing from {body}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever a supporter types (names, subjects and bodies, CR/LF and all), the built mail
        /// has exactly the expected headers.
        #[test]
        fn no_input_produces_an_extra_header(
            name in any::<String>(),
            subject in any::<String>(),
            body in any::<String>(),
            injected in "(\r|\n|\r\n)(Bcc|Cc|To|X-Evil): (evil@example\\.com|x)",
        ) {
            for (n, s, b) in [
                (name.clone(), subject.clone(), body.clone()),
                (format!("{name}{injected}"), format!("{subject}{injected}"), format!("{injected}{body}")),
            ] {
                if let Ok(m) = build(&claimed(&n, &s, &b), &from()) {
                    assert_headers(&m.formatted());
                }
            }
        }

        /// Inputs that pass the supporter's validation always build.
        #[test]
        fn validated_input_always_builds(
            name in "[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ .'\"-]{0,60}",
            subject in "[^\\x00-\\x1f\\x7f]{1,200}",
            body in "[^\\x00]{1,2000}",
        ) {
            let m = build(&claimed(&name, &subject, &body), &from());
            prop_assert!(m.is_ok());
        }
    }
}
