-- Staff accounts, password links, sessions, API tokens, login throttling and the audit log
-- (SQLite). Times are Unix seconds. No token is stored in the clear: only SHA-256 (hex) hashes.

-- People the campaign trusts. `email` is stored lower-cased, so the unique key is
-- case-insensitive. `password_hash` is a PHC string (Argon2id); NULL until the person follows
-- their password link. `totp_secret` (base32) is set once a second factor is confirmed;
-- `totp_pending_secret` holds one being enrolled; `totp_last_step` is the last 30-second step
-- a code was accepted for, so a code cannot be used twice.
CREATE TABLE staff_people (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'organiser')),
    password_hash TEXT,
    totp_secret TEXT,
    totp_pending_secret TEXT,
    totp_last_step BIGINT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL
);

-- One-time links to set a password (invitation or reset): valid until `expires_at`, used once.
CREATE TABLE staff_password_links (
    token_hash TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES staff_people (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX staff_password_links_person ON staff_password_links (person_id);

-- Server-side sessions. The cookie holds the token; `csrf_token` is the session's synchronizer
-- token (not a credential on its own: it is only accepted beside the session cookie).
CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES staff_people (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX staff_sessions_person ON staff_sessions (person_id);

-- API tokens (`Authorization: Bearer adv_...`), acting with their person's role.
CREATE TABLE staff_tokens (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES staff_people (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX staff_tokens_person ON staff_tokens (person_id);

-- Failed logins per key (`account:<email>` or `client:<address>`), kept in the database so the
-- limit holds across instances. `locked_until` 0: not locked.
CREATE TABLE staff_login_throttle (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX staff_login_throttle_updated ON staff_login_throttle (updated_at);

-- Workspace-wide switches an admin sets, e.g. `require_totp` = `true`.
CREATE TABLE staff_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Append-only record of who did what, when and from where. `actor` is `staff:<id>`, `cli` or
-- `anonymous`; `staff_id` repeats the id for filtering (no foreign key: the record outlives
-- nothing it names). Never holds a password, token, session id or message body.
CREATE TABLE staff_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    staff_id BIGINT,
    client_addr TEXT,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX staff_audit_at ON staff_audit (at);
CREATE INDEX staff_audit_actor ON staff_audit (actor, id);
CREATE INDEX staff_audit_action ON staff_audit (action, id);

CREATE TRIGGER staff_audit_no_update BEFORE UPDATE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
CREATE TRIGGER staff_audit_no_delete BEFORE DELETE ON staff_audit
BEGIN
    SELECT RAISE(ABORT, 'staff_audit is append-only');
END;
