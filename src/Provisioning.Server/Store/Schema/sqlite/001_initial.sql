-- Provisioning server schema, version 1, SQLite.
-- The server applies this itself on start (in one IMMEDIATE transaction); it is safe to run again.
-- Conventions: times are UTC Unix milliseconds (INTEGER); config IDs are unsigned 64-bit numbers stored as
-- the same 64 bits in a signed INTEGER (so IDs above 9223372036854775807 read as negative here);
-- request IDs are 16-byte GUIDs in RFC 4122 byte order (hex(request_id) reads as the GUID's digits).

CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER PRIMARY KEY,
    description TEXT    NOT NULL,
    applied     TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Access tokens, by the SHA-256 of the secret: the secret itself is never stored.
CREATE TABLE IF NOT EXISTS tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL UNIQUE,
    created     INTEGER NOT NULL,
    revoked     INTEGER
);

-- One row per imported package revision; the newest revision of a config is current, older ones are history.
CREATE TABLE IF NOT EXISTS packages (
    id                  INTEGER PRIMARY KEY,
    config_id           INTEGER NOT NULL,
    revision            INTEGER NOT NULL,
    is_current          INTEGER NOT NULL,
    node_type           TEXT    NOT NULL,
    node_version        TEXT    NOT NULL,
    app_label           TEXT    NOT NULL,
    comment             TEXT,
    imported_at         INTEGER NOT NULL,
    created             INTEGER NOT NULL,
    creator             TEXT    NOT NULL,
    format_version      INTEGER NOT NULL,
    replaced_at         INTEGER,
    package_sha256      TEXT    NOT NULL,
    kms_public_key_pem  TEXT    NOT NULL,
    kms_fingerprint     TEXT    NOT NULL,
    -- gateway and CDLD keys encrypted under the server master key, never plaintext
    sealed_gateway_keys BLOB    NOT NULL,
    UNIQUE (config_id, revision)
);
CREATE INDEX IF NOT EXISTS packages_current ON packages (config_id) WHERE is_current = 1;

CREATE TABLE IF NOT EXISTS package_apps (
    package_id     INTEGER NOT NULL REFERENCES packages (id),
    ordinal        INTEGER NOT NULL,
    name           TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    public_key_pem TEXT,
    PRIMARY KEY (package_id, ordinal)
);

-- The aliases a package's manifest listed (history); the live mapping is in aliases.
CREATE TABLE IF NOT EXISTS package_aliases (
    package_id INTEGER NOT NULL REFERENCES packages (id),
    ordinal    INTEGER NOT NULL,
    alias      TEXT    NOT NULL,
    PRIMARY KEY (package_id, ordinal)
);

CREATE TABLE IF NOT EXISTS package_files (
    package_id INTEGER NOT NULL REFERENCES packages (id),
    ordinal    INTEGER NOT NULL,
    path       TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    app        TEXT,
    size       INTEGER NOT NULL,
    md5        TEXT    NOT NULL,
    sha256     TEXT    NOT NULL,
    PRIMARY KEY (package_id, ordinal)
);
CREATE INDEX IF NOT EXISTS package_files_sha256 ON package_files (sha256);

-- An alias maps to one config only (several aliases may map to the same config); compared case-sensitively.
CREATE TABLE IF NOT EXISTS aliases (
    alias     TEXT    PRIMARY KEY,
    config_id INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS aliases_config ON aliases (config_id);

-- Every key ever recorded for a device; the current one per node has replaced_at NULL (and nodes points at it).
-- Clustered by config and node (WITHOUT ROWID): exporting a config reads one contiguous range already in node
-- order, as fast as a plain scan, instead of one random row lookup per device. IDs are assigned by the server
-- (MAX(id) + 1 inside its IMMEDIATE write transaction).
CREATE TABLE IF NOT EXISTS device_records (
    id                 INTEGER NOT NULL,
    request_id         BLOB    NOT NULL UNIQUE,
    node_id            INTEGER NOT NULL,
    config_id          INTEGER NOT NULL,
    batch              INTEGER NOT NULL,
    ts                 INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    encrypted_root_key BLOB    NOT NULL,
    key_algorithm      TEXT    NOT NULL,
    kms_fingerprint    TEXT    NOT NULL,
    apps               TEXT,
    station            TEXT,
    recorded_at        INTEGER NOT NULL,
    confirmed_at       INTEGER,
    replaced_at        INTEGER,
    PRIMARY KEY (config_id, node_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS device_records_id ON device_records (id);
CREATE INDEX IF NOT EXISTS device_records_node ON device_records (node_id);

-- One row per node: the lock point that serialises re-provisioning of a node, and its current record.
CREATE TABLE IF NOT EXISTS nodes (
    node_id           INTEGER PRIMARY KEY,
    current_record_id INTEGER REFERENCES device_records (id)
);

-- Export history; count, size and sha256 form the receipt once status is complete.
CREATE TABLE IF NOT EXISTS exports (
    id              INTEGER PRIMARY KEY,
    config_id       INTEGER NOT NULL,
    batch           TEXT,
    node_id         TEXT,
    from_ts         INTEGER,
    to_ts           INTEGER,
    include_pending INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    count           INTEGER NOT NULL DEFAULT 0,
    size            INTEGER NOT NULL DEFAULT 0,
    sha256          TEXT,
    started         INTEGER NOT NULL,
    completed       INTEGER,
    requested_by    TEXT
);
CREATE INDEX IF NOT EXISTS exports_config ON exports (config_id);

INSERT OR IGNORE INTO schema_version (version, description) VALUES (1, 'initial');
