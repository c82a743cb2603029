-- Issue 11: backup sets (spec 131's BackupSet: name, status, item_count, owned by an
-- environment and its workspace), one item per policy version (the payload stays
-- content-addressed in policy_payloads: a backup costs rows, not copies), retention
-- per environment, and restores with their per-item results and verification.

CREATE TABLE backup_sets (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    name                   TEXT NOT NULL,
    -- partial: captured from an inventory whose last sync could not read every file
    status                 TEXT NOT NULL CHECK (status IN ('complete', 'partial')),
    item_count             INTEGER NOT NULL,
    operation_run_id       INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL,
    created_by_user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    pinned                 INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    created_at             TEXT NOT NULL
);
CREATE INDEX backup_sets_environment_created ON backup_sets (managed_environment_id, created_at DESC, id DESC);
CREATE INDEX backup_sets_run ON backup_sets (operation_run_id);

-- The policy as it was when the set was taken: its version, and the names a
-- restore needs even after the policy is renamed or removed.
CREATE TABLE backup_items (
    id                INTEGER PRIMARY KEY,
    backup_set_id     INTEGER NOT NULL REFERENCES backup_sets (id) ON DELETE CASCADE,
    policy_id         INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    policy_version_id INTEGER REFERENCES policy_versions (id) ON DELETE SET NULL,
    content_hash      TEXT NOT NULL REFERENCES policy_payloads (content_hash),
    identity_key      TEXT NOT NULL,
    external_id       TEXT,
    policy_type       TEXT NOT NULL,
    graph_type        TEXT,
    display_name      TEXT NOT NULL,
    platform          TEXT NOT NULL,
    coverage          TEXT NOT NULL,
    coverage_reason   TEXT NOT NULL
);
CREATE INDEX backup_items_set ON backup_items (backup_set_id, policy_type, display_name COLLATE NOCASE, id);

-- Keep the last keep_last sets and/or those younger than keep_days; NULL and NULL
-- (no row) keeps every set.
CREATE TABLE backup_retention (
    managed_environment_id INTEGER PRIMARY KEY REFERENCES managed_environments (id) ON DELETE CASCADE,
    keep_last              INTEGER CHECK (keep_last IS NULL OR keep_last > 0),
    keep_days              INTEGER CHECK (keep_days IS NULL OR keep_days > 0),
    updated_by_user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at             TEXT NOT NULL
);

-- A restore.apply run: which set it restores into which environment, the set it
-- took of the target first, and the folder it wrote. A set a restore refers to is
-- never deleted (the references are the guard).
CREATE TABLE restores (
    operation_run_id          INTEGER PRIMARY KEY REFERENCES operation_runs (id) ON DELETE CASCADE,
    workspace_id              INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id    INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    backup_set_id             INTEGER NOT NULL REFERENCES backup_sets (id),
    pre_restore_backup_set_id INTEGER REFERENCES backup_sets (id),
    undo_of_run_id            INTEGER REFERENCES restores (operation_run_id) ON DELETE SET NULL,
    layout                    TEXT NOT NULL,
    output_path               TEXT,
    created_at                TEXT NOT NULL
);
CREATE INDEX restores_backup_set ON restores (backup_set_id);
CREATE INDEX restores_pre_restore_set ON restores (pre_restore_backup_set_id);
CREATE INDEX restores_environment ON restores (managed_environment_id, operation_run_id);
CREATE INDEX restores_undo_of ON restores (undo_of_run_id) WHERE undo_of_run_id IS NOT NULL;

-- One row per chosen item: what the restore did with it, and what the next syncs
-- of the target found (verification).
CREATE TABLE restore_items (
    id                  INTEGER PRIMARY KEY,
    operation_run_id    INTEGER NOT NULL REFERENCES restores (operation_run_id) ON DELETE CASCADE,
    backup_item_id      INTEGER NOT NULL REFERENCES backup_items (id) ON DELETE CASCADE,
    action              TEXT NOT NULL CHECK (action IN ('skip', 'update', 'recreate', 'copy')),
    policy_type         TEXT NOT NULL,
    display_name        TEXT NOT NULL,     -- as written: a copy's new name
    with_assignments    INTEGER NOT NULL CHECK (with_assignments IN (0, 1)),
    target_policy_id    INTEGER REFERENCES policies (id) ON DELETE SET NULL,
    hash_before         TEXT,              -- the target's content before, in the form written
    written_hash        TEXT NOT NULL REFERENCES policy_payloads (content_hash), -- what was written, normalised
    written_path        TEXT,              -- inside the restore folder
    result              TEXT NOT NULL CHECK (result IN ('written', 'skipped', 'failed')),
    reason              TEXT NOT NULL DEFAULT '',
    verification        TEXT CHECK (verification IN ('verified', 'not_applied', 'differs')),
    verified_policy_id  INTEGER REFERENCES policies (id) ON DELETE SET NULL,
    verified_hash       TEXT REFERENCES policy_payloads (content_hash), -- what that sync found, in the form written
    verified_at         TEXT,
    verified_by_run_id  INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL
);
CREATE INDEX restore_items_run ON restore_items (operation_run_id, id);
CREATE INDEX restore_items_backup_item ON restore_items (backup_item_id);
