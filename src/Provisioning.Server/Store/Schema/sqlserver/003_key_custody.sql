-- Provisioning server schema, version 3, Microsoft SQL Server 2016 SP1 or newer: key custody that survives a crash
-- at any instant.
--
-- Record states: pending (recorded before the key was written; not yet known to be on the device), confirmed (the
-- node's current record, at most one per node), replaced (was confirmed; a newer record was confirmed since),
-- abandoned (was pending; the node is known not to hold it). Recording a pending key no longer retires the node's
-- current record: only a confirmation does. Each record keeps its key check value (kcv: 6 hex digits, not secret),
-- so that the node's next GetInfo tells which record it really holds.
--
-- Run by hand after 002_hardware_types.sql (lines holding only GO end a batch):
--     sqlcmd -S dbhost -d orw_prov -b -i 003_key_custody.sql
-- The server applies it in one transaction with the version row, so it is applied whole or not at all. Running it
-- again is harmless: columns and indexes are added only when missing, and the data repair leaves data already
-- converted as it is.

-- The options the schema needs whatever the client (sqlcmd starts with QUOTED_IDENTIFIER OFF); a failing statement
-- ends the batch and rolls back its transaction.
SET QUOTED_IDENTIFIER ON;
SET ANSI_NULLS ON;
SET XACT_ABORT ON;
GO

IF COL_LENGTH(N'dbo.device_records', N'kcv') IS NULL
    ALTER TABLE dbo.device_records ADD kcv NVARCHAR(6) COLLATE Latin1_General_100_BIN2 NULL;
IF COL_LENGTH(N'dbo.exports', N'unresolved') IS NULL
    ALTER TABLE dbo.exports ADD unresolved BIGINT NOT NULL CONSTRAINT exports_unresolved DEFAULT 0;

-- Nodes with a pending record (Get-ProvDevice -Unresolved, resolve). Not a filtered index: the store compares status
-- with a parameter, and a parameterised plan cannot use an index filtered on a constant.
IF NOT EXISTS (SELECT 1 FROM sys.indexes WHERE object_id = OBJECT_ID(N'dbo.device_records') AND name = N'device_records_status')
    CREATE INDEX device_records_status ON dbo.device_records (status, node_id);
GO

-- Repair what the old rule did: recording a pending key retired the confirmed record at once, so a node whose newest
-- record never confirmed had its real key only in history. Its newest confirmed record becomes current again.
UPDATE r SET replaced_at = NULL
FROM dbo.device_records AS r
JOIN (SELECT o.node_id, MAX(o.id) AS id FROM dbo.device_records AS o WHERE o.status = N'confirmed' GROUP BY o.node_id) AS newest
  ON newest.id = r.id
WHERE r.replaced_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM dbo.device_records AS c
                  WHERE c.node_id = r.node_id AND c.status = N'confirmed' AND c.replaced_at IS NULL);

-- Every other confirmed record was retired by a newer one: replaced.
UPDATE dbo.device_records SET status = N'replaced' WHERE status = N'confirmed' AND replaced_at IS NOT NULL;

-- Pending records older than the node's current record never reached the node (or were overwritten): abandoned.
UPDATE r SET status = N'abandoned', replaced_at = COALESCE(r.replaced_at, r.recorded_at)
FROM dbo.device_records AS r
JOIN (SELECT c.node_id, MAX(c.id) AS id FROM dbo.device_records AS c WHERE c.status = N'confirmed' GROUP BY c.node_id) AS cur
  ON cur.node_id = r.node_id
WHERE r.status = N'pending' AND r.id < cur.id;

-- The pending records left are newer than any confirmed one: the node may hold one of them. They stay pending
-- (unresolved) until the node's next contact or a new confirmation settles them.
UPDATE dbo.device_records SET replaced_at = NULL WHERE status = N'pending' AND replaced_at IS NOT NULL;

-- The node's current record is its confirmed one (none when it has none yet).
UPDATE n SET current_record_id = c.id
FROM dbo.nodes AS n
LEFT JOIN dbo.device_records AS c ON c.node_id = n.node_id AND c.status = N'confirmed';

IF NOT EXISTS (SELECT 1 FROM dbo.schema_version WHERE version = 3)
INSERT INTO dbo.schema_version (version, description) VALUES (3, N'key custody: record states and key check values');
GO
