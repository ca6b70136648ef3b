-- Every save of one state's scorecard (the staff editor, the command line's import, the seed) is a
-- revision of that state: who, when, why, and the state's bills and evaluations as they then
-- stood, as JSON in the campaign file's shape. The current bills stay in `bills`/`evaluations`
-- (PostgreSQL).
CREATE TABLE scorecard_revisions (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (length(state) = 2),
    revision BIGINT NOT NULL CHECK (revision > 0),
    -- `seed`, `cli`, or `staff:<id>`.
    author TEXT NOT NULL,
    note TEXT,
    created_at BIGINT NOT NULL,
    -- The state's bills, a JSON array of the campaign file's bills (evaluations inside).
    bills TEXT NOT NULL,
    PRIMARY KEY (campaign_id, state, revision)
);
