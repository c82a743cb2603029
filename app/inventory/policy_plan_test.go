package inventory

import (
	"strings"
	"testing"

	"atlas/app/db/dbtest"
)

// TestPolicyPageQueriesUseIndexes: a policy page reads its versions' runs by id
// and its open findings through the (environment, policy, status) index, never
// the workspace's runs or the environment's findings.
func TestPolicyPageQueriesUseIndexes(t *testing.T) {
	d := dbtest.Open(t)
	for _, q := range []struct{ name, sql, want string }{
		{"versions' runs", versionRunsQuery, "SEARCH r USING INTEGER PRIMARY KEY"},
		{"open findings", policyFindingsQuery, "USING INDEX findings_environment_policy"},
	} {
		got := plan(t, d.Read, q.sql, 1, 1, 1)
		if !strings.Contains(got, q.want) || strings.Contains(got, "SCAN ") {
			t.Errorf("%s: want %s, no scan:\n%s", q.name, q.want, got)
		}
	}
}
