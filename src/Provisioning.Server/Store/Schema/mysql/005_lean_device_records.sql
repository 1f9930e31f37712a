-- Provisioning server schema, version 5, MySQL 8 / MariaDB 10.5 or newer: leaner device records.
--
-- A device's application data (app IDs and keys, hex text on the wire) moves from the JSON text column apps to
-- app_data, a compact binary form holding the bytes the hex spells: half the size of the text, which is most of a
-- device record. The server writes app_data for every record from this version on and reads either column, so rows
-- recorded before keep their JSON and need no conversion (and adding a NULL column rewrites no rows).
--
-- Run by hand after 004_accounts_certificates_audit.sql:  mariadb orw_prov < 005_lean_device_records.sql
-- Running it again is harmless: the column is added only when missing.

SET @prov_ddl = IF(EXISTS(SELECT 1 FROM information_schema.columns
                          WHERE table_schema = DATABASE() AND table_name = 'device_records' AND column_name = 'app_data'),
                   'DO 0', 'ALTER TABLE device_records ADD COLUMN app_data BLOB NULL');
PREPARE prov_step FROM @prov_ddl;
EXECUTE prov_step;
DEALLOCATE PREPARE prov_step;
SET @prov_ddl = NULL;

INSERT IGNORE INTO schema_version (version, description) VALUES (5, 'lean device records: binary app data');
