//! Drafts handed to the supporter: for each office, links that open their own mail app
//! (`mailto:`), Gmail or Outlook on the web with To, Subject and Body filled, or the office's web
//! contact form.
//!
//! The links shown are counting redirects, `GET /r/{token}`: the token is random and names a
//! stored row holding the real destination, so a link can only lead where the server sent it
//! (no open redirect), and following it counts the draft. The rows hold the message, so they
//! expire after [`DRAFT_LINK_TTL`] and are purged.

use super::compose::Draft;
use crate::stats::Channel;
use crate::store::{FollowedLink, NewDraftLink, Store, StoreError};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// How long draft links work (and their stored text is kept): long enough for a supporter to
/// come back to the page later that day.
pub const DRAFT_LINK_TTL: chrono::Duration = chrono::Duration::hours(24);

/// Where the links of one draft lead: direct URLs or counting paths, by context.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftLinks {
    pub mailto: Option<String>,
    pub gmail: Option<String>,
    pub outlook: Option<String>,
    pub contact_form: Option<String>,
}

/// A draft with its counting links (`/r/{token}` paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedDraft {
    pub draft: Draft,
    pub links: DraftLinks,
}

/// Percent-encodes everything but RFC 3986's unreserved characters (and `@` when `keep_at`):
/// spaces become `%20`, never `+`, which mail apps would show as a plus sign.
fn encode(raw: &str, keep_at: bool) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || (keep_at && b == b'@')
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Line breaks travel as CRLF (`%0D%0A`), as RFC 6068 requires of `mailto:` bodies.
fn encode_body(body: &str) -> String {
    encode(&body.replace('\n', "\r\n"), false)
}

/// `mailto:office@example.gov?subject=...&body=...` (RFC 6068).
pub fn mailto(to: &str, subject: &str, body: &str) -> String {
    format!(
        "mailto:{}?subject={}&body={}",
        encode(to, true),
        encode(subject, false),
        encode_body(body)
    )
}

/// Gmail's web compose window with the fields filled.
pub fn gmail(to: &str, subject: &str, body: &str) -> String {
    format!(
        "https://mail.google.com/mail/?view=cm&fs=1&to={}&su={}&body={}",
        encode(to, true),
        encode(subject, false),
        encode_body(body)
    )
}

/// Outlook on the web's compose window with the fields filled.
pub fn outlook(to: &str, subject: &str, body: &str) -> String {
    format!(
        "https://outlook.office.com/mail/deeplink/compose?to={}&subject={}&body={}",
        encode(to, true),
        encode(subject, false),
        encode_body(body)
    )
}

/// The real destinations of a draft's links.
pub fn direct_links(draft: &Draft) -> DraftLinks {
    let (subject, body) = (draft.subject.as_str(), draft.body.as_str());
    match &draft.to {
        Some(to) => DraftLinks {
            mailto: Some(mailto(to.as_str(), subject, body)),
            gmail: Some(gmail(to.as_str(), subject, body)),
            outlook: Some(outlook(to.as_str(), subject, body)),
            contact_form: draft.contact_form.clone(),
        },
        None => DraftLinks {
            contact_form: draft.contact_form.clone(),
            ..DraftLinks::default()
        },
    }
}

/// A fresh random token (128 bits, hex).
fn new_token() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Whether `raw` could be a token (checked before touching the database).
pub fn is_token(raw: &str) -> bool {
    raw.len() == 32 && raw.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What is stored in place of a token.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.to_ascii_lowercase().as_bytes()))
}

/// Stores the links of `drafts` for campaign `slug` and returns each draft with its counting
/// paths. Returns `None` for an unknown campaign.
pub async fn issue(
    store: &Store,
    slug: &str,
    drafts: Vec<Draft>,
    now: DateTime<Utc>,
) -> Result<Option<Vec<IssuedDraft>>, StoreError> {
    let mut rows = Vec::new();
    let offices: Vec<_> = drafts.iter().map(Draft::office).collect();
    let mut issued = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let direct = direct_links(&draft);
        let draft_id = new_token();
        let mut counted = |target: Option<String>, channel: Channel| {
            target.map(|target_url| {
                let token = new_token();
                rows.push(NewDraftLink {
                    token_hash: token_hash(&token),
                    draft_id: draft_id.clone(),
                    state: draft.state,
                    legislator_id: draft.target_id.clone(),
                    chamber: draft.chamber,
                    channel,
                    template_version: draft.template_version,
                    target_url,
                });
                format!("/r/{token}")
            })
        };
        let links = DraftLinks {
            mailto: counted(direct.mailto, Channel::DraftEmail),
            gmail: counted(direct.gmail, Channel::DraftEmail),
            outlook: counted(direct.outlook, Channel::DraftEmail),
            contact_form: counted(direct.contact_form, Channel::ContactForm),
        };
        issued.push(IssuedDraft { draft, links });
    }
    let stored = store
        .insert_draft_links(slug, &rows, &offices, now, now + DRAFT_LINK_TTL)
        .await?;
    Ok(stored.then_some(issued))
}

/// Follows a counting link: counts it (once per drafted message and channel) and returns where
/// it leads. `None` for a malformed, unknown or expired token.
pub async fn follow(
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<FollowedLink>, StoreError> {
    if !is_token(token) {
        return Ok(None);
    }
    store.follow_draft_link(&token_hash(token), now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decodes %XX escapes (test helper; the code under test only encodes).
    fn decode(s: &str) -> String {
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ascii");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    }

    fn query(url: &str) -> Vec<(String, String)> {
        let (_, q) = url.split_once('?').expect("query");
        q.split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').expect("pair");
                (k.to_string(), decode(v))
            })
            .collect()
    }

    #[test]
    fn mailto_follows_rfc_6068() {
        let url = mailto(
            "jo.o'hara+x@masenate.gov",
            "End QI & caps = 100%?",
            "Dear Senator,\n\nPlease act.\nJane",
        );
        assert!(
            url.starts_with("mailto:jo.o%27hara%2Bx@masenate.gov?subject="),
            "{url}"
        );
        assert!(
            url.contains("subject=End%20QI%20%26%20caps%20%3D%20100%25%3F&"),
            "{url}"
        );
        assert!(
            url.ends_with("&body=Dear%20Senator%2C%0D%0A%0D%0APlease%20act.%0D%0AJane"),
            "{url}"
        );
        assert!(!url.contains('+') && !url.contains(' '));
    }

    #[test]
    fn web_compose_links_carry_to_subject_and_body() {
        let g = gmail("a@b.gov", "Hi there", "Line 1\nLine 2 é");
        assert!(g.starts_with(
            "https://mail.google.com/mail/?view=cm&fs=1&to=a@b.gov&su=Hi%20there&body="
        ));
        let q = query(&g);
        assert!(q.contains(&("body".into(), "Line 1\r\nLine 2 é".into())));
        let o = outlook("a@b.gov", "Hi there", "x");
        assert!(o.starts_with(
            "https://outlook.office.com/mail/deeplink/compose?to=a@b.gov&subject=Hi%20there&body=x"
        ));
    }

    #[test]
    fn tokens_are_checked_before_any_lookup() {
        let t = new_token();
        assert!(is_token(&t));
        assert_ne!(t, new_token());
        assert_eq!(token_hash(&t), token_hash(&t.to_ascii_uppercase()));
        for bad in [
            "",
            "../../etc/passwd",
            "zz",
            &"g".repeat(32),
            &"a".repeat(33),
        ] {
            assert!(!is_token(bad), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn links_never_hold_characters_that_could_split_them(
            subject in any::<String>(), body in any::<String>()
        ) {
            for url in [mailto("a@b.gov", &subject, &body), gmail("a@b.gov", &subject, &body), outlook("a@b.gov", &subject, &body)] {
                prop_assert!(url.bytes().all(|b| b.is_ascii_graphic()), "{}", url);
                let q = query(&url);
                let subject_key = if url.starts_with("https://mail.google") { "su" } else { "subject" };
                prop_assert!(q.iter().any(|(k, v)| k == subject_key && v == &subject));
                prop_assert!(q.iter().any(|(k, v)| k == "body" && v == &body.replace('\n', "\r\n")));
            }
        }
    }
}
