package backup_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app"
	"atlas/app/apptest"
	"atlas/app/backup"
	"atlas/app/intune"
	"atlas/app/operation"

	"golang.org/x/text/unicode/norm"
)

// hostileFolders are, per export layout, the folders of a device
// configuration, a settings catalog policy, a compliance policy and a
// PowerShell script.
var hostileFolders = map[string][4]string{
	intune.IntuneManagement:       {"DeviceConfiguration", "SettingsCatalog", "CompliancePolicies", "PowerShellScripts"},
	intune.IntuneCD:               {"Device Configurations", "Settings Catalog", "Compliance Policies/Policies", "Scripts/Powershell"},
	intune.IntuneBackupAndRestore: {"Device Configurations", "Settings Catalog", "Device Compliance Policies", "Device Management Scripts"},
}

// hostileExport is an export in a tool's layout whose content names files
// outside any folder Atlas writes: names, Graph types, technologies and
// script names with "../" up to victim (an absolute path without extension),
// absolute paths, backslashes, NUL, Windows device names, 300 bytes, trailing
// dots, invisible characters, case and normalisation twins.
func hostileExport(t *testing.T, layout, victim string) fstest.MapFS {
	t.Helper()
	escape := strings.Repeat("../", 40) + strings.TrimPrefix(filepath.ToSlash(victim), "/")
	folders := hostileFolders[layout]
	export := fstest.MapFS{}
	add := func(folder string, v map[string]any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		export[fmt.Sprintf("%s/%d.json", folder, len(export))] = &fstest.MapFile{Data: b}
	}
	for i, name := range []string{escape, "/" + escape, `..\..\..\..\victim`, "nul\x00byte", "CON", "con.txt", "COM1", "CONIN$",
		strings.Repeat("é", 150), "Twin", "TWIN", "Café", "Cafe\u0301", "Trailing. . .", "..", ".", "invoice\u202Egnp.exe", "Zero\u200Bwidth", "C:victim"} {
		add(folders[2], map[string]any{"@odata.type": "#microsoft.graph.windows10CompliancePolicy", "id": fmt.Sprintf("cp-%d", i),
			"displayName": name, "passwordRequired": true})
	}
	for i, typ := range []string{"#microsoft.graph.x/" + escape, "#microsoft.graph.x/" + "/" + escape, `#microsoft.graph.x\..\..\..\victim`,
		"#microsoft.graph." + strings.Repeat("x", 300)} {
		add(folders[0], map[string]any{"@odata.type": typ, "id": fmt.Sprintf("dc-%d", i), "displayName": fmt.Sprintf("Hostile type %d", i)})
	}
	for i, tech := range []string{"mdm," + escape, `mdm,..\..\..\victim`, "mdm/../../x"} {
		add(folders[1], map[string]any{"id": fmt.Sprintf("sc-%d", i), "name": fmt.Sprintf("Hostile technologies %d", i),
			"platforms": "windows10", "technologies": tech, "settings": []any{}})
	}
	for i, file := range []string{escape + ".ps1", "..", ".ps1", `x.\..\..\victim`, "CON.ps1", ""} {
		add(folders[3], map[string]any{"@odata.type": "#microsoft.graph.deviceManagementScript", "id": fmt.Sprintf("ps-%d", i),
			"displayName": escape + fmt.Sprint(i), "fileName": file, "runAsAccount": "system", "scriptContent": "V3JpdGUtSG9zdCAnaGVsbG8n"})
	}
	return export
}

// hostileCount is the number of policies in a hostile export.
const hostileCount = 19 + 4 + 3 + 6

// checkPath fails unless p is a relative slash path of names every system
// takes as they are.
func checkPath(t *testing.T, where, p string) {
	t.Helper()
	if !fs.ValidPath(p) || p == "." {
		t.Errorf("%s: %q is not a plain relative path", where, p)
		return
	}
	for _, name := range strings.Split(p, "/") {
		if why := backup.NameProblem(name); why != "" {
			t.Errorf("%s: %q in %q: %s", where, name, p, why)
		}
	}
}

// checkNoTwins fails when two paths would be one file on Windows or macOS.
func checkNoTwins(t *testing.T, where string, paths []string) {
	t.Helper()
	seen := map[string]string{}
	for _, p := range paths {
		key := strings.ToLower(norm.NFC.String(p))
		if other, ok := seen[key]; ok {
			t.Errorf("%s: %q and %q are one file on Windows and macOS", where, other, p)
		}
		seen[key] = p
	}
}

// victimOf is a file outside the data folder that a hostile export aims at.
func victimOf(t *testing.T) (victim string, check func()) {
	dir := t.TempDir()
	victim = filepath.Join(dir, "victim")
	if err := os.WriteFile(victim+".json", []byte("original"), 0o600); err != nil {
		t.Fatal(err)
	}
	return victim, func() {
		t.Helper()
		if b, err := os.ReadFile(victim + ".json"); err != nil || string(b) != "original" {
			t.Errorf("the victim file was overwritten: %q %v", b, err)
		}
		if got := files(t, dir); !slices.Equal(got, []string{"victim.json"}) {
			t.Errorf("files written beside the victim: %q", got)
		}
	}
}

// uploadExport uploads export as a zip to an environment, as c.
func uploadExport(t *testing.T, c *apptest.Client, environment string, export fstest.MapFS) {
	t.Helper()
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	if err := zw.AddFS(export); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("export", "customer.zip")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(zipped.Bytes())
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.Request(http.MethodPost, "/admin/w/acme/t/"+environment+"/connection/upload", nil).URL.String(), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := c.Do(req); r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", r.Status, r.Body)
	}
}

// webRun posts a form that starts a run, as c, and returns the run once completed.
func (s *site) webRun(t *testing.T, c *apptest.Client, path string, form url.Values) *operation.Run {
	t.Helper()
	r := c.Post(path, form)
	var id int64
	if _, err := fmt.Sscanf(r.Header.Get("Location"), "/admin/operations/%d", &id); r.Status != http.StatusSeeOther || err != nil {
		t.Fatalf("POST %s: %d %s\n%s", path, r.Status, r.Header.Get("Location"), r.Body)
	}
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		run, err := operation.Get(context.Background(), s.env.Data.DB.Read, s.acmeID, id)
		if err != nil {
			t.Fatal(err)
		}
		if !run.Active() {
			return run
		}
	}
	t.Fatalf("run #%d of POST %s still active after a minute", id, path)
	return nil
}

// webBackup takes a set of an environment through the web, as c, and returns its id.
func (s *site) webBackup(t *testing.T, c *apptest.Client, environment, name string) int64 {
	t.Helper()
	if run := s.webRun(t, c, "/admin/w/acme/t/"+environment+"/backups", url.Values{"name": {name}}); run.Outcome != operation.Succeeded {
		t.Fatalf("backup of %s: %s %+v", environment, run.Outcome, run.Failure)
	}
	var id int64
	s.env.Data.DB.Read.QueryRow(`SELECT id FROM backup_sets WHERE name = ?`, name).Scan(&id)
	return id
}

// TestRestoreNeverWritesOutsideItsFolder: exports with hostile names, Graph
// types, technologies and script names, in each tool's layout, synced, backed
// up and restored in each layout through the command line's path and through
// the web (as a manager who is no site administrator: upload, sync, back up,
// restore): every file lies in its run's folder and every name in it is one
// that Windows, macOS and Linux all take, twins apart; nothing outside is
// written or overwritten.
func TestRestoreNeverWritesOutsideItsFolder(t *testing.T) {
	for _, from := range backup.Layouts {
		t.Run("from "+from.Label, func(t *testing.T) {
			s := newSite(t)
			victim, checkVictim := victimOf(t)
			export := hostileExport(t, from.Kind, victim)
			before := files(t, s.env.Dir)
			var runs []*operation.Run

			// The command line's path into pilot.
			s.env.SyncExport("acme", "staging", export)
			set := s.backup(t, "staging", "Hostile")
			for _, to := range backup.Layouts {
				run, _ := s.restore(t, "pilot", app.RestoreOptions{BackupID: set, Layout: to.Kind})
				runs = append(runs, run)
			}

			// The web, as a manager, into pilot too.
			uploadExport(t, s.manager, "prod", export)
			if run := s.webRun(t, s.manager, "/admin/w/acme/t/prod/inventory/sync", nil); run.Outcome == operation.Failed {
				t.Fatalf("sync of the upload: %+v", run.Failure)
			}
			set = s.webBackup(t, s.manager, "prod", "Hostile upload")
			for _, to := range backup.Layouts {
				runs = append(runs, s.webRun(t, s.manager, setPath("prod", set)+"/restore",
					url.Values{"target": {"pilot"}, "layout": {to.Kind}, "confirm": {"Pilot"}}))
			}

			checkVictim()
			folders := map[string]bool{}
			for _, run := range runs {
				if run.Outcome != operation.Succeeded || run.Counts["succeeded"] != hostileCount {
					t.Errorf("restore #%d: %s, counts %v, %+v", run.ID, run.Outcome, run.Counts, run.Failure)
				}
				rec, err := backup.RestoreOfRun(context.Background(), s.env.Data.DB.Read, run.ID)
				if err != nil {
					t.Fatal(err)
				}
				folders[rec.Output] = true
				items, err := backup.RestoreItems(context.Background(), s.env.Data.DB.Read, run.ID)
				if err != nil {
					t.Fatal(err)
				}
				var written []string
				for _, it := range items {
					written = append(written, it.Path)
					if _, err := os.Stat(filepath.Join(s.env.Dir, rec.Output, filepath.FromSlash(it.Path))); err != nil {
						t.Errorf("restore #%d: %s is not in its folder: %v", run.ID, it.Path, err)
					}
				}
				// Each item its own file: none overwrote another.
				checkNoTwins(t, fmt.Sprintf("restore #%d", run.ID), written)
				in := files(t, filepath.Join(s.env.Dir, rec.Output))
				checkNoTwins(t, fmt.Sprintf("restore #%d", run.ID), in)
				for _, p := range in {
					checkPath(t, fmt.Sprintf("restore #%d (%s)", run.ID, rec.Layout), p)
				}
			}
			for _, p := range files(t, s.env.Dir) {
				dir := path.Dir(p)
				for dir != "." && !folders[dir] {
					dir = path.Dir(dir)
				}
				if dir == "." && !slices.Contains(before, p) && !strings.HasPrefix(p, "exports/") {
					t.Errorf("%s written in the data folder outside any restore's folder", p)
				}
			}
		})
	}
}

// TestDownloadHasNoEscapingEntries: a set of a hostile export, downloaded as
// a zip in each layout by a readonly member, holds only relative entries of
// names every system takes, no two of them one file on Windows or macOS.
func TestDownloadHasNoEscapingEntries(t *testing.T) {
	for _, from := range backup.Layouts {
		t.Run("from "+from.Label, func(t *testing.T) {
			s := newSite(t)
			victim, _ := victimOf(t)
			s.env.SyncExport("acme", "prod", hostileExport(t, from.Kind, victim))
			set := s.backup(t, "prod", "Hostile")
			for _, to := range backup.Layouts {
				r := s.ro.Get(setPath("prod", set) + "/download?layout=" + to.Kind)
				if r.Status != http.StatusOK {
					t.Fatalf("download in %s: %d", to.Label, r.Status)
				}
				zr, err := zip.NewReader(strings.NewReader(r.Body), int64(len(r.Body)))
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, f := range zr.File {
					names = append(names, f.Name)
					checkPath(t, "download in "+to.Label, f.Name)
				}
				checkNoTwins(t, "download in "+to.Label, names)
				if len(names) < hostileCount {
					t.Errorf("download in %s: %d entries for %d policies", to.Label, len(names), hostileCount)
				}
			}
		})
	}
}

// TestRestoreOfOnlySkips: a restore whose every item the target holds
// already succeeds in every layout, says there was nothing to write, and
// writes no folder (the command line's path and the web alike).
func TestRestoreOfOnlySkips(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Now")
	for _, l := range backup.Layouts {
		var out strings.Builder
		run, err := s.env.Data.ApplyRestore(context.Background(), &out, "acme", "prod", app.RestoreOptions{BackupID: set, Layout: l.Kind}, false)
		if err != nil {
			t.Fatalf("%s: %v", l.Label, err)
		}
		if run.Outcome != operation.Succeeded || run.Counts["skipped"] != 4 || run.Counts["total"] != 4 || !strings.Contains(out.String(), backup.NothingToWrite) {
			t.Errorf("%s: %s, counts %v, %+v; printed %q", l.Label, run.Outcome, run.Counts, run.Failure, out.String())
		}
		web := s.webRun(t, s.manager, setPath("prod", set)+"/restore", url.Values{"target": {"prod"}, "layout": {l.Kind}, "confirm": {"Production"}})
		page := s.ro.Get(fmt.Sprintf("/admin/operations/%d", web.ID))
		if web.Outcome != operation.Succeeded || !strings.Contains(page.Body, "Nothing to write: the target already holds every chosen item.") {
			t.Errorf("%s through the web: %s %+v; the run's page says nothing to write: %v", l.Label, web.Outcome, web.Failure, strings.Contains(page.Body, "Nothing to write"))
		}
	}
	if got := files(t, s.env.Dir); slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, "restores/") }) {
		t.Errorf("folders written with nothing in them: %q", got)
	}
}

// TestRestorePathsRelativeToTheDataFolder: where the data folder is, only the
// local owner is told; others see the restore's folder relative to it, and a
// failed restore's message names no absolute path. An environment named like a
// Windows device gets a folder Windows can open.
func TestRestorePathsRelativeToTheDataFolder(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	s.env.SyncExport("acme", "prod", tenantExport(true))
	run := s.webRun(t, s.manager, setPath("prod", set)+"/restore", url.Values{"target": {"prod"}, "layout": {"intunemanagement"}, "confirm": {"Production"}})
	folder := fmt.Sprintf("restores/prod/%d", run.ID)
	runPath := fmt.Sprintf("/admin/operations/%d", run.ID)
	for _, c := range []*apptest.Client{s.ro, s.manager} {
		c.Get(runPath).Shows(t, []string{folder, "in Atlas's data folder"}, []string{s.env.Dir})
	}
	s.owner.Get(runPath).Shows(t, []string{filepath.Join(s.env.Dir, filepath.FromSlash(folder))}, nil)

	// A restore that cannot make its folder fails with a message relative to the data folder.
	if err := os.MkdirAll(filepath.Join(s.env.Dir, "restores"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.env.Dir, "restores", "pilot"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	failed := s.webRun(t, s.manager, setPath("prod", set)+"/restore", url.Values{"target": {"pilot"}, "layout": {"intunecd"}, "confirm": {"Pilot"}})
	if failed.Outcome != operation.Failed || failed.Failure == nil || strings.Contains(failed.Failure.Message, s.env.Dir) || !strings.Contains(failed.Failure.Message, "restores/pilot") {
		t.Errorf("a restore that cannot write: %s %+v", failed.Outcome, failed.Failure)
	}
	s.manager.Get(fmt.Sprintf("/admin/operations/%d", failed.ID)).Shows(t, []string{"restores/pilot"}, []string{s.env.Dir})

	if err := s.env.Data.AddEnvironment(context.Background(), "acme", "con", "Console"); err != nil {
		t.Fatal(err)
	}
	run, out := s.restore(t, "con", app.RestoreOptions{BackupID: set})
	if want := filepath.Join(s.env.Dir, "restores", "_con", fmt.Sprint(run.ID)); out != want {
		t.Errorf("restore into environment con written to %s, want %s", out, want)
	}
}
