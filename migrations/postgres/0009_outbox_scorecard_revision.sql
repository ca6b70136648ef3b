-- Each message records the revision of its state's scorecard it was written from, beside the
-- template version (none for confirmations, and for messages written before revisions) (PostgreSQL).
ALTER TABLE outbox ADD COLUMN scorecard_revision BIGINT;
