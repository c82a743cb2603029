-- Back to 0010's counters: environment 0 is the whole workspace again.
DROP VIEW operation_run_day_shares;

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

DELETE FROM operation_run_days;

INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
SELECT workspace_id, environment_id, day, count(*), sum(failed_partial), sum(timed), sum(duration_ms)
FROM operation_run_day_shares GROUP BY workspace_id, environment_id, day;
