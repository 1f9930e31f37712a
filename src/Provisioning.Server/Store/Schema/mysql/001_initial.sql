-- Provisioning server schema, version 1, MySQL 8 / MariaDB 10.5 or newer.
--
-- The server applies this itself on start. A DBA may instead run it by hand against an empty database:
--     mariadb orw_prov < 001_initial.sql        (or: mysql orw_prov < 001_initial.sql)
-- Running it again is harmless: every statement is "if not exists" and the version row is inserted once.
-- The server's user then needs SELECT, INSERT, UPDATE, DELETE on that database (and CREATE, ALTER, INDEX
-- to apply later versions itself).
--
-- Conventions: times are UTC Unix milliseconds (BIGINT); config IDs BIGINT UNSIGNED; node IDs and batches
-- INT UNSIGNED; request IDs are 16-byte GUIDs in RFC 4122 byte order (HEX(request_id) reads as the GUID).
-- Text compares case-sensitively (utf8mb4_bin), as aliases must.

CREATE TABLE IF NOT EXISTS schema_version (
    version     INT          NOT NULL PRIMARY KEY,
    description VARCHAR(200) NOT NULL,
    applied     TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Access tokens, by the SHA-256 of the secret: the secret itself is never stored.
CREATE TABLE IF NOT EXISTS tokens (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name        VARCHAR(255) NOT NULL,
    role        VARCHAR(32)  NOT NULL,
    secret_hash VARBINARY(32) NOT NULL,
    created     BIGINT       NOT NULL,
    revoked     BIGINT       NULL,
    UNIQUE KEY tokens_secret_hash (secret_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per imported package revision; the newest revision of a config is current, older ones are history.
CREATE TABLE IF NOT EXISTS packages (
    id                  BIGINT          NOT NULL AUTO_INCREMENT PRIMARY KEY,
    config_id           BIGINT UNSIGNED NOT NULL,
    revision            INT             NOT NULL,
    is_current          TINYINT(1)      NOT NULL,
    node_type           VARCHAR(128)    NOT NULL,
    node_version        VARCHAR(128)    NOT NULL,
    app_label           VARCHAR(128)    NOT NULL,
    comment             TEXT            NULL,
    imported_at         BIGINT          NOT NULL,
    created             BIGINT          NOT NULL,
    creator             VARCHAR(255)    NOT NULL,
    format_version      INT             NOT NULL,
    replaced_at         BIGINT          NULL,
    package_sha256      CHAR(64)        NOT NULL,
    kms_public_key_pem  TEXT            NOT NULL,
    kms_fingerprint     VARCHAR(128)    NOT NULL,
    -- gateway and CDLD keys encrypted under the server master key, never plaintext
    sealed_gateway_keys BLOB            NOT NULL,
    UNIQUE KEY packages_config_revision (config_id, revision),
    KEY packages_current (config_id, is_current)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS package_apps (
    package_id     BIGINT       NOT NULL,
    ordinal        INT          NOT NULL,
    name           VARCHAR(128) NOT NULL,
    version        VARCHAR(128) NOT NULL,
    public_key_pem TEXT         NULL,
    PRIMARY KEY (package_id, ordinal),
    CONSTRAINT package_apps_package FOREIGN KEY (package_id) REFERENCES packages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The aliases a package's manifest listed (history); the live mapping is in aliases.
CREATE TABLE IF NOT EXISTS package_aliases (
    package_id BIGINT       NOT NULL,
    ordinal    INT          NOT NULL,
    alias      VARCHAR(128) NOT NULL,
    PRIMARY KEY (package_id, ordinal),
    CONSTRAINT package_aliases_package FOREIGN KEY (package_id) REFERENCES packages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS package_files (
    package_id BIGINT        NOT NULL,
    ordinal    INT           NOT NULL,
    path       VARCHAR(1024) NOT NULL,
    role       VARCHAR(32)   NOT NULL,
    app        VARCHAR(128)  NULL,
    size       BIGINT        NOT NULL,
    md5        CHAR(32)      NOT NULL,
    sha256     CHAR(64)      NOT NULL,
    PRIMARY KEY (package_id, ordinal),
    KEY package_files_sha256 (sha256),
    CONSTRAINT package_files_package FOREIGN KEY (package_id) REFERENCES packages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- An alias maps to one config only (several aliases may map to the same config).
CREATE TABLE IF NOT EXISTS aliases (
    alias     VARCHAR(128)    NOT NULL PRIMARY KEY,
    config_id BIGINT UNSIGNED NOT NULL,
    KEY aliases_config (config_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every key ever recorded for a device; the current one per node has replaced_at NULL (and nodes points at it).
CREATE TABLE IF NOT EXISTS device_records (
    id                 BIGINT          NOT NULL AUTO_INCREMENT,
    request_id         BINARY(16)      NOT NULL,
    node_id            INT UNSIGNED    NOT NULL,
    config_id          BIGINT UNSIGNED NOT NULL,
    batch              INT UNSIGNED    NOT NULL,
    ts                 BIGINT          NOT NULL,
    status             VARCHAR(16)     NOT NULL,
    encrypted_root_key VARBINARY(1024) NOT NULL,
    key_algorithm      VARCHAR(64)     NOT NULL,
    kms_fingerprint    VARCHAR(128)    NOT NULL,
    apps               TEXT            NULL,
    station            TEXT            NULL,
    recorded_at        BIGINT          NOT NULL,
    confirmed_at       BIGINT          NULL,
    replaced_at        BIGINT          NULL,
    -- Clustered by config and node: exporting a config reads one contiguous range already in node order, as
    -- fast as a plain scan, instead of a secondary-index walk with a row lookup (or a sort) per device.
    PRIMARY KEY (config_id, node_id, id),
    UNIQUE KEY device_records_id (id),
    UNIQUE KEY device_records_request (request_id),
    KEY device_records_node (node_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per node: the lock point that serialises re-provisioning of a node, and its current record.
CREATE TABLE IF NOT EXISTS nodes (
    node_id           INT UNSIGNED NOT NULL PRIMARY KEY,
    current_record_id BIGINT       NULL,
    CONSTRAINT nodes_current_record FOREIGN KEY (current_record_id) REFERENCES device_records (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Export history; count, size and sha256 form the receipt once status is complete.
CREATE TABLE IF NOT EXISTS exports (
    id              BIGINT          NOT NULL AUTO_INCREMENT PRIMARY KEY,
    config_id       BIGINT UNSIGNED NOT NULL,
    batch           TEXT            NULL,
    node_id         TEXT            NULL,
    from_ts         BIGINT          NULL,
    to_ts           BIGINT          NULL,
    include_pending TINYINT(1)      NOT NULL,
    status          VARCHAR(16)     NOT NULL,
    count           BIGINT          NOT NULL DEFAULT 0,
    size            BIGINT          NOT NULL DEFAULT 0,
    sha256          CHAR(64)        NULL,
    started         BIGINT          NOT NULL,
    completed       BIGINT          NULL,
    requested_by    VARCHAR(255)    NULL,
    KEY exports_config (config_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO schema_version (version, description) VALUES (1, 'initial');
