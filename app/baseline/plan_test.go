package baseline

import (
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
		if plan := strings.Join(dbtest.Plan(t, d.Read, q, args...), "\n"); !strings.Contains(plan, "USING COVERING INDEX findings_profile_snapshot") {
			t.Errorf("snapshot %d: not from the covering index:\n%s", snapshotID, plan)
		}
	}
}
