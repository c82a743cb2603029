package inventory

import (
	"fmt"
	"strings"
	"testing"

	"atlas/app/db"
	"atlas/app/db/dbtest"
)

// plan is SQLite's EXPLAIN QUERY PLAN of a query, one step per line.
func plan(t *testing.T, q db.Querier, query string, args ...any) string {
	t.Helper()
	return strings.Join(dbtest.Plan(t, q, query, args...), "\n")
}

// TestHotQueriesUseIndexes checks that the list, the hub's KPIs and the sync's
// look-ups search an index instead of scanning a table, and that the list's
// sorts need no temporary sort.
func TestHotQueriesUseIndexes(t *testing.T) {
	d := dbtest.Open(t)
	type query struct {
		name  string
		sql   string
		args  []any
		order bool // the ORDER BY must come from the index
		page  bool // a list page: its ids come from a covering index in order, then 50 rows are sorted
	}
	var queries []query
	for _, f := range []Filter{{Sort: "name"}, {Sort: "type"}, {Sort: "platform"}, {Sort: "versions"}, {Sort: "seen"},
		{Sort: "name", Desc: true, State: "all"}, {Sort: "seen", Desc: true, State: "removed"}, {Type: "settingsCatalog"},
		{Platform: "windows"}, {Coverage: "partial", Sort: "versions"}, {Search: "edge"}} {
		f.clean()
		count, page, args := listQueries(1, f)
		queries = append(queries, query{fmt.Sprintf("count %+v", f), count, args, false, false},
			query{fmt.Sprintf("page %+v", f), page, append(args, PageSize, 0), false, true})
	}
	queries = append(queries,
		query{"coverage chips", coverageQuery, []any{1}, false, false},
		query{"type facets", facetQuery("policy_type"), []any{1}, false, false},
		query{"platform facets", facetQuery("platform"), []any{1}, false, false},
		query{"type sources", typeSourcesQuery, []any{1}, false, false},
		query{"last syncs", lastSyncsQuery, []any{"[1,2]", OperationType}, true, false},
		query{"policy versions", `SELECT id FROM policy_versions WHERE managed_environment_id = ? AND policy_id = ? ORDER BY version_number DESC`, []any{1, 1}, true, false},
		query{"sync look-up", `SELECT identity_key, id FROM policies WHERE managed_environment_id = ?`, []any{1}, false, false},
	)
	for _, q := range queries {
		t.Run(q.name, func(t *testing.T) {
			got := plan(t, d.Read, q.sql, q.args...)
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, "SCAN ") && line != "SCAN page" && !strings.Contains(line, "VIRTUAL TABLE") {
					t.Errorf("scans a table:\n%s", got)
				}
			}
			sorts := strings.Count(got, "TEMP B-TREE")
			if q.order && sorts > 0 || q.page && (sorts > 1 || !strings.Contains(got, "SEARCH p USING COVERING INDEX")) {
				t.Errorf("sorts in a temporary b-tree or reads rows to pick a page:\n%s", got)
			}
		})
	}
}
