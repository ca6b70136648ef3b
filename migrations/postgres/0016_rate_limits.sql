-- Rate limits kept in the database (PostgreSQL), so they hold across every instance: one GCRA row per
-- key (src/limits/gcra.rs). `key` is `<rule>:<hex HMAC-SHA256>` of what the rule counts (a client
-- address, an email address, an email address and an office): never the address itself. `tat`
-- is the rule's theoretical arrival time, in microseconds since the Unix epoch by the database's
-- clock; `expires_at` (same unit) is when the row says no more than a missing row would (the
-- allowance is full again), so the purge may delete it.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
    tat BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX rate_limits_expiry ON rate_limits (expires_at);

-- The unconfirmed-submissions rule's key of a submission's email address, so confirming it gives
-- back what it took (only unconfirmed submissions count against that rule). Cleared on confirming.
ALTER TABLE submissions ADD COLUMN unconfirmed_key TEXT;
