package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/environment"
	"atlas/app/intune"
	"atlas/app/shareddata"
)

// recorder is a Reporter that keeps everything it is told.
type recorder struct {
	mu          sync.Mutex
	problems    []Problem
	progress    []Counts
	cancelAfter int                // files visited before it asks to cancel; 0 never
	cancelCtx   context.CancelFunc // set: cancel by cancelling the sync's context, as the engine does
	checks      int
	atFirstFile func() // called once, when the sync reaches its first file
}

func (r *recorder) Progress(_ context.Context, c Counts) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.progress = append(r.progress, c)
	return nil
}

func (r *recorder) Problem(_ context.Context, p Problem) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems = append(r.problems, p)
	return nil
}

func (r *recorder) Cancelled(context.Context) bool {
	r.checks++
	if r.atFirstFile != nil {
		r.atFirstFile()
		r.atFirstFile = nil
	}
	cancel := r.cancelAfter > 0 && r.checks > r.cancelAfter
	if cancel && r.cancelCtx != nil {
		r.cancelCtx()
		return false
	}
	return cancel
}

// place is a workspace and environment to sync into.
type place struct {
	d   *db.DB
	ws  int64
	env int64
}

func newPlace(t testing.TB, d *db.DB, slug string) *place {
	t.Helper()
	p := &place{d: d}
	now := db.Now()
	if err := d.Write.QueryRow(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
		slug, slug, now, now).Scan(&p.ws); err != nil {
		t.Fatal(err)
	}
	if err := d.Write.QueryRow(`INSERT INTO managed_environments (workspace_id, slug, name, created_at, updated_at) VALUES (?, 'prod', 'Production', ?, ?) RETURNING id`,
		p.ws, now, now).Scan(&p.env); err != nil {
		t.Fatal(err)
	}
	return p
}

// sync runs a sync of fsys in a new run row, as the engine will.
func (p *place) sync(t testing.TB, fsys fs.FS) (Result, *recorder) {
	t.Helper()
	rec := &recorder{}
	res, err := p.syncWith(t, fsys, rec)
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	return res, rec
}

func (p *place) syncWith(t testing.TB, fsys fs.FS, rec *recorder) (Result, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if rec.cancelCtx != nil {
		rec.cancelCtx = cancel
	}
	var run int64
	if err := p.d.Write.QueryRow(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, created_at, started_at)
		VALUES (?, ?, ?, 'running', ?, ?) RETURNING id`, p.ws, p.env, OperationType, db.Now(), db.Now()).Scan(&run); err != nil {
		t.Fatal(err)
	}
	res, err := Sync(ctx, p.d, Target{WorkspaceID: p.ws, EnvironmentID: p.env, RunID: run}, fsys, rec)
	// One active run per environment and type: this one ends here.
	if _, err := p.d.Write.Exec(`UPDATE operation_runs SET status = 'completed', outcome = ?, completed_at = ? WHERE id = ?`,
		res.Outcome(), db.Now(), run); err != nil {
		t.Fatal(err)
	}
	return res, err
}

func (p *place) count(t testing.TB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := p.d.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func (p *place) versions(t testing.TB) int {
	return p.count(t, `SELECT count(*) FROM policy_versions WHERE managed_environment_id = ?`, p.env)
}

func (p *place) typeCounts(t testing.TB) map[string]int {
	t.Helper()
	rows, err := p.d.Read.Query(`SELECT policy_type, count(*) FROM policies WHERE managed_environment_id = ? AND removed_at IS NULL GROUP BY policy_type`, p.env)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		m[k] = n
	}
	return m
}

func TestSyncRealExports(t *testing.T) {
	tests := []struct {
		name  string
		dir   []string
		types map[string]int
		skip  int
	}{
		{"OpenIntuneBaseline WINDOWS IntuneManagement", []string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement"},
			map[string]int{"settingsCatalog": 59, "compliancePolicy": 4, "updateRing": 3, "driverUpdateProfile": 3, "deviceConfiguration": 1}, 0},
		{"CES2026 IntuneCD backup", []string{"CES2026-IntuneCD"},
			map[string]int{"settingsCatalog": 69, "compliancePolicy": 18, "notificationTemplate": 2, "deviceConfiguration": 6, "updateRing": 1,
				"enrollmentConfiguration": 5, "enrollmentStatusPage": 1, "appProtection": 2, "shellScript": 7, "customAttribute": 2,
				"roleDefinition": 1, "scopeTag": 1, "deviceManagementSettings": 1}, 2},
		{"secured workstation ENT", []string{"Azure-securedworkstation", "ENT"},
			map[string]int{"compliancePolicy": 3, "deviceConfiguration": 4, "adminTemplate": 1}, 0},
		{"secured workstation PAW", []string{"Azure-securedworkstation", "PAW"},
			map[string]int{"compliancePolicy": 3, "deviceConfiguration": 7, "adminTemplate": 1}, 0},
		{"secured workstation SPE", []string{"Azure-securedworkstation", "SPE"},
			map[string]int{"compliancePolicy": 3, "deviceConfiguration": 5, "adminTemplate": 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := os.DirFS(shareddata.Dir(t, append([]string{"intune"}, tt.dir...)...))
			p := newPlace(t, dbtest.Open(t), "ws")
			res, rec := p.sync(t, fsys)
			total := 0
			for _, n := range tt.types {
				total += n
			}
			want := Counts{Files: total + tt.skip, Seen: total, Created: total, Skipped: tt.skip}
			if res.Counts != want || res.Outcome() != "succeeded" || len(rec.problems) > 0 {
				t.Errorf("first sync: %+v %s %v, want %+v succeeded", res.Counts, res.Outcome(), rec.problems, want)
			}
			if got := p.typeCounts(t); !maps.Equal(got, tt.types) {
				t.Errorf("policies per type = %v\nwant %v", got, tt.types)
			}
			if got := p.count(t, `SELECT count(*) FROM inventory_items WHERE managed_environment_id = ?`, p.env); got != total {
				t.Errorf("inventory items = %d, want %d", got, total)
			}
			if got := p.versions(t); got != total {
				t.Errorf("versions = %d, want %d", got, total)
			}
			// Each policy's version and item are its own file's (new policies
			// are inserted a batch at a time), and the search index names it.
			if got := p.count(t, `SELECT count(*) FROM policies p JOIN policy_versions v ON v.policy_id = p.id
				JOIN inventory_items i ON i.policy_id = p.id WHERE p.managed_environment_id = ?
				AND v.content_hash = p.content_hash AND v.source_path = i.source_path AND v.version_number = 1`, p.env); got != total {
				t.Errorf("policies whose version and item are their own = %d, want %d", got, total)
			}
			if got := p.count(t, `SELECT count(*) FROM policies p JOIN search_index s ON s.rowid = 3 * 1099511627776 + p.id
				WHERE p.managed_environment_id = ? AND s.label = p.display_name AND s.path = '/policies/' || p.id`, p.env); got != total {
				t.Errorf("policies in the search index = %d, want %d", got, total)
			}

			// issue 4: the same export twice gives 0 new versions.
			res, _ = p.sync(t, fsys)
			want = Counts{Files: total + tt.skip, Seen: total, Unchanged: total, Skipped: tt.skip}
			if res.Counts != want {
				t.Errorf("second sync: %+v, want %+v", res.Counts, want)
			}
			if got := p.versions(t); got != total {
				t.Errorf("versions after the second sync = %d, want %d", got, total)
			}
		})
	}
}

// copyTree copies an export into a temporary folder a test may change.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// rewrite decodes a file of the copy, lets edit change it and writes it back as UTF-8.
func rewrite(t testing.TB, file string, edit func(m map[string]any)) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	v, err := intune.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	edit(m)
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

func settingsCatalogFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "SettingsCatalog", "*.json"))
	if err != nil || len(files) < 3 {
		t.Fatalf("settings catalog files in %s: %v %v", dir, files, err)
	}
	slices.Sort(files)
	return files
}

func TestSyncVersionsOnlyRealChanges(t *testing.T) {
	src := shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement")
	tests := []struct {
		name    string
		edit    func(t testing.TB, dir string) // changes the copy
		changed int
	}{
		{"untouched copy", func(testing.TB, string) {}, 0},
		{"two policies edited", func(t testing.TB, dir string) {
			for _, f := range settingsCatalogFiles(t, dir)[:2] {
				rewrite(t, f, func(m map[string]any) { m["description"] = fmt.Sprint(m["description"], " (edited)") })
			}
		}, 2},
		{"settings reordered, re-encoded and re-stamped", func(t testing.TB, dir string) {
			for _, f := range settingsCatalogFiles(t, dir) {
				rewrite(t, f, func(m map[string]any) {
					settings, _ := m["settings"].([]any)
					slices.Reverse(settings)
					for i, s := range settings {
						s.(map[string]any)["id"] = fmt.Sprint(len(settings) - i) // server-made ids follow the order
					}
					m["lastModifiedDateTime"] = "2030-01-01T00:00:00Z"
				})
			}
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlace(t, dbtest.Open(t), "ws")
			first, _ := p.sync(t, os.DirFS(src))
			dir := copyTree(t, src)
			tt.edit(t, dir)
			res, rec := p.sync(t, os.DirFS(dir))
			seen := first.Counts.Seen
			want := Counts{Files: seen, Seen: seen, Changed: tt.changed, Unchanged: seen - tt.changed}
			if res.Counts != want || len(rec.problems) > 0 {
				t.Errorf("counts %+v %v, want %+v", res.Counts, rec.problems, want)
			}
			if got := p.versions(t); got != seen+tt.changed {
				t.Errorf("versions = %d, want %d", got, seen+tt.changed)
			}
			if got := p.count(t, `SELECT count(*) FROM policies WHERE managed_environment_id = ? AND version_count = 2`, p.env); got != tt.changed {
				t.Errorf("policies at version 2 = %d, want %d", got, tt.changed)
			}
		})
	}
}

func TestSyncRemovesOnlyOnCompleteSync(t *testing.T) {
	src := shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement")
	p := newPlace(t, dbtest.Open(t), "ws")
	p.sync(t, os.DirFS(src))
	dir := copyTree(t, src)
	files := settingsCatalogFiles(t, dir)
	mustRemove(t, files[0])

	// A file that cannot be read makes the sync partial: nothing is removed.
	broken := filepath.Join(dir, "SettingsCatalog", "zz broken.json")
	if err := os.WriteFile(broken, []byte(`{"displayName": "half`), 0o600); err != nil {
		t.Fatal(err)
	}
	res, rec := p.sync(t, os.DirFS(dir))
	if res.Outcome() != "partial" || res.Counts.Failed != 1 || res.Counts.Removed != 0 {
		t.Errorf("partial sync: %s %+v", res.Outcome(), res.Counts)
	}
	if len(rec.problems) != 1 || rec.problems[0].File != "SettingsCatalog/zz broken.json" || rec.problems[0].Warning {
		t.Errorf("problems = %+v", rec.problems)
	}
	if got := p.count(t, `SELECT count(*) FROM policies WHERE removed_at IS NOT NULL`); got != 0 {
		t.Errorf("a partial sync marked %d policies removed", got)
	}

	// Complete: the missing policy is removed, its history stays.
	mustRemove(t, broken)
	res, _ = p.sync(t, os.DirFS(dir))
	if res.Outcome() != "succeeded" || res.Counts.Removed != 1 || res.Counts.Seen != 69 {
		t.Errorf("complete sync: %s %+v", res.Outcome(), res.Counts)
	}
	if got := p.count(t, `SELECT count(*) FROM policies p JOIN policy_versions v ON v.policy_id = p.id
		WHERE p.removed_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inventory_items i WHERE i.policy_id = p.id)`); got != 1 {
		t.Errorf("removed policies with their version and no inventory item = %d, want 1", got)
	}

	// A removed policy that comes back is present again, without a new version.
	res, _ = p.sync(t, os.DirFS(src))
	if res.Counts.Unchanged != 70 || res.Counts.Removed != 0 || p.count(t, `SELECT count(*) FROM policies WHERE removed_at IS NOT NULL`) != 0 {
		t.Errorf("return: %+v", res.Counts)
	}
	if got := p.versions(t); got != 70 {
		t.Errorf("versions = %d, want 70", got)
	}
}

func mustRemove(t testing.TB, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// graphFile is a synthetic Graph export file.
func graphFile(id, name, modified, description string) *fstest.MapFile {
	return &fstest.MapFile{Data: fmt.Appendf(nil, `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":%q,"displayName":%q,
		"lastModifiedDateTime":%q,"description":%q}`, id, name, modified, description), ModTime: time.Unix(0, 0)}
}

func TestSyncDuplicatesKeepTheNewest(t *testing.T) {
	const older, newer = "2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z"
	tests := []struct {
		name    string
		filler  int // other policies between the copies: more than a batch puts them in two transactions
		first   string
		second  string
		kept    string // description of the version that must be current
		warning string // the file named by the warning
	}{
		{"newer second, same batch", 0, older, newer, "new", "a/dup.json"},
		{"newer first, same batch", 0, newer, older, "new", "c/dup.json"},
		{"newer second, next batch", batchSize + 3, older, newer, "new", "a/dup.json"},
		{"newer first, next batch", batchSize + 3, newer, older, "new", "c/dup.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			desc := map[string]string{older: "old", newer: "new"}
			fsys := fstest.MapFS{
				"a/dup.json": graphFile("dup-id", "Duplicate", tt.first, desc[tt.first]),
				"c/dup.json": graphFile("dup-id", "Duplicate", tt.second, desc[tt.second]),
			}
			for i := range tt.filler {
				fsys[fmt.Sprintf("b/%04d.json", i)] = graphFile(fmt.Sprint("id-", i), fmt.Sprint("Filler ", i), older, "")
			}
			for _, round := range []string{"new environment", "existing policy"} {
				p := newPlace(t, dbtest.Open(t), "ws")
				if round == "existing policy" {
					p.sync(t, fstest.MapFS{"x.json": graphFile("dup-id", "Duplicate", older, "before")})
				}
				res, rec := p.sync(t, fsys)
				n := tt.filler + 1
				if res.Counts.Seen != n || res.Counts.Skipped != 1 || res.Counts.Files != n+1 ||
					res.Counts.Created+res.Counts.Changed+res.Counts.Unchanged != n {
					t.Errorf("%s: counts %+v", round, res.Counts)
				}
				if len(rec.problems) != 1 || !rec.problems[0].Warning || rec.problems[0].File != tt.warning ||
					!strings.Contains(rec.problems[0].Reason, "duplicate of \"Duplicate\"") {
					t.Errorf("%s: problems %+v, want one warning about %s", round, rec.problems, tt.warning)
				}
				var canonical string
				var versions int
				if err := p.d.Read.QueryRow(`SELECT pl.canonical, p.version_count FROM policies p JOIN policy_payloads pl ON pl.content_hash = p.content_hash
					WHERE p.external_id = 'dup-id'`).Scan(&canonical, &versions); err != nil {
					t.Fatal(err)
				}
				wantVersions := map[string]int{"new environment": 1, "existing policy": 2}[round]
				if !strings.Contains(canonical, `"description":"`+tt.kept+`"`) || versions != wantVersions {
					t.Errorf("%s: current %s at version %d, want %q at %d", round, canonical, versions, tt.kept, wantVersions)
				}
				if got := p.count(t, `SELECT count(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE p.external_id = 'dup-id'`); got != wantVersions {
					t.Errorf("%s: %d version rows, want %d", round, got, wantVersions)
				}
			}
		})
	}
}

// TestSyncRenames: a policy synced under a new name takes it, in the list and
// in the search index; of two copies in one export the newer's name wins, even
// when it is the name the policy had before and the older copy's was written
// in an earlier batch.
func TestSyncRenames(t *testing.T) {
	const older, newer = "2025-01-01T00:00:00Z", "2025-06-01T00:00:00Z"
	duplicates := fstest.MapFS{
		"a/dup.json": graphFile("id-1", "Older copy's name", older, ""),
		"c/dup.json": graphFile("id-1", "Before", newer, ""),
	}
	for i := range batchSize + 3 {
		duplicates[fmt.Sprintf("b/%04d.json", i)] = graphFile(fmt.Sprint("filler-", i), fmt.Sprint("Filler ", i), older, "")
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"renamed", fstest.MapFS{"x.json": graphFile("id-1", "After", older, "")}, "After"},
		{"duplicates in two batches", duplicates, "Before"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlace(t, dbtest.Open(t), "ws")
			p.sync(t, fstest.MapFS{"x.json": graphFile("id-1", "Before", older, "")})
			p.sync(t, tt.fsys)
			var name, label string
			if err := p.d.Read.QueryRow(`SELECT p.display_name, s.label FROM policies p JOIN search_index s ON s.rowid = 3 * 1099511627776 + p.id
				WHERE p.external_id = 'id-1'`).Scan(&name, &label); err != nil {
				t.Fatal(err)
			}
			if name != tt.want || label != tt.want {
				t.Errorf("name %q, search label %q; want %q", name, label, tt.want)
			}
		})
	}
}

func TestSyncStoresPayloadsOnce(t *testing.T) {
	src := os.DirFS(shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement"))
	d := dbtest.Open(t)
	for _, slug := range []string{"contoso", "fabrikam", "northwind"} {
		newPlace(t, d, slug).sync(t, src)
	}
	if got := (&place{d: d}).count(t, `SELECT count(*) FROM policy_payloads`); got != 70 {
		t.Errorf("payload rows = %d for the same 70 policies in 3 environments, want 70", got)
	}
	if got := (&place{d: d}).count(t, `SELECT count(*) FROM policy_versions`); got != 210 {
		t.Errorf("versions = %d, want 210", got)
	}
}

func TestSyncCancelledKeepsWhatWasDone(t *testing.T) {
	fsys := fstest.MapFS{}
	for i := range 10 {
		fsys[fmt.Sprintf("p%02d.json", i)] = graphFile(fmt.Sprint("id-", i), fmt.Sprint("Policy ", i), "2025-01-01T00:00:00Z", "")
	}
	edited := maps.Clone(fsys)
	edited["p00.json"] = graphFile("id-0", "Policy 0", "2025-02-01T00:00:00Z", "changed")
	for _, tt := range []struct {
		name    string
		rec     *recorder
		wantErr bool
	}{
		{"by the reporter", &recorder{cancelAfter: 4}, false},
		{"by the context", &recorder{cancelAfter: 4, cancelCtx: func() {}}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := newPlace(t, dbtest.Open(t), "ws")
			p.sync(t, fsys)
			res, err := p.syncWith(t, edited, tt.rec)
			if (err != nil) != tt.wantErr {
				t.Errorf("error %v, want one: %v", err, tt.wantErr)
			}
			if res.Outcome() != "cancelled" || res.Counts.Files != 4 || res.Counts.Changed != 1 || res.Counts.Removed != 0 {
				t.Errorf("cancelled sync: %s %+v", res.Outcome(), res.Counts)
			}
			if got := p.count(t, `SELECT count(*) FROM policies WHERE removed_at IS NULL`); got != 10 {
				t.Errorf("present policies after a cancelled sync = %d, want 10", got)
			}
			if got := p.versions(t); got != 11 {
				t.Errorf("versions = %d, want 11: the change read before the cancel is kept", got)
			}
		})
	}
}

func TestSyncOfAnEmptyExportRemovesNothing(t *testing.T) {
	p := newPlace(t, dbtest.Open(t), "ws")
	p.sync(t, fstest.MapFS{"a.json": graphFile("a", "A", "2025-01-01T00:00:00Z", "")})
	res, rec := p.sync(t, fstest.MapFS{"report.csv": {Data: []byte("x")}})
	if res.Outcome() != "partial" || !res.Empty || res.Counts.Removed != 0 || len(rec.problems) != 1 {
		t.Errorf("empty export: %s %+v %+v", res.Outcome(), res, rec.problems)
	}
	if got := p.count(t, `SELECT count(*) FROM policies WHERE removed_at IS NULL`); got != 1 {
		t.Errorf("present policies = %d, want 1", got)
	}
	// A first sync of an empty export is simply empty.
	empty, _ := newPlace(t, dbtest.Open(t), "ws2").sync(t, fstest.MapFS{})
	if empty.Outcome() != "succeeded" || empty.Empty {
		t.Errorf("first empty sync: %s %+v", empty.Outcome(), empty)
	}
}

func TestSyncRun(t *testing.T) {
	src, err := filepath.EvalSymlinks(shareddata.Dir(t, "intune", "Azure-securedworkstation", "ENT"))
	if err != nil {
		t.Fatal(err)
	}
	p := newPlace(t, dbtest.Open(t), "ws")
	folders := &environment.ExportFolders{DB: p.d, DataDir: t.TempDir(), FlagRoots: []string{src}}
	sel := Selection{ConnectionID: 1, SourceKind: "folder", Source: src, Path: src, Layout: intune.GraphJSON}
	rc, err := contextOf(context.Background(), folders, sel)
	if err != nil || rc.ExpectedFiles != 8 || len(rc.SelectionHash) != 64 || ContextFor(sel, intune.Layout{}).SelectionHash != rc.SelectionHash {
		t.Errorf("context %+v %v", rc, err)
	}
	b, err := json.Marshal(rc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := SyncRun(context.Background(), p.d, folders, Target{WorkspaceID: p.ws, EnvironmentID: p.env}, b, &recorder{})
	if err != nil || res.Counts.Created != 8 {
		t.Errorf("SyncRun: %+v %v", res.Counts, err)
	}
	for name, ctx := range map[string]string{"no selection": `{}`, "folder gone": `{"selection":{"path":"/nonexistent/atlas","source":"x"}}`} {
		if _, err := SyncRun(context.Background(), p.d, folders, Target{WorkspaceID: p.ws, EnvironmentID: p.env}, []byte(ctx), &recorder{}); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestSyncReadsTheFolderItChecked: issue 17 — the sync reads the folder it
// checked, through an os.Root opened on it: swapped for a link to another
// export while the sync reads it, the rest of it is still read from where it
// was, none of the other.
func TestSyncReadsTheFolderItChecked(t *testing.T) {
	top, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	folder, decoy := filepath.Join(top, "export"), filepath.Join(top, "decoy")
	// Many folders of one file: the walk cannot have listed them all when the
	// sync reaches its first file (it reads a few files ahead, no more).
	const n = 100
	own, other := fstest.MapFS{}, fstest.MapFS{}
	for i := range n {
		own[fmt.Sprintf("f%03d/p.json", i)] = graphFile(fmt.Sprint("own-", i), fmt.Sprint("Own ", i), "2025-01-01T00:00:00Z", "")
		other[fmt.Sprintf("f%03d/p.json", i)] = graphFile(fmt.Sprint("decoy-", i), fmt.Sprint("Decoy ", i), "2025-01-01T00:00:00Z", "")
	}
	if err := os.CopyFS(folder, own); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(decoy, other); err != nil {
		t.Fatal(err)
	}
	p := newPlace(t, dbtest.Open(t), "ws")
	folders := &environment.ExportFolders{DB: p.d, DataDir: t.TempDir(), FlagRoots: []string{top}}
	rc, err := json.Marshal(ContextFor(Selection{SourceKind: "folder", Source: folder, Path: folder}, intune.Layout{}))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{atFirstFile: func() {
		if err := os.Rename(folder, folder+".moved"); err != nil {
			t.Error(err)
		}
		if err := os.Symlink(decoy, folder); err != nil {
			t.Error(err)
		}
	}}
	res, err := SyncRun(context.Background(), p.d, folders, Target{WorkspaceID: p.ws, EnvironmentID: p.env}, rc, rec)
	if err != nil || res.Counts.Created != n || res.Counts.Failed != 0 {
		t.Fatalf("sync: %+v %v %+v", res.Counts, err, rec.problems)
	}
	if decoys := p.count(t, `SELECT count(*) FROM policies WHERE display_name LIKE 'Decoy %'`); decoys != 0 {
		t.Errorf("%d policies read from the folder swapped in", decoys)
	}
}
