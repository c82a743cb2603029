-- Operations engine (issue 3): which process owns a running run, cancel requests,
-- retries, and the indexes behind the feed and its KPI header (spec 058).

ALTER TABLE operation_runs ADD COLUMN owner_pid INTEGER;
ALTER TABLE operation_runs ADD COLUMN owner_token TEXT;
ALTER TABLE operation_runs ADD COLUMN cancel_requested_at TEXT;
ALTER TABLE operation_runs ADD COLUMN retry_of_run_id INTEGER;

-- At most one active run per (environment, type); workspace-level runs count as environment 0.
CREATE UNIQUE INDEX operation_runs_one_active ON operation_runs (workspace_id, COALESCE(managed_environment_id, 0), type)
    WHERE status IN ('queued', 'running');

-- Feed filters, newest first, keyset on (created_at, id).
CREATE INDEX operation_runs_workspace_type_created ON operation_runs (workspace_id, type, created_at DESC, id DESC);
CREATE INDEX operation_runs_workspace_outcome_created ON operation_runs (workspace_id, outcome, created_at DESC, id DESC);
CREATE INDEX operation_runs_environment_type_created ON operation_runs (managed_environment_id, type, created_at DESC, id DESC);

-- KPI header: covering indexes, so counting a month of runs never reads the table.
CREATE INDEX operation_runs_workspace_kpi ON operation_runs (workspace_id, created_at, outcome, started_at, completed_at);
CREATE INDEX operation_runs_environment_kpi ON operation_runs (managed_environment_id, created_at, outcome, started_at, completed_at, workspace_id);

-- Active runs (KPI, hub, dashboard) without walking the whole history.
CREATE INDEX operation_runs_workspace_active ON operation_runs (workspace_id, created_at DESC, id DESC) WHERE status IN ('queued', 'running');
CREATE INDEX operation_runs_environment_active ON operation_runs (managed_environment_id, created_at DESC, id DESC) WHERE status IN ('queued', 'running');

CREATE INDEX operation_runs_retry_of ON operation_runs (retry_of_run_id) WHERE retry_of_run_id IS NOT NULL;
