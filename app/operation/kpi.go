package operation

import (
	"context"
	"strings"
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

// LoadKPIs computes the header for the runs of a scope, or of one of its
// environments (environmentID ≠ 0), at now. Windows are inclusive: a run
// created exactly 7 days before now is in the 7-day figures.
func LoadKPIs(ctx context.Context, q db.Querier, s Scope, environmentID int64, now time.Time) (KPIs, error) {
	var k KPIs
	query, args := kpiQuery(s, environmentID, now)
	if query == "" {
		return k, nil
	}
	var totalMS int64
	if err := q.QueryRowContext(ctx, query, args...).Scan(&k.Runs30d, &k.Active, &k.FailedPartial7d, &k.Timed7d, &totalMS); err != nil {
		return k, err
	}
	if k.Timed7d > 0 {
		k.AvgDuration7d = time.Duration(float64(totalMS) / float64(k.Timed7d) * float64(time.Millisecond)).Round(time.Millisecond)
	}
	return k, nil
}

// kpiQuery reads whole days from operation_run_days (schema 0010, 0017) and
// only the window's first, partial day from the runs themselves: O(days), not
// O(runs). A run belongs to the day its created_at starts with, so comparing
// days is comparing created_at: a later day is inside the window, an earlier
// one outside. "" when the scope holds none of the runs.
func kpiQuery(s Scope, environmentID int64, now time.Time) (string, []any) {
	arms := s.arms(environmentID)
	if len(arms) == 0 {
		return "", nil
	}
	// Each arm's edge days take one range of a covering index, its active
	// runs the partial index of active runs. A duration is whole
	// milliseconds, as the counters have it.
	var edge30, edge7, active []string
	for _, arm := range arms {
		edge30 = append(edge30, `SELECT count(*) AS runs FROM operation_runs r WHERE `+arm+` AND r.created_at >= ?2 AND r.created_at < ?3`)
		edge7 = append(edge7, `SELECT COALESCE(sum(r.outcome IN ('failed', 'partial')), 0) AS failed_partial,
				COALESCE(sum(r.outcome IS NOT NULL AND r.started_at IS NOT NULL AND r.completed_at IS NOT NULL), 0) AS timed,
				COALESCE(sum(CASE WHEN r.outcome IS NOT NULL AND r.started_at IS NOT NULL AND r.completed_at IS NOT NULL
					THEN round((julianday(r.completed_at) - julianday(r.started_at)) * 86400000) END), 0) AS duration
			FROM operation_runs r WHERE `+arm+` AND r.created_at >= ?4 AND r.created_at < ?5`)
		active = append(active, `SELECT count(*) AS runs FROM operation_runs r WHERE `+arm+` AND r.status IN ('queued', 'running')`)
	}
	from30, from7 := now.Add(-30*24*time.Hour), now.Add(-7*24*time.Hour)
	args := []any{s.WorkspaceID, db.Format(from30), nextDay(from30), db.Format(from7), nextDay(from7)}
	return `WITH days AS (
			SELECT COALESCE(sum(runs), 0) AS runs30,
				COALESCE(sum(failed_partial) FILTER (WHERE day >= ?5), 0) AS failed_partial7,
				COALESCE(sum(timed) FILTER (WHERE day >= ?5), 0) AS timed7,
				COALESCE(sum(duration_ms) FILTER (WHERE day >= ?5), 0) AS duration7
			FROM operation_run_days WHERE workspace_id = ?1 AND environment_id IN (` + s.counted(environmentID) + `) AND day >= ?3),
		edge30 AS (SELECT sum(runs) AS runs FROM (` + strings.Join(edge30, " UNION ALL ") + `)),
		edge7 AS (SELECT sum(failed_partial) AS failed_partial, sum(timed) AS timed, sum(duration) AS duration FROM (` + strings.Join(edge7, " UNION ALL ") + `)),
		active AS (SELECT sum(runs) AS runs FROM (` + strings.Join(active, " UNION ALL ") + `))
		SELECT days.runs30 + edge30.runs, active.runs,
			days.failed_partial7 + edge7.failed_partial, days.timed7 + edge7.timed, CAST(days.duration7 + edge7.duration AS INTEGER)
		FROM days, edge30, edge7, active`, args
}

// nextDay is the day after t's UTC day, as operation_run_days.day spells it.
func nextDay(t time.Time) string {
	return t.UTC().AddDate(0, 0, 1).Format(time.DateOnly)
}

// ActiveCounts counts the scope's active (queued or running) runs, of one
// environment when environmentID ≠ 0: all of them and those of type typ, from
// the partial indexes of active runs. A count, never a capped list.
func ActiveCounts(ctx context.Context, q db.Querier, s Scope, environmentID int64, typ string) (all, ofType int, err error) {
	arms := s.arms(environmentID)
	if len(arms) == 0 {
		return 0, 0, nil
	}
	err = q.QueryRowContext(ctx, activeCountsQuery(arms), typ).Scan(&all, &ofType)
	return all, ofType, err
}

func activeCountsQuery(arms []string) string {
	counts := make([]string, len(arms))
	for i, arm := range arms {
		counts[i] = `SELECT count(*) AS runs, COALESCE(sum(r.type = ?1), 0) AS of_type FROM operation_runs r WHERE ` + arm + ` AND r.status IN ('queued', 'running')`
	}
	return `SELECT sum(runs), sum(of_type) FROM (` + strings.Join(counts, " UNION ALL ") + `)`
}
