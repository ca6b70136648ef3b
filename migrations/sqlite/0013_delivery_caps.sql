-- Delivery caps (SQLite): an office receives at most its cap of a campaign's messages in any
-- hour, and the service releases at most `limits.deliveries_per_minute` mails in any minute; what
-- is over waits (still `queued`) and goes out as the windows allow, never dropped.

-- When the mail took its slot under the caps: set the first time it is claimed, kept by a retry
-- while its hour lasts (a retry is not counted twice), taken anew once that hour has passed.
ALTER TABLE outbox ADD COLUMN released_at BIGINT;
-- Why a queued mail waits past the time it was due: `office_cap` (its office's hourly cap) or
-- `global_rate` (the service's rate); NULL otherwise. Its `next_attempt_at` is then when a slot is
-- expected to free. Cleared when the mail is claimed.
ALTER TABLE outbox ADD COLUMN waiting_on TEXT CHECK (waiting_on IN ('office_cap', 'global_rate'));
-- An office's releases in the last hour; everything's in the last minute; the mails waiting.
CREATE INDEX outbox_office_released ON outbox (legislator_id, released_at);
CREATE INDEX outbox_released ON outbox (released_at);
CREATE INDEX outbox_waiting ON outbox (waiting_on, legislator_id) WHERE waiting_on IS NOT NULL;
-- Mails sent in the last hour before this migration hold their slots.
UPDATE outbox SET released_at = COALESCE(finished_at, created_at)
    WHERE attempts > 0 AND COALESCE(finished_at, created_at) > CAST(strftime('%s', 'now') AS INTEGER) - 3600;

-- Staff overrides of the cap: per campaign, for one office (`legislator_id`) or, with
-- `legislator_id` NULL, the campaign's default for every office without its own (the
-- `limits.office_per_hour` setting applies without either). `per_hour` 0: no cap.
CREATE TABLE office_caps (
    id INTEGER PRIMARY KEY,
    campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    legislator_id TEXT CHECK (legislator_id IS NULL OR length(legislator_id) BETWEEN 1 AND 100),
    per_hour BIGINT NOT NULL CHECK (per_hour BETWEEN 0 AND 10000),
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX office_caps_default ON office_caps (campaign_id) WHERE legislator_id IS NULL;
CREATE UNIQUE INDEX office_caps_office ON office_caps (campaign_id, legislator_id)
    WHERE legislator_id IS NOT NULL;
