package operation

import (
	"context"
	"time"

	"atlas/app/db"
)

// GenerateRuns inserts n finished runs for benchmarks and large demos, in one
// INSERT … SELECT: spread evenly over the year before now, across the given
// environments and five types, about 5 % failed, 7 % partial and 2 % cancelled.
func GenerateRuns(ctx context.Context, d *db.DB, workspaceID int64, environmentIDs []int64, n int, now time.Time) error {
	envs := marshal(environmentIDs)
	_, err := d.Write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome, created_at, started_at, completed_at, summary_counts)
		SELECT ?, json_extract(?, '$[' || (i % json_array_length(?)) || ']'),
			CASE i % 5 WHEN 0 THEN 'inventory.sync' WHEN 1 THEN 'backup.create' WHEN 2 THEN 'baseline.capture' WHEN 3 THEN 'drift.compare' ELSE 'restore.apply' END,
			'completed',
			CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 14 = 0 THEN 'partial' WHEN i % 50 = 1 THEN 'cancelled' ELSE 'succeeded' END,
			strftime('%Y-%m-%dT%H:%M:%fZ', t, 'unixepoch'),
			strftime('%Y-%m-%dT%H:%M:%fZ', t + 2, 'unixepoch'),
			strftime('%Y-%m-%dT%H:%M:%fZ', t + 2 + i % 600, 'unixepoch'),
			json_object('total', 100, 'processed', 100, 'succeeded', 100 - i % 3, 'failed', i % 3)
		FROM (SELECT i, ? - (? - i) * (31536000.0 / ?) AS t FROM n)`,
		n, workspaceID, envs, envs, float64(now.UnixMilli())/1000, n, n)
	return err
}
