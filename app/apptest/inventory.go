package apptest

import (
	"context"
	"io/fs"
	"net/http"
	"os"
	"path"
	"strconv"
	"testing"
	"time"

	"atlas/app/operation"
	"atlas/app/web"
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

// Finished waits for the run to complete under the Env's engine and returns
// it: up to a minute, for a loaded machine (a wait, not a timed assertion).
func (e *Env) Finished(runID int64) *operation.Run {
	e.t.Helper()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var workspaceID int64
		var status string
		if err := e.Data.DB.Read.QueryRow(`SELECT workspace_id, status FROM operation_runs WHERE id = ?`, runID).Scan(&workspaceID, &status); err != nil {
			e.t.Fatalf("run %d: %v", runID, err)
		}
		if status == string(operation.Completed) {
			run, err := operation.Get(context.Background(), e.Data.DB.Read, workspaceID, runID)
			if err != nil {
				e.t.Fatalf("run %d: %v", runID, err)
			}
			return run
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("run %d is still %s after a minute", runID, status)
		}
	}
}

// SyncNow presses Sync now on the inventory hub of an environment (by slugs)
// as c, and returns the run it opens.
func SyncNow(t testing.TB, c *Client, workspace, environment string) int64 {
	t.Helper()
	r := c.Post(web.EnvironmentURL(workspace, environment, "/inventory/sync"), nil)
	id, err := strconv.ParseInt(path.Base(r.Header.Get("Location")), 10, 64)
	if r.Status != http.StatusSeeOther || err != nil || r.Header.Get("Location") != web.RunURL(id) {
		t.Fatalf("sync now: %d → %q\n%s", r.Status, r.Header.Get("Location"), r.Body)
	}
	return id
}
