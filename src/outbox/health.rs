//! Delivery health for organisers: where a campaign's outbox mails are, how long the oldest due
//! one has waited, and why mails failed, read from `last_error`.
//!
//! `last_error` holds what `smtp::classify` wrote (lettre's "permanent error (550): <reply>",
//! perhaps after "gave up after N attempts: "), a timeout sentence, or a `mail::BuildError`. A
//! reply can quote the recipient's address, which for a confirmation email is the supporter's,
//! so every reply shown is passed through [`redact`] (addresses removed, cut to
//! [`REPLY_CHARS`]); recipient domains are only grouped for messages to offices.

/// Characters of a reply shown.
pub const REPLY_CHARS: usize = 200;
/// Replies listed.
pub const LAST_REPLIES: i64 = 10;
/// The cause of a failure with no SMTP reply code.
pub const OTHER_CAUSE: &str = "connection / other";
/// The "domain" of failed confirmation emails (their recipient is a supporter: not shown).
pub const SUPPORTER_DOMAIN: &str = "(confirmation emails to supporters)";

/// Mails of a campaign by where they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusCounts {
    /// Waiting for the supporter's confirmation.
    pub held: i64,
    /// Queued, never tried.
    pub queued: i64,
    pub sending: i64,
    /// Queued again after a failed attempt.
    pub retrying: i64,
    pub sent: i64,
    pub failed: i64,
}

/// One failed or retrying mail's reply as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// When it failed, or (retrying) when it is tried next; Unix seconds.
    pub at: i64,
    pub failed: bool,
    pub code: Option<u16>,
    pub text: String,
}

/// A campaign's delivery health.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryHealth {
    pub status: StatusCounts,
    /// Seconds the oldest due (queued, past its time) mail has waited.
    pub oldest_due_secs: Option<i64>,
    /// Queued messages waiting on their office's hourly cap (counted among the queued).
    pub waiting_office_cap: i64,
    /// Queued mails waiting on the global sending rate (counted among the queued).
    pub waiting_global_rate: i64,
    /// Failures in the range by cause (most first).
    pub by_cause: Vec<(String, i64)>,
    /// Failures in the range by recipient domain (most first).
    pub by_domain: Vec<(String, i64)>,
    /// The latest replies, newest first.
    pub replies: Vec<Reply>,
}

/// The delivery health tables the dashboard offers as CSV (`.../reach/health/{table}.csv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthTable {
    /// The outbox by status, now.
    Status,
    /// Failures in the range by cause.
    Causes,
    /// Failures in the range by recipient domain.
    Domains,
    /// The latest replies (at most [`LAST_REPLIES`], redacted).
    Replies,
}

impl HealthTable {
    pub const ALL: [HealthTable; 4] = [
        HealthTable::Status,
        HealthTable::Causes,
        HealthTable::Domains,
        HealthTable::Replies,
    ];

    /// The table named `name` in a path (`status`, `causes`, `domains`, `replies`).
    pub fn parse(name: &str) -> Option<HealthTable> {
        HealthTable::ALL.into_iter().find(|t| t.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HealthTable::Status => "status",
            HealthTable::Causes => "causes",
            HealthTable::Domains => "domains",
            HealthTable::Replies => "replies",
        }
    }

    /// The column names, in order.
    pub fn header(self) -> &'static [&'static str] {
        match self {
            HealthTable::Status => &["status", "mails"],
            HealthTable::Causes => &["cause", "failures"],
            HealthTable::Domains => &["domain", "failures"],
            HealthTable::Replies => &["at", "status", "code", "reply"],
        }
    }

    /// The table's rows from `health` (cells not yet escaped): a row per status (`held`,
    /// `queued`, `sending`, `retrying`, `sent`, `failed`); causes and domains most first; replies
    /// newest first with the time in UTC ISO 8601 (`2026-11-30T09:05:00Z`), `failed` or
    /// `retrying`, the reply code (empty without one) and the reply as redacted for the page.
    pub fn records(self, health: &DeliveryHealth) -> Vec<Vec<String>> {
        let counts = |list: &[(String, i64)]| {
            list.iter()
                .map(|(k, n)| vec![k.clone(), n.to_string()])
                .collect()
        };
        match self {
            HealthTable::Status => {
                let s = &health.status;
                [
                    ("held", s.held),
                    ("queued", s.queued),
                    ("sending", s.sending),
                    ("retrying", s.retrying),
                    ("sent", s.sent),
                    ("failed", s.failed),
                ]
                .into_iter()
                .map(|(k, n)| vec![k.to_string(), n.to_string()])
                .collect()
            }
            HealthTable::Causes => counts(&health.by_cause),
            HealthTable::Domains => counts(&health.by_domain),
            HealthTable::Replies => health
                .replies
                .iter()
                .map(|r| {
                    vec![
                        utc_time(r.at),
                        if r.failed { "failed" } else { "retrying" }.to_string(),
                        r.code.map(|c| c.to_string()).unwrap_or_default(),
                        r.text.clone(),
                    ]
                })
                .collect(),
        }
    }
}

/// Unix seconds `at` as UTC ISO 8601 to the second (empty when out of range).
fn utc_time(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// The SMTP reply code a stored failure starts with: `(550)` as lettre writes it, or a reply
/// quoted from its start (`550 5.1.1 ...`), after an optional "gave up after N attempts: ".
pub fn reply_code(error: &str) -> Option<u16> {
    let mut rest = error.trim_start();
    if let Some(after) = rest.strip_prefix("gave up after ") {
        rest = after.split_once(": ").map_or("", |(_, r)| r);
    }
    let code = |s: &str| -> Option<u16> {
        let digits = s.get(..3)?;
        let next = s[3..].chars().next();
        if digits.bytes().all(|b| b.is_ascii_digit())
            && (b'2'..=b'5').contains(&digits.as_bytes()[0])
            && !next.is_some_and(|c| c.is_ascii_digit())
        {
            digits.parse().ok()
        } else {
            None
        }
    };
    if let Some(found) = code(rest) {
        return Some(found);
    }
    // lettre: "permanent error (550)", "transient error (451)".
    let (head, tail) = rest.split_once('(')?;
    if head.ends_with("error ") {
        let found = code(tail)?;
        return tail[3..].starts_with(')').then_some(found);
    }
    None
}

/// The cause a failure is grouped under: the reply's class and code ("5.x.x 550"), or
/// [`OTHER_CAUSE`].
pub fn cause(error: &str) -> String {
    match reply_code(error) {
        Some(code) => format!("{}.x.x {code}", code / 100),
        None => OTHER_CAUSE.to_string(),
    }
}

/// A reply fit to show staff: every email address replaced by `[address]`, control characters
/// by spaces, cut to [`REPLY_CHARS`] characters.
pub fn redact(error: &str) -> String {
    let mut out = Vec::new();
    for word in error.split(' ') {
        if word.contains('@') {
            // Keep the punctuation around an address ("<a@b>:" -> "[address]:").
            let tail: String = word
                .chars()
                .rev()
                .take_while(|c| matches!(c, '>' | ':' | ',' | ';' | '.' | ')' | ']'))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .filter(|c| *c != '>')
                .collect();
            out.push(format!("[address]{tail}"));
        } else {
            out.push(word.to_string());
        }
    }
    out.join(" ")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(REPLY_CHARS)
        .collect()
}

/// The domain of a recipient address, lower-cased (`None` without one).
pub fn domain(address: &str) -> Option<String> {
    let (_, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('>').trim().to_ascii_lowercase();
    (!domain.is_empty()).then_some(domain)
}

/// Adds `n` to `key` in a list kept most first (then by name).
pub fn tally(list: &mut Vec<(String, i64)>, key: String, n: i64) {
    match list.iter_mut().find(|(k, _)| *k == key) {
        Some((_, total)) => *total += n,
        None => list.push((key, n)),
    }
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_are_read_from_lettre_errors_and_quoted_replies() {
        let lettre = "permanent error (550): 5.1.1 Recipient rejected: no such user";
        assert_eq!(reply_code(lettre), Some(550));
        assert_eq!(cause(lettre), "5.x.x 550");
        assert_eq!(
            cause("gave up after 5 attempts: transient error (451): try later"),
            "4.x.x 451"
        );
        assert_eq!(cause("421 4.7.0 too busy"), "4.x.x 421");
        assert_eq!(
            cause("no answer from the mail server within 301 seconds"),
            OTHER_CAUSE
        );
        assert_eq!(cause("Connection error: refused"), OTHER_CAUSE);
        assert_eq!(cause("5501 nope"), OTHER_CAUSE);
        assert_eq!(cause("error (999) x"), OTHER_CAUSE);
        assert_eq!(cause(""), OTHER_CAUSE);
    }

    #[test]
    fn replies_lose_addresses_and_length() {
        let r = redact("permanent error (550): 5.1.1 <jo@example.org>: Recipient rejected");
        assert_eq!(
            r,
            "permanent error (550): 5.1.1 [address]: Recipient rejected"
        );
        assert!(!redact("to jo@example.org\r\nx").contains("jo@"));
        assert_eq!(redact(&"x".repeat(500)).chars().count(), REPLY_CHARS);
    }

    #[test]
    fn domains_and_tallies() {
        assert_eq!(domain("Rep@House.GOV").as_deref(), Some("house.gov"));
        assert_eq!(domain("nobody"), None);
        let mut list = Vec::new();
        tally(&mut list, "a".into(), 1);
        tally(&mut list, "b".into(), 2);
        tally(&mut list, "a".into(), 2);
        assert_eq!(list, vec![("a".to_string(), 3), ("b".to_string(), 2)]);
    }

    #[test]
    fn health_tables_have_rows_as_wide_as_their_headers() {
        let health = DeliveryHealth {
            status: StatusCounts {
                failed: 2,
                ..Default::default()
            },
            by_cause: vec![("5.x.x 550".into(), 2)],
            by_domain: vec![("house.gov".into(), 2)],
            replies: vec![Reply {
                at: 1_795_000_000,
                failed: true,
                code: Some(550),
                text: redact("550 <jo@example.org> no"),
            }],
            ..Default::default()
        };
        for table in HealthTable::ALL {
            assert_eq!(HealthTable::parse(table.as_str()), Some(table));
            for row in table.records(&health) {
                assert_eq!(row.len(), table.header().len(), "{table:?}");
            }
        }
        assert_eq!(HealthTable::parse("nope"), None);
        assert_eq!(HealthTable::Status.records(&health).len(), 6);
        assert_eq!(
            HealthTable::Replies.records(&health),
            vec![vec![
                "2026-11-18T11:06:40Z".to_string(),
                "failed".into(),
                "550".into(),
                "550 [address] no".into(),
            ]]
        );
        assert_eq!(utc_time(i64::MAX), "");
    }

    proptest! {
        #[test]
        fn any_error_text_has_a_cause_and_a_safe_reply(text in "\\PC{0,300}") {
            let c = cause(&text);
            prop_assert!(c == OTHER_CAUSE || c.ends_with(|ch: char| ch.is_ascii_digit()));
            let r = redact(&text);
            prop_assert!(r.chars().count() <= REPLY_CHARS);
            prop_assert!(!r.contains('@'));
        }
    }
}
