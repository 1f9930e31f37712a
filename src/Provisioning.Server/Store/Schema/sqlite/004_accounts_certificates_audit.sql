-- Provisioning server schema, version 4, SQLite: web accounts, station client certificates and the audit log.
-- The server applies this itself on start (in one IMMEDIATE transaction); it is safe to run again.

-- People who sign in to the web pages (role admin or exporter). Only a password hash is kept (ASP.NET Core
-- Identity's PasswordHasher format); failed_logins and locked_until throttle guessing per account.
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    last_login    INTEGER
);

-- Client certificates issued to stations by the server's CA. Looked up by thumbprint (SHA-256 of the DER, hex) on
-- every request, so a revocation takes effect at once on every server instance sharing the database. No key is kept:
-- the station made its key pair and sent only a signing request.
CREATE TABLE IF NOT EXISTS station_certificates (
    id         INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    serial     TEXT    NOT NULL UNIQUE,
    thumbprint TEXT    NOT NULL UNIQUE,
    not_before INTEGER NOT NULL,
    not_after  INTEGER NOT NULL,
    issued     INTEGER NOT NULL,
    issued_by  TEXT,
    revoked    INTEGER,
    revoked_by TEXT
);

-- Who did what, when, from where: imports, exports, tokens, certificates, accounts, sign-ins, refused key requests.
-- Append-only: the triggers below refuse every UPDATE and DELETE.
CREATE TABLE IF NOT EXISTS audit_log (
    id         INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_kind TEXT,
    actor_id   INTEGER,
    actor_name TEXT,
    address    TEXT,
    action     TEXT    NOT NULL,
    target     TEXT,
    detail     TEXT,
    succeeded  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log (action, at);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'The audit log is append-only.'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'The audit log is append-only.'); END;

INSERT OR IGNORE INTO schema_version (version, description) VALUES (4, 'accounts, station certificates, audit log');
