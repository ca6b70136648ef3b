-- The lookup cache (PostgreSQL). An address is never stored: rows are keyed by a keyed hash of it
-- (hex HMAC-SHA256 of the normalised address) and keep only state, ZIP, accuracy and the Open
-- Civic Data division ids. Times are Unix seconds, compared as integers on both databases.
CREATE TABLE lookup_cache (
    address_hash TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (length(state) = 2),
    zip TEXT CHECK (zip IS NULL OR length(zip) = 5),
    accuracy TEXT NOT NULL CHECK (accuracy IN ('address', 'zip', 'manual')),
    -- JSON array of division ids; for an ambiguous address, those every candidate shares.
    divisions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX lookup_cache_expiry ON lookup_cache (expires_at);

-- Choices offered when an address (or a ZIP) is ambiguous, found again by an opaque random
-- token. Labels name districts only, never a street.
CREATE TABLE lookup_choices (
    token TEXT PRIMARY KEY,
    -- The cached lookup that offered the choice (NULL for ZIP lookups, which are not cached).
    address_hash TEXT,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    state TEXT NOT NULL CHECK (length(state) = 2),
    zip TEXT CHECK (zip IS NULL OR length(zip) = 5),
    accuracy TEXT NOT NULL CHECK (accuracy IN ('address', 'zip', 'manual')),
    divisions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX lookup_choices_by_address ON lookup_choices (address_hash, position);
CREATE INDEX lookup_choices_expiry ON lookup_choices (expires_at);

-- Secrets the server makes for itself (the lookup cache's hash key when none is configured),
-- created once and shared by every instance.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
