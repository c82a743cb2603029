package app_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"atlas/app"
	"atlas/app/apptest"
)

// seedRestore restores the set backupID of prod (seedPolicy's) after prod's
// policy changed, then syncs prod from the folder written, as if the tool had
// imported it: a restore with a verified item, for the restore routes.
func seedRestore(t *testing.T, e *apptest.Env, backupID int64) (runID, itemID int64) {
	t.Helper()
	e.SyncExport("acme", "prod", fstest.MapFS{"CompliancePolicies/Baseline.json": {
		Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p1","displayName":"Baseline compliance","passwordRequired":true}`)}})
	var out strings.Builder
	run, err := e.Data.ApplyRestore(context.Background(), &out, "acme", "prod", app.RestoreOptions{BackupID: backupID}, true)
	if err != nil || run.Outcome != "succeeded" {
		t.Fatalf("restore: %v %+v", err, run)
	}
	var res struct{ Output string }
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatal(err)
	}
	// The tenant's next export holds what was restored: a copy of the folder,
	// outside the data folder (a sync never reads inside it).
	export := t.TempDir()
	if err := os.CopyFS(export, os.DirFS(res.Output)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Data.Sync(context.Background(), "acme", "prod", export); err != nil {
		t.Fatal(err)
	}
	itemID = int64(count(t, e, `SELECT id FROM restore_items WHERE operation_run_id = ? AND verification = 'verified'`, run.ID))
	if itemID == 0 {
		t.Fatal("the restored item was not verified by the sync of its folder")
	}
	return run.ID, itemID
}
