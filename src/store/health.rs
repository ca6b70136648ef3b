//! Delivery health: a campaign's outbox (its mails belong to it through
//! `submissions.campaign_id`) by status, the oldest due mail, failures by cause and recipient
//! domain, and the latest replies. Never a message's text or a supporter's name or address:
//! only statuses, times, `last_error` (redacted) and the recipient's domain of messages; and
//! the mails waiting on a delivery cap.

use super::{campaign_id, on_pool, Store, StoreError};
use crate::outbox::health::{
    cause, domain, redact, reply_code, tally, DeliveryHealth, Reply, StatusCounts, LAST_REPLIES,
    SUPPORTER_DOMAIN,
};
use crate::outbox::WaitReason;
use crate::stats::reach::ReachFilter;
use chrono::{Duration, NaiveDate};

#[derive(sqlx::FromRow)]
struct StatusRow {
    status: String,
    retried: i64,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct FailureRow {
    kind: String,
    to_address: Option<String>,
    last_error: Option<String>,
    n: i64,
}

#[derive(sqlx::FromRow)]
struct ReplyRow {
    status: String,
    last_error: String,
    at: Option<i64>,
}

const OF_CAMPAIGN: &str = "FROM outbox o JOIN submissions s ON s.id = o.submission_id \
     WHERE s.campaign_id = $1";

/// Unix seconds of the start of `d` (UTC).
fn start_of(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp())
}

impl Store {
    /// Campaign `slug`'s delivery health as the reach dashboard shows it for `filter` at `now`:
    /// failures that finished in its days (UTC; from the start without `from`), the latest
    /// [`LAST_REPLIES`] replies. The page and its CSV downloads both read it here.
    pub async fn delivery_health_for(
        &self,
        slug: &str,
        filter: &ReachFilter,
        now: i64,
    ) -> Result<Option<DeliveryHealth>, StoreError> {
        self.delivery_health(
            slug,
            filter.from.map(start_of),
            start_of(filter.to + Duration::days(1)),
            now,
            LAST_REPLIES,
        )
        .await
    }

    /// Campaign `slug`'s delivery health at `now` (Unix seconds), failures counted when they
    /// finished in `[since, until)` (`since` `None`: from the start); the latest `replies`
    /// replies. `None` for an unknown campaign.
    pub async fn delivery_health(
        &self,
        slug: &str,
        since: Option<i64>,
        until: i64,
        now: i64,
        replies: i64,
    ) -> Result<Option<DeliveryHealth>, StoreError> {
        let since = since.unwrap_or(i64::MIN);
        let (statuses, oldest, failures, latest, waiting) = on_pool!(self, pool => {
            let Some(id) = campaign_id(pool, slug).await? else { return Ok(None) };
            let statuses: Vec<StatusRow> = sqlx::query_as(&format!(
                "SELECT o.status AS status, \
                 CAST(SUM(CASE WHEN o.attempts > 0 THEN 1 ELSE 0 END) AS BIGINT) AS retried, \
                 CAST(COUNT(*) AS BIGINT) AS n {OF_CAMPAIGN} GROUP BY o.status"
            ))
            .bind(id)
            .fetch_all(pool)
            .await?;
            let oldest: Option<i64> = sqlx::query_scalar(&format!(
                "SELECT MIN(o.next_attempt_at) {OF_CAMPAIGN} \
                 AND o.status = 'queued' AND o.next_attempt_at <= $2"
            ))
            .bind(id)
            .bind(now)
            .fetch_one(pool)
            .await?;
            let failures: Vec<FailureRow> = sqlx::query_as(&format!(
                "SELECT o.kind AS kind, o.to_address AS to_address, o.last_error AS last_error, \
                 CAST(COUNT(*) AS BIGINT) AS n {OF_CAMPAIGN} AND o.status = 'failed' \
                 AND o.finished_at >= $2 AND o.finished_at < $3 \
                 GROUP BY o.kind, o.to_address, o.last_error"
            ))
            .bind(id)
            .bind(since)
            .bind(until)
            .fetch_all(pool)
            .await?;
            let latest: Vec<ReplyRow> = sqlx::query_as(&format!(
                "SELECT o.status AS status, o.last_error AS last_error, \
                 COALESCE(o.finished_at, o.next_attempt_at) AS at {OF_CAMPAIGN} \
                 AND o.last_error IS NOT NULL AND o.status IN ('failed', 'queued') \
                 ORDER BY COALESCE(o.finished_at, o.next_attempt_at) DESC, o.id LIMIT $2"
            ))
            .bind(id)
            .bind(replies)
            .fetch_all(pool)
            .await?;
            let waiting: Vec<(WaitReason, i64)> = sqlx::query_as(&format!(
                "SELECT o.waiting_on, CAST(COUNT(*) AS BIGINT) {OF_CAMPAIGN} \
                 AND o.waiting_on IS NOT NULL AND o.status = 'queued' GROUP BY o.waiting_on"
            ))
            .bind(id)
            .fetch_all(pool)
            .await?;
            (statuses, oldest, failures, latest, waiting)
        });
        let mut health = DeliveryHealth::default();
        for row in statuses {
            let s: &mut StatusCounts = &mut health.status;
            match row.status.as_str() {
                "held" => s.held += row.n,
                "queued" => {
                    s.retrying += row.retried;
                    s.queued += row.n - row.retried;
                }
                "sending" => s.sending += row.n,
                "sent" => s.sent += row.n,
                "failed" => s.failed += row.n,
                other => {
                    return Err(StoreError::corrupt(
                        "outbox.status",
                        format!("unknown status {other:?}"),
                    ))
                }
            }
        }
        health.oldest_due_secs = oldest.map(|at| (now - at).max(0));
        for (reason, n) in waiting {
            match reason {
                WaitReason::OfficeCap => health.waiting_office_cap += n,
                WaitReason::GlobalRate => health.waiting_global_rate += n,
            }
        }
        for row in failures {
            let error = row.last_error.unwrap_or_default();
            tally(&mut health.by_cause, cause(&error), row.n);
            let domain = if row.kind == "message" {
                row.to_address
                    .as_deref()
                    .and_then(domain)
                    .unwrap_or_else(|| "(address removed)".to_string())
            } else {
                SUPPORTER_DOMAIN.to_string()
            };
            tally(&mut health.by_domain, domain, row.n);
        }
        health.replies = latest
            .into_iter()
            .map(|r| Reply {
                at: r.at.unwrap_or(0),
                failed: r.status == "failed",
                code: reply_code(&r.last_error),
                text: redact(&r.last_error),
            })
            .collect();
        Ok(Some(health))
    }
}
