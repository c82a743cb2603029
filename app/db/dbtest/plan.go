package dbtest

import (
	"context"
	"testing"

	"atlas/app/db"
)

// Plan is SQLite's EXPLAIN QUERY PLAN of a query on q, one step a line, for
// the tests that require a query to be served by an index.
func Plan(t testing.TB, q db.Querier, query string, args ...any) []string {
	t.Helper()
	rows, err := q.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return steps
}
