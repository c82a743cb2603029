package inventory

import (
	"context"
	"encoding/json"
	"errors"

	"atlas/app/db"
	"atlas/app/intune"
)

// CoverageCount is one chip of the inventory hub.
type CoverageCount struct {
	Class intune.Coverage
	Count int
}

// Coverage is spec 058's inventory KPI: total items, a count per coverage class
// (every class, zero included, in a fixed order) and restorable/total in percent.
type Coverage struct {
	Total   int
	Classes []CoverageCount
	Percent int // -1 when there is nothing to cover
}

// CoverageClasses is the order of the hub's chips.
var CoverageClasses = []intune.Coverage{intune.Restorable, intune.Partial, intune.Risk, intune.Dependencies}

// CoverageOf counts the environment's inventory items by coverage class, from
// the counters (schema 0012).
func CoverageOf(ctx context.Context, q db.Querier, environmentID int64) (Coverage, error) {
	rows, err := q.QueryContext(ctx, coverageQuery, environmentID)
	if err != nil {
		return Coverage{}, err
	}
	defer rows.Close()
	counts := map[intune.Coverage]int{}
	c := Coverage{Percent: -1}
	for rows.Next() {
		var class intune.Coverage
		var n int
		if err := rows.Scan(&class, &n); err != nil {
			return Coverage{}, err
		}
		counts[class] = n
		c.Total += n
	}
	for _, class := range CoverageClasses {
		c.Classes = append(c.Classes, CoverageCount{class, counts[class]})
	}
	if c.Total > 0 {
		c.Percent = counts[intune.Restorable] * 100 / c.Total
	}
	return c, rows.Err()
}

const coverageQuery = `SELECT coverage, items FROM inventory_coverage_counts WHERE managed_environment_id = ? AND items > 0`

// Run is an operation run as the inventory pages show it (spec 058: last
// inventory sync, active operations).
type Run struct {
	ID          int64
	Type        string
	Status      string
	Outcome     string
	CreatedAt   db.Time
	StartedAt   db.Time
	CompletedAt db.Time
	Counts      Counts
}

// Badge is the run's badge class suffix: its outcome when completed, else its status.
func (r *Run) Badge() string {
	if r.Outcome != "" {
		return r.Outcome
	}
	return r.Status
}

// ErrNoSync is LastSync's answer for an environment never synced.
var ErrNoSync = errors.New("no inventory sync yet")

// LastSync is the environment's most recent inventory sync.
func LastSync(ctx context.Context, q db.Querier, environmentID int64) (*Run, error) {
	syncs, err := LastSyncs(ctx, q, []int64{environmentID})
	if err != nil {
		return nil, err
	}
	if r, ok := syncs[environmentID]; ok {
		return r, nil
	}
	return nil, ErrNoSync
}

// LastSyncs is the most recent inventory sync of each environment, in one
// query however many (the hub); an environment never synced has none.
func LastSyncs(ctx context.Context, q db.Querier, environmentIDs []int64) (map[int64]*Run, error) {
	ids, _ := json.Marshal(environmentIDs)
	rows, err := q.QueryContext(ctx, lastSyncsQuery, string(ids), OperationType)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	syncs := map[int64]*Run{}
	for rows.Next() {
		var environmentID int64
		var r Run
		var counts string
		if err := rows.Scan(&environmentID, &r.ID, &r.Type, &r.Status, &r.Outcome, &r.CreatedAt, &r.StartedAt, &r.CompletedAt, &counts); err != nil {
			return nil, err
		}
		// summary_counts of another run type may hold other keys: those are ignored.
		if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
			return nil, err
		}
		syncs[environmentID] = &r
	}
	return syncs, rows.Err()
}

// lastSyncsQuery picks each environment's newest sync on the (environment,
// type, created) index, one look-up an environment of the JSON array ?1.
const lastSyncsQuery = `SELECT managed_environment_id, id, type, status, COALESCE(outcome, ''), created_at, started_at, completed_at, summary_counts
	FROM operation_runs WHERE id IN (
	SELECT (SELECT id FROM operation_runs WHERE managed_environment_id = e.value AND type = ?2 ORDER BY created_at DESC, id DESC LIMIT 1)
	FROM json_each(?1) e)`
