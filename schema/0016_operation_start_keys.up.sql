-- Issue 17: a start form carries a one-time key, kept on the run it started. A
-- repeated submission of the form (a double click, 20 parallel posts) joins that
-- run, even once it has finished: a fast run no longer ends before the next
-- submission and lets it start another.
ALTER TABLE operation_runs ADD COLUMN start_key TEXT;
CREATE UNIQUE INDEX operation_runs_start_key ON operation_runs (workspace_id, start_key) WHERE start_key IS NOT NULL;
