package operation

import (
	"context"
	"time"

	"atlas/app/db"
)

// KPIs is the operations index header of spec 058.
type KPIs struct {
	Runs30d         int           // runs created in the last 30 days
	Active          int           // queued + running
	FailedPartial7d int           // runs created in the last 7 days that ended failed or partial
	AvgDuration7d   time.Duration // terminal runs of the last 7 days with both started_at and completed_at
	Timed7d         int           // how many runs the average is over
}

// LoadKPIs computes the header for a workspace, or one of its environments
// (environmentID ≠ 0), at now. Windows are inclusive: a run created exactly 7 days
// before now is in the 7-day figures.
func LoadKPIs(ctx context.Context, q db.Querier, workspaceID, environmentID int64, now time.Time) (KPIs, error) {
	query, args := kpiQuery(workspaceID, environmentID, now)
	var k KPIs
	var totalMS float64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&k.Runs30d, &k.Active, &k.FailedPartial7d, &k.Timed7d, &totalMS); err != nil {
		return k, err
	}
	if k.Timed7d > 0 {
		k.AvgDuration7d = time.Duration(totalMS / float64(k.Timed7d) * float64(time.Millisecond)).Round(time.Millisecond)
	}
	return k, nil
}

func kpiQuery(workspaceID, environmentID int64, now time.Time) (string, []any) {
	scope, scopeArgs := "workspace_id = ?", []any{workspaceID}
	if environmentID != 0 {
		scope, scopeArgs = "managed_environment_id = ? AND workspace_id = ?", []any{environmentID, workspaceID}
	}
	d30, d7 := db.Format(now.Add(-30*24*time.Hour)), db.Format(now.Add(-7*24*time.Hour))
	// The 30-day count and the 7-day figures each take one range of a covering index;
	// the active count reads the partial index of active runs. Arguments follow
	// the placeholders: 30-day scope and start, active scope, 7-day scope and start.
	args := append(append(append(append(append([]any{}, scopeArgs...), d30), scopeArgs...), scopeArgs...), d7)
	// julianday is SQLite's; PostgreSQL would say EXTRACT(EPOCH FROM completed_at - started_at).
	return `SELECT
		(SELECT count(*) FROM operation_runs WHERE ` + scope + ` AND created_at >= ?),
		(SELECT count(*) FROM operation_runs WHERE ` + scope + ` AND status IN ('queued', 'running')),
		COALESCE(sum(outcome IN ('failed', 'partial')), 0),
		COALESCE(sum(outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL), 0),
		COALESCE(sum(CASE WHEN outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL
			THEN julianday(completed_at) - julianday(started_at) END), 0) * 86400000.0
		FROM operation_runs WHERE ` + scope + ` AND created_at >= ?`, args
}

// ActiveCounts counts an environment's active (queued or running) runs, all of them
// and those of type typ, from the partial index of active runs: a count, never a
// capped list.
func ActiveCounts(ctx context.Context, q db.Querier, workspaceID, environmentID int64, typ string) (all, ofType int, err error) {
	err = q.QueryRowContext(ctx, activeCountsQuery, typ, environmentID, workspaceID).Scan(&all, &ofType)
	return all, ofType, err
}

const activeCountsQuery = `SELECT count(*), COALESCE(sum(type = ?), 0) FROM operation_runs
	WHERE managed_environment_id = ? AND workspace_id = ? AND status IN ('queued', 'running')`
