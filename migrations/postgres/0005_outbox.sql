-- Sending through the service (PostgreSQL): submissions awaiting the supporter's confirmation, and the
-- durable outbox the delivery worker sends from. Times are Unix seconds.

-- One supporter's request to send their messages. Tokens are looked up by SHA-256 hash: the
-- confirmation token (random, single use) and the receipt token. The only copy of a link is the
-- confirmation email's text in the outbox, wiped as soon as it is sent. The supporter's name
-- and email are kept until the retention purge (unconfirmed submissions are deleted once
-- `expires_at` passes). No street address is ever stored.
CREATE TABLE submissions (
    id TEXT PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (length(state) = 2),
    status TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'confirmed')),
    supporter_name TEXT,
    supporter_email TEXT,
    -- SHA-256 of the lower-cased email, for the limit on unconfirmed submissions per address (so
    -- nobody can use the service to flood someone else's inbox with confirmation emails).
    email_hash TEXT,
    confirm_hash TEXT NOT NULL UNIQUE,
    receipt_hash TEXT NOT NULL UNIQUE,
    -- SHA-256 of the campaign and the client's Idempotency-Key (or the form's nonce): a repeated
    -- request finds the submission the first one made.
    idempotency_hash TEXT UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    purged_at BIGINT
);
CREATE INDEX submissions_unconfirmed ON submissions (status, expires_at);
CREATE INDEX submissions_by_email ON submissions (email_hash, created_at);

-- Every mail the service sends: the confirmation email (kind `confirmation`) and the messages
-- to legislators (kind `message`). Message rows are written with the submission as `held`
-- and become `queued` in the one statement that confirms it. The worker claims due rows
-- (`queued` and `next_attempt_at` passed, or `sending` with an expired lease) by setting
-- `sending`, a lease id and `lease_until`; it ends each at `sent` or `failed`, or puts it
-- back to `queued` with a later `next_attempt_at`.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('confirmation', 'message')),
    position BIGINT NOT NULL,
    legislator_id TEXT,
    recipient_name TEXT NOT NULL,
    recipient_title TEXT NOT NULL,
    -- Purged with the text (the confirmation's recipient is the supporter).
    to_address TEXT,
    from_name TEXT,
    reply_to TEXT,
    subject TEXT,
    body TEXT,
    message_id TEXT NOT NULL,
    template_version BIGINT,
    status TEXT NOT NULL CHECK (status IN ('held', 'queued', 'sending', 'sent', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT,
    lease_id TEXT,
    lease_until BIGINT,
    -- The last failure: the SMTP server's reply, or what went wrong on the way.
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_by_submission ON outbox (submission_id, position);

-- Every send rewrites its row (claimed, then sent): vacuum the outbox long before the default
-- 20% of dead rows, or claims slow down as dead index entries pile up.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.02);
