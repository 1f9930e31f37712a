-- Provisioning server schema, version 2, SQLite: the hardware types a package's node firmware supports
-- (manifest <node hardwareTypes="...">). A package without any (all imported before this version) has no rows,
-- which means any hardware type. Safe to run again.

CREATE TABLE IF NOT EXISTS package_hardware_types (
    package_id    INTEGER NOT NULL REFERENCES packages (id),
    ordinal       INTEGER NOT NULL,
    hardware_type TEXT    NOT NULL,
    PRIMARY KEY (package_id, ordinal)
);

INSERT OR IGNORE INTO schema_version (version, description) VALUES (2, 'package hardware types');
