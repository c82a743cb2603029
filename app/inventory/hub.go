package inventory

import (
	"context"
	"database/sql"
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

// CoverageOf counts the environment's inventory items by coverage class.
func CoverageOf(ctx context.Context, q db.Querier, environmentID int64) (Coverage, error) {
	rows, err := q.QueryContext(ctx, `SELECT coverage, count(*) FROM inventory_items WHERE managed_environment_id = ? GROUP BY coverage`, environmentID)
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

const runColumns = `id, type, status, COALESCE(outcome, ''), created_at, started_at, completed_at, summary_counts`

func scanRun(row interface{ Scan(...any) error }) (*Run, error) {
	var r Run
	var counts string
	if err := row.Scan(&r.ID, &r.Type, &r.Status, &r.Outcome, &r.CreatedAt, &r.StartedAt, &r.CompletedAt, &counts); err != nil {
		return nil, err
	}
	// summary_counts of another run type may hold other keys: those are ignored.
	return &r, json.Unmarshal([]byte(counts), &r.Counts)
}

// ErrNoSync is LastSync's answer for an environment never synced.
var ErrNoSync = errors.New("no inventory sync yet")

// LastSync is the environment's most recent inventory sync.
func LastSync(ctx context.Context, q db.Querier, environmentID int64) (*Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runColumns+` FROM operation_runs
		WHERE managed_environment_id = ? AND type = ? ORDER BY created_at DESC, id DESC LIMIT 1`, environmentID, OperationType))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSync
	}
	return r, err
}
