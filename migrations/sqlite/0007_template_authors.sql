-- Who saved each message template version, and why (the staff workspace's history) (SQLite).

-- `seed` for the built-in template, `cli` for the command line, otherwise a staff id. SQLite
-- cannot drop a column default later; the store always names the author.
ALTER TABLE message_templates ADD COLUMN author TEXT NOT NULL DEFAULT 'seed';
-- A short note the author left with the version (optional).
ALTER TABLE message_templates ADD COLUMN note TEXT;
-- Until now every version after the seed was saved from the command line.
UPDATE message_templates SET author = 'cli' WHERE version > 1;
