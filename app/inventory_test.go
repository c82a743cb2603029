package app_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
	"atlas/app/db"
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

// The inventory hub counts an environment's active runs and active syncs (a count,
// not the length of a capped list) and links to its syncs in the feed.
func TestInventoryHubCountsActiveRuns(t *testing.T) {
	e := apptest.NewAcme(t)
	seedPolicy(t, e, "acme", "prod")
	// 24 running runs of other types and one sync: more than the panel's list of 20.
	if _, err := e.Data.DB.Write.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 25)
		INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, created_at, started_at)
		SELECT e.workspace_id, e.id, CASE i WHEN 25 THEN 'inventory.sync' ELSE 'test.slow.' || i END, 'running', ?, ?
		FROM n, managed_environments e WHERE e.slug = 'prod'`, db.Now(), db.Now()); err != nil {
		t.Fatal(err)
	}
	c := e.Owner()
	body := c.Get("/admin/w/acme/t/prod/inventory").Body
	for _, want := range []string{
		`<a class="kpi" href="/admin/w/acme/operations?environment=prod&amp;status=queued&amp;status=running"><span class="kpi-value">25</span><span class="kpi-label">active operations</span></a>`,
		`<a class="kpi" href="/admin/w/acme/operations?environment=prod&amp;status=queued&amp;status=running&amp;type=inventory.sync"><span class="kpi-value">1</span><span class="kpi-label">active syncs</span></a>`,
		`<a href="/admin/w/acme/operations?environment=prod&amp;type=inventory.sync">Every sync of Production</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("hub misses %s", want)
		}
	}
	feed := c.Get("/admin/w/acme/operations?environment=prod&type=inventory.sync").Body
	if !strings.Contains(feed, "Type: Inventory sync") || !strings.Contains(feed, "Environment: Production") || strings.Count(feed, "<td>Inventory sync</td>") != 2 || strings.Contains(feed, "<td>Test slow") {
		t.Errorf("the syncs link does not list prod's two syncs only:\n%s", feed)
	}
}
