-- Provisioning server schema, version 2, Microsoft SQL Server 2016 SP1 or newer: the hardware types a package's node
-- firmware supports (manifest <node hardwareTypes="...">). A package without any (all imported before this version)
-- has no rows, which means any hardware type.
--
-- Run by hand after 001_initial.sql (lines holding only GO end a batch):
--     sqlcmd -S dbhost -d orw_prov -b -i 002_hardware_types.sql
-- Running it again is harmless.

-- The options the schema needs whatever the client (sqlcmd starts with QUOTED_IDENTIFIER OFF); a failing statement
-- ends the batch and rolls back its transaction.
SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;
SET XACT_ABORT ON;
GO

IF OBJECT_ID(N'dbo.package_hardware_types', N'U') IS NULL
CREATE TABLE dbo.package_hardware_types (
    package_id    BIGINT        NOT NULL CONSTRAINT package_hardware_types_package REFERENCES dbo.packages (id),
    ordinal       INT           NOT NULL,
    hardware_type NVARCHAR(128) NOT NULL,
    CONSTRAINT package_hardware_types_pk PRIMARY KEY (package_id, ordinal)
);

IF NOT EXISTS (SELECT 1 FROM dbo.schema_version WHERE version = 2)
INSERT INTO dbo.schema_version (version, description) VALUES (2, N'package hardware types');
GO
