package app_test

import (
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
)

// seedPolicy syncs a one-policy export into an environment and returns the policy's id.
func seedPolicy(t *testing.T, e *apptest.Env, workspaceSlug, environmentSlug string) int64 {
	t.Helper()
	e.SyncExport(workspaceSlug, environmentSlug, fstest.MapFS{"CompliancePolicies/Baseline.json": {
		Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p1","displayName":"Baseline compliance"}`)}})
	return int64(count(t, e, `SELECT p.id FROM policies p JOIN managed_environments e ON e.id = p.managed_environment_id WHERE e.slug = ?`, environmentSlug))
}

// seedFindings captures baseline "golden" (the seeded compliance policy with a
// longer password, and a Mac policy) and compares the environment with it: a
// setting_drift finding (returned) and a missing_policy one.
func seedFindings(t *testing.T, e *apptest.Env, workspaceSlug, environmentSlug string) (snapshotID, findingID int64) {
	t.Helper()
	c := e.CaptureExport(workspaceSlug, "golden", fstest.MapFS{
		"CompliancePolicies/Baseline.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"g1","displayName":"Baseline compliance - v2.0","passwordMinimumLength":14}`)},
		"CompliancePolicies/Mac.json":      {Data: []byte(`{"@odata.type":"#microsoft.graph.macOSCompliancePolicy","id":"g2","displayName":"Mac compliance","passwordMinimumLength":12}`)},
	})
	if cmp := e.Compare(workspaceSlug, environmentSlug, "golden"); cmp.OpenFindings != 2 {
		t.Fatalf("seeded compare: %d open findings, want 2 (%v)", cmp.OpenFindings, cmp.Run.Counts)
	}
	return c.Snapshot.ID, int64(count(t, e, `SELECT id FROM findings WHERE finding_type = 'setting_drift'`))
}
