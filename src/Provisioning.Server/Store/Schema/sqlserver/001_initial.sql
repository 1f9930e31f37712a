-- Provisioning server schema, version 1, Microsoft SQL Server 2016 SP1 or newer (also Azure SQL Database).
--
-- The server applies this itself on start, in one transaction with the version row. A DBA may instead run it by
-- hand against an empty database with sqlcmd (the lines holding only GO end a batch, as sqlcmd and SSMS expect):
--     sqlcmd -S dbhost -d orw_prov -b -i 001_initial.sql
-- Running it again is harmless: every object is created only when missing and the version row is inserted once.
-- The server's login then needs SELECT, INSERT, UPDATE, DELETE on the dbo schema (and CREATE TABLE, ALTER on the
-- schema to apply later versions itself); see docs/database.md.
--
-- Conventions: times are UTC Unix milliseconds (BIGINT); config IDs are unsigned 64-bit numbers stored as the same
-- 64 bits in a signed BIGINT (so IDs above 9223372036854775807 read as negative here); node IDs and batches are
-- unsigned 32-bit numbers in a BIGINT; request IDs are 16-byte GUIDs in RFC 4122 byte order (CONVERT(CHAR(32),
-- request_id, 2) reads as the GUID's digits). Text that must compare case-sensitively (aliases, hashes) uses a
-- binary collation, whatever the database's default.

-- The options the schema needs whatever the client (sqlcmd starts with QUOTED_IDENTIFIER OFF); a failing statement
-- ends the batch and rolls back its transaction.
SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;
SET XACT_ABORT ON;
GO

IF OBJECT_ID(N'dbo.schema_version', N'U') IS NULL
CREATE TABLE dbo.schema_version (
    version     INT           NOT NULL CONSTRAINT schema_version_pk PRIMARY KEY,
    description NVARCHAR(200) NOT NULL,
    applied     DATETIME2(3)  NOT NULL CONSTRAINT schema_version_applied DEFAULT SYSUTCDATETIME()
);

-- Access tokens, by the SHA-256 of the secret: the secret itself is never stored.
IF OBJECT_ID(N'dbo.tokens', N'U') IS NULL
CREATE TABLE dbo.tokens (
    id          BIGINT        NOT NULL IDENTITY(1, 1) CONSTRAINT tokens_pk PRIMARY KEY,
    name        NVARCHAR(255) NOT NULL,
    role        NVARCHAR(32)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    secret_hash VARBINARY(32) NOT NULL CONSTRAINT tokens_secret_hash UNIQUE,
    created     BIGINT        NOT NULL,
    revoked     BIGINT        NULL
);

-- One row per imported package revision; the newest revision of a config is current, older ones are history.
IF OBJECT_ID(N'dbo.packages', N'U') IS NULL
CREATE TABLE dbo.packages (
    id                  BIGINT         NOT NULL IDENTITY(1, 1) CONSTRAINT packages_pk PRIMARY KEY,
    config_id           BIGINT         NOT NULL,
    revision            INT            NOT NULL,
    is_current          BIT            NOT NULL,
    node_type           NVARCHAR(128)  NOT NULL,
    node_version        NVARCHAR(128)  NOT NULL,
    app_label           NVARCHAR(128)  NOT NULL,
    comment             NVARCHAR(MAX)  NULL,
    imported_at         BIGINT         NOT NULL,
    created             BIGINT         NOT NULL,
    creator             NVARCHAR(255)  NOT NULL,
    format_version      INT            NOT NULL,
    replaced_at         BIGINT         NULL,
    package_sha256      NVARCHAR(64)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    kms_public_key_pem  NVARCHAR(MAX)  NOT NULL,
    kms_fingerprint     NVARCHAR(128)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    -- gateway and CDLD keys encrypted under the server master key, never plaintext
    sealed_gateway_keys VARBINARY(MAX) NOT NULL,
    CONSTRAINT packages_config_revision UNIQUE (config_id, revision)
);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.packages') AND name = N'packages_current')
CREATE INDEX packages_current ON dbo.packages (config_id, is_current);

IF OBJECT_ID(N'dbo.package_apps', N'U') IS NULL
CREATE TABLE dbo.package_apps (
    package_id     BIGINT        NOT NULL CONSTRAINT package_apps_package REFERENCES dbo.packages (id),
    ordinal        INT           NOT NULL,
    name           NVARCHAR(128) NOT NULL,
    version        NVARCHAR(128) NOT NULL,
    public_key_pem NVARCHAR(MAX) NULL,
    CONSTRAINT package_apps_pk PRIMARY KEY (package_id, ordinal)
);

-- The aliases a package's manifest listed (history); the live mapping is in aliases.
IF OBJECT_ID(N'dbo.package_aliases', N'U') IS NULL
CREATE TABLE dbo.package_aliases (
    package_id BIGINT        NOT NULL CONSTRAINT package_aliases_package REFERENCES dbo.packages (id),
    ordinal    INT           NOT NULL,
    alias      NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT package_aliases_pk PRIMARY KEY (package_id, ordinal)
);

IF OBJECT_ID(N'dbo.package_files', N'U') IS NULL
CREATE TABLE dbo.package_files (
    package_id BIGINT         NOT NULL CONSTRAINT package_files_package REFERENCES dbo.packages (id),
    ordinal    INT            NOT NULL,
    path       NVARCHAR(1024) NOT NULL,
    role       NVARCHAR(32)   NOT NULL,
    app        NVARCHAR(128)  NULL,
    size       BIGINT         NOT NULL,
    md5        NVARCHAR(32)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    sha256     NVARCHAR(64)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT package_files_pk PRIMARY KEY (package_id, ordinal)
);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.package_files') AND name = N'package_files_sha256')
CREATE INDEX package_files_sha256 ON dbo.package_files (sha256);

-- An alias maps to one config only (several aliases may map to the same config); compared case-sensitively.
IF OBJECT_ID(N'dbo.aliases', N'U') IS NULL
CREATE TABLE dbo.aliases (
    alias     NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT aliases_pk PRIMARY KEY,
    config_id BIGINT        NOT NULL
);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.aliases') AND name = N'aliases_config')
CREATE INDEX aliases_config ON dbo.aliases (config_id);

-- Every key ever recorded for a device; the current one per node has replaced_at NULL (and nodes points at it).
-- Clustered by config and node: exporting a config reads one contiguous range already in node order, as fast as a
-- plain scan, instead of a lookup per device.
IF OBJECT_ID(N'dbo.device_records', N'U') IS NULL
CREATE TABLE dbo.device_records (
    id                 BIGINT          NOT NULL IDENTITY(1, 1),
    request_id         BINARY(16)      NOT NULL,
    node_id            BIGINT          NOT NULL CONSTRAINT device_records_node_range CHECK (node_id BETWEEN 0 AND 4294967295),
    config_id          BIGINT          NOT NULL,
    batch              BIGINT          NOT NULL CONSTRAINT device_records_batch_range CHECK (batch BETWEEN 0 AND 4294967295),
    ts                 BIGINT          NOT NULL,
    status             NVARCHAR(16)    COLLATE Latin1_General_100_BIN2 NOT NULL,
    encrypted_root_key VARBINARY(1024) NOT NULL,
    key_algorithm      NVARCHAR(64)    NOT NULL,
    kms_fingerprint    NVARCHAR(128)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    apps               NVARCHAR(MAX)   NULL,
    station            NVARCHAR(MAX)   NULL,
    recorded_at        BIGINT          NOT NULL,
    confirmed_at       BIGINT          NULL,
    replaced_at        BIGINT          NULL,
    CONSTRAINT device_records_pk PRIMARY KEY CLUSTERED (config_id, node_id, id),
    CONSTRAINT device_records_id UNIQUE NONCLUSTERED (id),
    CONSTRAINT device_records_request UNIQUE NONCLUSTERED (request_id)
);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.device_records') AND name = N'device_records_node')
CREATE INDEX device_records_node ON dbo.device_records (node_id);

-- One row per node: the lock point that serialises re-provisioning of a node, and its current record.
IF OBJECT_ID(N'dbo.nodes', N'U') IS NULL
CREATE TABLE dbo.nodes (
    node_id           BIGINT NOT NULL CONSTRAINT nodes_pk PRIMARY KEY,
    current_record_id BIGINT NULL CONSTRAINT nodes_current_record REFERENCES dbo.device_records (id)
);

-- Export history; count, size and sha256 form the receipt once status is complete.
IF OBJECT_ID(N'dbo.exports', N'U') IS NULL
CREATE TABLE dbo.exports (
    id              BIGINT        NOT NULL IDENTITY(1, 1) CONSTRAINT exports_pk PRIMARY KEY,
    config_id       BIGINT        NOT NULL,
    batch           NVARCHAR(MAX) NULL,
    node_id         NVARCHAR(MAX) NULL,
    from_ts         BIGINT        NULL,
    to_ts           BIGINT        NULL,
    include_pending BIT           NOT NULL,
    status          NVARCHAR(16)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    count           BIGINT        NOT NULL CONSTRAINT exports_count DEFAULT 0,
    size            BIGINT        NOT NULL CONSTRAINT exports_size DEFAULT 0,
    sha256          NVARCHAR(64)  NULL,
    started         BIGINT        NOT NULL,
    completed       BIGINT        NULL,
    requested_by    NVARCHAR(255) NULL
);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.exports') AND name = N'exports_config')
CREATE INDEX exports_config ON dbo.exports (config_id);

IF NOT EXISTS (SELECT 1 FROM dbo.schema_version WHERE version = 1)
INSERT INTO dbo.schema_version (version, description) VALUES (1, N'initial');
GO
