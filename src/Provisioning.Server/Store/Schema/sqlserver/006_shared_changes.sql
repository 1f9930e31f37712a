-- Provisioning server schema, version 6, Microsoft SQL Server 2016 SP1 or newer: what several server instances sharing
-- this database must agree on at once.
--
-- change_counter has one row whose count moves, in the same transaction, with every change that a server instance may
-- have cached: a token or station certificate revoked, an account disabled, given another role or password, or
-- removed, a package imported (a new KMS key) and an alias moved. Each instance reads the count once per request and
-- drops what it cached when the count has moved. Triggers keep the count, so a change a DBA makes by hand counts too.
-- SQL Server fires a trigger once per statement: an UPDATE counts when any row it touched changed a cached column
-- (compared NULL-safely with EXCEPT).
--
-- import_claims holds the config an import is running for, from the moment its manifest is read until it commits or
-- fails, so that two imports of one config on two instances do not both go on: the second is refused (409).
--
-- Run by hand after 005_lean_device_records.sql (lines holding only GO end a batch; CREATE TRIGGER must begin its own):
--     sqlcmd -S dbhost -d orw_prov -b -i 006_shared_changes.sql
-- Running it again is harmless. The triggers need ALTER on the tables they watch.

SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;
SET XACT_ABORT ON;
GO

IF OBJECT_ID(N'dbo.change_counter', N'U') IS NULL
CREATE TABLE dbo.change_counter (
    id      TINYINT NOT NULL CONSTRAINT change_counter_pk PRIMARY KEY,
    changes BIGINT  NOT NULL
);
IF NOT EXISTS (SELECT 1 FROM dbo.change_counter WHERE id = 1)
INSERT INTO dbo.change_counter (id, changes) VALUES (1, 0);

-- config_id holds the 64 bits of the unsigned config ID, as in every other table of this engine.
IF OBJECT_ID(N'dbo.import_claims', N'U') IS NULL
CREATE TABLE dbo.import_claims (
    config_id  BIGINT       NOT NULL CONSTRAINT import_claims_pk PRIMARY KEY,
    claim      NVARCHAR(32) COLLATE Latin1_General_100_BIN2 NOT NULL,
    claimed_at BIGINT       NOT NULL
);
GO

CREATE OR ALTER TRIGGER dbo.tokens_count_change ON dbo.tokens AFTER UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT d.id, d.revoked, d.role, d.secret_hash FROM deleted AS d
               EXCEPT SELECT i.id, i.revoked, i.role, i.secret_hash FROM inserted AS i)
        UPDATE dbo.change_counter SET changes = changes + 1 WHERE id = 1;
END;
GO

CREATE OR ALTER TRIGGER dbo.station_certificates_count_change ON dbo.station_certificates AFTER UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT d.id, d.revoked, d.not_before, d.not_after, d.thumbprint FROM deleted AS d
               EXCEPT SELECT i.id, i.revoked, i.not_before, i.not_after, i.thumbprint FROM inserted AS i)
        UPDATE dbo.change_counter SET changes = changes + 1 WHERE id = 1;
END;
GO

-- Sign-ins update failed_logins, locked_until and last_login: those are not cached and do not count.
CREATE OR ALTER TRIGGER dbo.users_count_change ON dbo.users AFTER UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT d.id, d.name, d.role, d.disabled, d.password_hash FROM deleted AS d
               EXCEPT SELECT i.id, i.name, i.role, i.disabled, i.password_hash FROM inserted AS i)
        UPDATE dbo.change_counter SET changes = changes + 1 WHERE id = 1;
END;
GO

CREATE OR ALTER TRIGGER dbo.packages_count_change ON dbo.packages AFTER INSERT, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT 1 FROM inserted) OR EXISTS (SELECT 1 FROM deleted)
        UPDATE dbo.change_counter SET changes = changes + 1 WHERE id = 1;
END;
GO

CREATE OR ALTER TRIGGER dbo.aliases_count_change ON dbo.aliases AFTER INSERT, UPDATE, DELETE
AS
BEGIN
    SET NOCOUNT ON;
    IF EXISTS (SELECT 1 FROM inserted) OR EXISTS (SELECT 1 FROM deleted)
        UPDATE dbo.change_counter SET changes = changes + 1 WHERE id = 1;
END;
GO

IF NOT EXISTS (SELECT 1 FROM dbo.schema_version WHERE version = 6)
INSERT INTO dbo.schema_version (version, description) VALUES (6, N'change counter and import claims for several instances');
GO
