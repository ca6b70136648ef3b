-- A campaign's revision: bumped in the same transaction as every change to what the service keeps
-- in memory about it (scorecards, rubric, templates, goal, imports). Every instance polls it and
-- drops its in-memory copies when it moves, so an edit saved through one instance is used by all
-- within the poll's bound (PostgreSQL).
ALTER TABLE campaigns ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
