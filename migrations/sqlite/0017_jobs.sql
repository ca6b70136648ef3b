-- Jobs that must run in one instance at a time (the retention purge, the directory sync): each
-- run, by whom and how it ended. An outside script reads these columns: keep them as they are.
-- `started_at` and `finished_at` are unix epoch seconds; `outcome` is NULL while the run lasts,
-- then `ok`, `ok: ...` or `failed: <reason>` (never a secret: URLs are shown without
-- credentials or query).
CREATE TABLE job_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job TEXT NOT NULL,
    instance TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    outcome TEXT
);
CREATE INDEX job_runs_job ON job_runs (job, id);

-- A job asked to run now (the staff "sync now"), read by whichever instance holds the job.
CREATE TABLE job_requests (
    job TEXT PRIMARY KEY,
    requested_at BIGINT NOT NULL,
    requested_by TEXT NOT NULL
);

-- What a directory sync changed, against the directory it replaced: `added` (a new legislator),
-- `left` (no longer in the data), `moved` (the same person, another district or chamber). The
-- first load records nothing (everyone would be new).
CREATE TABLE directory_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    synced_at BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('added', 'left', 'moved')),
    legislator_id TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    chamber TEXT NOT NULL,
    old_district TEXT,
    new_district TEXT
);
CREATE INDEX directory_changes_synced ON directory_changes (synced_at, id);
