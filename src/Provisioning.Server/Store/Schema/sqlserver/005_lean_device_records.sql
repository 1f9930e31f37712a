-- Provisioning server schema, version 5, Microsoft SQL Server 2016 SP1 or newer: leaner device records.
--
-- A device's application data (app IDs and keys, hex text on the wire) moves from the JSON text column apps to
-- app_data, a compact binary form holding the bytes the hex spells: half the size of the text, which is most of a
-- device record. The server writes app_data for every record from this version on and reads either column, so rows
-- recorded before keep their JSON and need no conversion (adding a NULL column changes only metadata). Values this
-- small stay in the row.
--
-- Run by hand after 004_accounts_certificates_audit.sql (lines holding only GO end a batch):
--     sqlcmd -S dbhost -d orw_prov -b -i 005_lean_device_records.sql
-- Running it again is harmless: the column is added only when missing.

-- The options the schema needs whatever the client (sqlcmd starts with QUOTED_IDENTIFIER OFF); a failing statement
-- ends the batch and rolls back its transaction.
SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;
SET XACT_ABORT ON;
GO

IF COL_LENGTH(N'dbo.device_records', N'app_data') IS NULL
    ALTER TABLE dbo.device_records ADD app_data VARBINARY(MAX) NULL;

IF NOT EXISTS (SELECT 1 FROM dbo.schema_version WHERE version = 5)
INSERT INTO dbo.schema_version (version, description) VALUES (5, N'lean device records: binary app data');
GO
