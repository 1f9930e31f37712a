-- Provisioning server schema, version 6 (SQLite): what several server processes sharing this database file must agree
-- on at once. See mysql/006_shared_changes.sql for the reasons; the two scripts make the same tables and triggers.
--
-- change_counter has one row whose count moves, in the same transaction, with every change a server may have cached
-- (token or certificate revoked, account changed or removed, package imported, alias moved); each server reads it once
-- per request and drops its caches when it moved. import_claims holds the config an import is running for.

CREATE TABLE IF NOT EXISTS change_counter (
    id      INTEGER PRIMARY KEY,
    changes INTEGER NOT NULL
);
INSERT OR IGNORE INTO change_counter (id, changes) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS import_claims (
    config_id  INTEGER PRIMARY KEY,
    claim      TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL
);

CREATE TRIGGER IF NOT EXISTS tokens_count_change AFTER UPDATE OF revoked, role, secret_hash ON tokens
    WHEN NEW.revoked IS NOT OLD.revoked OR NEW.role IS NOT OLD.role OR NEW.secret_hash IS NOT OLD.secret_hash
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS tokens_count_delete AFTER DELETE ON tokens
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS station_certificates_count_change AFTER UPDATE OF revoked, not_before, not_after, thumbprint ON station_certificates
    WHEN NEW.revoked IS NOT OLD.revoked OR NEW.not_before IS NOT OLD.not_before OR NEW.not_after IS NOT OLD.not_after
      OR NEW.thumbprint IS NOT OLD.thumbprint
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS station_certificates_count_delete AFTER DELETE ON station_certificates
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
-- Sign-ins update failed_logins, locked_until and last_login: those are not cached and do not count.
CREATE TRIGGER IF NOT EXISTS users_count_change AFTER UPDATE OF name, role, disabled, password_hash ON users
    WHEN NEW.name IS NOT OLD.name OR NEW.role IS NOT OLD.role OR NEW.disabled IS NOT OLD.disabled OR NEW.password_hash IS NOT OLD.password_hash
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS users_count_delete AFTER DELETE ON users
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS packages_count_insert AFTER INSERT ON packages
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS packages_count_delete AFTER DELETE ON packages
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS aliases_count_insert AFTER INSERT ON aliases
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS aliases_count_update AFTER UPDATE ON aliases
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS aliases_count_delete AFTER DELETE ON aliases
BEGIN UPDATE change_counter SET changes = changes + 1 WHERE id = 1; END;

INSERT OR IGNORE INTO schema_version (version, description) VALUES (6, 'change counter and import claims for several instances');
