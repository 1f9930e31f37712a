-- Provisioning server schema, version 7, SQLite: host records (guide C.5 setDutParams).
--
-- A host tool (Set-ProvDeviceRecord) saves per application an ID, an encrypted key and extra information for a device,
-- with the node's ID when it knows it and without it when it does not (the guide allows None). Such a record carries no
-- node root key, so it has its own table and never touches a node's device records: a node's exportable root key stays
-- what the station recorded and confirmed. Like a device record it starts pending and is confirmed once the host holds
-- the key. device_ref names the device across records (the SHA-256 of "node:<id>" when the node ID is known, else of
-- the first application's name and ID; NULL when neither is known): confirming a record makes the older confirmed
-- records of the same device replaced and their older pending ones abandoned, and an export carries, per device, the
-- newest confirmed record (or with IncludePending a newer pending one). app_data holds the apps in the binary form of
-- device_records.app_data. IDs are assigned by SQLite (the table has a rowid).
--
-- The server applies this in one IMMEDIATE transaction with the version row; it is safe to run again.

CREATE TABLE IF NOT EXISTS host_records (
    id           INTEGER PRIMARY KEY,
    request_id   BLOB    NOT NULL UNIQUE,
    config_id    INTEGER NOT NULL,
    node_id      INTEGER,
    device_ref   TEXT,
    batch        INTEGER NOT NULL,
    ts           INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    app_data     BLOB    NOT NULL,
    station      TEXT,
    recorded_at  INTEGER NOT NULL,
    confirmed_at INTEGER,
    replaced_at  INTEGER
);
-- The export's read: one config's records by node, device and age.
CREATE INDEX IF NOT EXISTS host_records_export ON host_records (config_id, node_id, device_ref, id);
CREATE INDEX IF NOT EXISTS host_records_device ON host_records (device_ref, status);
CREATE INDEX IF NOT EXISTS host_records_node ON host_records (node_id);

INSERT OR IGNORE INTO schema_version (version, description) VALUES (7, 'host records: application data without a root key');
