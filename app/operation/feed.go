package operation

import (
	"context"
	"errors"
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

// List returns one page of the runs of the scope. Keyset pagination on
// (created_at, id) keeps every page as fast as the first on a million runs, and
// runs inserted meanwhile never shift a later page (no duplicates, no gaps).
func List(ctx context.Context, q db.Querier, s Scope, f Filter, w Window) (*ListPage, error) {
	page := &ListPage{}
	query, args := listQuery(s, f, w)
	if query == "" {
		return page, nil
	}
	runs, err := queryRuns(ctx, q, query, args...)
	if err != nil {
		return nil, err
	}
	more := len(runs) > w.Limit
	if more {
		runs = runs[:w.Limit]
	}
	page.Runs = runs
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

// listQuery is List's SQL: the filter, the cursor condition and the walk order,
// one SELECT an arm of the scope; "" when the scope holds none of the runs.
// Several arms are merged in order: each walks its own index only as far as
// the page needs.
func listQuery(s Scope, f Filter, w Window) (string, []any) {
	arms := s.arms(f.EnvironmentID)
	if len(arms) == 0 {
		return "", nil
	}
	where, whereArgs := f.where()
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
		whereArgs = append(whereArgs, cursor.CreatedAt, cursor.ID)
	}
	dir := "ASC"
	if walkDesc {
		dir = "DESC"
	}
	selects := make([]string, len(arms))
	var args []any
	for i, arm := range arms {
		selects[i] = `SELECT ` + runColumns + runFrom + ` WHERE ` + strings.Join(append([]string{arm}, where...), " AND ")
		args = append(args, whereArgs...)
	}
	return strings.Join(selects, " UNION ALL ") + fmt.Sprintf(` ORDER BY r.created_at %s, r.id %s LIMIT ?`, dir, dir), append(args, w.Limit+1)
}

// where is the small accumulator of the filter's conditions but the
// environment's, which the scope's arms hold.
func (f Filter) where() ([]string, []any) {
	var where []string
	var args []any
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

// RunTypes lists the distinct types of the scope's runs, types this Atlas no
// longer (or not yet) registers included. It hops through a type index one type
// at a time, an arm of the scope after the other, so it costs a few lookups
// however many runs there are.
func RunTypes(ctx context.Context, q db.Querier, s Scope) ([]string, error) {
	var types []string
	for _, arm := range s.arms(0) {
		rows, err := q.QueryContext(ctx, runTypesQuery(arm))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var t string
			if err := rows.Scan(&t); err != nil {
				rows.Close()
				return nil, err
			}
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
	}
	slices.Sort(types)
	return types, nil
}

func runTypesQuery(arm string) string {
	return `WITH RECURSIVE t(type) AS (
	SELECT min(r.type) FROM operation_runs r WHERE ` + arm + `
	UNION ALL
	SELECT (SELECT min(r.type) FROM operation_runs r WHERE ` + arm + ` AND r.type > t.type) FROM t WHERE t.type IS NOT NULL)
	SELECT type FROM t WHERE type IS NOT NULL`
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Recent is what the hub and an environment dashboard show: the scope's
// active runs and the latest ten, of one environment when environmentID ≠ 0.
func Recent(ctx context.Context, q db.Querier, s Scope, environmentID int64) (active, latest []*Run, err error) {
	f := Filter{EnvironmentID: environmentID, Statuses: []Status{Queued, Running}}
	page, err := List(ctx, q, s, f, Window{Limit: 20})
	if err != nil {
		return nil, nil, err
	}
	f.Statuses = nil
	latestPage, err := List(ctx, q, s, f, Window{Limit: 10})
	if err != nil {
		return nil, nil, err
	}
	return page.Runs, latestPage.Runs, nil
}
