-- Issue 17: operators and readonly members are entitled to some environments
-- only, and the operations header counts only the runs they may open (DESIGN
-- §4, spec 058). A workspace's total cannot be split by environment again:
-- environment 0 now counts the workspace's own runs (those without an
-- environment) instead, and a header adds up the rows of the environments its
-- viewer is entitled to and that one. The triggers of 0010 read the view by
-- name, so they count the new way as they are.
DROP VIEW operation_run_day_shares;

CREATE VIEW operation_run_day_shares AS
SELECT id, workspace_id, environment_id, day, failed_partial, timed,
       CASE WHEN timed THEN COALESCE(round((julianday(completed_at) - julianday(started_at)) * 86400000), 0) ELSE 0 END AS duration_ms
FROM (SELECT id, workspace_id, COALESCE(managed_environment_id, 0) AS environment_id, substr(created_at, 1, 10) AS day,
             COALESCE(outcome, '') IN ('failed', 'partial') AS failed_partial,
             outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL AS timed,
             started_at, completed_at
      FROM operation_runs);

DELETE FROM operation_run_days;

INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
SELECT workspace_id, environment_id, day, count(*), sum(failed_partial), sum(timed), sum(duration_ms)
FROM operation_run_day_shares GROUP BY workspace_id, environment_id, day;
