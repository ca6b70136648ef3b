//! What the lookup needs from the legislator directory, as a trait, and its implementation over
//! the database. The division map (GEOID -> OCD id) is read once and reused for a few minutes:
//! every Census lookup needs it, and it changes only when the directory is synced.

use crate::directory::{Chamber, DivisionMap, Layer, Legislator};
use crate::domain::{StateCode, Zip};
use crate::store::{Store, StoreError};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The legislator directory, seen from the lookup.
#[async_trait::async_trait]
pub trait DirectorySource: Send + Sync {
    /// Every legislator whose seat is one of `divisions` (all members of multi-member districts).
    async fn legislators_in_divisions(
        &self,
        divisions: &[String],
    ) -> Result<Vec<Legislator>, StoreError>;

    /// A state's legislators, optionally of one chamber.
    async fn legislators_of_state(
        &self,
        state: StateCode,
        chamber: Option<Chamber>,
    ) -> Result<Vec<Legislator>, StoreError>;

    /// Congressional districts a ZIP code (ZCTA) overlaps: `(state, district)`, 0 = at-large.
    async fn zip_districts(&self, zip: &Zip) -> Result<Vec<(StateCode, u32)>, StoreError>;

    /// The OCD division ids of each Census district, in order: usually one, two for a split
    /// district (Idaho's House), none for a GEOID the directory cannot map.
    async fn division_ids(
        &self,
        districts: &[(Layer, String)],
    ) -> Result<Vec<Vec<String>>, StoreError>;
}

/// How long a loaded division map is reused before it is read again.
const MAP_TTL: Duration = Duration::from_secs(60);

/// The directory in the database.
pub struct StoreDirectory {
    store: Store,
    map: RwLock<Option<(Instant, Arc<DivisionMap>)>>,
    /// The people of recently asked division sets (sorted), for warm lookups.
    people: super::memo::Memo<Vec<String>, Vec<Legislator>>,
}

impl StoreDirectory {
    pub fn new(store: Store) -> StoreDirectory {
        StoreDirectory {
            store,
            map: RwLock::new(None),
            people: super::memo::Memo::new(10_000, super::memo::MEMO_TTL),
        }
    }

    async fn division_map(&self) -> Result<Arc<DivisionMap>, StoreError> {
        if let Some((loaded, map)) = self.map.read().await.as_ref() {
            if loaded.elapsed() < MAP_TTL {
                return Ok(map.clone());
            }
        }
        let mut slot = self.map.write().await;
        if let Some((loaded, map)) = slot.as_ref() {
            if loaded.elapsed() < MAP_TTL {
                return Ok(map.clone());
            }
        }
        let map = Arc::new(self.store.division_map().await?);
        // Before the first sync the map is empty; read it again next time rather than wait.
        if !map.is_empty() {
            *slot = Some((Instant::now(), map.clone()));
        }
        Ok(map)
    }
}

#[async_trait::async_trait]
impl DirectorySource for StoreDirectory {
    async fn legislators_in_divisions(
        &self,
        divisions: &[String],
    ) -> Result<Vec<Legislator>, StoreError> {
        let mut key = divisions.to_vec();
        key.sort();
        key.dedup();
        if let Some(people) = self.people.get(&key) {
            return Ok(people);
        }
        let people = self.store.legislators_in_divisions(divisions).await?;
        // An empty answer may mean "not synced yet": ask again next time.
        if !people.is_empty() {
            self.people.put(key, people.clone());
        }
        Ok(people)
    }

    async fn legislators_of_state(
        &self,
        state: StateCode,
        chamber: Option<Chamber>,
    ) -> Result<Vec<Legislator>, StoreError> {
        self.store.legislators_of_state(state, chamber).await
    }

    async fn zip_districts(&self, zip: &Zip) -> Result<Vec<(StateCode, u32)>, StoreError> {
        self.store.zip_districts(zip).await
    }

    async fn division_ids(
        &self,
        districts: &[(Layer, String)],
    ) -> Result<Vec<Vec<String>>, StoreError> {
        let map = self.division_map().await?;
        Ok(districts
            .iter()
            .map(|(layer, geoid)| map.ocd_ids(*layer, geoid))
            .collect())
    }
}
