//! Delivery caps: an office receives at most its cap of a campaign's messages in any hour
//! (`limits.office_per_hour`, or a staff override), and the service releases at most
//! `limits.deliveries_per_minute` mails in any minute. Mails over a cap are never dropped and
//! never failed: they stay queued, marked with why ([`WaitReason`]), due again when a slot is
//! expected to free, and go out first in, first out.
//!
//! The caps are kept where every worker and instance sees them, in the database, at claim time
//! (`Store::claim_mails`): a mail takes a slot when it is claimed (`outbox.released_at`), and a
//! claim releases a mail only while fewer than the cap were released in the window before it.
//! Claims take turns (an advisory lock on PostgreSQL, `BEGIN IMMEDIATE` on SQLite), so two
//! workers never take the last slot twice. This module is the arithmetic, with no database:
//! a sliding [`Window`] of releases and the [`Plan`] one claim follows.
//!
//! A retried mail keeps its slot while its hour lasts (it is not counted twice); after that it
//! takes a new one. Confirmation emails have no office; they count towards the global rate but
//! wait ahead of the messages for it, so a supporter's link is not stuck behind a backlog.

use super::{MailKind, WaitReason};
use crate::config::LimitSettings;
use std::collections::HashMap;

/// The office cap's window: any hour.
pub const OFFICE_WINDOW_SECS: i64 = 3600;
/// The global rate's window: any minute.
pub const GLOBAL_WINDOW_SECS: i64 = 60;
/// The largest cap a setting or an override may name (per hour or per minute).
pub const MAX_CAP: u32 = 10_000;

/// The caps from the settings: 0 is no cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryCaps {
    /// Messages of one campaign to one office in any hour, unless staff override it.
    pub office_per_hour: u32,
    /// Mails released in any minute, all kinds together.
    pub deliveries_per_minute: u32,
}

impl DeliveryCaps {
    /// No cap at all (tests and benchmarks of the sending path alone).
    pub const NONE: DeliveryCaps = DeliveryCaps {
        office_per_hour: 0,
        deliveries_per_minute: 0,
    };

    pub fn from_settings(limits: &LimitSettings) -> DeliveryCaps {
        DeliveryCaps {
            office_per_hour: limits.office_per_hour,
            deliveries_per_minute: limits.deliveries_per_minute,
        }
    }
}

/// A campaign's overrides of `limits.office_per_hour` (table `office_caps`): its default for
/// every office, and offices of their own. 0 is no cap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignCaps {
    pub default: Option<u32>,
    pub offices: HashMap<String, u32>,
}

impl CampaignCaps {
    /// Records an override: for `office`, or the campaign's default without one.
    pub fn set(&mut self, office: Option<String>, per_hour: u32) {
        match office {
            Some(office) => {
                self.offices.insert(office, per_hour);
            }
            None => self.default = Some(per_hour),
        }
    }

    /// The cap of `office`: its own override, else the campaign's default, else `setting`.
    pub fn cap_for(&self, office: &str, setting: u32) -> u32 {
        self.offices
            .get(office)
            .copied()
            .or(self.default)
            .unwrap_or(setting)
    }
}

/// Releases in a sliding window of `span` seconds, at most `cap` of them (0: no cap), and how
/// many mails already wait for a slot in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    span: i64,
    cap: usize,
    /// Release times inside the window, oldest first.
    releases: Vec<i64>,
    /// Mails already waiting for this window (ahead in line of the next one).
    waiting: u64,
}

impl Window {
    /// The window at `now`: `releases` older than `span` seconds are dropped (a release exactly
    /// `span` seconds ago has left it).
    pub fn new(span: i64, cap: u32, now: i64, releases: Vec<i64>, waiting: u64) -> Window {
        let mut releases: Vec<i64> = releases.into_iter().filter(|r| *r > now - span).collect();
        releases.sort_unstable();
        Window {
            span,
            cap: cap as usize,
            releases,
            waiting,
        }
    }

    /// A window without a cap.
    pub fn unlimited() -> Window {
        Window::new(1, 0, 0, Vec::new(), 0)
    }

    /// True when a mail may be released now.
    pub fn has_room(&self) -> bool {
        self.cap == 0 || self.releases.len() < self.cap
    }

    /// Records a release at `now` (not before any release already in the window).
    pub fn take(&mut self, now: i64) {
        if self.cap > 0 {
            let at = self.releases.partition_point(|r| *r <= now);
            self.releases.insert(at, now);
        }
    }

    /// When the mail `ahead` places behind the first in line gets a slot, if every mail before it
    /// is released as soon as it may be: `now` while there is room for it, otherwise when the
    /// release that frees its slot leaves the window. Past the releases in the window, slots
    /// repeat every `span` (the mails released into the freed slots free them again a window
    /// later).
    pub fn slot_for(&self, ahead: u64, now: i64) -> i64 {
        if self.cap == 0 {
            return now;
        }
        let cap = self.cap as i64;
        let held = self.releases.len() as i64;
        // 1-based index of the release whose leaving frees this mail's slot.
        let i = i64::try_from(ahead).unwrap_or(i64::MAX / 4) + 1 + held - cap;
        if i <= 0 {
            return now;
        }
        // The releases in the window, then the free slots taken now by the mails ahead.
        let len = held.max(cap);
        let at = |i: i64| -> i64 {
            let index = usize::try_from(i - 1).unwrap_or(0);
            self.releases.get(index).copied().unwrap_or(now)
        };
        if i <= len {
            return at(i) + self.span;
        }
        let rounds = (i - len + cap - 1) / cap;
        at(i - rounds * cap).saturating_add(self.span.saturating_mul(rounds + 1))
    }

    /// The next waiting mail's slot time (behind every mail already waiting); it waits too.
    pub fn queue(&mut self, now: i64) -> i64 {
        let at = self.slot_for(self.waiting, now);
        self.waiting += 1;
        at
    }
}

/// A due mail a claim considers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub kind: MailKind,
    /// The campaign and office of a message (none for a confirmation).
    pub office: Option<OfficeKey>,
    /// When it took its slot, if it ever did.
    pub released_at: Option<i64>,
}

/// A campaign's office: campaign id and legislator id.
pub type OfficeKey = (i64, String);

/// What a claim does with a candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it now.
    Claim,
    /// Leave it queued, due again at `until`.
    Wait { reason: WaitReason, until: i64 },
}

/// One claim's view of the caps: the global window and each office's, filled by the store
/// before the candidates of an office are decided.
#[derive(Debug, Clone)]
pub struct Plan {
    now: i64,
    global: Window,
    /// Confirmations waiting on the global rate (they go before the messages).
    confirmations_waiting: u64,
    offices: HashMap<OfficeKey, Window>,
}

impl Plan {
    /// A plan at `now` under the global window `global`, of which `confirmations_waiting` of
    /// the waiting mails are confirmations.
    pub fn new(now: i64, global: Window, confirmations_waiting: u64) -> Plan {
        Plan {
            now,
            global,
            confirmations_waiting,
            offices: HashMap::new(),
        }
    }

    /// True once the office's window is known.
    pub fn knows(&self, office: &OfficeKey) -> bool {
        self.offices.contains_key(office)
    }

    /// The office's window: its cap, its releases in the last hour and the messages already
    /// waiting for it.
    pub fn add_office(&mut self, office: OfficeKey, cap: u32, releases: Vec<i64>, waiting: u64) {
        let window = Window::new(OFFICE_WINDOW_SECS, cap, self.now, releases, waiting);
        self.offices.insert(office, window);
    }

    /// Decides one candidate (in the order the claim takes them: first due, first in), and
    /// counts what it takes.
    pub fn decide(&mut self, mail: &Candidate) -> Decision {
        let now = self.now;
        // A retry within its slot's hour keeps the slot it holds.
        if mail
            .released_at
            .is_some_and(|at| at > now - OFFICE_WINDOW_SECS)
        {
            return Decision::Claim;
        }
        if mail.kind == MailKind::Message {
            if let Some(window) = mail.office.as_ref().and_then(|k| self.offices.get_mut(k)) {
                if !window.has_room() {
                    return Decision::Wait {
                        reason: WaitReason::OfficeCap,
                        until: window.queue(now),
                    };
                }
            }
        }
        if !self.global.has_room() {
            let until = if mail.kind == MailKind::Confirmation {
                let at = self.global.slot_for(self.confirmations_waiting, now);
                self.confirmations_waiting += 1;
                self.global.waiting += 1;
                at
            } else {
                self.global.queue(now)
            };
            return Decision::Wait {
                reason: WaitReason::GlobalRate,
                until,
            };
        }
        if let Some(key) = &mail.office {
            if let Some(window) = self.offices.get_mut(key) {
                window.take(now);
            }
        }
        self.global.take(now);
        Decision::Claim
    }
}

/// Longest office (legislator) id staff may type.
pub const MAX_OFFICE_ID: usize = 100;

/// Input on the staff caps page that is refused: the field it is about and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CapInputError {
    /// `per_hour` or `office`.
    pub field: &'static str,
    pub message: String,
}

fn refuse(field: &'static str, message: String) -> CapInputError {
    CapInputError { field, message }
}

/// Reads a cap as staff type it: a whole number of messages an hour from 0 (no cap) to
/// [`MAX_CAP`], commas between digit groups allowed ("1,000"), spaces around it ignored.
pub fn parse_per_hour(raw: &str) -> Result<u32, CapInputError> {
    let raw = raw.trim();
    let why = || {
        refuse(
            "per_hour",
            format!(
                "The limit must be a whole number of messages an hour from 0 to {}, like 30 \
                 (0 means no limit).",
                crate::stats::thousands(i64::from(MAX_CAP))
            ),
        )
    };
    let digits: String = raw.chars().filter(|c| *c != ',').collect();
    let well_placed_commas = !raw.starts_with(',') && !raw.ends_with(',') && !raw.contains(",,");
    if digits.is_empty()
        || digits.len() > 9
        || !well_placed_commas
        || !digits.chars().all(|c| c.is_ascii_digit())
    {
        return Err(why());
    }
    let n: u32 = digits.parse().map_err(|_| why())?;
    if n > MAX_CAP {
        return Err(refuse(
            "per_hour",
            format!(
                "The limit can be at most {} messages an hour (0 means no limit).",
                crate::stats::thousands(i64::from(MAX_CAP))
            ),
        ));
    }
    Ok(n)
}

/// Reads the office a cap is for: empty (or spaces) is the campaign's default (`None`);
/// otherwise a legislator id as the directory writes it (`bioguide:M000133`,
/// `ocd-person/...`): 1 to [`MAX_OFFICE_ID`] visible ASCII characters. Whether the office
/// exists is the store's to say.
pub fn parse_office(raw: &str) -> Result<Option<String>, CapInputError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if raw.len() > MAX_OFFICE_ID || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(refuse(
            "office",
            format!(
                "An office is named by its legislator id from the directory, like \
                 bioguide:M000133: up to {MAX_OFFICE_ID} letters, digits and signs, no spaces."
            ),
        ));
    }
    Ok(Some(raw.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn message(office: &str) -> Candidate {
        Candidate {
            kind: MailKind::Message,
            office: Some((1, office.to_string())),
            released_at: None,
        }
    }

    #[test]
    fn a_full_window_frees_a_slot_when_its_oldest_release_leaves_it() {
        let w = Window::new(3600, 3, 10_000, vec![7_000, 8_000, 9_000], 0);
        assert!(!w.has_room());
        assert_eq!(w.slot_for(0, 10_000), 10_600);
        assert_eq!(w.slot_for(1, 10_000), 11_600);
        assert_eq!(w.slot_for(2, 10_000), 12_600);
        // Past the window: the slots come round again an hour later.
        assert_eq!(w.slot_for(3, 10_000), 14_200);
        assert_eq!(w.slot_for(7, 10_000), 18_800);
        // A release exactly an hour old has left the window.
        let w = Window::new(3600, 1, 10_000, vec![6_400], 0);
        assert!(w.has_room());
        assert_eq!(w.slot_for(0, 10_000), 10_000);
    }

    #[test]
    fn an_office_override_beats_the_campaign_default_which_beats_the_setting() {
        let mut caps = CampaignCaps::default();
        assert_eq!(caps.cap_for("a", 30), 30);
        caps.set(None, 10);
        assert_eq!(caps.cap_for("a", 30), 10);
        caps.set(Some("a".into()), 0);
        assert_eq!(caps.cap_for("a", 30), 0);
        assert_eq!(caps.cap_for("b", 30), 10);
    }

    #[test]
    fn no_cap_never_waits() {
        let mut w = Window::unlimited();
        for _ in 0..100 {
            assert!(w.has_room());
            w.take(5);
        }
        assert_eq!(w.slot_for(1_000, 5), 5);
    }

    #[test]
    fn three_of_five_go_and_two_wait_an_hour() {
        let now = 1_000_000;
        let mut plan = Plan::new(now, Window::unlimited(), 0);
        plan.add_office((1, "o".into()), 3, Vec::new(), 0);
        let decisions: Vec<Decision> = (0..5).map(|_| plan.decide(&message("o"))).collect();
        assert_eq!(&decisions[..3], &[Decision::Claim; 3]);
        for d in &decisions[3..] {
            assert_eq!(
                *d,
                Decision::Wait {
                    reason: WaitReason::OfficeCap,
                    until: now + 3600
                }
            );
        }
    }

    #[test]
    fn a_retry_keeps_its_slot_for_the_hour_then_needs_a_new_one() {
        let now = 1_000_000;
        let mut plan = Plan::new(now, Window::new(60, 1, now, vec![now], 0), 0);
        plan.add_office((1, "o".into()), 1, vec![now - 100], 0);
        let retry = Candidate {
            released_at: Some(now - 100),
            ..message("o")
        };
        assert_eq!(plan.decide(&retry), Decision::Claim);
        let old = Candidate {
            released_at: Some(now - 3600),
            ..message("o")
        };
        assert!(matches!(
            plan.decide(&old),
            Decision::Wait {
                reason: WaitReason::OfficeCap,
                ..
            }
        ));
    }

    #[test]
    fn the_global_rate_holds_every_kind_and_confirmations_go_first() {
        let now = 1_000_000;
        let global = Window::new(60, 2, now, vec![now - 50, now - 10], 5);
        let mut plan = Plan::new(now, global, 0);
        plan.add_office((1, "o".into()), 0, Vec::new(), 0);
        let confirmation = Candidate {
            kind: MailKind::Confirmation,
            office: None,
            released_at: None,
        };
        assert_eq!(
            plan.decide(&confirmation),
            Decision::Wait {
                reason: WaitReason::GlobalRate,
                until: now + 10
            }
        );
        // The message waits behind the five already waiting and the confirmation.
        assert_eq!(
            plan.decide(&message("o")),
            Decision::Wait {
                reason: WaitReason::GlobalRate,
                until: now + 10 + 60 * 3
            }
        );
    }

    #[test]
    fn an_office_over_its_cap_waits_on_the_office_even_when_the_rate_is_full_too() {
        let now = 50_000;
        let mut plan = Plan::new(now, Window::new(60, 1, now, vec![now], 0), 0);
        plan.add_office((1, "o".into()), 1, vec![now - 10], 0);
        assert!(matches!(
            plan.decide(&message("o")),
            Decision::Wait {
                reason: WaitReason::OfficeCap,
                ..
            }
        ));
    }

    #[test]
    fn caps_are_whole_numbers_from_0_to_the_maximum() {
        assert_eq!(parse_per_hour("30"), Ok(30));
        assert_eq!(parse_per_hour(" 0 "), Ok(0));
        assert_eq!(parse_per_hour("10,000"), Ok(MAX_CAP));
        for bad in [
            "",
            " ",
            "-1",
            "+5",
            "1.5",
            "ten",
            "10001",
            "99999999999999999999",
            ",5",
            "5,",
            "1,,0",
            "3e2",
            "０",
        ] {
            let err = parse_per_hour(bad).expect_err(bad);
            assert_eq!(err.field, "per_hour", "{bad}");
        }
        assert!(parse_per_hour("10001")
            .expect_err("huge")
            .message
            .contains("at most 10,000"));
    }

    #[test]
    fn offices_are_directory_ids_and_empty_is_the_campaign_default() {
        assert_eq!(parse_office(""), Ok(None));
        assert_eq!(parse_office("  "), Ok(None));
        assert_eq!(
            parse_office(" bioguide:M000133 "),
            Ok(Some("bioguide:M000133".into()))
        );
        for bad in ["a b", "x\ny", &"x".repeat(101), "é"] {
            assert_eq!(parse_office(bad).expect_err(bad).field, "office");
        }
    }

    /// Releases seen at `t`: those in `(t - span, t]`.
    fn in_window(all: &[i64], t: i64, span: i64) -> usize {
        all.iter().filter(|x| **x > t - span && **x <= t).count()
    }

    proptest! {
        /// Whatever the window holds, the slots handed out in line keep it under its cap at
        /// every moment, come in order, are never before now, and are the earliest that would.
        #[test]
        fn queued_slots_never_overfill_the_window(
            span in 1i64..5_000,
            cap in 1u32..12,
            offsets in proptest::collection::vec(0i64..5_000, 0..20),
            queued in 1u64..40,
        ) {
            let now = 100_000i64;
            let releases: Vec<i64> = offsets.iter().map(|o| now - (o % span)).collect();
            let window = Window::new(span, cap, now, releases.clone(), 0);
            let mut all = releases.clone();
            let mut last = i64::MIN;
            for q in 0..queued {
                let t = window.slot_for(q, now);
                prop_assert!(t >= now);
                prop_assert!(t >= last, "slots in order");
                last = t;
                // Room at t for this one (those before it at t included).
                prop_assert!(in_window(&all, t, span) < cap as usize,
                    "q {q} at {t}: {all:?}");
                // And not one second earlier, unless it goes now.
                if t > now {
                    prop_assert!(in_window(&all, t - 1, span) >= cap as usize,
                        "q {q} could go at {}: {all:?}", t - 1);
                }
                all.push(t);
            }
        }

        /// Any text is a cap in range or a refusal about the field, never a panic; every cap
        /// in range reads back, with or without separators.
        #[test]
        fn any_typed_cap_is_in_range_or_refused(raw in "\\PC{0,20}", n in 0u32..=MAX_CAP) {
            match parse_per_hour(&raw) {
                Ok(cap) => prop_assert!(cap <= MAX_CAP),
                Err(e) => prop_assert_eq!(e.field, "per_hour"),
            }
            prop_assert_eq!(parse_per_hour(&n.to_string()), Ok(n));
            prop_assert_eq!(parse_per_hour(&crate::stats::thousands(i64::from(n))), Ok(n));
        }

        #[test]
        fn any_typed_office_is_an_id_without_spaces_or_refused(raw in "\\PC{0,120}") {
            match parse_office(&raw) {
                Ok(Some(id)) => {
                    prop_assert!(!id.is_empty() && id.len() <= MAX_OFFICE_ID);
                    prop_assert!(id.bytes().all(|b| b.is_ascii_graphic()));
                }
                Ok(None) => prop_assert!(raw.trim().is_empty()),
                Err(e) => prop_assert_eq!(e.field, "office"),
            }
        }

        /// However the candidates come, a plan never releases more than an office's cap or the
        /// global rate, and every candidate is claimed or waits until after now.
        #[test]
        fn a_plan_keeps_every_cap(
            office_caps in proptest::collection::vec(0u32..6, 1..4),
            rate in 0u32..8,
            picks in proptest::collection::vec(0usize..4, 0..40),
        ) {
            let now = 7_000i64;
            let mut plan = Plan::new(now, Window::new(60, rate, now, Vec::new(), 0), 0);
            for (i, cap) in office_caps.iter().enumerate() {
                plan.add_office((1, i.to_string()), *cap, Vec::new(), 0);
            }
            let mut per_office = vec![0u32; office_caps.len()];
            let mut total = 0u32;
            for pick in picks {
                let (mail, office) = if pick >= office_caps.len() {
                    (Candidate { kind: MailKind::Confirmation, office: None, released_at: None }, None)
                } else {
                    (message(&pick.to_string()), Some(pick))
                };
                match plan.decide(&mail) {
                    Decision::Claim => {
                        total += 1;
                        if let Some(o) = office {
                            per_office[o] += 1;
                        }
                    }
                    Decision::Wait { until, .. } => prop_assert!(until > now),
                }
            }
            prop_assert!(rate == 0 || total <= rate);
            for (o, n) in per_office.iter().enumerate() {
                prop_assert!(office_caps[o] == 0 || *n <= office_caps[o]);
            }
        }
    }
}
