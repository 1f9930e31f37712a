-- Provisioning server schema, version 4, Microsoft SQL Server 2016 SP1 or newer: web accounts, station client
-- certificates and the audit log.
--
-- Run by hand after 003_key_custody.sql (lines holding only GO end a batch; CREATE TRIGGER must begin its own):
--     sqlcmd -S dbhost -d orw_prov -b -i 004_accounts_certificates_audit.sql
-- Running it again is harmless. The triggers need ALTER on the audit_log table (CREATE OR ALTER TRIGGER).

-- The options the schema needs whatever the client (sqlcmd starts with QUOTED_IDENTIFIER OFF); a failing statement
-- ends the batch and rolls back its transaction.
SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;
SET XACT_ABORT ON;
GO

-- People who sign in to the web pages (role admin or exporter). Only a password hash is kept (ASP.NET Core
-- Identity's PasswordHasher format); failed_logins and locked_until throttle guessing per account. Names compare
-- case-insensitively, as on the other engines.
IF OBJECT_ID(N'dbo.users', N'U') IS NULL
CREATE TABLE dbo.users (
    id            BIGINT        NOT NULL IDENTITY(1, 1) CONSTRAINT users_pk PRIMARY KEY,
    name          NVARCHAR(255) COLLATE Latin1_General_100_CI_AS NOT NULL CONSTRAINT users_name UNIQUE,
    role          NVARCHAR(32)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    password_hash NVARCHAR(255) COLLATE Latin1_General_100_BIN2 NOT NULL,
    disabled      BIT           NOT NULL CONSTRAINT users_disabled DEFAULT 0,
    created       BIGINT        NOT NULL,
    updated       BIGINT        NOT NULL,
    failed_logins INT           NOT NULL CONSTRAINT users_failed_logins DEFAULT 0,
    locked_until  BIGINT        NULL,
    last_login    BIGINT        NULL
);

-- Client certificates issued to stations by the server's CA. Looked up by thumbprint (SHA-256 of the DER, hex) on
-- every request, so a revocation takes effect at once on every server instance sharing the database. No key is kept:
-- the station made its key pair and sent only a signing request.
IF OBJECT_ID(N'dbo.station_certificates', N'U') IS NULL
CREATE TABLE dbo.station_certificates (
    id         BIGINT        NOT NULL IDENTITY(1, 1) CONSTRAINT station_certificates_pk PRIMARY KEY,
    name       NVARCHAR(255) NOT NULL,
    serial     NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT station_certificates_serial UNIQUE,
    thumbprint NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL CONSTRAINT station_certificates_thumbprint UNIQUE,
    not_before BIGINT        NOT NULL,
    not_after  BIGINT        NOT NULL,
    issued     BIGINT        NOT NULL,
    issued_by  NVARCHAR(255) NULL,
    revoked    BIGINT        NULL,
    revoked_by NVARCHAR(255) NULL
);

-- Who did what, when, from where: imports, exports, tokens, certificates, accounts, sign-ins, refused key requests.
-- Append-only: the triggers below refuse every UPDATE and DELETE (TRUNCATE TABLE needs ALTER on the table, which
-- the server's login should not have; see docs/database.md).
IF OBJECT_ID(N'dbo.audit_log', N'U') IS NULL
CREATE TABLE dbo.audit_log (
    id         BIGINT        NOT NULL IDENTITY(1, 1) CONSTRAINT audit_log_pk PRIMARY KEY,
    at         BIGINT        NOT NULL,
    actor_kind NVARCHAR(32)  NULL,
    actor_id   BIGINT        NULL,
    actor_name NVARCHAR(255) NULL,
    address    NVARCHAR(64)  NULL,
    action     NVARCHAR(64)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    target     NVARCHAR(255) NULL,
    detail     NVARCHAR(MAX) NULL,
    succeeded  BIT           NOT NULL
);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.audit_log') AND name = N'audit_log_at')
    CREATE INDEX audit_log_at ON dbo.audit_log (at);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.audit_log') AND name = N'audit_log_action')
    CREATE INDEX audit_log_action ON dbo.audit_log (action, at);
GO

-- INSTEAD OF: the row is never touched, and the error rolls back the statement (and its transaction).
CREATE OR ALTER TRIGGER dbo.audit_log_no_update ON dbo.audit_log INSTEAD OF UPDATE
AS
BEGIN
    SET NOCOUNT ON;
    THROW 51000, N'The audit log is append-only.', 1;
END;
GO

CREATE OR ALTER TRIGGER dbo.audit_log_no_delete ON dbo.audit_log INSTEAD OF DELETE
AS
BEGIN
    SET NOCOUNT ON;
    THROW 51000, N'The audit log is append-only.', 1;
END;
GO

IF NOT EXISTS (SELECT 1 FROM dbo.schema_version WHERE version = 4)
INSERT INTO dbo.schema_version (version, description) VALUES (4, N'accounts, station certificates, audit log');
GO
