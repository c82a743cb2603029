package app_test

import (
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
	"atlas/app/intune"
)

// seedPolicy syncs a one-policy export into an environment and returns the policy's id.
func seedPolicy(t *testing.T, e *apptest.Env, workspaceSlug, environmentSlug string) int64 {
	t.Helper()
	e.SyncExport(workspaceSlug, environmentSlug, fstest.MapFS{"CompliancePolicies/Baseline.json": {
		Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p1","displayName":"Baseline compliance"}`)}})
	return int64(count(t, e, `SELECT p.id FROM policies p JOIN managed_environments e ON e.id = p.managed_environment_id WHERE e.slug = ?`, environmentSlug))
}

// TestOpeningRewritesOlderPayloads: opening a data folder brings payloads
// stored in an older canonical form to the current one (issue 9), before any
// sync can compare hashes with them.
func TestOpeningRewritesOlderPayloads(t *testing.T) {
	e := apptest.NewAcme(t)
	seedPolicy(t, e, "acme", "prod")
	if _, err := e.Data.DB.Write.Exec(`UPDATE policy_payloads SET canonical_form = 1`); err != nil {
		t.Fatal(err)
	}
	reopened := e.Clone(t)
	if n := count(t, reopened, `SELECT count(*) FROM policy_payloads WHERE canonical_form <> ?`, intune.CanonicalForm); n != 0 {
		t.Errorf("%d payloads left in an older form", n)
	}
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
