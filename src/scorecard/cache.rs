//! Campaigns held in memory: every page and lookup needs the whole campaign, and reading it
//! from the database each time dominated their cost (see BENCHMARKS in README). Kept fresh
//! across instances by [`crate::fresh`]: an entry is used only while no change to any campaign
//! has been seen since it was read.

use super::CampaignDoc;
use crate::domain::StateCode;
use crate::fresh::{Fresh, Versions};
use crate::store::{Store, StoreError};
use std::sync::Arc;

/// At most this many campaigns are kept (unknown slugs are not cached at all).
const MAX_ENTRIES: usize = 64;

/// The campaigns, and each state's latest scorecard revision (stored with every message).
pub struct CampaignCache {
    versions: Arc<Versions>,
    docs: Fresh<Arc<CampaignDoc>>,
    revisions: Fresh<Arc<Vec<(StateCode, i64)>>>,
}

impl CampaignCache {
    /// A cache that trusts what `versions` says is current.
    pub fn new(versions: Arc<Versions>) -> CampaignCache {
        CampaignCache {
            versions,
            docs: Fresh::new(MAX_ENTRIES),
            revisions: Fresh::new(MAX_ENTRIES),
        }
    }

    /// The campaign `slug`, from memory when nothing changed since it was read.
    pub async fn get(
        &self,
        store: &Store,
        slug: &str,
    ) -> Result<Option<Arc<CampaignDoc>>, StoreError> {
        self.docs
            .get_or_load(&self.versions, slug, move || async move {
                Ok::<_, StoreError>(store.campaign_doc(slug).await?.map(Arc::new))
            })
            .await
    }

    /// The latest scorecard revision of `state` in campaign `slug`, if it has one.
    pub async fn latest_revision(
        &self,
        store: &Store,
        slug: &str,
        state: StateCode,
    ) -> Result<Option<i64>, StoreError> {
        let all = self
            .revisions
            .get_or_load(&self.versions, slug, move || async move {
                Ok::<_, StoreError>(Some(Arc::new(
                    store.scorecard_latest_revisions(slug).await?,
                )))
            })
            .await?
            .unwrap_or_default();
        Ok(all.iter().find(|(code, _)| *code == state).map(|(_, n)| *n))
    }

    /// Campaign `slug` was just changed in this instance: nothing kept from before is used
    /// again here (other instances see the change at their next poll of the revisions).
    pub fn forget(&self, _slug: &str) {
        self.versions.changed();
    }
}
