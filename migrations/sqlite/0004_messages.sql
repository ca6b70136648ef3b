-- Message templates, draft links and message counts (SQLite).

-- Staff-edited message templates (minijinja), one version row per save; the highest version of
-- a (campaign, audience) is current. Audience: `state` (state legislators) or `federal`
-- (members of Congress). Old versions are kept so every message can name the version it used.
CREATE TABLE message_templates (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    audience TEXT NOT NULL CHECK (audience IN ('state', 'federal')),
    version BIGINT NOT NULL CHECK (version > 0),
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, audience, version)
);

-- Draft links handed to a supporter: `GET /r/{token}` counts the draft, then redirects to
-- `target_url` (a mailto:, web-compose or contact-form URL). The URL holds the message text and
-- the supporter's name, so rows are short-lived: purged once `expires_at` (Unix seconds) passes.
-- Only a SHA-256 of the token is stored.
CREATE TABLE draft_links (
    token_hash TEXT PRIMARY KEY,
    -- The drafted message the link belongs to: a message is counted once per channel, however
    -- many of its links (mail app, Gmail, Outlook) are followed, however often.
    draft_id TEXT NOT NULL,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (length(state) = 2),
    legislator_id TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('draft_email', 'contact_form')),
    target_url TEXT NOT NULL,
    counted_at BIGINT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX draft_links_by_draft ON draft_links (draft_id, channel);
CREATE INDEX draft_links_expiry ON draft_links (expires_at);

-- Campaign reach: one row per (campaign, state, legislator, UTC day, channel), incremented with
-- an upsert. No personal data; kept when messages and drafts are purged.
CREATE TABLE message_counts (
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (length(state) = 2),
    legislator_id TEXT NOT NULL,
    -- YYYY-MM-DD (UTC).
    day TEXT NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('sent', 'draft_email', 'contact_form')),
    count BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (campaign_id, state, legislator_id, day, channel)
);
