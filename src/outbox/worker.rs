//! The delivery worker: claims due mails with a lease, sends them through the relay a few at a
//! time, and records each outcome. Runs inside `serve` and alone as `advocate worker`; several
//! may run against one database (PostgreSQL claims with SKIP LOCKED; SQLite claims one writer
//! at a time).
//!
//! A worker that dies mid-send leaves its claimed mails `sending`; when their lease runs out
//! they are due again, so a confirmed message is never lost (it may, rarely, be sent twice; it
//! carries the same Message-ID both times). On shutdown the worker finishes the sends in hand
//! and gives back the mails it claimed but had not started.
//!
//! Claims keep the delivery caps (`outbox::caps`): what is over an office's hourly cap or the
//! global rate stays queued and is claimed when the window allows. The worker reads the time
//! from its [`Clock`], which tests move.

use super::mail;
use super::smtp::{Delivery, Mailer};
use super::{Clock, DeliveryCaps, Outcome};
use crate::config::OutboxSettings;
use crate::store::{ClaimedMail, Store, StoreError};
use futures_util::stream::{self, StreamExt};
use lettre::Address;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

/// Delay before attempt `n + 1` after `n` failed attempts: base * 2^(n-1), at most `max`.
pub fn backoff(settings: &OutboxSettings, failed_attempts: i64) -> Duration {
    let exponent = failed_attempts.clamp(1, 31) as u32 - 1;
    let secs = settings
        .retry_base_secs
        .saturating_mul(1u64 << exponent)
        .min(settings.retry_max_secs);
    Duration::from_secs(secs)
}

/// A server's reply fit for the logs: servers often quote the recipient (the supporter, for a
/// confirmation), and logs never hold email addresses.
pub fn without_addresses(reply: &str) -> String {
    reply
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                "<address>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How one attempt ended: the mail, its outcome and how long it took in milliseconds; `None`
/// when it was given back untried; `Err` when giving it back failed.
type Attempted = Result<Option<(ClaimedMail, Outcome, u64)>, StoreError>;

/// Finished attempts of one lease (one claimed batch), recorded together.
struct LeaseGroup {
    lease_id: String,
    /// The mails and how long each took (ms).
    done: Vec<(ClaimedMail, u64)>,
    outcomes: Vec<(String, Outcome)>,
}

/// What one pass over the due mails did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    /// Claimed but given back on shutdown.
    pub released: usize,
}

pub struct Worker {
    store: Store,
    mailer: Mailer,
    from: Address,
    settings: OutboxSettings,
    /// The caps from the settings (the campaigns' overrides are read at each claim).
    caps: DeliveryCaps,
    wake: Arc<Notify>,
    clock: Clock,
    /// Identifies this worker's claims in the logs.
    name: String,
}

impl Worker {
    pub fn new(
        store: Store,
        mailer: Mailer,
        from: Address,
        settings: OutboxSettings,
        caps: DeliveryCaps,
        wake: Arc<Notify>,
    ) -> Worker {
        Worker {
            store,
            mailer,
            from,
            settings,
            caps,
            wake,
            clock: Clock::system(),
            name: uuid::Uuid::new_v4().simple().to_string()[..8].to_string(),
        }
    }

    /// The same worker reading the time from `clock`.
    pub fn with_clock(self, clock: Clock) -> Worker {
        Worker { clock, ..self }
    }

    fn now_secs(&self) -> i64 {
        self.clock.now()
    }

    /// Claims due mails, a batch at a time, and sends them until a claim finds nothing due.
    /// Mails not yet started when `stop` turns true are given back.
    pub async fn pass(&self, stop: &watch::Receiver<bool>) -> Result<Pass, StoreError> {
        let first = self.claim().await?;
        if first.is_empty() {
            return Ok(Pass::default());
        }
        let claimed = AtomicUsize::new(first.len());
        let concurrency = self.settings.concurrency as usize;
        // Mails flow from claims to sends to records without stopping at batch boundaries: the
        // next batch is claimed once the current one is handed to the senders (at most one batch
        // waits, claimed, while the current one sends), until a claim finds nothing due or the
        // worker is stopping.
        let batch_size = self.settings.batch_size as usize;
        let (mail_tx, mail_rx) = tokio::sync::mpsc::channel::<ClaimedMail>(batch_size);
        let claiming = async {
            let mail_tx = mail_tx;
            let mut batch = first;
            loop {
                for mail in batch {
                    if mail_tx.send(mail).await.is_err() {
                        return;
                    }
                }
                if *stop.borrow() {
                    return;
                }
                batch = match self.claim().await {
                    Ok(next) if !next.is_empty() => {
                        claimed.fetch_add(next.len(), Ordering::Relaxed);
                        next
                    }
                    Ok(_) => return,
                    Err(err) => {
                        tracing::error!(worker = %self.name, error = %err, "could not claim mails");
                        return;
                    }
                };
            }
        };
        let feed = stream::unfold(mail_rx, |mut rx| async move {
            rx.recv().await.map(|mail| (mail, rx))
        });
        // Sending and recording run side by side: outcomes are recorded as they come, one
        // transaction for whatever has arrived meanwhile (one commit per handful of sends, not
        // per send), while the next sends go on.
        let (outcome_tx, mut outcome_rx) = tokio::sync::mpsc::channel(batch_size * 2);
        let sending = async move {
            let outcome_tx = outcome_tx;
            feed.map(|mail| self.attempt(mail, stop))
                .buffer_unordered(concurrency)
                .for_each(|attempt| {
                    let outcome_tx = &outcome_tx;
                    async move {
                        // The receiver lives until this sender is dropped.
                        let _ = outcome_tx.send(attempt).await;
                    }
                })
                .await;
        };
        let mut pass = Pass::default();
        let recording = async {
            let mut ready = Vec::new();
            while outcome_rx
                .recv_many(&mut ready, self.settings.batch_size as usize)
                .await
                > 0
            {
                self.record(std::mem::take(&mut ready), &mut pass).await;
            }
        };
        tokio::join!(claiming, sending, recording);
        pass.claimed = claimed.load(Ordering::Relaxed);
        Ok(pass)
    }

    /// Claims up to `batch_size` due mails under a new lease, within the delivery caps.
    async fn claim(&self) -> Result<Vec<ClaimedMail>, StoreError> {
        let now = self.now_secs();
        let lease_id = uuid::Uuid::new_v4().to_string();
        let lease_until = now + i64::try_from(self.settings.lease_secs).unwrap_or(i64::MAX / 2);
        let claimed = self
            .store
            .claim_mails(
                now,
                &lease_id,
                lease_until,
                self.settings.batch_size,
                &self.caps,
            )
            .await?;
        if !claimed.mails.is_empty() {
            tracing::debug!(worker = %self.name, claimed = claimed.mails.len(), "claimed mails");
        }
        if claimed.office_cap > 0 || claimed.global_rate > 0 {
            tracing::info!(
                worker = %self.name,
                office_cap = claimed.office_cap,
                global_rate = claimed.global_rate,
                "mails over a delivery cap wait for a slot"
            );
        }
        Ok(claimed.mails)
    }

    /// Records the outcomes of finished attempts in one transaction, and logs them.
    async fn record(&self, attempts: Vec<Attempted>, pass: &mut Pass) {
        // Outcomes of one lease (one claimed batch) are recorded together.
        let mut by_lease: Vec<LeaseGroup> = Vec::new();
        for attempt in attempts {
            match attempt {
                Ok(Some((mail, outcome, ms))) => {
                    let lease = mail.lease_id.clone().unwrap_or_default();
                    let at = match by_lease.iter().position(|g| g.lease_id == lease) {
                        Some(at) => at,
                        None => {
                            by_lease.push(LeaseGroup {
                                lease_id: lease,
                                done: Vec::new(),
                                outcomes: Vec::new(),
                            });
                            by_lease.len() - 1
                        }
                    };
                    by_lease[at].outcomes.push((mail.id.clone(), outcome));
                    by_lease[at].done.push((mail, ms));
                }
                Ok(None) => pass.released += 1,
                Err(err) => tracing::error!(
                    worker = %self.name, error = %err, "could not give back a mail"
                ),
            }
        }
        for LeaseGroup {
            lease_id,
            done,
            outcomes,
        } in by_lease
        {
            match self
                .store
                .finish_mails(&lease_id, &outcomes, self.now_secs())
                .await
            {
                Ok(recorded) => {
                    for (((mail, ms), (_, outcome)), recorded) in
                        done.iter().zip(&outcomes).zip(recorded)
                    {
                        self.log(mail, outcome, recorded, *ms);
                        if !recorded {
                            continue;
                        }
                        match outcome {
                            Outcome::Sent => pass.sent += 1,
                            Outcome::Retry { .. } => pass.retrying += 1,
                            Outcome::Failed { .. } => pass.failed += 1,
                        }
                        crate::meters::send(match outcome {
                            Outcome::Sent => "sent",
                            Outcome::Retry { .. } => "retry",
                            Outcome::Failed { .. } => "failed",
                        });
                    }
                }
                // The leases run out and the mails are tried again.
                Err(err) => tracing::error!(
                    worker = %self.name, error = %err, mails = outcomes.len(),
                    "could not record deliveries"
                ),
            }
        }
    }

    /// Sends one claimed mail: the outcome and how long it took, or `None` when given back
    /// unsent because the worker is stopping.
    async fn attempt(&self, mail: ClaimedMail, stop: &watch::Receiver<bool>) -> Attempted {
        if *stop.borrow() {
            let lease_id = mail.lease_id.as_deref().unwrap_or_default();
            self.store.release_mail(&mail.id, lease_id).await?;
            return Ok(None);
        }
        let started = Instant::now();
        let delivery = match mail::build(&mail, &self.from) {
            Ok(message) => self.mailer.send(message).await,
            Err(err) => Delivery::Permanent(err.to_string()),
        };
        let outcome = match delivery {
            Delivery::Accepted => Outcome::Sent,
            Delivery::Permanent(error) => Outcome::Failed { error },
            Delivery::Temporary(error)
                if mail.attempts >= i64::from(self.settings.max_attempts) =>
            {
                Outcome::Failed {
                    error: format!("gave up after {} attempts: {error}", mail.attempts),
                }
            }
            Delivery::Temporary(error) => {
                let wait = backoff(&self.settings, mail.attempts);
                Outcome::Retry {
                    at: self.now_secs() + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX / 2),
                    error,
                }
            }
        };
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        Ok(Some((mail, outcome, ms)))
    }

    fn log(&self, mail: &ClaimedMail, outcome: &Outcome, recorded: bool, ms: u64) {
        match (outcome, recorded) {
            (_, false) => tracing::warn!(
                worker = %self.name, mail = %mail.id,
                "lease lost before the outcome was recorded; another worker has the mail"
            ),
            (Outcome::Sent, true) => tracing::info!(
                worker = %self.name, mail = %mail.id, kind = %mail.kind, attempt = mail.attempts, ms,
                "mail sent"
            ),
            (Outcome::Retry { at, error }, true) => tracing::warn!(
                worker = %self.name, mail = %mail.id, kind = %mail.kind, attempt = mail.attempts,
                retry_in_secs = at - self.now_secs(), reason = %without_addresses(error),
                "mail will be retried"
            ),
            (Outcome::Failed { error }, true) => tracing::warn!(
                worker = %self.name, mail = %mail.id, kind = %mail.kind, attempt = mail.attempts,
                reason = %without_addresses(error), "mail failed"
            ),
        }
    }

    /// Works until `stop` turns true: passes while mails are due, otherwise waits for the poll
    /// interval or a wake-up. (The retention purge is a task of its own: `outbox::purge`.)
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        tracing::info!(worker = %self.name, "delivery worker started");
        while !*stop.borrow() {
            let busy = match self.pass(&stop).await {
                Ok(pass) => pass.claimed > 0,
                Err(err) => {
                    tracing::error!(worker = %self.name, error = %err, "could not claim mails");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = self.wake.notified() => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        tracing::info!(worker = %self.name, "delivery worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(base: u64, max: u64) -> OutboxSettings {
        OutboxSettings {
            worker: true,
            batch_size: 8,
            concurrency: 2,
            lease_secs: 120,
            poll_interval_ms: 1000,
            max_attempts: 5,
            retry_base_secs: base,
            retry_max_secs: max,
            retention_days: 30,
            purge_interval_secs: 600,
        }
    }

    #[test]
    fn logged_replies_hold_no_address() {
        assert_eq!(
            without_addresses("550 5.1.1 <jane@example.org>: Recipient address rejected"),
            "550 5.1.1 <address> Recipient address rejected"
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let s = settings(60, 3600);
        let waits: Vec<u64> = (1..=8).map(|n| backoff(&s, n).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(backoff(&s, 0).as_secs(), 60);
        assert_eq!(backoff(&s, i64::MAX).as_secs(), 3600);
        assert_eq!(backoff(&settings(0, 0), 5).as_secs(), 0);
    }
}
