-- Provisioning server schema, version 3, SQLite: key custody that survives a crash at any instant.
--
-- Record states: pending (recorded before the key was written; not yet known to be on the device), confirmed (the
-- node's current record, at most one per node), replaced (was confirmed; a newer record was confirmed since),
-- abandoned (was pending; the node is known not to hold it). Recording a pending key no longer retires the node's
-- current record: only a confirmation does. Each record keeps its key check value (kcv: 6 hex digits, not secret),
-- so that the node's next GetInfo tells which record it really holds.
--
-- The server applies this in one IMMEDIATE transaction with the version row, so it is applied whole or not at all.
-- Run by hand a second time, only the ALTER TABLE statements fail ("duplicate column"); everything else is written to
-- leave data already converted as it is.

ALTER TABLE device_records ADD COLUMN kcv TEXT;
ALTER TABLE exports ADD COLUMN unresolved INTEGER NOT NULL DEFAULT 0;

-- Nodes with a pending record (Get-ProvDevice -Unresolved, resolve): few rows, so a small partial index.
CREATE INDEX IF NOT EXISTS device_records_pending ON device_records (node_id) WHERE status = 'pending';

-- Repair what the old rule did: recording a pending key retired the confirmed record at once, so a node whose newest
-- record never confirmed had its real key only in history. Its newest confirmed record becomes current again.
UPDATE device_records SET replaced_at = NULL
WHERE status = 'confirmed' AND replaced_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM device_records c
                  WHERE c.node_id = device_records.node_id AND c.status = 'confirmed' AND c.replaced_at IS NULL)
  AND id = (SELECT MAX(o.id) FROM device_records o WHERE o.node_id = device_records.node_id AND o.status = 'confirmed');

-- Every other confirmed record was retired by a newer one: replaced.
UPDATE device_records SET status = 'replaced' WHERE status = 'confirmed' AND replaced_at IS NOT NULL;

-- Pending records older than the node's current record never reached the node (or were overwritten): abandoned.
UPDATE device_records SET status = 'abandoned', replaced_at = COALESCE(replaced_at, recorded_at)
WHERE status = 'pending'
  AND id < (SELECT c.id FROM device_records c WHERE c.node_id = device_records.node_id AND c.status = 'confirmed');

-- The pending records left are newer than any confirmed one: the node may hold one of them. They stay pending
-- (unresolved) until the node's next contact or a new confirmation settles them.
UPDATE device_records SET replaced_at = NULL WHERE status = 'pending' AND replaced_at IS NOT NULL;

-- The node's current record is its confirmed one (none when it has none yet).
UPDATE nodes SET current_record_id =
    (SELECT c.id FROM device_records c WHERE c.node_id = nodes.node_id AND c.status = 'confirmed');

INSERT OR IGNORE INTO schema_version (version, description) VALUES (3, 'key custody: record states and key check values');
