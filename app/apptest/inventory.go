package apptest

import (
	"context"
	"io/fs"
	"os"

	"atlas/app/operation"
)

// SyncExport syncs export into an environment (by slugs) through the operations
// engine, as atlas sync does, and returns the completed run.
func (e *Env) SyncExport(workspaceSlug, environmentSlug string, export fs.FS) *operation.Run {
	e.t.Helper()
	dir, err := os.MkdirTemp("", "atlas-export-")
	if err != nil {
		e.t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.CopyFS(dir, export); err != nil {
		e.t.Fatal(err)
	}
	run, err := e.Data.Sync(context.Background(), workspaceSlug, environmentSlug, dir)
	if err != nil {
		e.t.Fatalf("sync %s/%s: %v", workspaceSlug, environmentSlug, err)
	}
	return run
}
