-- The legislator directory: members of Congress and state legislators, openstates-geo's
-- GEOID -> division rules, the ZIP -> congressional district crosswalk, and a record of each
-- import or sync (SQLite). Every sync replaces the first three tables in one transaction.
CREATE TABLE directory_legislators (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    family_name TEXT NOT NULL,
    title TEXT NOT NULL,
    chamber TEXT NOT NULL CHECK (chamber IN ('state_upper', 'state_lower', 'us_senate', 'us_house')),
    state TEXT NOT NULL CHECK (length(state) = 2),
    district TEXT NOT NULL,
    division_id TEXT NOT NULL,
    party TEXT,
    email TEXT,
    contact_form TEXT,
    phone TEXT,
    photo_url TEXT,
    source TEXT NOT NULL,
    synced_at TEXT NOT NULL
);
CREATE INDEX directory_legislators_by_division ON directory_legislators (division_id);
CREATE INDEX directory_legislators_by_state ON directory_legislators (state, chamber);

-- One state's openstates-geo config, as JSON (see directory::StateRules).
CREATE TABLE directory_division_rules (
    state TEXT PRIMARY KEY CHECK (length(state) = 2),
    rules TEXT NOT NULL
);

CREATE TABLE directory_zips (
    zip TEXT NOT NULL CHECK (length(zip) = 5),
    state TEXT NOT NULL CHECK (length(state) = 2),
    cd INTEGER NOT NULL,
    PRIMARY KEY (zip, state, cd)
);

CREATE TABLE directory_syncs (
    id INTEGER PRIMARY KEY,
    synced_at TEXT NOT NULL,
    source TEXT NOT NULL,
    legislators INTEGER NOT NULL,
    zips INTEGER NOT NULL,
    -- The whole DirectoryReport as JSON.
    report TEXT NOT NULL
);
