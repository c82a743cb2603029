package apptest

import (
	"context"
	"encoding/json"
	"io/fs"

	"atlas/app/db"
	"atlas/app/inventory"
)

// quiet is a sync reporter with nobody watching: never cancelled.
type quiet struct{}

func (quiet) Progress(context.Context, inventory.Counts) error { return nil }
func (quiet) Problem(context.Context, inventory.Problem) error { return nil }
func (quiet) Cancelled(context.Context) bool                   { return false }

// SyncExport syncs export into an environment (by slugs) in a new completed
// inventory.sync run, and returns what the sync did and the run's id.
func (e *Env) SyncExport(workspaceSlug, environmentSlug string, export fs.FS) (inventory.Result, int64) {
	e.t.Helper()
	d := e.Data.DB
	var target inventory.Target
	if err := d.Read.QueryRow(`SELECT w.id, e.id FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id
		WHERE w.slug = ? AND e.slug = ?`, workspaceSlug, environmentSlug).Scan(&target.WorkspaceID, &target.EnvironmentID); err != nil {
		e.t.Fatalf("environment %s/%s: %v", workspaceSlug, environmentSlug, err)
	}
	if err := d.Write.QueryRow(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, created_at, started_at)
		VALUES (?, ?, ?, 'running', ?, ?) RETURNING id`, target.WorkspaceID, target.EnvironmentID, inventory.OperationType, db.Now(), db.Now()).Scan(&target.RunID); err != nil {
		e.t.Fatal(err)
	}
	res, err := inventory.Sync(context.Background(), d, target, export, quiet{})
	if err != nil {
		e.t.Fatalf("sync: %v", err)
	}
	if _, err := d.Write.Exec(`UPDATE operation_runs SET status = 'completed', outcome = ?, completed_at = ?, summary_counts = json(?) WHERE id = ?`,
		res.Outcome(), db.Now(), mustJSON(res.Counts.Map()), target.RunID); err != nil {
		e.t.Fatal(err)
	}
	return res, target.RunID
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
