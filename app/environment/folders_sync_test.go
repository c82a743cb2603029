package environment_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/operation"
)

// Exports whose migration tables name the same group: pages show the name of
// the export the environment may read, never the other's.
const (
	compliancePolicy = `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"cp-1","displayName":"Windows compliance",` +
		`"assignments":[{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g-1"}}]}`
	ownTable    = `{"TenantId":"11111111-0000-0000-0000-000000000001","Objects":[{"Id":"g-1","DisplayName":"Pilot devices","Type":"#microsoft.graph.group"}]}`
	secretTable = `{"TenantId":"22222222-0000-0000-0000-000000000002","Objects":[{"Id":"g-1","DisplayName":"Leaked group","Type":"#microsoft.graph.group"}]}`
	secretFile  = `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"cp-9","displayName":"Other secret"}`
)

// writeFiles writes files (slash path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) string {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// syncedPolicies is prod's present policies, and its versions and removed
// policies: what a refused sync must leave as it was.
func syncedPolicies(t *testing.T, e *apptest.Env) string {
	t.Helper()
	var s string
	if err := e.Data.DB.Read.QueryRow(`SELECT COALESCE(group_concat(p.display_name || ' v' || p.version_count || ' removed ' || (p.removed_at IS NOT NULL), ', '), '')
		FROM policies p JOIN managed_environments m ON m.id = p.managed_environment_id WHERE m.slug = 'prod'`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func policyPage(t *testing.T, e *apptest.Env, c *apptest.Client) *apptest.Response {
	t.Helper()
	var id int64
	if err := e.Data.DB.Read.QueryRow(`SELECT id FROM policies WHERE display_name = 'Windows compliance'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return c.Get(fmt.Sprint("/admin/w/acme/t/prod/policies/", id))
}

// refusedAtSync presses Sync now on prod and checks that the run failed saying
// want, without naming where the folder is, and that nothing was lost.
func refusedAtSync(t *testing.T, e *apptest.Env, c *apptest.Client, want, kept string, hidden ...string) {
	t.Helper()
	run := e.Finished(apptest.SyncNow(t, c, "acme", "prod"))
	if run.Outcome != operation.Failed || run.Failure == nil || !strings.Contains(run.Failure.Message, want) {
		t.Fatalf("run %s %+v, want failed saying %q", run.Outcome, run.Failure, want)
	}
	for _, h := range hidden {
		if strings.Contains(run.Failure.Message, h) {
			t.Errorf("the failure names %s: %s", h, run.Failure.Message)
		}
	}
	if run.Counts["removed"] != 0 || run.Counts["files"] != 0 {
		t.Errorf("the refused sync read or removed: %v", run.Counts)
	}
	if got := syncedPolicies(t, e); got != kept {
		t.Errorf("policies after the refused sync: %s, want %s", got, kept)
	}
	page := policyPage(t, e, c)
	page.Shows(t, nil, []string{"Leaked group", "Other secret"})
}

// TestSwappedFolderIsRefusedAtSync: issue 17 — a connected folder replaced by a
// link (to the data folder, into another workspace's uploaded export, to /), or
// reached through one, is not read: the sync fails saying why, marks nothing
// removed and loses nothing, and pages do not read it either. Put back, it syncs.
func TestSwappedFolderIsRefusedAtSync(t *testing.T) {
	e, owner := newEnv(t)
	ctx := context.Background()
	if err := e.Data.AddWorkspace(ctx, "other", "Other Inc"); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddEnvironment(ctx, "other", "secret", "Secret"); err != nil {
		t.Fatal(err)
	}
	// Another workspace's export, uploaded: it lies under the data folder, and syncs.
	if r := owner.Post("/admin/workspaces/other/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select other: %d", r.Status)
	}
	if r := uploadTo(t, owner, "other", "secret", "other.zip", zipOf(t, map[string]string{"MigrationTable.json": secretTable, "CompliancePolicies/Secret.json": secretFile}), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", r.Status, r.Body)
	}
	if run := e.Finished(apptest.SyncNow(t, owner, "other", "secret")); run.Outcome != operation.Succeeded || run.Counts["created"] != 1 {
		t.Fatalf("sync of the uploaded zip: %s %v %+v", run.Outcome, run.Counts, run.Failure)
	}
	var upload string
	if err := e.Data.DB.Read.QueryRow(`SELECT source_path FROM provider_connections WHERE source_kind = 'zip'`).Scan(&upload); err != nil {
		t.Fatal(err)
	}

	if r := owner.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	customers := filepath.Join(t.TempDir(), "customers")
	folder := writeFiles(t, filepath.Join(customers, "acme"), map[string]string{"MigrationTable.json": ownTable, "CompliancePolicies/Windows compliance.json": compliancePolicy})
	if r := owner.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {folder}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d\n%s", r.Status, r.Body)
	}
	if run := e.Finished(apptest.SyncNow(t, owner, "acme", "prod")); run.Outcome != operation.Succeeded {
		t.Fatalf("first sync: %s %+v", run.Outcome, run.Failure)
	}
	const kept = "Windows compliance v1 removed 0"
	if got := syncedPolicies(t, e); got != kept {
		t.Fatalf("policies %s, want %s", got, kept)
	}
	policyPage(t, e, owner).Shows(t, []string{"Pilot devices"}, nil)

	const swapped = "The export folder acme was replaced by a link, or a folder on its way was"
	for _, tt := range []struct {
		name   string
		moved  string // the folder moved away, a link put in its place
		target string
	}{
		{"to the data folder", folder, e.Dir},
		{"into another workspace's uploaded export", folder, upload},
		{"to /", folder, "/"},
		{"a folder on its way, to where it was moved", customers, customers + ".moved"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.Rename(tt.moved, tt.moved+".moved"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(tt.target, tt.moved); err != nil {
				t.Fatal(err)
			}
			refusedAtSync(t, e, owner, swapped, kept, e.Dir, upload, tt.target+string(filepath.Separator))
			if err := os.Remove(tt.moved); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(tt.moved+".moved", tt.moved); err != nil {
				t.Fatal(err)
			}
			if run := e.Finished(apptest.SyncNow(t, owner, "acme", "prod")); run.Outcome != operation.Succeeded || run.Counts["unchanged"] != 1 {
				t.Fatalf("the folder put back: %s %v %+v", run.Outcome, run.Counts, run.Failure)
			}
		})
	}
}

// TestFolderNoLongerAllowedIsRefusedAtSync: a folder a manager connected under
// an export root is not read once a site administrator removed the root; the
// local owner's folder needs none.
func TestFolderNoLongerAllowedIsRefusedAtSync(t *testing.T) {
	e, owner := newEnv(t)
	manager := signInManager(t, e)
	root := t.TempDir()
	if r := owner.Post("/admin/export-roots", url.Values{"root": {root}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add export root: %d\n%s", r.Status, r.Body)
	}
	folder := writeFiles(t, filepath.Join(root, "acme"), map[string]string{"CompliancePolicies/Windows compliance.json": compliancePolicy})
	if r := manager.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {folder}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d\n%s", r.Status, r.Body)
	}
	if run := e.Finished(apptest.SyncNow(t, manager, "acme", "prod")); run.Outcome != operation.Succeeded {
		t.Fatalf("sync under the root: %s %+v", run.Outcome, run.Failure)
	}
	var id int64
	if err := e.Data.DB.Read.QueryRow(`SELECT id FROM export_roots`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	r := owner.Post(fmt.Sprintf("/admin/export-roots/%d/remove", id), nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("remove the root: %d", r.Status)
	}
	const kept = "Windows compliance v1 removed 0"
	refusedAtSync(t, e, manager, "The export folder acme is under no export root now", kept, root)

	// The local owner's choice needs no root.
	own := writeFiles(t, filepath.Join(t.TempDir(), "acme"), map[string]string{"CompliancePolicies/Windows compliance.json": compliancePolicy})
	if r := owner.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {own}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d\n%s", r.Status, r.Body)
	}
	if run := e.Finished(apptest.SyncNow(t, manager, "acme", "prod")); run.Outcome != operation.Succeeded || run.Counts["unchanged"] != 1 {
		t.Fatalf("sync of the local owner's folder: %s %v %+v", run.Outcome, run.Counts, run.Failure)
	}
}

// TestLinksInsideAConnectedFolderAreNotRead: a link in a connected folder is
// skipped whether it leads out of it (a file, a folder, the migration table) or
// stays inside: a sync reads the files the export holds.
func TestLinksInsideAConnectedFolderAreNotRead(t *testing.T) {
	e, owner := newEnv(t)
	outside := writeFiles(t, t.TempDir(), map[string]string{"Secret.json": secretFile, "MigrationTable.json": secretTable, "more/Secret.json": secretFile})
	folder := writeFiles(t, filepath.Join(t.TempDir(), "acme"), map[string]string{"CompliancePolicies/Windows compliance.json": compliancePolicy})
	for link, target := range map[string]string{
		"CompliancePolicies/Leak.json": filepath.Join(outside, "Secret.json"),
		"CompliancePolicies/Same.json": filepath.Join(folder, "CompliancePolicies", "Windows compliance.json"),
		"Linked":                       filepath.Join(outside, "more"),
		"MigrationTable.json":          filepath.Join(outside, "MigrationTable.json"),
	} {
		symlink(t, target, filepath.Join(folder, filepath.FromSlash(link)))
	}
	if r := owner.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {folder}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d\n%s", r.Status, r.Body)
	}
	run := e.Finished(apptest.SyncNow(t, owner, "acme", "prod"))
	if run.Outcome != operation.Succeeded || run.Counts["created"] != 1 || run.Counts["skipped"] != 4 {
		t.Fatalf("sync: %s %v %+v", run.Outcome, run.Counts, run.Failure)
	}
	if got := syncedPolicies(t, e); got != "Windows compliance v1 removed 0" {
		t.Errorf("policies %s", got)
	}
	policyPage(t, e, owner).Shows(t, nil, []string{"Leaked group"})
}
