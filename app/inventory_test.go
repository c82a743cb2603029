package app_test

import (
	"context"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
	"atlas/app/db"
	"atlas/app/inventory"
)

// quiet is a sync reporter for fixtures: nothing to watch, never cancelled.
type quiet struct{}

func (quiet) Progress(context.Context, inventory.Counts) error { return nil }
func (quiet) Problem(context.Context, inventory.Problem) error { return nil }
func (quiet) Cancelled(context.Context) bool                   { return false }

// seedPolicy syncs a one-policy export into an environment and returns the policy's id.
func seedPolicy(t *testing.T, e *apptest.Env, workspaceSlug, environmentSlug string) int64 {
	t.Helper()
	d := e.Data.DB
	var target inventory.Target
	if err := d.Read.QueryRow(`SELECT w.id, e.id FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id WHERE w.slug = ? AND e.slug = ?`,
		workspaceSlug, environmentSlug).Scan(&target.WorkspaceID, &target.EnvironmentID); err != nil {
		t.Fatal(err)
	}
	if err := d.Write.QueryRow(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome, created_at)
		VALUES (?, ?, ?, 'completed', 'succeeded', ?) RETURNING id`, target.WorkspaceID, target.EnvironmentID, inventory.OperationType, db.Now()).Scan(&target.RunID); err != nil {
		t.Fatal(err)
	}
	export := fstest.MapFS{"CompliancePolicies/Baseline.json": {Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p1","displayName":"Baseline compliance"}`)}}
	if _, err := inventory.Sync(context.Background(), d, target, export, quiet{}); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := d.Read.QueryRow(`SELECT id FROM policies WHERE managed_environment_id = ?`, target.EnvironmentID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
