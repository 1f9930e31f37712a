-- Provisioning server schema, version 4, MySQL 8.0.29 / MariaDB 10.5 or newer: web accounts, station client
-- certificates and the audit log. Safe to run again. The triggers need the TRIGGER privilege (and, with binary
-- logging on, SUPER or log_bin_trust_function_creators=1); see docs/database.md.

-- People who sign in to the web pages (role admin or exporter). Only a password hash is kept (ASP.NET Core
-- Identity's PasswordHasher format); failed_logins and locked_until throttle guessing per account.
CREATE TABLE IF NOT EXISTS users (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name          VARCHAR(255) NOT NULL COLLATE utf8mb4_unicode_ci,
    role          VARCHAR(32)  NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    disabled      TINYINT(1)   NOT NULL DEFAULT 0,
    created       BIGINT       NOT NULL,
    updated       BIGINT       NOT NULL,
    failed_logins INT          NOT NULL DEFAULT 0,
    locked_until  BIGINT       NULL,
    last_login    BIGINT       NULL,
    UNIQUE KEY users_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Client certificates issued to stations by the server's CA. Looked up by thumbprint (SHA-256 of the DER, hex) on
-- every request, so a revocation takes effect at once on every server instance sharing the database. No key is kept:
-- the station made its key pair and sent only a signing request.
CREATE TABLE IF NOT EXISTS station_certificates (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name       VARCHAR(255) NOT NULL,
    serial     VARCHAR(64)  NOT NULL,
    thumbprint CHAR(64)     NOT NULL,
    not_before BIGINT       NOT NULL,
    not_after  BIGINT       NOT NULL,
    issued     BIGINT       NOT NULL,
    issued_by  VARCHAR(255) NULL,
    revoked    BIGINT       NULL,
    revoked_by VARCHAR(255) NULL,
    UNIQUE KEY station_certificates_serial (serial),
    UNIQUE KEY station_certificates_thumbprint (thumbprint)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Who did what, when, from where: imports, exports, tokens, certificates, accounts, sign-ins, refused key requests.
-- Append-only: the triggers below refuse every UPDATE and DELETE.
CREATE TABLE IF NOT EXISTS audit_log (
    id         BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at         BIGINT       NOT NULL,
    actor_kind VARCHAR(32)  NULL,
    actor_id   BIGINT       NULL,
    actor_name VARCHAR(255) NULL,
    address    VARCHAR(64)  NULL,
    action     VARCHAR(64)  NOT NULL,
    target     VARCHAR(255) NULL,
    detail     TEXT         NULL,
    succeeded  TINYINT(1)   NOT NULL,
    KEY audit_log_at (at),
    KEY audit_log_action (action, at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'The audit log is append-only.';
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'The audit log is append-only.';

INSERT IGNORE INTO schema_version (version, description) VALUES (4, 'accounts, station certificates, audit log');
