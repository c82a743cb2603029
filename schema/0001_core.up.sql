-- DESIGN §3 core. Timestamps are UTC ISO-8601 text (YYYY-MM-DDTHH:MM:SS.sssZ) everywhere;
-- JSON columns are TEXT holding valid JSON.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,                       -- NULL: signs in only through the launch URL
    is_local_owner INTEGER NOT NULL DEFAULT 0 CHECK (is_local_owner IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- At most one local owner: the account the launch URL signs in.
CREATE UNIQUE INDEX users_local_owner ON users (is_local_owner) WHERE is_local_owner = 1;

CREATE TABLE workspaces (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    archived_at TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE workspace_memberships (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'operator', 'readonly')),
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (workspace_id, user_id)
);
CREATE INDEX workspace_memberships_user ON workspace_memberships (user_id);

-- spec 279: no provider identity here; metadata is provider-neutral.
CREATE TABLE managed_environments (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slug             TEXT NOT NULL,
    name             TEXT NOT NULL,
    display_name     TEXT,
    kind             TEXT NOT NULL DEFAULT 'production'
                     CHECK (kind IN ('production', 'pilot', 'test', 'development')),
    lifecycle_status TEXT NOT NULL DEFAULT 'active' CHECK (lifecycle_status IN ('active', 'archived')),
    metadata         TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (workspace_id, slug)
);

CREATE TABLE managed_environment_memberships (
    id                     INTEGER PRIMARY KEY,
    user_id                INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    role                   TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'operator', 'readonly')),
    source                 TEXT,
    source_ref             TEXT,
    created_by_user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL,
    UNIQUE (managed_environment_id, user_id)
);
CREATE INDEX managed_environment_memberships_user ON managed_environment_memberships (user_id);

-- Where an environment's data comes from; provider identity lives here (spec 279).
CREATE TABLE provider_connections (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    source_kind            TEXT NOT NULL CHECK (source_kind IN ('folder', 'zip')),
    source_path            TEXT NOT NULL,
    layout                 TEXT,
    layout_verdict         TEXT,
    provider_tenant_id     TEXT,
    provider_domain        TEXT,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
CREATE INDEX provider_connections_environment ON provider_connections (managed_environment_id);

-- specs 077/058/131: the canonical monitoring record.
CREATE TABLE operation_runs (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id INTEGER REFERENCES managed_environments (id) ON DELETE SET NULL,
    type                   TEXT NOT NULL,
    status                 TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed')),
    outcome                TEXT CHECK (outcome IN ('succeeded', 'partial', 'failed', 'cancelled')),
    created_at             TEXT NOT NULL,
    started_at             TEXT,
    completed_at           TEXT,
    context                TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(context)),
    summary_counts         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary_counts)),
    failure_summary        TEXT CHECK (failure_summary IS NULL OR json_valid(failure_summary)),
    initiated_by_user_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    heartbeat_at           TEXT,
    -- an outcome exactly when completed
    CHECK ((status = 'completed') = (outcome IS NOT NULL))
);
CREATE INDEX operation_runs_workspace_created ON operation_runs (workspace_id, created_at DESC, id DESC);
CREATE INDEX operation_runs_environment_created ON operation_runs (managed_environment_id, created_at DESC, id DESC);
CREATE INDEX operation_runs_active ON operation_runs (status) WHERE status IN ('queued', 'running');

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    action       TEXT NOT NULL,
    record_type  TEXT NOT NULL,
    record_id    INTEGER,
    record_label TEXT NOT NULL DEFAULT '',
    detail       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    created_at   TEXT NOT NULL
);
CREATE INDEX audit_events_workspace ON audit_events (workspace_id, id DESC);
