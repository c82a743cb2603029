-- Issue 4: inventory from configuration exports (DESIGN §3, spec 058 InventoryItem).

-- One connection per environment: a new source replaces the old one. An
-- uploaded zip keeps its file name (source_path is where it was extracted).
CREATE UNIQUE INDEX provider_connections_one_per_environment ON provider_connections (managed_environment_id);
ALTER TABLE provider_connections ADD COLUMN source_name TEXT;

-- Content-addressed payloads: one row per distinct canonical JSON, so the same
-- baseline policy in 40 environments is stored once.
-- (A rowid table: payloads run to megabytes, too large for WITHOUT ROWID rows.)
CREATE TABLE policy_payloads (
    id           INTEGER PRIMARY KEY,
    content_hash TEXT NOT NULL UNIQUE,        -- hex SHA-256 of canonical
    canonical    TEXT NOT NULL CHECK (json_valid(canonical)),
    created_at   TEXT NOT NULL
);

-- Every configuration object of an environment. identity_key is the Graph id
-- (with the type) when the export has one, else the type and the name.
CREATE TABLE policies (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    identity_key           TEXT NOT NULL,
    external_id            TEXT,
    policy_type            TEXT NOT NULL,     -- intune type key
    graph_type             TEXT,
    display_name           TEXT NOT NULL,
    platform               TEXT NOT NULL,
    content_hash           TEXT NOT NULL REFERENCES policy_payloads (content_hash),
    version_count          INTEGER NOT NULL,
    first_seen_at          TEXT NOT NULL,
    last_seen_at           TEXT NOT NULL,
    removed_at             TEXT,
    UNIQUE (managed_environment_id, identity_key)
);
-- The policies list: one index per sort (name, type, platform, versions, last
-- seen), each ending in removed_at so that paging and counting present or removed
-- policies never leave the index.
CREATE INDEX policies_environment_name ON policies (managed_environment_id, display_name COLLATE NOCASE, id, removed_at);
CREATE INDEX policies_environment_type ON policies (managed_environment_id, policy_type, display_name COLLATE NOCASE, id, removed_at);
CREATE INDEX policies_environment_platform ON policies (managed_environment_id, platform, display_name COLLATE NOCASE, id, removed_at);
CREATE INDEX policies_environment_versions ON policies (managed_environment_id, version_count, display_name COLLATE NOCASE, id, removed_at);
CREATE INDEX policies_environment_seen ON policies (managed_environment_id, last_seen_at, id, removed_at);
CREATE INDEX policies_environment_removed ON policies (managed_environment_id, removed_at) WHERE removed_at IS NOT NULL;

CREATE TABLE policy_versions (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    policy_id              INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    version_number         INTEGER NOT NULL,
    captured_at            TEXT NOT NULL,
    content_hash           TEXT NOT NULL REFERENCES policy_payloads (content_hash),
    operation_run_id       INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL,
    source_path            TEXT NOT NULL,     -- the export file it was read from
    modified_at            TEXT,              -- lastModifiedDateTime (or the file's time)
    UNIQUE (policy_id, version_number)
);
CREATE INDEX policy_versions_run ON policy_versions (operation_run_id);
CREATE INDEX policy_versions_hash ON policy_versions (content_hash);

-- spec 058 InventoryItem: what the last sync observed, one row per present
-- policy, with its coverage class. A policy marked removed has none.
CREATE TABLE inventory_items (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    policy_id              INTEGER NOT NULL UNIQUE REFERENCES policies (id) ON DELETE CASCADE,
    coverage               TEXT NOT NULL CHECK (coverage IN ('restorable', 'partial', 'risk', 'dependencies')),
    coverage_reason        TEXT NOT NULL,
    source_path            TEXT NOT NULL,
    size_bytes             INTEGER NOT NULL,
    observed_at            TEXT NOT NULL,
    operation_run_id       INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL
);
-- The hub's total and chips, and the policies list's coverage filter.
CREATE INDEX inventory_items_environment_coverage ON inventory_items (managed_environment_id, coverage, policy_id);
