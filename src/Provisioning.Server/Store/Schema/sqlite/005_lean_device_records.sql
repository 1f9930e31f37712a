-- Provisioning server schema, version 5, SQLite: leaner device records.
--
-- A device's application data (app IDs and keys, hex text on the wire) moves from the JSON text column apps to
-- app_data, a compact binary form holding the bytes the hex spells: half the size, so that a whole device record
-- (about 900 bytes with a 3072-bit KMS key) fits in its table page instead of spilling to an overflow page of its own.
-- The server writes app_data for every record from this version on and reads either column, so rows recorded before
-- keep their JSON and need no conversion. (New databases are also created with 8 KiB pages; see docs/database.md.)
--
-- The server applies this in one IMMEDIATE transaction with the version row. Run by hand a second time, only the
-- ALTER TABLE fails ("duplicate column").

ALTER TABLE device_records ADD COLUMN app_data BLOB;

INSERT OR IGNORE INTO schema_version (version, description) VALUES (5, 'lean device records: binary app data');
