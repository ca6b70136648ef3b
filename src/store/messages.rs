//! Message templates (versioned per campaign and audience) and the short-lived draft links behind
//! the counting redirect. Times are Unix seconds.

use super::counts::{record_counts, record_office, Counted, Office};
use super::staff::append_audit;
use super::{
    campaign_id, in_transaction, on_pool, opaque_debug, touch_campaign, Store, StoreError,
};
use crate::directory::Chamber;
use crate::domain::StateCode;
use crate::messages::{Audience, MessageTemplate, TemplateText, TemplateVersion, SEED_AUTHOR};
use crate::staff::NewAudit;
use crate::stats::Channel;
use chrono::{DateTime, Utc};

/// A template version to store: the checked text, who saved it, why, and when.
#[derive(Debug, Clone, Copy)]
pub struct NewTemplateVersion<'a> {
    pub text: &'a TemplateText,
    /// A staff id (`staff:ID`) or `cli`.
    pub author: &'a str,
    pub note: Option<&'a str>,
    pub at: DateTime<Utc>,
}

/// A draft link to store: `token_hash` is the SHA-256 (hex) of the token in the link.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDraftLink {
    pub token_hash: String,
    /// Shared by the links of one drafted message, which is counted once per channel.
    pub draft_id: String,
    pub state: StateCode,
    pub legislator_id: String,
    pub chamber: Chamber,
    pub channel: Channel,
    /// The version of the audience's template the message was written from.
    pub template_version: i64,
    /// Where the link leads. Holds the message, so it is purged with the row.
    pub target_url: String,
}

// The target URL carries a supporter's message and name: never print it.
opaque_debug!(
    NewDraftLink,
    state,
    legislator_id,
    chamber,
    channel,
    template_version
);

/// What following a draft link found.
#[derive(Clone, PartialEq, Eq)]
pub struct FollowedLink {
    pub target_url: String,
    pub state: StateCode,
    pub legislator_id: String,
    pub channel: Channel,
    /// True the first time one of the message's links of this channel is followed.
    pub counted: bool,
}

opaque_debug!(FollowedLink, state, legislator_id, channel, counted);

#[derive(sqlx::FromRow)]
struct TemplateRow {
    audience: String,
    version: i64,
    subject: String,
    body: String,
    created_at: i64,
    author: String,
    note: Option<String>,
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    draft_id: String,
    campaign_id: i64,
    state: String,
    legislator_id: String,
    chamber: String,
    channel: String,
    template_version: i64,
    target_url: String,
}

impl TryFrom<TemplateRow> for MessageTemplate {
    type Error = StoreError;

    fn try_from(r: TemplateRow) -> Result<Self, StoreError> {
        Ok(MessageTemplate {
            audience: Audience::parse(&r.audience)
                .ok_or_else(|| StoreError::corrupt("message_templates.audience", &r.audience))?,
            version: r.version,
            subject: r.subject,
            body: r.body,
            created_at: DateTime::from_timestamp(r.created_at, 0)
                .ok_or_else(|| StoreError::corrupt("message_templates.created_at", r.created_at))?,
        })
    }
}

impl TryFrom<TemplateRow> for TemplateVersion {
    type Error = StoreError;

    fn try_from(mut r: TemplateRow) -> Result<Self, StoreError> {
        let author = std::mem::take(&mut r.author);
        let note = r.note.take();
        Ok(TemplateVersion {
            template: MessageTemplate::try_from(r)?,
            author,
            note,
        })
    }
}

const TEMPLATE_COLUMNS: &str = "SELECT t.audience, t.version, t.subject, t.body, t.created_at, \
     t.author, t.note \
     FROM message_templates t JOIN campaigns c ON c.id = t.campaign_id";

impl Store {
    /// The current (highest) version of a campaign's template for `audience`, if any.
    pub async fn current_template(
        &self,
        slug: &str,
        audience: Audience,
    ) -> Result<Option<MessageTemplate>, StoreError> {
        let newest = self
            .history_newest_first(slug, audience, " LIMIT 1")
            .await?;
        Ok(newest.into_iter().next().map(|v| v.template))
    }

    /// Every version of a campaign's template for `audience`, newest first.
    pub async fn template_versions(
        &self,
        slug: &str,
        audience: Audience,
    ) -> Result<Vec<MessageTemplate>, StoreError> {
        Ok(self
            .template_history(slug, audience)
            .await?
            .into_iter()
            .map(|v| v.template)
            .collect())
    }

    /// Every version of a campaign's template for `audience` with its author and note, newest
    /// first.
    pub async fn template_history(
        &self,
        slug: &str,
        audience: Audience,
    ) -> Result<Vec<TemplateVersion>, StoreError> {
        self.history_newest_first(slug, audience, "").await
    }

    /// The versions of a campaign's template for `audience`, newest first; `limit` is a
    /// constant SQL `LIMIT` clause or empty.
    async fn history_newest_first(
        &self,
        slug: &str,
        audience: Audience,
        limit: &'static str,
    ) -> Result<Vec<TemplateVersion>, StoreError> {
        let sql = format!(
            "{TEMPLATE_COLUMNS} WHERE c.slug = $1 AND t.audience = $2 \
             ORDER BY t.version DESC{limit}"
        );
        let rows: Vec<TemplateRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(slug)
                .bind(audience.as_str())
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(TemplateVersion::try_from).collect()
    }

    /// Version `version` of a campaign's template for `audience`, if there is one.
    pub async fn template_version(
        &self,
        slug: &str,
        audience: Audience,
        version: i64,
    ) -> Result<Option<TemplateVersion>, StoreError> {
        let sql =
            format!("{TEMPLATE_COLUMNS} WHERE c.slug = $1 AND t.audience = $2 AND t.version = $3");
        let row: Option<TemplateRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(slug)
                .bind(audience.as_str())
                .bind(version)
                .fetch_optional(pool)
                .await?
        });
        row.map(TemplateVersion::try_from).transpose()
    }

    /// Stores `text` as version 1 when the campaign has no template for `audience` yet; true
    /// when it did. Safe to race: at most one seed is stored.
    pub async fn seed_template(
        &self,
        slug: &str,
        audience: Audience,
        text: &TemplateText,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        // Called only when a campaign has no template for `audience`: a new revision then is
        // harmless even when another instance's seed wins (instances that cached "no template
        // yet" read it again), and the campaign row is locked first, as every edit does.
        in_transaction!(self, tx => {
            touch_campaign!(tx, slug);
            let done = sqlx::query(
                "INSERT INTO message_templates (campaign_id, audience, version, subject, body, \
                 created_at, author, note) \
                 SELECT c.id, $2, 1, $3, $4, $5, $6, NULL FROM campaigns c WHERE c.slug = $1 AND NOT EXISTS \
                 (SELECT 1 FROM message_templates t WHERE t.campaign_id = c.id AND t.audience = $2) \
                 ON CONFLICT (campaign_id, audience, version) DO NOTHING",
            )
            .bind(slug)
            .bind(audience.as_str())
            .bind(&text.subject)
            .bind(&text.body)
            .bind(now.timestamp())
            .bind(SEED_AUTHOR)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok(done > 0)
        })
    }

    /// Stores a new version of a campaign's template for `audience`, saved by `author` (a staff
    /// id or `cli`) with an optional `note`, and returns its number, or `None` for an unknown
    /// campaign. `audit` makes the audit row for the new version's number, appended in the
    /// same transaction. The caller has checked the template.
    pub async fn add_template_version(
        &self,
        slug: &str,
        audience: Audience,
        new: &NewTemplateVersion<'_>,
        audit: &(dyn Fn(i64) -> NewAudit + Sync),
    ) -> Result<Option<i64>, StoreError> {
        // Two staff saving at once on PostgreSQL may pick the same number; the primary key
        // refuses the second, which then tries the next number.
        let mut attempt = 0;
        loop {
            attempt += 1;
            let saved = in_transaction!(self, tx => {
                let Some(id) = touch_campaign!(tx, slug) else {
                    return Ok(None);
                };
                let latest: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(MAX(version), 0) FROM message_templates \
                     WHERE campaign_id = $1 AND audience = $2",
                )
                .bind(id)
                .bind(audience.as_str())
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO message_templates (campaign_id, audience, version, subject, \
                     body, created_at, author, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(id)
                .bind(audience.as_str())
                .bind(latest + 1)
                .bind(&new.text.subject)
                .bind(&new.text.body)
                .bind(new.at.timestamp())
                .bind(new.author)
                .bind(new.note)
                .execute(&mut *tx)
                .await?;
                append_audit!(&mut *tx, &audit(latest + 1));
                Ok(Some(latest + 1))
            });
            match saved {
                Err(StoreError::Database(sqlx::Error::Database(e)))
                    if e.is_unique_violation() && attempt < 3 =>
                {
                    continue
                }
                other => return other,
            }
        }
    }

    /// Stores draft links that expire at `expires_at` (the scheduled purge deletes them, and the
    /// message text they hold, after that), and the offices they are written to (for reach
    /// reports). Returns false (storing nothing) for an unknown campaign.
    pub async fn insert_draft_links(
        &self,
        slug: &str,
        links: &[NewDraftLink],
        offices: &[Office],
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, tx => {
            let Some(id) = campaign_id(&mut *tx, slug).await? else {
                return Ok(false);
            };
            for link in links {
                sqlx::query(
                    "INSERT INTO draft_links (token_hash, draft_id, campaign_id, state, \
                     legislator_id, chamber, channel, template_version, target_url, created_at, \
                     expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&link.token_hash)
                .bind(&link.draft_id)
                .bind(id)
                .bind(link.state.as_str())
                .bind(&link.legislator_id)
                .bind(link.chamber.as_str())
                .bind(link.channel.as_str())
                .bind(link.template_version)
                .bind(&link.target_url)
                .bind(now.timestamp())
                .bind(expires_at.timestamp())
                .execute(&mut *tx)
                .await?;
            }
            // In id order, as every writer of this table does (no lock-order deadlock).
            let mut sorted: Vec<&Office> = offices.iter().collect();
            sorted.sort_by(|a, b| a.legislator_id.cmp(&b.legislator_id));
            for office in sorted {
                record_office!(tx, office, now.timestamp());
            }
            Ok(true)
        })
    }

    /// Follows the unexpired draft link whose token hashes to `token_hash`: counts its message
    /// (the first time any of that message's links of the same channel is followed) on `now`'s
    /// UTC day, and returns where the link leads. `None` for an unknown or expired token.
    pub async fn follow_draft_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<FollowedLink>, StoreError> {
        let found = in_transaction!(self, tx => {
            let row: Option<LinkRow> = sqlx::query_as(
                "SELECT draft_id, campaign_id, state, legislator_id, chamber, channel, \
                 template_version, target_url \
                 FROM draft_links WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token_hash)
            .bind(now.timestamp())
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let first = sqlx::query(
                        "UPDATE draft_links SET counted_at = $1 \
                         WHERE draft_id = $2 AND channel = $3 AND counted_at IS NULL",
                    )
                    .bind(now.timestamp())
                    .bind(&row.draft_id)
                    .bind(&row.channel)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        > 0;
                    if first {
                        record_counts!(
                            tx,
                            &[Counted {
                                campaign: row.campaign_id,
                                state: &row.state,
                                legislator: &row.legislator_id,
                                chamber: &row.chamber,
                                channel: &row.channel,
                                version: row.template_version,
                                n: 1,
                                at: now,
                            }]
                        );
                    }
                    Ok(Some((row, first)))
                }
            }
        })?;
        let Some((row, counted)) = found else {
            return Ok(None);
        };
        Ok(Some(FollowedLink {
            state: StateCode::parse(&row.state)
                .map_err(|e| StoreError::corrupt("draft_links.state", e))?,
            channel: Channel::parse(&row.channel)
                .map_err(|e| StoreError::corrupt("draft_links.channel", e))?,
            legislator_id: row.legislator_id,
            target_url: row.target_url,
            counted,
        }))
    }

    /// Deletes expired draft links (and the message text they hold); returns how many.
    pub async fn purge_expired_draft_links(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = on_pool!(self, pool => {
            sqlx::query("DELETE FROM draft_links WHERE expires_at <= $1")
                .bind(now.timestamp())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n)
    }
}
