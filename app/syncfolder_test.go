package app_test

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"net/http"
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

// TestRetryChecksTheFolderAgain: a retry of atlas sync's run, or of atlas
// baseline capture --from's, reads the folder the command named only if it
// still may (issue 17): swapped for a link to the data folder, both fail, and
// nothing is captured or removed.
func TestRetryChecksTheFolderAgain(t *testing.T) {
	e := apptest.NewAcme(t)
	ctx := context.Background()
	folder := filepath.Join(t.TempDir(), "contoso")
	if err := os.MkdirAll(filepath.Join(folder, "CompliancePolicies"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(folder, "CompliancePolicies", "Win.json"),
		[]byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"cp-1","displayName":"Windows compliance"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	sync, err := e.Data.Sync(ctx, "acme", "prod", folder)
	if err != nil || sync.Outcome != "succeeded" {
		t.Fatalf("sync: %v %+v", err, sync)
	}
	capture, err := e.Data.CaptureBaseline(ctx, "acme", "base", "", folder)
	if err != nil || capture.Run.Outcome != "succeeded" {
		t.Fatalf("capture: %v %+v", err, capture)
	}
	if err := os.Rename(folder, folder+".moved"); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.Dir, folder); err != nil {
		t.Fatal(err)
	}
	owner := e.Owner()
	for _, run := range []int64{sync.ID, capture.Run.ID} {
		r := owner.Post(fmt.Sprintf("/admin/operations/%d/retry", run), nil)
		var retry int64
		if _, err := fmt.Sscanf(r.Header.Get("Location"), "/admin/operations/%d", &retry); r.Status != http.StatusSeeOther || err != nil {
			t.Fatalf("retry #%d: %d %q", run, r.Status, r.Header.Get("Location"))
		}
		done := e.Finished(retry)
		if done.Outcome != "failed" || done.Failure == nil || !strings.Contains(done.Failure.Message, "The export folder contoso was replaced by a link") {
			t.Errorf("retry of #%d: %s %+v", run, done.Outcome, done.Failure)
		}
	}
	if n := count(t, e, `SELECT count(*) FROM baseline_snapshots`); n != 1 {
		t.Errorf("%d snapshots, want the first capture's only", n)
	}
	if n := count(t, e, `SELECT count(*) FROM policies WHERE removed_at IS NULL`); n != 1 {
		t.Errorf("%d present policies, want 1", n)
	}
}
