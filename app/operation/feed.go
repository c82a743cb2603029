package operation

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"atlas/app/db"
)

// Filter is what the feed's query string selects; zero values select everything.
type Filter struct {
	EnvironmentID int64
	Type          string
	Statuses      []Status
	Outcomes      []Outcome
	Since         time.Time
}

// Cursor is a keyset position in the feed: (created_at, id) of a row.
type Cursor struct {
	CreatedAt string
	ID        int64
}

// String encodes the cursor for a query string.
func (c Cursor) String() string { return c.CreatedAt + "~" + strconv.FormatInt(c.ID, 10) }

// ParseCursor reads what String wrote; anything else is no cursor.
func ParseCursor(s string) (Cursor, bool) {
	at, id, ok := strings.Cut(s, "~")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || err != nil || n <= 0 {
		return Cursor{}, false
	}
	if _, err := time.Parse(db.TimeFormat, at); err != nil {
		return Cursor{}, false
	}
	return Cursor{CreatedAt: at, ID: n}, true
}

func cursorOf(r *Run) Cursor { return Cursor{CreatedAt: db.Format(r.CreatedAt), ID: r.ID} }

// Window asks for one page: after the cursor (the next page) or before it (the
// previous one), in creation order, newest first unless OldestFirst.
type Window struct {
	OldestFirst bool
	After       *Cursor
	Before      *Cursor
	Limit       int
}

// ListPage is one page of the feed with the cursors of its neighbours.
type ListPage struct {
	Runs       []*Run
	Next, Prev *Cursor
}

// List returns one page of the workspace's runs. Keyset pagination on
// (created_at, id) keeps every page as fast as the first on a million runs, and
// runs inserted meanwhile never shift a later page (no duplicates, no gaps).
func List(ctx context.Context, q db.Querier, workspaceID int64, f Filter, w Window) (*ListPage, error) {
	query, args := listQuery(workspaceID, f, w)
	runs, err := queryRuns(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	more := len(runs) > w.Limit
	if more {
		runs = runs[:w.Limit]
	}
	page := &ListPage{Runs: runs}
	if w.Before != nil {
		slices.Reverse(page.Runs)
	}
	if len(page.Runs) == 0 {
		return page, nil
	}
	first, last := cursorOf(page.Runs[0]), cursorOf(page.Runs[len(page.Runs)-1])
	switch {
	case w.Before != nil:
		page.Next = &last
		if more {
			page.Prev = &first
		}
	default:
		if more {
			page.Next = &last
		}
		if w.After != nil {
			page.Prev = &first
		}
	}
	return page, nil
}

// listQuery is List's SQL: the filter, the cursor condition and the walk order.
func listQuery(workspaceID int64, f Filter, w Window) (string, []any) {
	where, args := f.where(workspaceID)
	// The query walks in display order, or against it for a previous page.
	walkDesc := !w.OldestFirst
	var cursor *Cursor
	switch {
	case w.After != nil:
		cursor = w.After
	case w.Before != nil:
		cursor, walkDesc = w.Before, w.OldestFirst
	}
	if cursor != nil {
		op := ">"
		if walkDesc {
			op = "<"
		}
		where = append(where, "(r.created_at, r.id) "+op+" (?, ?)")
		args = append(args, cursor.CreatedAt, cursor.ID)
	}
	dir := "ASC"
	if walkDesc {
		dir = "DESC"
	}
	return `SELECT ` + runColumns + runFrom + ` WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY r.created_at %s, r.id %s LIMIT ?`, dir, dir), append(args, w.Limit+1)
}

// where is the small accumulator of the filter's conditions; the workspace always comes first.
func (f Filter) where(workspaceID int64) ([]string, []any) {
	where, args := []string{"r.workspace_id = ?"}, []any{workspaceID}
	if f.EnvironmentID != 0 {
		where, args = append(where, "r.managed_environment_id = ?"), append(args, f.EnvironmentID)
	}
	if f.Type != "" {
		where, args = append(where, "r.type = ?"), append(args, f.Type)
	}
	if len(f.Statuses) > 0 {
		// Literals, not parameters: only then can SQLite use the partial index of active runs.
		var literals []string
		for _, s := range f.Statuses {
			if s == Queued || s == Running || s == Completed {
				literals = append(literals, "'"+string(s)+"'")
			}
		}
		where = append(where, "r.status IN ("+strings.Join(literals, ", ")+")")
	}
	if len(f.Outcomes) > 0 {
		where = append(where, "r.outcome IN ("+placeholders(len(f.Outcomes))+")")
		for _, o := range f.Outcomes {
			args = append(args, o)
		}
	}
	if !f.Since.IsZero() {
		where, args = append(where, "r.created_at >= ?"), append(args, db.Format(f.Since))
	}
	return where, args
}

// RunTypes lists the distinct types of the workspace's runs, types this Atlas no
// longer (or not yet) registers included. It hops through the (workspace_id, type, …)
// index one type at a time, so it costs a few lookups however many runs there are.
func RunTypes(ctx context.Context, q db.Querier, workspaceID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, runTypesQuery, workspaceID, workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var types []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		types = append(types, t)
	}
	return types, rows.Err()
}

const runTypesQuery = `WITH RECURSIVE t(type) AS (
	SELECT min(type) FROM operation_runs WHERE workspace_id = ?
	UNION ALL
	SELECT (SELECT min(type) FROM operation_runs WHERE workspace_id = ? AND type > t.type) FROM t WHERE t.type IS NOT NULL)
	SELECT type FROM t WHERE type IS NOT NULL`

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Recent is what the hub and an environment dashboard show: the active runs and the latest ten.
func Recent(ctx context.Context, q db.Querier, workspaceID, environmentID int64) (active, latest []*Run, err error) {
	f := Filter{EnvironmentID: environmentID, Statuses: []Status{Queued, Running}}
	page, err := List(ctx, q, workspaceID, f, Window{Limit: 20})
	if err != nil {
		return nil, nil, err
	}
	f.Statuses = nil
	latestPage, err := List(ctx, q, workspaceID, f, Window{Limit: 10})
	if err != nil {
		return nil, nil, err
	}
	return page.Runs, latestPage.Runs, nil
}
