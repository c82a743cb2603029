DROP INDEX operation_runs_start_key;
ALTER TABLE operation_runs DROP COLUMN start_key;
