-- Provisioning server schema, version 7, Microsoft SQL Server 2016 SP1 or newer: host records (guide C.5 setDutParams).
--
-- A host tool (Set-ProvDeviceRecord) saves per application an ID, an encrypted key and extra information for a device,
-- with the node's ID when it knows it and without it when it does not (the guide allows None). Such a record carries no
-- node root key, so it has its own table and never touches a node's device records. See sqlite/007_host_records.sql for
-- device_ref and the states; the three engines' scripts make the same table.
--
-- Run by hand after 006_shared_changes.sql (lines holding only GO end a batch):
--     sqlcmd -S dbhost -d orw_prov -b -i 007_host_records.sql
-- Running it again is harmless.

SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;
SET XACT_ABORT ON;
GO

-- config_id holds the 64 bits of the unsigned config ID, as in every other table of this engine.
IF OBJECT_ID(N'dbo.host_records', N'U') IS NULL
CREATE TABLE dbo.host_records (
    id           BIGINT         NOT NULL IDENTITY(1, 1) CONSTRAINT host_records_pk PRIMARY KEY,
    request_id   BINARY(16)     NOT NULL CONSTRAINT host_records_request UNIQUE,
    config_id    BIGINT         NOT NULL,
    node_id      BIGINT         NULL CONSTRAINT host_records_node_range CHECK (node_id BETWEEN 0 AND 4294967295),
    device_ref   NCHAR(64)      COLLATE Latin1_General_100_BIN2 NULL,
    batch        BIGINT         NOT NULL CONSTRAINT host_records_batch_range CHECK (batch BETWEEN 0 AND 4294967295),
    ts           BIGINT         NOT NULL,
    status       NVARCHAR(16)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    app_data     VARBINARY(MAX) NOT NULL,
    station      NVARCHAR(MAX)  NULL,
    recorded_at  BIGINT         NOT NULL,
    confirmed_at BIGINT         NULL,
    replaced_at  BIGINT         NULL
);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.host_records') AND name = N'host_records_export')
CREATE INDEX host_records_export ON dbo.host_records (config_id, node_id, device_ref, id);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.host_records') AND name = N'host_records_device')
CREATE INDEX host_records_device ON dbo.host_records (device_ref, status);
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.host_records') AND name = N'host_records_node')
CREATE INDEX host_records_node ON dbo.host_records (node_id);

IF NOT EXISTS (SELECT 1 FROM dbo.schema_version WHERE version = 7)
INSERT INTO dbo.schema_version (version, description) VALUES (7, N'host records: application data without a root key');
GO
