package finding

import (
	"context"
	"strings"
	"testing"

	"atlas/app/db/dbtest"
)

// TestHotQueriesUseIndexes: the findings list and its count, the dashboard's
// and the hub's counts, the trend, a compare's look-ups and a finding's
// history search an index; none scans a table or a whole index, and the last
// compare reads its index in order (it stops at the first succeeded one).
func TestHotQueriesUseIndexes(t *testing.T) {
	d := dbtest.Open(t)
	where, args := Filter{Severity: "high", Type: "setting_drift"}.where(1)
	allWhere, allArgs := Filter{Status: "all"}.where(1)
	for _, q := range []struct {
		name, sql string
		args      []any
	}{
		{"list", `SELECT ` + findingColumns + findingFrom + where + ` ORDER BY ` + severityOrder + `, f.first_seen_at, f.id LIMIT 50`, args},
		{"list count, every status", `SELECT COUNT(*)` + findingFrom + allWhere, allArgs},
		{"counts", `SELECT status, severity, COUNT(*) FROM findings WHERE managed_environment_id = ? GROUP BY status, severity`, []any{1}},
		{"open against a profile", `SELECT COUNT(*) FROM findings WHERE managed_environment_id = ? AND baseline_profile_id = ? AND status IN ` + openStatuses, []any{1, 1}},
		{"unobserved", `SELECT id, scope_key FROM findings WHERE managed_environment_id = ? AND baseline_profile_id = ? AND status <> 'resolved'`, []any{1, 1}},
		{"by scope key", `SELECT id, status FROM findings WHERE scope_key = ?`, []any{"1/1/setting_drift/x"}},
		{"recent", `SELECT ` + findingColumns + findingFrom + ` WHERE f.managed_environment_id = ? ORDER BY f.last_seen_at DESC, f.id DESC LIMIT 10`, []any{1}},
		{"trend", `SELECT finding_id, to_status, created_at FROM finding_events WHERE managed_environment_id = ? AND created_at <= ? ORDER BY created_at, id`, []any{1, "x"}},
		{"history", `SELECT created_at FROM finding_events WHERE finding_id = ? ORDER BY id`, []any{1}},
		{"last compare", lastCompareQuery, []any{1, CompareType}},
	} {
		rows, err := d.Read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q.sql, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", q.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			rows.Scan(&id, &parent, &unused, &detail)
			plan = append(plan, detail)
		}
		rows.Close()
		for _, step := range plan {
			if strings.HasPrefix(step, "SCAN ") || q.sql == lastCompareQuery && strings.Contains(step, "TEMP B-TREE") {
				t.Errorf("%s scans a table:\n%s", q.name, strings.Join(plan, "\n"))
			}
		}
	}
}
