package finding

import (
	"fmt"
	"strings"
	"testing"

	"atlas/app/db/dbtest"
)

// TestHotQueriesUseIndexes: the findings list and its count, the dashboard's
// and the hub's counts, the trend, a compare's look-ups and a finding's
// history search an index; none scans a table or a whole index (the hub's
// list of environment ids aside). The last compare, the latest findings and a
// list page of one status and severity read their index in order, never sorting.
func TestHotQueriesUseIndexes(t *testing.T) {
	d := dbtest.Open(t)
	type query struct {
		name, sql string
		args      []any
		order     bool // the ORDER BY must come from the index
	}
	var queries []query
	for _, f := range []Filter{{Severity: "high", Type: "setting_drift"}, {Status: "all"}, {Status: "open", Severity: "high"}, {}} {
		count, page, args := f.listQueries(1)
		queries = append(queries, query{fmt.Sprintf("count %+v", f), count, args, false},
			query{fmt.Sprintf("page %+v", f), page, append(args, PageSize, 0), f.Status == "open"})
	}
	queries = append(queries,
		query{"counts", countsQuery, []any{"[1,2]"}, false},
		query{"open against a profile", `SELECT COUNT(*) FROM findings WHERE managed_environment_id = ? AND baseline_profile_id = ? AND status IN ` + openStatuses, []any{1, 1}, false},
		query{"unobserved", `SELECT id, scope_key FROM findings WHERE managed_environment_id = ? AND baseline_profile_id = ? AND status <> 'resolved'`, []any{1, 1}, false},
		query{"by scope key", `SELECT id, status FROM findings WHERE scope_key = ?`, []any{"1/1/setting_drift/x"}, false},
		query{"recent", recentQuery, []any{1, 10}, true},
		query{"trend", trendQuery, []any{1, "2026-01-01", "2026-01-30", "2026-01-30T10:00:00.000Z"}, false},
		query{"history", `SELECT created_at FROM finding_events WHERE finding_id = ? ORDER BY id`, []any{1}, false},
		query{"last compare", lastCompareQuery, []any{"[1,2]", CompareType}, true},
	)
	for _, q := range queries {
		plan := dbtest.Plan(t, d.Read, q.sql, q.args...)
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "VIRTUAL TABLE") || q.order && strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s scans a table or sorts:\n%s", q.name, strings.Join(plan, "\n"))
			}
		}
	}
}
