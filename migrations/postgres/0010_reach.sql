-- Campaign reach for organisers (PostgreSQL): counts keyed also by the template version the
-- message was written from, with the office's chamber beside them; an office table for names and
-- districts; hourly totals for the public counter's "last 24 hours".

-- The chamber is the office's (state_upper, state_lower, us_senate, us_house); `unknown` only for
-- rows counted before it was recorded whose office is no longer in the directory. Template
-- version 0: counted before versions were recorded. Existing rows are kept.
ALTER TABLE message_counts ADD COLUMN chamber TEXT NOT NULL DEFAULT 'unknown'
    CHECK (chamber IN ('state_upper', 'state_lower', 'us_senate', 'us_house', 'unknown'));
ALTER TABLE message_counts ADD COLUMN template_version BIGINT NOT NULL DEFAULT 0
    CHECK (template_version >= 0);
UPDATE message_counts c SET chamber = d.chamber
    FROM directory_legislators d WHERE d.id = c.legislator_id;
ALTER TABLE message_counts DROP CONSTRAINT message_counts_pkey;
-- Day first: the dashboard reads a date range of one campaign.
ALTER TABLE message_counts
    ADD PRIMARY KEY (campaign_id, day, state, legislator_id, channel, template_version);

-- What a count needs that the rows it is counted from did not carry.
ALTER TABLE draft_links ADD COLUMN chamber TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE draft_links ADD COLUMN template_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN chamber TEXT;

-- The offices messages were written to, as the lookup described them when the message was
-- written (public data: name, title, district), so reach tables can name an office after it
-- has left the directory.
CREATE TABLE reach_offices (
    legislator_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (length(state) = 2),
    chamber TEXT NOT NULL,
    district TEXT NOT NULL,
    name TEXT NOT NULL,
    title TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
INSERT INTO reach_offices (legislator_id, state, chamber, district, name, title, seen_at)
    SELECT d.id, d.state, d.chamber, d.district, d.name, d.title, 0
    FROM directory_legislators d
    WHERE d.id IN (SELECT DISTINCT legislator_id FROM message_counts);

-- Messages counted per campaign and UTC hour (`hour`: Unix seconds of the hour's start), for
-- the public counter's last 24 hours. A row per hour: small, kept.
CREATE TABLE message_count_hours (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    count BIGINT NOT NULL CHECK (count >= 0),
    PRIMARY KEY (campaign_id, hour)
);
