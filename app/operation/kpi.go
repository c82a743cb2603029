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
	var totalMS int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&k.Runs30d, &k.Active, &k.FailedPartial7d, &k.Timed7d, &totalMS); err != nil {
		return k, err
	}
	if k.Timed7d > 0 {
		k.AvgDuration7d = time.Duration(float64(totalMS) / float64(k.Timed7d) * float64(time.Millisecond)).Round(time.Millisecond)
	}
	return k, nil
}

// kpiQuery reads whole days from operation_run_days (schema 0010) and only the
// window's first, partial day from the runs themselves: O(days), not O(runs).
// A run belongs to the day its created_at starts with, so comparing days is
// comparing created_at: a later day is inside the window, an earlier one outside.
func kpiQuery(workspaceID, environmentID int64, now time.Time) (string, []any) {
	scope := "workspace_id = ?1"
	if environmentID != 0 {
		scope = "managed_environment_id = ?2 AND workspace_id = ?1"
	}
	from30, from7 := now.Add(-30*24*time.Hour), now.Add(-7*24*time.Hour)
	args := []any{workspaceID, environmentID,
		db.Format(from30), nextDay(from30), db.Format(from7), nextDay(from7)}
	// The edge days take one range of a covering index each; the active count reads
	// the partial index of active runs. A duration is whole milliseconds, as the counters have it.
	return `WITH days AS (
			SELECT COALESCE(sum(runs), 0) AS runs30,
				COALESCE(sum(failed_partial) FILTER (WHERE day >= ?6), 0) AS failed_partial7,
				COALESCE(sum(timed) FILTER (WHERE day >= ?6), 0) AS timed7,
				COALESCE(sum(duration_ms) FILTER (WHERE day >= ?6), 0) AS duration7
			FROM operation_run_days WHERE workspace_id = ?1 AND environment_id = ?2 AND day >= ?4),
		edge30 AS (SELECT count(*) AS runs FROM operation_runs WHERE ` + scope + ` AND created_at >= ?3 AND created_at < ?4),
		edge7 AS (
			SELECT COALESCE(sum(outcome IN ('failed', 'partial')), 0) AS failed_partial,
				COALESCE(sum(outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL), 0) AS timed,
				COALESCE(sum(CASE WHEN outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL
					THEN round((julianday(completed_at) - julianday(started_at)) * 86400000) END), 0) AS duration
			FROM operation_runs WHERE ` + scope + ` AND created_at >= ?5 AND created_at < ?6)
		SELECT days.runs30 + edge30.runs,
			(SELECT count(*) FROM operation_runs WHERE ` + scope + ` AND status IN ('queued', 'running')),
			days.failed_partial7 + edge7.failed_partial, days.timed7 + edge7.timed, CAST(days.duration7 + edge7.duration AS INTEGER)
		FROM days, edge30, edge7`, args
}

// nextDay is the day after t's UTC day, as operation_run_days.day spells it.
func nextDay(t time.Time) string {
	return t.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
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
