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
