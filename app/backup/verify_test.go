package backup_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app"
	"atlas/app/backup"
	"atlas/app/intune"
)

// importInto plays the tool importing a restore folder into a tenant: a file
// whose id the tenant knows replaces that object's file; any other is a new
// object, to which the tenant gives a new id.
func importInto(t *testing.T, tenant fstest.MapFS, folder string, only ...string) {
	t.Helper()
	byID := map[string]string{}
	for p, f := range tenant {
		var m map[string]any
		if json.Unmarshal(f.Data, &m) == nil {
			if id, ok := m["id"].(string); ok {
				byID[id] = p
			}
		}
	}
	n := 0
	err := intune.Read(os.DirFS(folder), func(e intune.Entry) error {
		o := e.Object
		if o == nil || (len(only) > 0 && !strings.Contains(strings.Join(only, "\x00"), o.DisplayName)) {
			return nil
		}
		data, err := os.ReadFile(filepath.Join(folder, filepath.FromSlash(e.Path)))
		if err != nil {
			return err
		}
		if p, ok := byID[o.ExternalID]; ok && o.ExternalID != "" {
			tenant[p] = &fstest.MapFile{Data: data}
			return nil
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return err
		}
		n++
		m["id"] = fmt.Sprintf("imported-%d", n)
		data, _ = json.Marshal(m)
		tenant[e.Path] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hashes are prod's present policies' content hashes by name.
func (s *site) hashes(t *testing.T) map[string]string {
	t.Helper()
	rows, err := s.env.Data.DB.Read.Query(`SELECT display_name, content_hash FROM policies WHERE managed_environment_id = ? AND removed_at IS NULL`, s.prodID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var n, h string
		rows.Scan(&n, &h)
		m[n] = h
	}
	return m
}

func states(t *testing.T, s *site, runID int64) map[string]string {
	t.Helper()
	rows, err := s.env.Data.DB.Read.Query(`SELECT display_name, COALESCE(verification, '') FROM restore_items WHERE operation_run_id = ?`, runID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var n, v string
		rows.Scan(&n, &v)
		m[n] = v
	}
	return m
}

// TestVerification: the next sync of the target records per written item
// whether it holds what was written (verified), what it held before (not
// applied yet) or something else (differs); the run's page shows it with a
// diff; a later sync verifies what has been applied since.
func TestVerification(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	tenant := tenantExport(true)
	delete(tenant, "DeviceConfiguration/Wi-Fi.json")
	s.env.SyncExport("acme", "prod", tenant)

	run, folder := s.restore(t, "prod", app.RestoreOptions{BackupID: set})
	page := s.manager.Get(fmt.Sprintf("/admin/operations/%d", run.ID)).Body
	if !strings.Contains(page, "3 to check at the next sync") {
		t.Errorf("before a sync the run's page does not say the items wait for it")
	}

	// The consultant imports Defender only, while someone edits Hello by hand.
	importInto(t, tenant, folder, "Defender baseline")
	tenant["PowerShellScripts/Hello.json"].Data = []byte(strings.Replace(string(tenant["PowerShellScripts/Hello.json"].Data),
		"V3JpdGUtSG9zdCAnYnllJw==", "V3JpdGUtSG9zdCAndGhpcmQn", 1))
	sync := s.env.SyncExport("acme", "prod", tenant)
	want := map[string]string{"Defender baseline": backup.Verified, "Hello": backup.Differs, "Wi-Fi": backup.NotApplied, "Windows compliance": ""}
	if got := states(t, s, run.ID); !maps.Equal(got, want) {
		t.Errorf("after the first sync: %v, want %v", got, want)
	}
	page = s.manager.Get(fmt.Sprintf("/admin/operations/%d", run.ID)).Body
	for _, want := range []string{"1 verified", "1 not applied yet", "1 differ", "badge-differs", fmt.Sprintf("sync <a href=\"/admin/operations/%d\">", sync.ID)} {
		if !strings.Contains(page, want) {
			t.Errorf("the restore's page lacks %q", want)
		}
	}
	diff := regexp.MustCompile(`<td>Hello</td>(?s:.*?)href="(/admin/w/acme/t/prod/restores/\d+/items/\d+)">diff`).FindStringSubmatch(page)
	if diff == nil {
		t.Fatal("no diff link for Hello")
	}
	if r := s.ro.Get(diff[1]); r.Status != http.StatusOK || !strings.Contains(r.Body, "Write-Host &#39;third&#39;") || !strings.Contains(r.Body, "Write-Host &#39;hello&#39;") {
		t.Errorf("Hello's diff: %d, does not show the script written against the one found", r.Status)
	}

	// The rest is imported: the next sync verifies it, Wi-Fi found by its name.
	importInto(t, tenant, folder, "Hello", "Wi-Fi")
	s.env.SyncExport("acme", "prod", tenant)
	want = map[string]string{"Defender baseline": backup.Verified, "Hello": backup.Verified, "Wi-Fi": backup.Verified, "Windows compliance": ""}
	if got := states(t, s, run.ID); !maps.Equal(got, want) {
		t.Errorf("after the second sync: %v, want %v", got, want)
	}
}

// TestUndo: "Undo this restore" previews and applies a restore of the
// "Before restore" set for the policies the restore updated; imported and
// synced, the target is back to its hashes from before the restore.
func TestUndo(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	tenant := tenantExport(true)
	s.env.SyncExport("acme", "prod", tenant)
	before := s.hashes(t)

	run, folder := s.restore(t, "prod", app.RestoreOptions{BackupID: set})
	importInto(t, tenant, folder)
	s.env.SyncExport("acme", "prod", tenant)
	if restored := s.hashes(t); restored["Defender baseline"] == before["Defender baseline"] || restored["Hello"] == before["Hello"] {
		t.Fatal("the restore changed nothing to undo")
	}

	page := s.manager.Get(fmt.Sprintf("/admin/operations/%d", run.ID)).Body
	m := regexp.MustCompile(`href="([^"]+)">Undo this restore`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("a finished restore offers no undo")
	}
	preview := s.manager.Get(html.UnescapeString(m[1]))
	for _, want := range []string{fmt.Sprintf("Undo restore #%d", run.ID), "2 items into Production: 2 update", "Defender baseline", "Hello"} {
		if !strings.Contains(preview.Body, want) {
			t.Errorf("the undo preview lacks %q", want)
		}
	}
	u, _ := url.Parse(html.UnescapeString(m[1]))
	form := u.Query()
	form.Set("confirm", "Production")
	r := s.manager.Post(u.Path, form)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("apply the undo: %d %.300s", r.Status, r.Body)
	}
	var undo int64
	fmt.Sscanf(r.Header.Get("Location"), "/admin/operations/%d", &undo)
	var output string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && output == ""; time.Sleep(50 * time.Millisecond) {
		s.env.Data.DB.Read.QueryRow(`SELECT COALESCE(output_path, '') FROM restores WHERE operation_run_id = ?`, undo).Scan(&output)
	}
	if output == "" {
		t.Fatal("the undo wrote no folder within a minute")
	}
	if n := s.count(t, `SELECT count(*) FROM restores WHERE operation_run_id = ? AND undo_of_run_id = ?`, undo, run.ID); n != 1 {
		t.Error("the undo does not record the restore it undoes")
	}
	undone := filepath.Join(s.env.Dir, filepath.FromSlash(output))
	var written []string
	fs.WalkDir(os.DirFS(undone), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			written = append(written, p)
		}
		return err
	})
	if len(written) != 3 { // the two policies and MigrationTable.json
		t.Errorf("the undo wrote %q, want the two updated policies and the migration table", written)
	}
	importInto(t, tenant, undone)
	s.env.SyncExport("acme", "prod", tenant)
	if after := s.hashes(t); !maps.Equal(after, before) {
		t.Errorf("after the undo and a sync: %v, want the hashes from before the restore %v", after, before)
	}
	if !strings.Contains(s.manager.Get(fmt.Sprintf("/admin/operations/%d", run.ID)).Body, fmt.Sprintf("Restore #%d</a>", undo)) {
		t.Error("the restore's page does not say it was undone")
	}
}
