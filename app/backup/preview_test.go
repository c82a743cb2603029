package backup_test

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app/backup"
)

// itemID is the id of the set's item named name.
func (s *site) itemID(t *testing.T, setID int64, name string) string {
	t.Helper()
	var id int64
	if err := s.env.Data.DB.Read.QueryRow(`SELECT id FROM backup_items WHERE backup_set_id = ? AND display_name = ?`, setID, name).Scan(&id); err != nil {
		t.Fatalf("item %q of set %d: %v", name, setID, err)
	}
	return fmt.Sprint(id)
}

// plan previews a restore of set into target through the package and returns
// the steps by name, and the warnings.
func (s *site) plan(t *testing.T, setID, targetID int64, choice backup.Choice) (map[string]*backup.Step, []string) {
	t.Helper()
	ctx := context.Background()
	set, err := backup.SetOfWorkspace(ctx, s.env.Data.DB.Read, s.acmeID, setID)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]*backup.Step{}
	var warnings []string
	err = backup.Plan(ctx, s.env.Data.DB.Read, backup.Request{Set: set, Target: backup.Target{ID: targetID, Label: "Target"}, Choice: choice,
		Layout: "intunemanagement", Date: time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)}, func(st *backup.Step, w []backup.Warning) error {
		steps[st.Item.DisplayName] = st
		for _, x := range w {
			warnings = append(warnings, x.String())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return steps, warnings
}

// changedTenant is tenantExport(true) with the Wi-Fi profile deleted and made
// again under the same name (a new id): another policy of that name.
func changedTenant() fstest.MapFS {
	export := tenantExport(true)
	export["DeviceConfiguration/Wi-Fi.json"].Data = []byte(`{"@odata.type":"#microsoft.graph.macOSWiFiConfiguration","id":"dc-2",
		"displayName":"Wi-Fi","ssid":"guest"}`)
	return export
}

// TestPreviewActions: skip, update, recreate and copy, each item's diff, and
// assignments left out unless asked.
func TestPreviewActions(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	s.env.SyncExport("acme", "prod", changedTenant())

	steps, _ := s.plan(t, set, s.prodID, backup.Choice{})
	for name, want := range map[string]string{"Defender baseline": backup.Update, "Hello": backup.Update,
		"Windows compliance": backup.Skip, "Wi-Fi": backup.Copy} {
		if st := steps[name]; st == nil || st.Action != want {
			t.Errorf("%s: %+v, want %s", name, st, want)
		}
	}
	if st := steps["Wi-Fi"]; st.Name != "Wi-Fi (restored 2026-03-09)" || !strings.Contains(string(st.After), `"displayName":"Wi-Fi (restored 2026-03-09)"`) {
		t.Errorf("a copy is named %q, written as %s", st.Name, st.After)
	}
	if changes := steps["Defender baseline"].Changes(); len(changes) != 1 || changes[0].Kind != "changed" {
		t.Errorf("Defender baseline's changes: %+v, want the one setting changed back", changes)
	}
	for name, st := range steps {
		if st.WithAssignments || strings.Contains(string(st.After), "assignments") {
			t.Errorf("%s: assignments written though not asked for", name)
		}
	}

	// Into an empty environment everything is recreated.
	steps, _ = s.plan(t, set, s.pilotID, backup.Choice{})
	for name, st := range steps {
		if st.Action != backup.Recreate {
			t.Errorf("into pilot, %s: %s, want recreate", name, st.Action)
		}
	}

	// Two items chosen: two steps; types: that type's items.
	chosen, _ := s.plan(t, set, s.pilotID, backup.Choice{Names: []string{"hello", "Wi-Fi"}})
	if len(chosen) != 2 || chosen["Hello"] == nil || chosen["Wi-Fi"] == nil {
		t.Errorf("two items chosen: %d steps", len(chosen))
	}
	if typed, _ := s.plan(t, set, s.pilotID, backup.Choice{Types: []string{"settingsCatalog"}}); len(typed) != 1 || typed["Defender baseline"] == nil {
		t.Errorf("one type chosen: %d steps", len(typed))
	}
}

// TestPreviewWarnings: an item whose assignments are restored warns for all
// devices and for groups the target never uses; without them, nothing.
func TestPreviewWarnings(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	compliance := s.itemID(t, set, "Windows compliance")
	var id int64
	fmt.Sscan(compliance, &id)

	steps, warnings := s.plan(t, set, s.pilotID, backup.Choice{Assign: []int64{id}})
	if !steps["Windows compliance"].WithAssignments || !strings.Contains(string(steps["Windows compliance"].After), "allDevicesAssignmentTarget") {
		t.Error("assignments asked for are not written")
	}
	if steps["Wi-Fi"].WithAssignments {
		t.Error("another item's assignments are written")
	}
	want := []string{"Windows compliance: assigned to all devices", "Windows compliance: group g-pilot does not occur in Target"}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings into pilot %q, want %q", warnings, want)
	}
	// In prod Windows compliance is skipped (identical, assignments too): no
	// warning for it; the copy of Wi-Fi names a group prod no longer uses.
	s.env.SyncExport("acme", "prod", changedTenant())
	if _, warnings := s.plan(t, set, s.prodID, backup.Choice{AllAssignments: true}); !slices.Equal(warnings,
		[]string{"Wi-Fi (restored 2026-03-09): group g-macs does not occur in Target"}) {
		t.Errorf("warnings into prod %q", warnings)
	}
	if _, warnings := s.plan(t, set, s.pilotID, backup.Choice{}); len(warnings) != 0 {
		t.Errorf("warnings without assignments: %q", warnings)
	}
}

// TestPreviewPage: the page lists each item's action and changes (rendered as
// on the diff pages) and the warnings; it writes nothing (row counts and the
// data folder unchanged); a target the user may not see is not found.
func TestPreviewPage(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Before")
	s.env.SyncExport("acme", "prod", changedTenant())
	compliance := s.itemID(t, set, "Windows compliance")

	rows, files := s.footprint(t), dataFiles(t, s.env.Dir)
	r := s.manager.Get(setPath("prod", set) + "/restore?" + url.Values{"target": {"pilot"}, "assign": {compliance}}.Encode())
	if r.Status != http.StatusOK {
		t.Fatalf("preview: %d %.300s", r.Status, r.Body)
	}
	for _, want := range []string{"4 items into Pilot: 4 recreate", "badge-recreate", "assigned to all devices", "group g-pilot does not occur in Pilot",
		`class="diff-added"`, "Defender", "Type <strong>Pilot</strong> to confirm", `name="assign" value="` + compliance + `"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("preview into pilot lacks %q", want)
		}
	}
	r = s.manager.Get(setPath("prod", set) + "/restore")
	for _, want := range []string{"2 update, 1 copy, 1 skip", "Wi-Fi (restored ", `class="diff-changed"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("preview into prod lacks %q", want)
		}
	}
	if after := s.footprint(t); after != rows {
		t.Errorf("the preview wrote to the database: %s, then %s", rows, after)
	}
	if after := dataFiles(t, s.env.Dir); !slices.Equal(after, files) {
		t.Errorf("the preview changed the data folder: %q, then %q", files, after)
	}

	if r := s.operator.Get(setPath("prod", set) + "/restore?target=pilot"); r.Status != http.StatusNotFound {
		t.Errorf("operator previewing into pilot, which it may not see: %d, want 404", r.Status)
	}
	r = s.ro.Get(setPath("prod", set) + "/restore")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `disabled title="Needs the manager role`) {
		t.Errorf("readonly preview: %d, the restore button not disabled with its reason", r.Status)
	}
	if r := s.manager.Get(setPath("prod", set) + "/restore?type=nonsense"); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "There is no policy type") {
		t.Errorf("an unknown type: %d", r.Status)
	}
}

// footprint counts the rows of every table (the audit log included).
func (s *site) footprint(t *testing.T) string {
	t.Helper()
	rows, err := s.env.Data.DB.Read.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		fmt.Fprintf(&b, "%s=%d ", table, s.count(t, `SELECT count(*) FROM "`+table+`"`))
	}
	return b.String()
}

// dataFiles lists the data folder's files but the database's own.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.IsDir() && !strings.HasPrefix(rel, "atlas.db") && !strings.HasPrefix(rel, "processes") {
			list = append(list, rel)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return list
}
