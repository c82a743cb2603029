package app_test

import (
	"archive/zip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app"
	"atlas/app/apptest"
)

// TestSyncCommandRefusesTheDataFolder: atlas sync (and atlas baseline capture
// --from) reads any folder the local owner names but the data folder, one
// inside it or one a link leads there from (issue 17); a zip is still expanded
// under the data folder for the run, read, and removed.
func TestSyncCommandRefusesTheDataFolder(t *testing.T) {
	e := apptest.NewAcme(t)
	ctx := context.Background()
	inside := filepath.Join(e.Dir, "exports", "mine")
	if err := os.MkdirAll(inside, 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(e.Dir, link); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"the data folder": e.Dir, "inside it": inside, "a link to it": link, "around it": filepath.Dir(e.Dir)} {
		_, err := e.Data.Sync(ctx, "acme", "prod", path)
		var usage *app.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), "outside Atlas's own data folder") {
			t.Errorf("sync of %s: %v, want a usage error", name, err)
		}
		_, err = e.Data.CaptureBaseline(ctx, "acme", "base", "", path)
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), "outside Atlas's own data folder") {
			t.Errorf("capture from %s: %v, want a usage error", name, err)
		}
	}
	if n := count(t, e, `SELECT count(*) FROM operation_runs`); n != 0 {
		t.Errorf("%d runs started for refused folders", n)
	}

	file := filepath.Join(t.TempDir(), "contoso.zip")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	w, _ := zw.Create("CompliancePolicies/Win.json")
	w.Write([]byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"cp-1","displayName":"Windows compliance"}`))
	if err := errors.Join(zw.Close(), f.Close()); err != nil {
		t.Fatal(err)
	}
	run, err := e.Data.Sync(ctx, "acme", "prod", file)
	if err != nil || run.Outcome != "succeeded" || run.Counts["created"] != 1 || !strings.Contains(string(run.Context), `"source":"contoso.zip"`) {
		t.Fatalf("sync of a zip: %v %+v", err, run)
	}
	if left, _ := filepath.Glob(filepath.Join(e.Dir, "exports", "cli-*")); len(left) != 0 {
		t.Errorf("the expanded zip was left behind: %v", left)
	}
}
