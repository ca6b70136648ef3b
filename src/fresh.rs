//! Keeping each instance's in-memory copies of what staff edit (campaigns with their rubric and
//! scorecards, the latest scorecard revisions, message templates) fresh across every instance
//! that shares the database.
//!
//! Every change to a campaign gives it a new `revision` in the change's own transaction
//! (`store::touch_campaign!`, or the `UPDATE campaigns` of an import or a goal). Each instance
//! reads every campaign's revision every [`POLL_EVERY`] (one small query, the same on SQLite and
//! PostgreSQL) and, when any moved, starts a new *generation*. A cached entry remembers the
//! generation current before it was read from the database and is used only while that is
//! still the current one. A save in this instance starts a new generation at once
//! ([`Versions::changed`]), so its own next request already reads the change.
//!
//! The hot path (lookups, compose) pays two atomic loads and a clock read, no query. When polls
//! fail or stall (the database is down or slow, the task is starved), entries are not trusted
//! beyond [`TRUST_FOR`] after the start of the last successful poll: reads go to the database
//! until polls succeed again. So a change committed at time T is used by every instance from
//! T + [`TRUST_FOR`] on at the latest (about T + [`POLL_EVERY`] normally).
//!
//! Why polling rather than PostgreSQL's `LISTEN/NOTIFY`: it works on both databases (SQLite
//! is changed by other processes too: `advocate scorecard import`, `template save`), needs no
//! connection held apart, and a missed notification cannot leave an instance stale forever.

use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How often every instance reads the campaigns' revisions.
pub const POLL_EVERY: Duration = Duration::from_millis(500);

/// How long after the start of the last successful poll cached entries are trusted. Above
/// [`POLL_EVERY`] (plus a slow query) so that a healthy instance always serves from memory;
/// the bound on how late an edit can show anywhere.
pub const TRUST_FOR: Duration = Duration::from_millis(1500);

/// Bound on one poll's query.
const POLL_TIMEOUT: Duration = Duration::from_secs(1);

/// The generation of this instance's cached copies, moved on by every change seen.
pub struct Versions {
    base: Instant,
    trust_for: Duration,
    generation: AtomicU64,
    /// Milliseconds since `base` at which the last successful poll started, plus one; zero
    /// before the first.
    polled: AtomicU64,
    /// The revisions the last successful poll read (campaign id, revision), by id.
    seen: Mutex<Option<Vec<(i64, i64)>>>,
}

impl Default for Versions {
    fn default() -> Versions {
        Versions::new(TRUST_FOR)
    }
}

impl Versions {
    /// Entries are trusted for `trust_for` after a successful poll (tests shorten it).
    pub fn new(trust_for: Duration) -> Versions {
        Versions {
            base: Instant::now(),
            trust_for,
            generation: AtomicU64::new(0),
            polled: AtomicU64::new(0),
            seen: Mutex::new(None),
        }
    }

    /// The current generation, or `None` when no poll succeeded within the trust bound (then
    /// nothing cached may be used, and nothing read now should be kept).
    pub fn generation(&self) -> Option<u64> {
        // `polled` first: a poll that saw a change moves the generation before it stores its
        // time, so whoever sees that time sees the new generation too.
        let polled = self.polled.load(Ordering::SeqCst);
        let started = polled.checked_sub(1)?;
        let now = self.millis();
        let trust = u64::try_from(self.trust_for.as_millis()).unwrap_or(u64::MAX);
        if now.saturating_sub(started) >= trust {
            return None;
        }
        Some(self.generation.load(Ordering::SeqCst))
    }

    /// Something changed (a save in this instance): every entry cached so far is out of date.
    pub fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Reads every campaign's revision once; starts a new generation when any differs from the
    /// last read (or on the first read: what was cached before it cannot be vouched for).
    /// Returns whether it did.
    pub async fn poll(&self, store: &Store) -> Result<bool, StoreError> {
        let started = self.millis();
        let revisions = match tokio::time::timeout(POLL_TIMEOUT, store.campaign_revisions()).await {
            Ok(read) => read?,
            Err(_) => {
                return Err(StoreError::Invalid(format!(
                    "reading the campaigns' revisions took over {} ms",
                    POLL_TIMEOUT.as_millis()
                )))
            }
        };
        let moved = {
            let mut seen = self
                .seen
                .lock()
                .map_err(|_| StoreError::Invalid("the revisions' lock is poisoned".into()))?;
            let moved = seen.as_ref() != Some(&revisions);
            *seen = Some(revisions);
            moved
        };
        if moved {
            self.changed();
        }
        self.polled.fetch_max(started + 1, Ordering::SeqCst);
        Ok(moved)
    }

    /// Polls every [`POLL_EVERY`] until `stop` turns true. A failed poll is logged once per
    /// run of failures; entries stop being trusted meanwhile (see [`TRUST_FOR`]).
    pub async fn watch(&self, store: Store, mut stop: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(POLL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
            match self.poll(&store).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("reading the campaigns' revisions works again");
                }
                Ok(_) => {}
                Err(err) if !failing => {
                    failing = true;
                    tracing::warn!(error = %err, "cannot read the campaigns' revisions: in-memory copies of campaigns and templates are not used until it works again");
                }
                Err(_) => {}
            }
        }
    }

    fn millis(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_millis()).unwrap_or(u64::MAX)
    }
}

/// Values read from the database, by key, each kept with the generation it was read in.
pub struct Fresh<V> {
    entries: Mutex<HashMap<String, (u64, V)>>,
    capacity: usize,
}

impl<V: Clone> Fresh<V> {
    /// At most `capacity` entries are kept (all are dropped when it is reached: keys are
    /// campaign slugs, a handful).
    pub fn new(capacity: usize) -> Fresh<V> {
        Fresh {
            entries: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The value of `key`: from memory when read in the current generation, otherwise from
    /// `load` (kept when the generation is trusted). `Ok(None)` from `load` is not kept.
    pub async fn get_or_load<E, Fut>(
        &self,
        versions: &Versions,
        key: &str,
        load: impl FnOnce() -> Fut,
    ) -> Result<Option<V>, E>
    where
        Fut: std::future::Future<Output = Result<Option<V>, E>>,
    {
        // Taken before reading: a change committed after this moment moves the generation
        // later (locally at once, elsewhere at the next poll), so the entry is not used then.
        let generation = versions.generation();
        if let Some(value) = generation.and_then(|g| self.current(key, g)) {
            return Ok(Some(value));
        }
        let Some(value) = load().await? else {
            return Ok(None);
        };
        if let Some(generation) = generation {
            if let Ok(mut entries) = self.entries.lock() {
                if entries.len() >= self.capacity && !entries.contains_key(key) {
                    entries.clear();
                }
                entries.insert(key.to_string(), (generation, value.clone()));
            }
        }
        Ok(Some(value))
    }

    fn current(&self, key: &str, generation: u64) -> Option<V> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(key)?;
        (*at == generation).then(|| value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::memory_store;
    use std::sync::atomic::AtomicUsize;

    async fn seeded() -> Store {
        let store = memory_store().await;
        let doc = crate::scorecard::seed("").expect("seed campaign");
        store.import_campaign(&doc).await.expect("import");
        store
    }

    #[tokio::test]
    async fn nothing_is_trusted_before_the_first_poll_and_a_poll_with_no_change_keeps_the_generation(
    ) {
        let store = seeded().await;
        let versions = Versions::default();
        assert_eq!(versions.generation(), None);
        assert!(versions.poll(&store).await.expect("poll"), "the first read");
        let first = versions.generation().expect("trusted after a poll");
        assert!(!versions.poll(&store).await.expect("poll"));
        assert_eq!(versions.generation(), Some(first));
    }

    #[tokio::test]
    async fn every_kind_of_change_moves_the_generation_at_the_next_poll() {
        let store = seeded().await;
        let slug = store.campaigns().await.expect("list")[0].slug.clone();
        let versions = Versions::default();
        versions.poll(&store).await.expect("poll");
        let mut last = versions.generation().expect("trusted");
        let mut expect_moved = |what: &str, moved: bool, versions: &Versions| {
            assert!(moved, "{what} is seen");
            let now = versions.generation().expect("trusted");
            assert_ne!(now, last, "{what}");
            last = now;
        };

        // A goal.
        store
            .set_campaign_goal(&slug, Some(500), |_| audit())
            .await
            .expect("goal");
        let moved = versions.poll(&store).await.expect("poll");
        expect_moved("a goal", moved, &versions);

        // A template version.
        let text =
            crate::messages::template::builtin(crate::messages::Audience::State).expect("builtin");
        let new = crate::store::NewTemplateVersion {
            text: &text,
            author: "cli",
            note: None,
            at: chrono::Utc::now(),
        };
        store
            .add_template_version(&slug, crate::messages::Audience::State, &new, &|_| audit())
            .await
            .expect("template");
        let moved = versions.poll(&store).await.expect("poll");
        expect_moved("a template", moved, &versions);

        // A state's scorecard.
        let doc = store.campaign_doc(&slug).await.expect("read").expect("doc");
        let state = doc.states[0].code;
        let mut bills = doc.states[0].bills.clone();
        bills[0].title.push_str(" (edited)");
        let revision = crate::store::NewRevision {
            state,
            bills: &bills,
            author: "cli",
            note: None,
            at: chrono::Utc::now(),
            base: None,
        };
        store
            .save_state_scorecard(&slug, &revision, |_, _| audit())
            .await
            .expect("scorecard");
        let moved = versions.poll(&store).await.expect("poll");
        expect_moved("a scorecard", moved, &versions);

        // An import that changes the campaign.
        let mut doc = store.campaign_doc(&slug).await.expect("read").expect("doc");
        doc.campaign.summary.push_str(" More.");
        store.import_campaign(&doc).await.expect("import");
        let moved = versions.poll(&store).await.expect("poll");
        expect_moved("an import", moved, &versions);

        // A save in this instance: at once, without a poll.
        versions.changed();
        assert_ne!(versions.generation(), Some(last));
    }

    #[tokio::test]
    async fn entries_are_not_trusted_once_polls_stop() {
        let store = seeded().await;
        let versions = Versions::new(Duration::from_millis(50));
        versions.poll(&store).await.expect("poll");
        assert!(versions.generation().is_some());
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(versions.generation(), None, "no poll within the bound");
        versions.poll(&store).await.expect("poll");
        assert!(versions.generation().is_some(), "trusted again");
    }

    #[tokio::test]
    async fn a_value_is_reused_within_its_generation_and_read_again_after() {
        let store = seeded().await;
        let versions = Versions::default();
        let fresh: Fresh<u32> = Fresh::new(8);
        let count = AtomicUsize::new(0);
        let loads = &count;
        let load = move || async move {
            Ok::<_, StoreError>(Some(
                u32::try_from(loads.fetch_add(1, Ordering::SeqCst)).expect("small"),
            ))
        };
        // Untrusted: read every time, never kept.
        assert_eq!(
            fresh.get_or_load(&versions, "a", load).await.expect("a"),
            Some(0)
        );
        assert_eq!(
            fresh.get_or_load(&versions, "a", load).await.expect("a"),
            Some(1)
        );
        versions.poll(&store).await.expect("poll");
        assert_eq!(
            fresh.get_or_load(&versions, "a", load).await.expect("a"),
            Some(2)
        );
        assert_eq!(
            fresh.get_or_load(&versions, "a", load).await.expect("a"),
            Some(2)
        );
        versions.changed();
        assert_eq!(
            fresh.get_or_load(&versions, "a", load).await.expect("a"),
            Some(3)
        );
        assert_eq!(
            fresh.get_or_load(&versions, "a", load).await.expect("a"),
            Some(3)
        );
        // None is not kept.
        let none = || async { Ok::<Option<u32>, StoreError>(None) };
        assert_eq!(
            fresh.get_or_load(&versions, "b", none).await.expect("b"),
            None
        );
        assert_eq!(
            fresh.get_or_load(&versions, "b", load).await.expect("b"),
            Some(4)
        );
    }

    #[tokio::test]
    async fn a_change_committed_while_a_value_is_read_is_not_kept_beyond_the_next_poll() {
        let store = seeded().await;
        let slug = store.campaigns().await.expect("list")[0].slug.clone();
        let versions = Versions::default();
        versions.poll(&store).await.expect("poll");
        let fresh: Fresh<Option<i64>> = Fresh::new(8);
        let (store, slug) = (&store, slug.as_str());
        // The read sees the goal before the change; the change commits before the read ends.
        let read = fresh
            .get_or_load(&versions, slug, move || async move {
                let goal = store.campaign_goal(slug).await?.flatten();
                store.set_campaign_goal(slug, Some(77), |_| audit()).await?;
                Ok::<_, StoreError>(Some(goal))
            })
            .await
            .expect("read");
        assert_eq!(read, Some(None));
        versions.poll(store).await.expect("poll");
        let again = fresh
            .get_or_load(&versions, slug, move || async move {
                Ok::<_, StoreError>(Some(store.campaign_goal(slug).await?.flatten()))
            })
            .await
            .expect("read");
        assert_eq!(again, Some(Some(77)));
    }

    fn audit() -> crate::staff::NewAudit {
        crate::staff::NewAudit::new(
            chrono::Utc::now(),
            crate::staff::audit::Origin::cli(),
            "test.change",
            "campaign:test".to_string(),
            "a change".to_string(),
        )
    }
}
