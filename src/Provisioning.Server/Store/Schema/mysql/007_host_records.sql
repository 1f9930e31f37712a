-- Provisioning server schema, version 7, MySQL 8 / MariaDB 10.5 or newer: host records (guide C.5 setDutParams).
--
-- A host tool (Set-ProvDeviceRecord) saves per application an ID, an encrypted key and extra information for a device,
-- with the node's ID when it knows it and without it when it does not (the guide allows None). Such a record carries no
-- node root key, so it has its own table and never touches a node's device records. See sqlite/007_host_records.sql for
-- device_ref and the states; the three engines' scripts make the same table.
--
-- Run by hand after 006_shared_changes.sql:  mariadb orw_prov < 007_host_records.sql   (safe to run again)

CREATE TABLE IF NOT EXISTS host_records (
    id           BIGINT          NOT NULL AUTO_INCREMENT PRIMARY KEY,
    request_id   BINARY(16)      NOT NULL,
    config_id    BIGINT UNSIGNED NOT NULL,
    node_id      INT UNSIGNED    NULL,
    device_ref   CHAR(64)        NULL,
    batch        INT UNSIGNED    NOT NULL,
    ts           BIGINT          NOT NULL,
    status       VARCHAR(16)     NOT NULL,
    app_data     MEDIUMBLOB      NOT NULL,
    station      TEXT            NULL,
    recorded_at  BIGINT          NOT NULL,
    confirmed_at BIGINT          NULL,
    replaced_at  BIGINT          NULL,
    UNIQUE KEY host_records_request (request_id),
    KEY host_records_export (config_id, node_id, device_ref, id),
    KEY host_records_device (device_ref, status),
    KEY host_records_node (node_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT IGNORE INTO schema_version (version, description) VALUES (7, 'host records: application data without a root key');
