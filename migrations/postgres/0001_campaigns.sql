-- Campaigns, their rubric, and the bills evaluated against it (PostgreSQL).
CREATE TABLE campaigns (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    organisation TEXT NOT NULL,
    summary TEXT NOT NULL,
    url TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE criteria (
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('end', 'start')),
    label TEXT NOT NULL,
    ask TEXT NOT NULL,
    PRIMARY KEY (campaign_id, id)
);

CREATE TABLE bills (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (length(state) = 2),
    position INTEGER NOT NULL,
    number TEXT,
    title TEXT NOT NULL,
    year INTEGER,
    status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'pending')),
    source_url TEXT NOT NULL,
    featured BOOLEAN NOT NULL,
    note TEXT
);
CREATE INDEX bills_by_state ON bills (campaign_id, state, position);
CREATE UNIQUE INDEX bills_one_featured ON bills (campaign_id, state) WHERE featured;

CREATE TABLE evaluations (
    bill_id BIGINT NOT NULL REFERENCES bills (id) ON DELETE CASCADE,
    campaign_id BIGINT NOT NULL,
    criterion_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('yes', 'partial', 'no', 'unknown')),
    reason TEXT NOT NULL,
    quote TEXT,
    source TEXT,
    PRIMARY KEY (bill_id, criterion_id),
    FOREIGN KEY (campaign_id, criterion_id) REFERENCES criteria (campaign_id, id) ON DELETE CASCADE
);
