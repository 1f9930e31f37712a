-- Provisioning server schema, version 2, MySQL 8 / MariaDB 10.5 or newer: the hardware types a package's node
-- firmware supports (manifest <node hardwareTypes="...">). A package without any (all imported before this
-- version) has no rows, which means any hardware type.
--
-- Run by hand after 001_initial.sql:  mariadb orw_prov < 002_hardware_types.sql
-- Running it again is harmless.

CREATE TABLE IF NOT EXISTS package_hardware_types (
    package_id    BIGINT       NOT NULL,
    ordinal       INT          NOT NULL,
    hardware_type VARCHAR(128) NOT NULL,
    PRIMARY KEY (package_id, ordinal),
    CONSTRAINT package_hardware_types_package FOREIGN KEY (package_id) REFERENCES packages (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO schema_version (version, description) VALUES (2, 'package hardware types');
