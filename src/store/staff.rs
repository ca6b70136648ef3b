//! Staff accounts, password links, sessions, API tokens, login throttling, workspace settings
//! and the audit log. Every change that is audited writes its audit row in the same transaction.
//! Tokens arrive here already hashed. Times are Unix seconds.

use super::{in_transaction, on_pool, Store, StoreError};
use crate::staff::audit::{AuditEntry, AuditFilter, NewAudit};
use crate::staff::person::{Person, StoredPerson};
use crate::staff::role::Role;
use crate::staff::throttle::{lockout_secs, ThrottleKey, FORGET_AFTER_SECS};
use crate::staff::token::ApiToken;
use chrono::{DateTime, Utc};

/// Appends `$audit` (a [`NewAudit`]) through `$exec` (a transaction).
macro_rules! append_audit {
    ($exec:expr, $audit:expr) => {{
        let a: &NewAudit = $audit;
        sqlx::query(
            "INSERT INTO staff_audit (at, actor, staff_id, client_addr, action, object, summary) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(a.at.timestamp())
        .bind(a.origin.actor.label())
        .bind(a.origin.actor.staff_id())
        .bind(a.origin.client_addr.map(|ip| ip.to_string()))
        .bind(a.action)
        .bind(&a.object)
        .bind(&a.summary)
        .execute($exec)
        .await?;
    }};
}

/// Runs one statement in a transaction and, when it changed a row, appends `$audit` in the
/// same transaction; evaluates to whether it changed a row. The statement is written once and
/// compiled per database, like the body of `in_transaction!`.
macro_rules! audited_change {
    ($store:expr, $audit:expr, $statement:expr) => {{
        in_transaction!($store, tx => {
            let changed = $statement.execute(&mut *tx).await?.rows_affected() > 0;
            if changed {
                append_audit!(&mut *tx, $audit);
            }
            Ok(changed)
        })
    }};
}

pub(super) use append_audit;

/// A session row to insert.
#[derive(Clone)]
pub struct NewSessionRow {
    pub token_hash: String,
    pub person_id: i64,
    pub csrf_token: String,
    pub now: DateTime<Utc>,
    /// Sessions created before this (past their absolute lifetime) are purged on the way.
    pub created_cutoff: DateTime<Utc>,
    /// Sessions last seen before this (idle too long) are purged on the way.
    pub seen_cutoff: DateTime<Utc>,
}

super::opaque_debug!(NewSessionRow, person_id, now);

/// A session as found by its token hash, with its person.
#[derive(Clone)]
pub struct FoundSession {
    pub person: StoredPerson,
    pub token_hash: String,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// The workspace's `require_totp` switch.
    pub require_totp: bool,
}

super::opaque_debug!(FoundSession, person, created_at, last_seen_at);

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    email: String,
    role: String,
    password_hash: Option<String>,
    totp_secret: Option<String>,
    totp_pending_secret: Option<String>,
    totp_last_step: Option<i64>,
    disabled: bool,
    created_at: i64,
}

const PERSON_COLUMNS: &str = "p.id, p.email, p.role, p.password_hash, p.totp_secret, \
     p.totp_pending_secret, p.totp_last_step, p.disabled, p.created_at";

#[derive(sqlx::FromRow)]
struct SessionJoinRow {
    #[sqlx(flatten)]
    person: PersonRow,
    token_hash: String,
    csrf_token: String,
    s_created_at: i64,
    last_seen_at: i64,
    require_totp: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    t_id: i64,
    person_id: i64,
    name: String,
    t_created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct TokenJoinRow {
    #[sqlx(flatten)]
    person: PersonRow,
    #[sqlx(flatten)]
    token: TokenRow,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor: String,
    client_addr: Option<String>,
    action: String,
    object: String,
    summary: String,
}

fn time(secs: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| StoreError::Invalid(format!("stored staff time {secs} is invalid")))
}

impl TryFrom<PersonRow> for StoredPerson {
    type Error = StoreError;

    fn try_from(r: PersonRow) -> Result<StoredPerson, StoreError> {
        let role = Role::parse(&r.role)
            .ok_or_else(|| StoreError::Invalid(format!("stored staff role `{}`", r.role)))?;
        Ok(StoredPerson {
            person: Person {
                id: r.id,
                email: r.email,
                role,
                disabled: r.disabled,
                password_set: r.password_hash.is_some(),
                totp_enabled: r.totp_secret.is_some(),
                created_at: time(r.created_at)?,
            },
            password_hash: r.password_hash,
            totp_secret: r.totp_secret,
            totp_pending_secret: r.totp_pending_secret,
            totp_last_step: r.totp_last_step,
        })
    }
}

impl TryFrom<TokenRow> for ApiToken {
    type Error = StoreError;

    fn try_from(r: TokenRow) -> Result<ApiToken, StoreError> {
        Ok(ApiToken {
            id: r.t_id,
            person_id: r.person_id,
            name: r.name,
            created_at: time(r.t_created_at)?,
            last_used_at: r.last_used_at.map(time).transpose()?,
            revoked_at: r.revoked_at.map(time).transpose()?,
        })
    }
}

const REQUIRE_TOTP: &str = "require_totp";

impl Store {
    /// Adds a person with a password link; `None` (nothing stored) when the email is taken.
    /// `audit` gets the new id.
    pub async fn staff_add_person(
        &self,
        email: &str,
        role: Role,
        link_hash: &str,
        link_expires: DateTime<Utc>,
        now: DateTime<Utc>,
        audit: impl FnOnce(i64) -> NewAudit + Send,
    ) -> Result<Option<i64>, StoreError> {
        let id = in_transaction!(self, tx => {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO staff_people (email, role, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (email) DO NOTHING RETURNING id",
            )
            .bind(email)
            .bind(role.as_str())
            .bind(now.timestamp())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = id {
                sqlx::query(
                    "INSERT INTO staff_password_links (token_hash, person_id, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(link_hash)
                .bind(id)
                .bind(now.timestamp())
                .bind(link_expires.timestamp())
                .execute(&mut *tx)
                .await?;
                append_audit!(&mut *tx, &audit(id));
            }
            Ok(id)
        })?;
        Ok(id)
    }

    /// A new password link for an enabled person; false (nothing stored) otherwise.
    pub async fn staff_add_password_link(
        &self,
        person_id: i64,
        link_hash: &str,
        link_expires: DateTime<Utc>,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        let done = in_transaction!(self, tx => {
            let n = sqlx::query(
                "INSERT INTO staff_password_links (token_hash, person_id, created_at, expires_at) \
                 SELECT $1, id, $3, $4 FROM staff_people WHERE id = $2 AND NOT disabled",
            )
            .bind(link_hash)
            .bind(person_id)
            .bind(audit.at.timestamp())
            .bind(link_expires.timestamp())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                append_audit!(&mut *tx, audit);
            }
            Ok(n > 0)
        })?;
        Ok(done)
    }

    pub async fn staff_person_by_email(
        &self,
        email: &str,
    ) -> Result<Option<StoredPerson>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM staff_people p WHERE p.email = $1");
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(email).fetch_optional(pool).await?
        });
        row.map(StoredPerson::try_from).transpose()
    }

    pub async fn staff_person(&self, id: i64) -> Result<Option<StoredPerson>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM staff_people p WHERE p.id = $1");
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(StoredPerson::try_from).transpose()
    }

    /// Everyone, by email.
    pub async fn staff_people(&self) -> Result<Vec<Person>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM staff_people p ORDER BY p.email");
        let rows: Vec<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| StoredPerson::try_from(r).map(|p| p.person))
            .collect()
    }

    /// The enabled person an unused, unexpired password link belongs to.
    pub async fn staff_password_link_person(
        &self,
        link_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredPerson>, StoreError> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS} FROM staff_password_links l \
             JOIN staff_people p ON p.id = l.person_id \
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 \
             AND NOT p.disabled"
        );
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(link_hash)
                .bind(now.timestamp())
                .fetch_optional(pool)
                .await?
        });
        row.map(StoredPerson::try_from).transpose()
    }

    /// Uses the password link (once: a second use, or a race lost, returns false and changes
    /// nothing), sets the person's password hash and ends their sessions.
    pub async fn staff_set_password(
        &self,
        link_hash: &str,
        person_id: i64,
        password_hash: &str,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        let now = audit.at.timestamp();
        let done = in_transaction!(self, tx => {
            let used = sqlx::query(
                "UPDATE staff_password_links SET used_at = $1 WHERE token_hash = $2 \
                 AND person_id = $3 AND used_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(link_hash)
            .bind(person_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let set = used > 0
                && sqlx::query(
                    "UPDATE staff_people SET password_hash = $1 WHERE id = $2 AND NOT disabled",
                )
                .bind(password_hash)
                .bind(person_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
            if set {
                sqlx::query("DELETE FROM staff_sessions WHERE person_id = $1")
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await?;
                append_audit!(&mut *tx, audit);
            }
            Ok(set)
        })?;
        Ok(done)
    }

    /// Disables an enabled person and, in the same transaction, deletes their sessions, revokes
    /// their API tokens and voids their unused password links. False when there was no such
    /// enabled person.
    pub async fn staff_disable(
        &self,
        person_id: i64,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        let now = audit.at.timestamp();
        let done = in_transaction!(self, tx => {
            let n = sqlx::query("UPDATE staff_people SET disabled = TRUE WHERE id = $1 AND NOT disabled")
                .bind(person_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n > 0 {
                sqlx::query("DELETE FROM staff_sessions WHERE person_id = $1")
                    .bind(person_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE staff_tokens SET revoked_at = $1 \
                     WHERE person_id = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(person_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE staff_password_links SET used_at = $1 \
                     WHERE person_id = $2 AND used_at IS NULL",
                )
                .bind(now)
                .bind(person_id)
                .execute(&mut *tx)
                .await?;
                append_audit!(&mut *tx, audit);
            }
            Ok(n > 0)
        })?;
        Ok(done)
    }

    /// Enables a disabled person (their old tokens stay revoked). False when there was none.
    pub async fn staff_enable(&self, person_id: i64, audit: &NewAudit) -> Result<bool, StoreError> {
        audited_change!(
            self,
            audit,
            sqlx::query("UPDATE staff_people SET disabled = FALSE WHERE id = $1 AND disabled")
                .bind(person_id)
        )
    }

    /// Changes a person's role; false when there is no such person.
    pub async fn staff_set_role(
        &self,
        person_id: i64,
        role: Role,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        audited_change!(
            self,
            audit,
            sqlx::query("UPDATE staff_people SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(person_id)
        )
    }

    /// The latest time any of `keys` is locked until, if later than `now`.
    pub async fn staff_login_locked_until(
        &self,
        keys: &[ThrottleKey],
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        let mut latest: Option<i64> = None;
        for k in keys {
            let until: Option<i64> = on_pool!(self, pool => {
                sqlx::query_scalar(
                    "SELECT locked_until FROM staff_login_throttle \
                     WHERE key = $1 AND locked_until > $2",
                )
                .bind(&k.key)
                .bind(now.timestamp())
                .fetch_optional(pool)
                .await?
            });
            latest = latest.max(until);
        }
        latest.map(time).transpose()
    }

    /// Counts a failed login against each key (locking those past their threshold) and appends
    /// `audit`, in one transaction. Counts idle for a day start again; rows idle that long and
    /// unlocked are purged on the way.
    pub async fn staff_login_failed(
        &self,
        keys: &[ThrottleKey],
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        let now = audit.at.timestamp();
        let forget = now - FORGET_AFTER_SECS;
        in_transaction!(self, tx => {
            sqlx::query(
                "DELETE FROM staff_login_throttle WHERE updated_at <= $1 AND locked_until <= $2",
            )
            .bind(forget)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for k in keys {
                let failures: i64 = sqlx::query_scalar(
                    "INSERT INTO staff_login_throttle (key, failures, locked_until, updated_at) \
                     VALUES ($1, 1, 0, $2) ON CONFLICT (key) DO UPDATE SET \
                     failures = CASE WHEN staff_login_throttle.updated_at <= $3 THEN 1 \
                     ELSE staff_login_throttle.failures + 1 END, updated_at = $2 \
                     RETURNING failures",
                )
                .bind(&k.key)
                .bind(now)
                .bind(forget)
                .fetch_one(&mut *tx)
                .await?;
                let lock = lockout_secs(failures, k.threshold);
                if lock > 0 {
                    sqlx::query("UPDATE staff_login_throttle SET locked_until = $1 WHERE key = $2")
                        .bind(now + lock)
                        .bind(&k.key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            append_audit!(&mut *tx, audit);
            Ok(())
        })?;
        Ok(())
    }

    /// Records a successful login: claims the TOTP step (refusing a step at or before the last
    /// one used: false, nothing stored), resets the account's failure count, purges the person's
    /// expired sessions, stores the new session and appends `audit`, in one transaction.
    pub async fn staff_login_succeeded(
        &self,
        session: &NewSessionRow,
        account_key: &ThrottleKey,
        totp_step: Option<u64>,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        let now = session.now.timestamp();
        let step = totp_step
            .map(i64::try_from)
            .transpose()
            .map_err(|_| StoreError::Invalid("TOTP step out of range".into()))?;
        let done = in_transaction!(self, tx => {
            let claimed = match step {
                None => true,
                Some(step) => {
                    sqlx::query(
                        "UPDATE staff_people SET totp_last_step = $1 WHERE id = $2 \
                         AND (totp_last_step IS NULL OR totp_last_step < $1)",
                    )
                    .bind(step)
                    .bind(session.person_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        > 0
                }
            };
            if claimed {
                sqlx::query("DELETE FROM staff_login_throttle WHERE key = $1")
                    .bind(&account_key.key)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "DELETE FROM staff_sessions WHERE person_id = $1 \
                     AND (created_at <= $2 OR last_seen_at <= $3)",
                )
                .bind(session.person_id)
                .bind(session.created_cutoff.timestamp())
                .bind(session.seen_cutoff.timestamp())
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO staff_sessions (token_hash, person_id, csrf_token, created_at, \
                     last_seen_at) VALUES ($1, $2, $3, $4, $4)",
                )
                .bind(&session.token_hash)
                .bind(session.person_id)
                .bind(&session.csrf_token)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                append_audit!(&mut *tx, audit);
            }
            Ok(claimed)
        })?;
        Ok(done)
    }

    /// The session with this token hash and its enabled person (disabled people have no
    /// sessions, but the join says so again).
    pub async fn staff_session(
        &self,
        token_hash: &str,
    ) -> Result<Option<FoundSession>, StoreError> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS}, s.token_hash, s.csrf_token, s.created_at AS s_created_at, \
             s.last_seen_at, (SELECT value FROM staff_settings WHERE name = '{REQUIRE_TOTP}') \
             AS require_totp FROM staff_sessions s JOIN staff_people p ON p.id = s.person_id \
             WHERE s.token_hash = $1 AND NOT p.disabled"
        );
        let row: Option<SessionJoinRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?
        });
        let Some(r) = row else { return Ok(None) };
        Ok(Some(FoundSession {
            person: StoredPerson::try_from(r.person)?,
            token_hash: r.token_hash,
            csrf_token: r.csrf_token,
            created_at: time(r.s_created_at)?,
            last_seen_at: time(r.last_seen_at)?,
            require_totp: r.require_totp.as_deref() == Some("true"),
        }))
    }

    /// Records a request on a session.
    pub async fn staff_touch_session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE staff_sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now.timestamp())
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes one session (expired, or signed out with `audit`).
    pub async fn staff_end_session(
        &self,
        token_hash: &str,
        audit: Option<&NewAudit>,
    ) -> Result<bool, StoreError> {
        let done = in_transaction!(self, tx => {
            let n = sqlx::query("DELETE FROM staff_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if let (true, Some(a)) = (n > 0, audit) {
                append_audit!(&mut *tx, a);
            }
            Ok(n > 0)
        })?;
        Ok(done)
    }

    /// Deletes every session of a person; returns how many.
    pub async fn staff_end_sessions_of(
        &self,
        person_id: i64,
        audit: &NewAudit,
    ) -> Result<u64, StoreError> {
        let n = in_transaction!(self, tx => {
            let n = sqlx::query("DELETE FROM staff_sessions WHERE person_id = $1")
                .bind(person_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            append_audit!(&mut *tx, audit);
            Ok(n)
        })?;
        Ok(n)
    }

    /// Stores an API token for an enabled person; `None` (nothing stored) otherwise. `audit`
    /// gets the token's id.
    pub async fn staff_add_token(
        &self,
        person_id: i64,
        name: &str,
        token_hash: &str,
        now: DateTime<Utc>,
        audit: impl FnOnce(i64) -> NewAudit + Send,
    ) -> Result<Option<i64>, StoreError> {
        let id = in_transaction!(self, tx => {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO staff_tokens (person_id, name, token_hash, created_at) \
                 SELECT id, $2, $3, $4 FROM staff_people WHERE id = $1 AND NOT disabled \
                 RETURNING id",
            )
            .bind(person_id)
            .bind(name)
            .bind(token_hash)
            .bind(now.timestamp())
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = id {
                append_audit!(&mut *tx, &audit(id));
            }
            Ok(id)
        })?;
        Ok(id)
    }

    /// The live (unrevoked) token with this hash and its enabled person; records its use.
    pub async fn staff_use_token(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(StoredPerson, ApiToken)>, StoreError> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS}, t.id AS t_id, t.person_id, t.name, \
             t.created_at AS t_created_at, t.last_used_at, t.revoked_at \
             FROM staff_tokens t JOIN staff_people p ON p.id = t.person_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT p.disabled"
        );
        let row: Option<TokenJoinRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(token_hash).fetch_optional(pool).await?
        });
        let Some(r) = row else { return Ok(None) };
        on_pool!(self, pool => {
            sqlx::query("UPDATE staff_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.timestamp())
                .bind(r.token.t_id)
                .execute(pool)
                .await?;
        });
        Ok(Some((
            StoredPerson::try_from(r.person)?,
            ApiToken::try_from(r.token)?,
        )))
    }

    /// Revokes a token; false when there is no such unrevoked token.
    pub async fn staff_revoke_token(&self, id: i64, audit: &NewAudit) -> Result<bool, StoreError> {
        audited_change!(
            self,
            audit,
            sqlx::query(
                "UPDATE staff_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(audit.at.timestamp())
            .bind(id)
        )
    }

    /// Every token (revoked ones too), newest first.
    pub async fn staff_tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows: Vec<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id AS t_id, person_id, name, created_at AS t_created_at, last_used_at, \
                 revoked_at FROM staff_tokens ORDER BY id DESC",
            )
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(ApiToken::try_from).collect()
    }

    /// Keeps a TOTP secret being enrolled (replacing any earlier one being enrolled).
    pub async fn staff_set_pending_totp(
        &self,
        person_id: i64,
        secret: &str,
    ) -> Result<bool, StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE staff_people SET totp_pending_secret = $1 WHERE id = $2 AND NOT disabled",
            )
            .bind(secret)
            .bind(person_id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n > 0)
    }

    /// Makes the pending secret (still `secret`) the person's second factor, with `step` as the
    /// last step used; false when the pending secret changed meanwhile.
    pub async fn staff_confirm_totp(
        &self,
        person_id: i64,
        secret: &str,
        step: u64,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        let step = i64::try_from(step).map_err(|_| StoreError::Invalid("TOTP step".into()))?;
        audited_change!(
            self,
            audit,
            sqlx::query(
                "UPDATE staff_people SET totp_secret = totp_pending_secret, \
                 totp_pending_secret = NULL, totp_last_step = $1 \
                 WHERE id = $2 AND totp_pending_secret = $3 AND NOT disabled",
            )
            .bind(step)
            .bind(person_id)
            .bind(secret)
        )
    }

    /// Removes a person's second factor (a lost device); they enrol again.
    pub async fn staff_reset_totp(
        &self,
        person_id: i64,
        audit: &NewAudit,
    ) -> Result<bool, StoreError> {
        audited_change!(
            self,
            audit,
            sqlx::query(
                "UPDATE staff_people SET totp_secret = NULL, totp_pending_secret = NULL, \
                 totp_last_step = NULL WHERE id = $1",
            )
            .bind(person_id)
        )
    }

    /// The workspace's `require_totp` switch (off unless set).
    pub async fn staff_require_totp(&self) -> Result<bool, StoreError> {
        let value: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT value FROM staff_settings WHERE name = $1")
                .bind(REQUIRE_TOTP)
                .fetch_optional(pool)
                .await?
        });
        Ok(value.as_deref() == Some("true"))
    }

    pub async fn staff_set_require_totp(
        &self,
        on: bool,
        audit: &NewAudit,
    ) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            sqlx::query(
                "INSERT INTO staff_settings (name, value) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET value = $2",
            )
            .bind(REQUIRE_TOTP)
            .bind(if on { "true" } else { "false" })
            .execute(&mut *tx)
            .await?;
            append_audit!(&mut *tx, audit);
            Ok(())
        })?;
        Ok(())
    }

    /// Appends an audit row on its own (for events that change nothing else).
    pub async fn staff_append_audit(&self, audit: &NewAudit) -> Result<(), StoreError> {
        in_transaction!(self, tx => {
            append_audit!(&mut *tx, audit);
            Ok(())
        })?;
        Ok(())
    }

    /// A page of the audit log, newest first.
    pub async fn staff_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let rows: Vec<AuditRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, at, actor, client_addr, action, object, summary FROM staff_audit \
                 WHERE ($1 IS NULL OR actor = $1) AND ($2 IS NULL OR action = $2) \
                 AND ($3 IS NULL OR at >= $3) AND ($4 IS NULL OR at < $4) \
                 AND ($5 IS NULL OR id < $5) ORDER BY id DESC LIMIT $6",
            )
            .bind(filter.actor.map(|a| a.label()))
            .bind(filter.action.as_deref())
            .bind(filter.from.map(|t| t.timestamp()))
            .bind(filter.until.map(|t| t.timestamp()))
            .bind(filter.before_id)
            .bind(i64::from(filter.page_size()))
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(AuditEntry {
                    id: r.id,
                    at: time(r.at)?,
                    actor: r.actor,
                    client_addr: r.client_addr,
                    action: r.action,
                    object: r.object,
                    summary: r.summary,
                })
            })
            .collect()
    }
}
