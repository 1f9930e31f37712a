-- Provisioning server schema, version 3, MySQL 8 / MariaDB 10.5 or newer: key custody that survives a crash at any
-- instant.
--
-- Record states: pending (recorded before the key was written; not yet known to be on the device), confirmed (the
-- node's current record, at most one per node), replaced (was confirmed; a newer record was confirmed since),
-- abandoned (was pending; the node is known not to hold it). Recording a pending key no longer retires the node's
-- current record: only a confirmation does. Each record keeps its key check value (kcv: 6 hex digits, not secret),
-- so that the node's next GetInfo tells which record it really holds.
--
-- Run by hand after 002_hardware_types.sql:  mariadb orw_prov < 003_key_custody.sql
-- Running it again is harmless: columns and indexes are added only when missing (DDL commits on its own in MySQL,
-- so a run cut short is simply run again), and the data repair leaves data already converted as it is.

SET @prov_ddl = IF(EXISTS(SELECT 1 FROM information_schema.columns
                          WHERE table_schema = DATABASE() AND table_name = 'device_records' AND column_name = 'kcv'),
                   'DO 0', 'ALTER TABLE device_records ADD COLUMN kcv CHAR(6) NULL');
PREPARE prov_step FROM @prov_ddl;
EXECUTE prov_step;
DEALLOCATE PREPARE prov_step;

SET @prov_ddl = IF(EXISTS(SELECT 1 FROM information_schema.columns
                          WHERE table_schema = DATABASE() AND table_name = 'exports' AND column_name = 'unresolved'),
                   'DO 0', 'ALTER TABLE exports ADD COLUMN unresolved BIGINT NOT NULL DEFAULT 0');
PREPARE prov_step FROM @prov_ddl;
EXECUTE prov_step;
DEALLOCATE PREPARE prov_step;

-- Nodes with a pending record (Get-ProvDevice -Unresolved, resolve).
SET @prov_ddl = IF(EXISTS(SELECT 1 FROM information_schema.statistics
                          WHERE table_schema = DATABASE() AND table_name = 'device_records' AND index_name = 'device_records_status'),
                   'DO 0', 'CREATE INDEX device_records_status ON device_records (status, node_id)');
PREPARE prov_step FROM @prov_ddl;
EXECUTE prov_step;
DEALLOCATE PREPARE prov_step;
SET @prov_ddl = NULL;

-- Repair what the old rule did: recording a pending key retired the confirmed record at once, so a node whose newest
-- record never confirmed had its real key only in history. Its newest confirmed record becomes current again.
-- (GROUP BY makes MySQL materialise the derived tables, so the table may be read while it is updated.)
UPDATE device_records r
JOIN (SELECT o.node_id, MAX(o.id) AS id FROM device_records o WHERE o.status = 'confirmed' GROUP BY o.node_id) newest
  ON newest.id = r.id
LEFT JOIN (SELECT c.node_id FROM device_records c WHERE c.status = 'confirmed' AND c.replaced_at IS NULL GROUP BY c.node_id) live
  ON live.node_id = r.node_id
SET r.replaced_at = NULL
WHERE r.replaced_at IS NOT NULL AND live.node_id IS NULL;

-- Every other confirmed record was retired by a newer one: replaced.
UPDATE device_records SET status = 'replaced' WHERE status = 'confirmed' AND replaced_at IS NOT NULL;

-- Pending records older than the node's current record never reached the node (or were overwritten): abandoned.
UPDATE device_records r
JOIN (SELECT c.node_id, MAX(c.id) AS id FROM device_records c WHERE c.status = 'confirmed' GROUP BY c.node_id) cur
  ON cur.node_id = r.node_id
SET r.status = 'abandoned', r.replaced_at = COALESCE(r.replaced_at, r.recorded_at)
WHERE r.status = 'pending' AND r.id < cur.id;

-- The pending records left are newer than any confirmed one: the node may hold one of them. They stay pending
-- (unresolved) until the node's next contact or a new confirmation settles them.
UPDATE device_records SET replaced_at = NULL WHERE status = 'pending' AND replaced_at IS NOT NULL;

-- The node's current record is its confirmed one (none when it has none yet).
UPDATE nodes n LEFT JOIN device_records c ON c.node_id = n.node_id AND c.status = 'confirmed'
SET n.current_record_id = c.id;

INSERT IGNORE INTO schema_version (version, description) VALUES (3, 'key custody: record states and key check values');
