//! Campaigns held in memory for a few seconds: every page and lookup needs the whole campaign,
//! and reading it from the database each time dominated their cost (see BENCHMARKS in README).

use super::CampaignDoc;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a campaign read from the database is reused. Imports (today only through the CLI,
/// another process) show up within this time.
pub const CAMPAIGN_TTL: Duration = Duration::from_secs(5);

/// At most this many campaigns are kept (unknown slugs are not cached at all).
const MAX_ENTRIES: usize = 64;

#[derive(Default)]
pub struct CampaignCache {
    entries: Mutex<HashMap<String, (Instant, Arc<CampaignDoc>)>>,
}

impl CampaignCache {
    /// The campaign `slug`, from memory when read less than [`CAMPAIGN_TTL`] ago.
    pub async fn get(
        &self,
        store: &Store,
        slug: &str,
    ) -> Result<Option<Arc<CampaignDoc>>, StoreError> {
        if let Some(doc) = self.fresh(slug) {
            return Ok(Some(doc));
        }
        let Some(doc) = store.campaign_doc(slug).await? else {
            return Ok(None);
        };
        let doc = Arc::new(doc);
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(slug.to_string(), (Instant::now(), doc.clone()));
        }
        Ok(Some(doc))
    }

    /// Drops campaign `slug` from memory, so that the next read (in this instance) sees a
    /// change just saved. Other instances see it within [`CAMPAIGN_TTL`].
    pub fn forget(&self, slug: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(slug);
        }
    }

    fn fresh(&self, slug: &str) -> Option<Arc<CampaignDoc>> {
        let entries = self.entries.lock().ok()?;
        let (at, doc) = entries.get(slug)?;
        (at.elapsed() < CAMPAIGN_TTL).then(|| doc.clone())
    }
}
