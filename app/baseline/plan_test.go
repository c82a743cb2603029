package baseline

import (
	"context"
	"strings"
	"testing"

	"atlas/app/db/dbtest"
)

// TestOpenFindingsCountUsesItsIndex: a snapshot's and a profile's open findings
// per environment are counted from the (profile, snapshot, status, environment)
// index alone, never by reading the findings.
func TestOpenFindingsCountUsesItsIndex(t *testing.T) {
	d := dbtest.Open(t)
	for _, snapshotID := range []int64{0, 7} {
		q, args := openFindingsQuery(1, snapshotID)
		rows, err := d.Read.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			steps = append(steps, detail)
		}
		rows.Close()
		if plan := strings.Join(steps, "\n"); !strings.Contains(plan, "USING COVERING INDEX findings_profile_snapshot") {
			t.Errorf("snapshot %d: not from the covering index:\n%s", snapshotID, plan)
		}
	}
}
