package backup_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"atlas/app"
	"atlas/app/operation"
)

// restore applies a restore through the command line's path and returns the
// run and the folder it wrote.
func (s *site) restore(t *testing.T, target string, o app.RestoreOptions) (*operation.Run, string) {
	t.Helper()
	var out strings.Builder
	run, err := s.env.Data.ApplyRestore(context.Background(), &out, "acme", target, o, true)
	if err != nil {
		t.Fatalf("restore into %s: %v", target, err)
	}
	var res struct {
		Output string `json:"output"`
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("restore output %q: %v", out.String(), err)
	}
	return run, res.Output
}

// files lists a folder's files, slash-separated, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			list = append(list, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(list)
	return list
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestApplyWritesExactlyTheChosen: a restore first backs the target up, then
// writes one file per chosen item and what the layout requires, nothing more,
// under restores/<environment>/<run>; assignments only when asked.
func TestApplyWritesExactlyTheChosen(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	run, folder := s.restore(t, "pilot", app.RestoreOptions{BackupID: set, Policies: []string{"Windows compliance", "Hello"}})
	if run.Outcome != operation.Succeeded || run.Counts["succeeded"] != 2 || run.Counts["total"] != 2 {
		t.Fatalf("run %s, counts %v", run.Outcome, run.Counts)
	}
	if want := filepath.Join(s.env.Dir, "restores", "pilot", fmt.Sprint(run.ID)); folder != want {
		t.Errorf("written to %s, want %s", folder, want)
	}
	if got, want := files(t, folder), []string{"CompliancePolicies/Windows compliance.json", "MigrationTable.json", "PowerShellScripts/Hello.json"}; !slices.Equal(got, want) {
		t.Errorf("files %q, want exactly %q", got, want)
	}
	if m := readJSON(t, filepath.Join(folder, "CompliancePolicies/Windows compliance.json")); m["assignments"] != nil || m["id"] != "cp-1" {
		t.Errorf("assignments written though not asked for, or the id lost: %v", m)
	}
	if n := s.count(t, `SELECT count(*) FROM backup_sets s JOIN restores r ON r.pre_restore_backup_set_id = s.id
		WHERE r.operation_run_id = ? AND s.name = ? AND s.managed_environment_id = ?`, run.ID, fmt.Sprintf("Before restore #%d", run.ID), s.pilotID); n != 1 {
		t.Error("no \"Before restore\" set of the target recorded on the restore")
	}
	if n := s.count(t, `SELECT count(*) FROM restore_items WHERE operation_run_id = ? AND result = 'written' AND action = 'recreate'`, run.ID); n != 2 {
		t.Errorf("%d items recorded as recreated and written, want 2", n)
	}

	// With assignments: the compliance policy carries them.
	_, folder = s.restore(t, "staging", app.RestoreOptions{BackupID: set, Policies: []string{"Windows compliance"}, WithAssignments: true})
	if m := readJSON(t, filepath.Join(folder, "CompliancePolicies/Windows compliance.json")); m["assignments"] == nil {
		t.Error("assignments asked for are not written")
	}
	if table := readJSON(t, filepath.Join(folder, "MigrationTable.json")); !strings.Contains(fmt.Sprint(table["Objects"]), "g-pilot") {
		t.Errorf("the migration table does not name the assigned group: %v", table)
	}
}

// TestApplyCopy: a policy deleted and made again under its name is restored
// beside it as "<name> (restored <date>)", without the old id.
func TestApplyCopy(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	s.env.SyncExport("acme", "prod", changedTenant())
	run, folder := s.restore(t, "prod", app.RestoreOptions{BackupID: set, Layout: "intunecd"})
	if run.Outcome != operation.Succeeded {
		t.Fatalf("run %s %+v", run.Outcome, run.Failure)
	}
	name := "Wi-Fi (restored " + run.CreatedAt.UTC().Format("2006-01-02") + ")"
	copyFile := filepath.Join(folder, "Device Configurations", name+"_macOSWiFiConfiguration.json")
	if m := readJSON(t, copyFile); m["displayName"] != name || m["id"] != nil || m["ssid"] != "corp" {
		t.Errorf("the copy: %v", m)
	}
	got := files(t, folder)
	want := []string{"Device Configurations/" + name + "_macOSWiFiConfiguration.json", "Scripts/Powershell/Hello_deviceManagementScript.json", "Scripts/Powershell/Script Data/hello.ps1",
		"Settings Catalog/Defender baseline_mdm.json"} // Windows compliance is identical: skipped, not written
	if !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
	if n := s.count(t, `SELECT count(*) FROM restore_items WHERE operation_run_id = ? AND action = 'skip' AND result = 'skipped'`, run.ID); n != 1 {
		t.Errorf("%d skipped items recorded, want 1", n)
	}
}

// TestApplyPage: typed confirmation, 403 for operator and readonly, 404 for a
// target outside what the user may see, and the run's page with the items.
func TestApplyPage(t *testing.T) {
	s := newSite(t)
	if err := s.env.Data.AddEnvironment(context.Background(), "other", "secret", "Secret"); err != nil {
		t.Fatal(err)
	}
	set := s.backup(t, "prod", "Before")
	form := url.Values{"target": {"pilot"}, "layout": {"intunebackupandrestore"}, "type": {"compliancePolicy"}, "confirm": {"Pilot"}}
	for _, tt := range []struct {
		name   string
		status int
		post   func() int
	}{
		{"operator", http.StatusForbidden, func() int { return s.operator.Post(setPath("prod", set)+"/restore", form).Status }},
		{"readonly", http.StatusForbidden, func() int { return s.ro.Post(setPath("prod", set)+"/restore", form).Status }},
		{"a target in another workspace", http.StatusNotFound, func() int {
			f := url.Values{"target": {"secret"}, "layout": {"intunemanagement"}, "confirm": {"Secret"}}
			return s.manager.Post(setPath("prod", set)+"/restore", f).Status
		}},
	} {
		if got := tt.post(); got != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.status)
		}
	}
	wrong := url.Values{"target": {"pilot"}, "layout": {"intunemanagement"}, "confirm": {"pilot please"}}
	if r := s.manager.Post(setPath("prod", set)+"/restore", wrong); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Type Pilot exactly") {
		t.Errorf("a wrong confirmation: %d", r.Status)
	}
	if n := s.count(t, `SELECT count(*) FROM operation_runs WHERE type = 'restore.apply'`); n != 0 {
		t.Fatalf("%d restores started by refused requests", n)
	}

	r := s.manager.Post(setPath("prod", set)+"/restore", form)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/operations/") {
		t.Fatalf("apply: %d %s", r.Status, r.Header.Get("Location"))
	}
	runURL := r.Header.Get("Location")
	var page string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if page = s.manager.Get(runURL).Body; strings.Contains(page, "badge badge-succeeded") {
			break
		}
	}
	for _, want := range []string{"Restore #", "Restored from", ">Before<", "Before restore #", "IntuneBackupAndRestore",
		filepath.Join("restores", "pilot"), "Windows compliance", "badge-recreate", "badge-written", "Device Compliance Policies/Windows compliance.json"} {
		if !strings.Contains(page, want) {
			t.Errorf("the restore's page lacks %q", want)
		}
	}
}
