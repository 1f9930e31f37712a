-- Provisioning server schema, version 6, MySQL 8.0.29 / MariaDB 10.5 or newer (also a MariaDB Galera cluster): what
-- several server instances sharing this database must agree on at once.
--
-- change_counter has one row whose count moves, in the same transaction, with every change that a server instance may
-- have cached: a token or station certificate revoked, an account disabled, given another role or password, or
-- removed, a package imported (a new KMS key) and an alias moved. Each instance reads the count once per request and
-- drops what it cached when the count has moved, so such a change holds from the next request on every instance.
-- Triggers keep the count, so a change a DBA makes by hand counts as well.
--
-- import_claims holds the config an import is running for, from the moment its manifest is read until it commits or
-- fails, so that two imports of one config on two instances do not both go on: the second is refused (409). A claim
-- left by a killed server is taken over once it has not been renewed for a few minutes.
--
-- Run by hand after the earlier scripts:  mariadb orw_prov < 006_shared_changes.sql   (safe to run again; the
-- triggers need the TRIGGER privilege and, with binary logging on, SUPER or log_bin_trust_function_creators=1).

CREATE TABLE IF NOT EXISTS change_counter (
    id      TINYINT NOT NULL PRIMARY KEY,
    changes BIGINT  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
INSERT IGNORE INTO change_counter (id, changes) VALUES (1, 0);

CREATE TABLE IF NOT EXISTS import_claims (
    config_id  BIGINT UNSIGNED NOT NULL PRIMARY KEY,
    claim      CHAR(32)        NOT NULL,
    claimed_at BIGINT          NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TRIGGER IF NOT EXISTS tokens_count_change AFTER UPDATE ON tokens FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1
    WHERE id = 1 AND NOT (NEW.revoked <=> OLD.revoked AND NEW.role <=> OLD.role AND NEW.secret_hash <=> OLD.secret_hash);
CREATE TRIGGER IF NOT EXISTS tokens_count_delete AFTER DELETE ON tokens FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS station_certificates_count_change AFTER UPDATE ON station_certificates FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1
    WHERE id = 1 AND NOT (NEW.revoked <=> OLD.revoked AND NEW.not_before <=> OLD.not_before AND NEW.not_after <=> OLD.not_after
                          AND NEW.thumbprint <=> OLD.thumbprint);
CREATE TRIGGER IF NOT EXISTS station_certificates_count_delete AFTER DELETE ON station_certificates FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;
-- Sign-ins update failed_logins, locked_until and last_login: those are not cached and do not count.
CREATE TRIGGER IF NOT EXISTS users_count_change AFTER UPDATE ON users FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1
    WHERE id = 1 AND NOT (NEW.name <=> OLD.name AND NEW.role <=> OLD.role AND NEW.disabled <=> OLD.disabled
                          AND NEW.password_hash <=> OLD.password_hash);
CREATE TRIGGER IF NOT EXISTS users_count_delete AFTER DELETE ON users FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS packages_count_insert AFTER INSERT ON packages FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS packages_count_delete AFTER DELETE ON packages FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS aliases_count_insert AFTER INSERT ON aliases FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS aliases_count_update AFTER UPDATE ON aliases FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;
CREATE TRIGGER IF NOT EXISTS aliases_count_delete AFTER DELETE ON aliases FOR EACH ROW
    UPDATE change_counter SET changes = changes + 1 WHERE id = 1;

INSERT IGNORE INTO schema_version (version, description) VALUES (6, 'change counter and import claims for several instances');
