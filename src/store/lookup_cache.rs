//! The lookup cache and the server's own secrets. No address is stored here: rows are keyed by
//! a keyed hash, and hold state, ZIP, accuracy and division ids only. Times are Unix seconds.

use super::{in_transaction, on_pool, Store, StoreError};
use crate::civic::Accuracy;
use crate::domain::{StateCode, Zip};

/// A cached answer for one address.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedLookup {
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub accuracy: Accuracy,
    /// Division ids; for an ambiguous address, those every choice shares.
    pub divisions: Vec<String>,
    /// Non-empty when the address was ambiguous, in the order offered.
    pub choices: Vec<CachedChoice>,
}

/// One choice offered for an ambiguous address or ZIP, found again by its token.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedChoice {
    /// Opaque and random; carries nothing about the address.
    pub token: String,
    /// District names only, never a street.
    pub label: String,
    pub state: StateCode,
    pub zip: Option<Zip>,
    pub accuracy: Accuracy,
    pub divisions: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct LookupRow {
    state: String,
    zip: Option<String>,
    accuracy: String,
    divisions: String,
}

#[derive(sqlx::FromRow)]
struct ChoiceRow {
    token: String,
    label: String,
    state: String,
    zip: Option<String>,
    accuracy: String,
    divisions: String,
}

fn parse_common(
    state: &str,
    zip: Option<&str>,
    accuracy: &str,
    divisions: &str,
) -> Result<(StateCode, Option<Zip>, Accuracy, Vec<String>), StoreError> {
    Ok((
        StateCode::parse(state).map_err(|e| StoreError::corrupt("lookup_cache.state", e))?,
        zip.map(Zip::parse)
            .transpose()
            .map_err(|e| StoreError::corrupt("lookup_cache.zip", e))?,
        Accuracy::parse(accuracy)
            .ok_or_else(|| StoreError::corrupt("lookup_cache.accuracy", accuracy))?,
        serde_json::from_str(divisions)
            .map_err(|e| StoreError::corrupt("lookup_cache.divisions", e))?,
    ))
}

impl TryFrom<ChoiceRow> for CachedChoice {
    type Error = StoreError;

    fn try_from(r: ChoiceRow) -> Result<Self, StoreError> {
        let (state, zip, accuracy, divisions) =
            parse_common(&r.state, r.zip.as_deref(), &r.accuracy, &r.divisions)?;
        Ok(CachedChoice {
            token: r.token,
            label: r.label,
            state,
            zip,
            accuracy,
            divisions,
        })
    }
}

fn to_json(divisions: &[String]) -> Result<String, StoreError> {
    serde_json::to_string(divisions).map_err(|e| StoreError::Invalid(e.to_string()))
}

const CHOICE_COLUMNS: &str =
    "SELECT token, label, state, zip, accuracy, divisions FROM lookup_choices";

impl Store {
    /// The secret called `name`, created from `candidate` if there is none yet. Every instance
    /// sharing the database gets the same value, whichever created it.
    pub async fn server_secret(
        &self,
        name: &str,
        candidate: &str,
        now: i64,
    ) -> Result<String, StoreError> {
        let value: String = on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(candidate)
            .bind(now)
            .execute(pool)
            .await?;
            sqlx::query_scalar("SELECT value FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await?
        });
        Ok(value)
    }

    /// The unexpired answer cached under `address_hash`, with its choices.
    pub async fn cached_lookup(
        &self,
        address_hash: &str,
        now: i64,
    ) -> Result<Option<CachedLookup>, StoreError> {
        let choices_sql = format!(
            "{CHOICE_COLUMNS} WHERE address_hash = $1 AND expires_at > $2 ORDER BY position"
        );
        let (row, choices) = on_pool!(self, pool => {
            let row: Option<LookupRow> = sqlx::query_as(
                "SELECT state, zip, accuracy, divisions FROM lookup_cache \
                 WHERE address_hash = $1 AND expires_at > $2",
            )
            .bind(address_hash)
            .bind(now)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let choices: Vec<ChoiceRow> = sqlx::query_as(&choices_sql)
                .bind(address_hash)
                .bind(now)
                .fetch_all(pool)
                .await?;
            (row, choices)
        });
        let (state, zip, accuracy, divisions) = parse_common(
            &row.state,
            row.zip.as_deref(),
            &row.accuracy,
            &row.divisions,
        )?;
        Ok(Some(CachedLookup {
            state,
            zip,
            accuracy,
            divisions,
            choices: choices
                .into_iter()
                .map(CachedChoice::try_from)
                .collect::<Result<_, _>>()?,
        }))
    }

    /// Caches an answer under `address_hash` (replacing any older one, choices included) until
    /// `expires_at`, and purges what has expired. With no hash, only the choices are kept (ZIP
    /// lookups, whose choices must still be found by token).
    pub async fn cache_lookup(
        &self,
        address_hash: Option<&str>,
        entry: &CachedLookup,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let divisions = to_json(&entry.divisions)?;
        let choices = entry
            .choices
            .iter()
            .map(|c| Ok((c, to_json(&c.divisions)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        in_transaction!(self, tx => {
            sqlx::query("DELETE FROM lookup_cache WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM lookup_choices WHERE expires_at <= $1")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if let Some(hash) = address_hash {
                sqlx::query(
                    "INSERT INTO lookup_cache \
                     (address_hash, state, zip, accuracy, divisions, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (address_hash) DO UPDATE SET state = excluded.state, \
                     zip = excluded.zip, accuracy = excluded.accuracy, \
                     divisions = excluded.divisions, created_at = excluded.created_at, \
                     expires_at = excluded.expires_at",
                )
                .bind(hash)
                .bind(entry.state.as_str())
                .bind(entry.zip.as_ref().map(Zip::as_str))
                .bind(entry.accuracy.as_str())
                .bind(&divisions)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM lookup_choices WHERE address_hash = $1")
                    .bind(hash)
                    .execute(&mut *tx)
                    .await?;
            }
            for (position, (choice, choice_divisions)) in choices.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO lookup_choices (token, address_hash, position, label, state, zip, \
                     accuracy, divisions, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&choice.token)
                .bind(address_hash)
                .bind(position as i32)
                .bind(&choice.label)
                .bind(choice.state.as_str())
                .bind(choice.zip.as_ref().map(Zip::as_str))
                .bind(choice.accuracy.as_str())
                .bind(choice_divisions)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            }
            Ok(())
        })
    }

    /// The unexpired choice with this token.
    pub async fn cached_choice(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Option<CachedChoice>, StoreError> {
        let sql = format!("{CHOICE_COLUMNS} WHERE token = $1 AND expires_at > $2");
        let row: Option<ChoiceRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(token).bind(now).fetch_optional(pool).await?
        });
        row.map(CachedChoice::try_from).transpose()
    }

    /// Deletes expired cache rows and choices; returns how many went.
    pub async fn purge_lookup_cache(&self, now: i64) -> Result<u64, StoreError> {
        let gone = on_pool!(self, pool => {
            let a = sqlx::query("DELETE FROM lookup_cache WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            let b = sqlx::query("DELETE FROM lookup_choices WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected();
            a + b
        });
        Ok(gone)
    }
}
