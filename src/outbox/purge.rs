//! The retention purge, a singleton job (see [`crate::jobs`]: in `serve` and in `advocate
//! worker`, run by one instance at a time): every `outbox.purge_interval_secs` it deletes
//! unconfirmed submissions past their link's expiry and expired draft links (with the message
//! text they hold), and, after `outbox.retention_days`, removes delivered messages' text and the
//! supporter's name and email. Counts and receipts' states stay. Each step is idempotent, so a
//! run cut short is simply run again.

use crate::config::OutboxSettings;
use crate::store::{Purged, Store, StoreError};
use std::time::Duration;

/// What one purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub submissions: Purged,
    /// Draft links past their expiry.
    pub draft_links: u64,
}

/// Runs the purge on a schedule.
pub struct Purger {
    store: Store,
    retention_days: u32,
    every: Duration,
}

impl Purger {
    pub fn new(store: Store, settings: &OutboxSettings) -> Purger {
        Purger {
            store,
            retention_days: settings.retention_days,
            every: Duration::from_secs(settings.purge_interval_secs),
        }
    }

    /// Purges once, as of now.
    pub async fn purge(&self) -> Result<PurgeReport, StoreError> {
        let now = chrono::Utc::now();
        let cutoff = now - chrono::Duration::days(i64::from(self.retention_days));
        let submissions = self
            .store
            .purge_submissions(now.timestamp(), cutoff.timestamp())
            .await?;
        let draft_links = self.store.purge_expired_draft_links(now).await?;
        self.store.purge_rate_limits().await?;
        let report = PurgeReport {
            submissions,
            draft_links,
        };
        if report != PurgeReport::default() {
            tracing::info!(
                expired_submissions = report.submissions.expired_submissions,
                mail_texts = report.submissions.mail_texts,
                supporters = report.submissions.supporters,
                draft_links = report.draft_links,
                "purged expired and old personal data"
            );
        }
        Ok(report)
    }

    /// How often it runs (`outbox.purge_interval_secs`).
    pub fn interval(&self) -> Duration {
        self.every
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::StateCode;
    use crate::stats::Channel;
    use crate::store::tests::memory_store;
    use crate::store::NewDraftLink;

    #[tokio::test]
    async fn the_purge_deletes_expired_draft_links_and_keeps_live_ones() {
        let store = memory_store().await;
        let doc = crate::scorecard::seed("").expect("seed");
        store.import_campaign(&doc).await.expect("import");
        let now = chrono::Utc::now();
        let link = |token: &str| NewDraftLink {
            token_hash: token.into(),
            draft_id: token.into(),
            state: StateCode::parse("MA").expect("state"),
            legislator_id: "x".into(),
            chamber: crate::directory::Chamber::StateUpper,
            channel: Channel::DraftEmail,
            template_version: 1,
            target_url: "mailto:office@example.org?body=text".into(),
        };
        let slug = &doc.campaign.slug;
        let day = chrono::Duration::days(1);
        assert!(store
            .insert_draft_links(slug, &[link("old")], &[], now - day * 2, now - day)
            .await
            .expect("store"));
        assert!(store
            .insert_draft_links(slug, &[link("new")], &[], now, now + day)
            .await
            .expect("store"));
        let settings = Settings::load_with_env(None, Vec::new()).expect("defaults");
        let report = Purger::new(store.clone(), &settings.outbox)
            .purge()
            .await
            .expect("purge");
        assert_eq!(report.draft_links, 1, "{report:?}");
        assert!(store
            .follow_draft_link("new", now)
            .await
            .expect("read")
            .is_some());
    }
}
