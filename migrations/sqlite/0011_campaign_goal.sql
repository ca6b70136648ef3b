-- A campaign's public goal: how many messages staff aim for, shown by the public counter's
-- progress bar; none until staff set one in the workspace (SQLite).
ALTER TABLE campaigns ADD COLUMN goal BIGINT CHECK (goal IS NULL OR goal > 0);
