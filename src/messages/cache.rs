//! The current templates of each campaign, held in memory: composing reads them for every
//! message. Kept fresh across instances by [`crate::fresh`], like the campaigns.

use super::{templates, MessageError, Templates};
use crate::fresh::{Fresh, Versions};
use crate::store::Store;
use std::sync::Arc;

/// At most this many campaigns' templates are kept.
const MAX_ENTRIES: usize = 64;

pub struct TemplateCache {
    versions: Arc<Versions>,
    current: Fresh<Arc<Templates>>,
}

impl TemplateCache {
    /// A cache that trusts what `versions` says is current.
    pub fn new(versions: Arc<Versions>) -> TemplateCache {
        TemplateCache {
            versions,
            current: Fresh::new(MAX_ENTRIES),
        }
    }

    /// The current template of each audience for campaign `slug` (seeded the first time, see
    /// [`templates`]), from memory when nothing changed since it was read.
    pub async fn get(&self, store: &Store, slug: &str) -> Result<Arc<Templates>, MessageError> {
        self.current
            .get_or_load(&self.versions, slug, move || async move {
                Ok::<_, MessageError>(Some(Arc::new(templates(store, slug).await?)))
            })
            .await?
            .ok_or_else(|| MessageError::NoCampaign(slug.to_string()))
    }
}
