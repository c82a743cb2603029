-- Issue 10: baselines (spec 131 BaselineProfile, BaselineSnapshot), drift
-- findings (spec 131/058 Finding) with their history, and the matches a
-- manager pinned by hand.

-- Workspace-owned (spec 131): members view, managers and owners edit.
CREATE TABLE baseline_profiles (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name               TEXT NOT NULL,
    slug               TEXT NOT NULL,
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'archived')),
    capture_mode       TEXT NOT NULL DEFAULT 'full' CHECK (capture_mode IN ('full', 'selected')),
    -- capture_mode selected: the policy types (intune type keys) a snapshot holds.
    selected_types     TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(selected_types)),
    report_unexpected  INTEGER NOT NULL DEFAULT 0 CHECK (report_unexpected IN (0, 1)),
    -- [{"path": "settings[…", "severity": "low"}, {"policy_type": "settingsCatalog", "severity": "high"}]
    severity_overrides TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(severity_overrides)),
    created_by_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (workspace_id, slug)
);

CREATE TABLE baseline_snapshots (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    baseline_profile_id    INTEGER NOT NULL REFERENCES baseline_profiles (id) ON DELETE CASCADE,
    captured_at            TEXT NOT NULL,
    -- counts per type, fidelity notes (types not captured and why), the source
    summary_jsonb          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(summary_jsonb)),
    operation_run_id       INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL,
    -- the reference environment, or NULL for an export folder or zip
    source_environment_id  INTEGER REFERENCES managed_environments (id) ON DELETE SET NULL,
    source_name            TEXT NOT NULL,
    item_count             INTEGER NOT NULL
);
-- A profile's snapshots, newest first (the latest is what a compare uses).
CREATE INDEX baseline_snapshots_profile ON baseline_snapshots (baseline_profile_id, captured_at DESC, id DESC);

-- One row per captured policy version: payloads are content-addressed, so a
-- snapshot costs rows, not copies.
CREATE TABLE baseline_snapshot_items (
    id                   INTEGER PRIMARY KEY,
    baseline_snapshot_id INTEGER NOT NULL REFERENCES baseline_snapshots (id) ON DELETE CASCADE,
    policy_type          TEXT NOT NULL,
    graph_type           TEXT,
    display_name         TEXT NOT NULL,
    -- the display name as matching reads it: case, spaces and a trailing version marker dropped
    match_name           TEXT NOT NULL,
    platform             TEXT NOT NULL,
    content_hash         TEXT NOT NULL REFERENCES policy_payloads (content_hash),
    -- the environment's version it was captured from; NULL from an export folder
    policy_version_id    INTEGER REFERENCES policy_versions (id) ON DELETE SET NULL,
    source_path          TEXT NOT NULL
);
CREATE INDEX baseline_snapshot_items_snapshot ON baseline_snapshot_items (baseline_snapshot_id, policy_type, match_name);

-- A manager's hand-made match: this baseline subject is that policy of the
-- environment, whatever their names say. A pin survives later compares.
CREATE TABLE baseline_match_pins (
    id                     INTEGER PRIMARY KEY,
    workspace_id           INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    baseline_profile_id    INTEGER NOT NULL REFERENCES baseline_profiles (id) ON DELETE CASCADE,
    subject_key            TEXT NOT NULL,
    policy_id              INTEGER NOT NULL REFERENCES policies (id) ON DELETE CASCADE,
    created_by_user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at             TEXT NOT NULL,
    UNIQUE (managed_environment_id, baseline_profile_id, subject_key)
);

-- spec 131/058 Finding. One row per scope_key for life (environment, profile,
-- finding type, subject): a re-compare updates it, a clean one resolves it,
-- drift that comes back reopens it.
CREATE TABLE findings (
    id                        INTEGER PRIMARY KEY,
    workspace_id              INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    managed_environment_id    INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    baseline_profile_id       INTEGER NOT NULL REFERENCES baseline_profiles (id) ON DELETE CASCADE,
    baseline_snapshot_id      INTEGER REFERENCES baseline_snapshots (id) ON DELETE SET NULL,
    finding_type              TEXT NOT NULL CHECK (finding_type IN ('missing_policy', 'setting_drift', 'unexpected_policy')),
    scope_key                 TEXT NOT NULL UNIQUE,
    subject_key               TEXT NOT NULL,
    subject_display_name      TEXT,
    policy_type               TEXT NOT NULL,
    policy_id                 INTEGER REFERENCES policies (id) ON DELETE SET NULL,
    severity                  TEXT NOT NULL CHECK (severity IN ('high', 'medium', 'low')),
    severity_rule             TEXT NOT NULL,
    status                    TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'accepted', 'resolved')),
    -- the capture run of the snapshot compared against, and the compare run that last saw it
    baseline_operation_run_id INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL,
    current_operation_run_id  INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL,
    resolved_operation_run_id INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL,
    evidence_jsonb            TEXT NOT NULL CHECK (json_valid(evidence_jsonb)),
    exception_reason          TEXT,
    exception_expires_at      TEXT,
    first_seen_at             TEXT NOT NULL,
    last_seen_at              TEXT NOT NULL,
    resolved_at               TEXT,
    created_at                TEXT NOT NULL,
    updated_at                TEXT NOT NULL,
    CHECK ((status = 'accepted') = (exception_expires_at IS NOT NULL))
);
-- The findings list and the dashboard's KPIs: an environment's findings by status and severity.
CREATE INDEX findings_environment_status ON findings (managed_environment_id, status, severity, first_seen_at);
-- A compare's lifecycle: the findings of one (environment, profile).
CREATE INDEX findings_environment_profile ON findings (managed_environment_id, baseline_profile_id, status);

-- Every transition of a finding, with who (or which run) and when.
CREATE TABLE finding_events (
    id               INTEGER PRIMARY KEY,
    finding_id       INTEGER NOT NULL REFERENCES findings (id) ON DELETE CASCADE,
    managed_environment_id INTEGER NOT NULL REFERENCES managed_environments (id) ON DELETE CASCADE,
    action           TEXT NOT NULL,
    from_status      TEXT,
    to_status        TEXT NOT NULL,
    user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
    operation_run_id INTEGER REFERENCES operation_runs (id) ON DELETE SET NULL,
    detail           TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
    created_at       TEXT NOT NULL
);
CREATE INDEX finding_events_finding ON finding_events (finding_id, id);
-- The dashboard's 30-day trend of open findings replays an environment's transitions in time.
CREATE INDEX finding_events_environment ON finding_events (managed_environment_id, created_at, finding_id);
