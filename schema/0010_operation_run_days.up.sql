-- Issue 13: the operations KPI header costs O(days in the window), not O(runs).
-- One row per (workspace, environment, UTC day of created_at) counts what the
-- header needs. Triggers keep it in the same transaction as every change to a
-- run, whichever code makes it (engine, demo, deletes and their cascades).
CREATE TABLE operation_run_days (
    workspace_id   INTEGER NOT NULL,
    environment_id INTEGER NOT NULL, -- 0: the whole workspace, its environments' runs and its own
    day            TEXT NOT NULL,    -- substr(created_at, 1, 10)
    runs           INTEGER NOT NULL,
    failed_partial INTEGER NOT NULL, -- outcome failed or partial
    timed          INTEGER NOT NULL, -- finished, with both started_at and completed_at
    duration_ms    INTEGER NOT NULL, -- the timed runs' durations added up
    PRIMARY KEY (workspace_id, environment_id, day)
) WITHOUT ROWID;

-- What one run adds to its workspace's day and to its environment's day. Timestamps
-- hold milliseconds, so round() only removes julianday's floating-point noise.
CREATE VIEW operation_run_day_shares AS
SELECT id, workspace_id, environment_id, day, failed_partial, timed,
       CASE WHEN timed THEN COALESCE(round((julianday(completed_at) - julianday(started_at)) * 86400000), 0) ELSE 0 END AS duration_ms
FROM (SELECT id, workspace_id, environment_id, substr(created_at, 1, 10) AS day,
             COALESCE(outcome, '') IN ('failed', 'partial') AS failed_partial,
             outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL AS timed,
             started_at, completed_at
      FROM (SELECT id, workspace_id, 0 AS environment_id, created_at, outcome, started_at, completed_at FROM operation_runs
            UNION ALL
            SELECT id, workspace_id, managed_environment_id, created_at, outcome, started_at, completed_at FROM operation_runs
            WHERE managed_environment_id IS NOT NULL));

INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
SELECT workspace_id, environment_id, day, count(*), sum(failed_partial), sum(timed), sum(duration_ms)
FROM operation_run_day_shares GROUP BY workspace_id, environment_id, day;

-- A change takes the run's old share out before it and puts the new one in after it.
CREATE TRIGGER operation_run_days_insert AFTER INSERT ON operation_runs BEGIN
    INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
    SELECT workspace_id, environment_id, day, 1, failed_partial, timed, duration_ms FROM operation_run_day_shares WHERE id = NEW.id
    ON CONFLICT DO UPDATE SET runs = runs + excluded.runs, failed_partial = failed_partial + excluded.failed_partial,
        timed = timed + excluded.timed, duration_ms = duration_ms + excluded.duration_ms;
END;

CREATE TRIGGER operation_run_days_update_before BEFORE UPDATE OF workspace_id, managed_environment_id, created_at, outcome, started_at, completed_at ON operation_runs BEGIN
    INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
    SELECT workspace_id, environment_id, day, -1, -failed_partial, -timed, -duration_ms FROM operation_run_day_shares WHERE id = OLD.id
    ON CONFLICT DO UPDATE SET runs = runs + excluded.runs, failed_partial = failed_partial + excluded.failed_partial,
        timed = timed + excluded.timed, duration_ms = duration_ms + excluded.duration_ms;
END;

CREATE TRIGGER operation_run_days_update_after AFTER UPDATE OF workspace_id, managed_environment_id, created_at, outcome, started_at, completed_at ON operation_runs BEGIN
    INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
    SELECT workspace_id, environment_id, day, 1, failed_partial, timed, duration_ms FROM operation_run_day_shares WHERE id = NEW.id
    ON CONFLICT DO UPDATE SET runs = runs + excluded.runs, failed_partial = failed_partial + excluded.failed_partial,
        timed = timed + excluded.timed, duration_ms = duration_ms + excluded.duration_ms;
END;

CREATE TRIGGER operation_run_days_delete BEFORE DELETE ON operation_runs BEGIN
    INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
    SELECT workspace_id, environment_id, day, -1, -failed_partial, -timed, -duration_ms FROM operation_run_day_shares WHERE id = OLD.id
    ON CONFLICT DO UPDATE SET runs = runs + excluded.runs, failed_partial = failed_partial + excluded.failed_partial,
        timed = timed + excluded.timed, duration_ms = duration_ms + excluded.duration_ms;
END;
