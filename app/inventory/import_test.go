package inventory

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/intune"
	"atlas/app/intune/intunetest"
	"atlas/app/shareddata"
)

// TestSyncSharedExportsKeepTheirCounts pins what the three shared exports,
// whole, gave before issue 9 (measured on main at 90233aa): reading companion
// files, Assignments folders and exports without @odata.type changes none of it.
func TestSyncSharedExportsKeepTheirCounts(t *testing.T) {
	tests := []struct {
		export   string
		counts   Counts
		types    map[string]int
		warnings int // Azure/securedworkstation: the PAW and SPE copies of ENT's policies
	}{
		{"OpenIntuneBaseline", Counts{Files: 115, Seen: 95, Created: 95, Skipped: 20},
			map[string]int{"appProtection": 2, "compliancePolicy": 8, "deviceConfiguration": 1, "driverUpdateProfile": 3, "settingsCatalog": 78, "updateRing": 3}, 0},
		{"CES2026-IntuneCD", Counts{Files: 118, Seen: 116, Created: 116, Skipped: 2},
			map[string]int{"appProtection": 2, "compliancePolicy": 18, "customAttribute": 2, "deviceConfiguration": 6, "deviceManagementSettings": 1,
				"enrollmentConfiguration": 5, "enrollmentStatusPage": 1, "notificationTemplate": 2, "roleDefinition": 1, "scopeTag": 1,
				"settingsCatalog": 69, "shellScript": 7, "updateRing": 1}, 0},
		{"Azure-securedworkstation", Counts{Files: 29, Seen: 21, Created: 21, Skipped: 8},
			map[string]int{"adminTemplate": 3, "compliancePolicy": 3, "deviceConfiguration": 15}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.export, func(t *testing.T) {
			fsys := os.DirFS(shareddata.Dir(t, "intune", tt.export))
			p := newPlace(t, dbtest.Open(t), "ws")
			res, rec := p.sync(t, fsys)
			if res.Counts != tt.counts || res.Outcome() != "succeeded" || len(rec.problems) != tt.warnings {
				t.Errorf("counts %+v %s, %d problems %v; want %+v succeeded, %d warnings", res.Counts, res.Outcome(), len(rec.problems), rec.problems, tt.counts, tt.warnings)
			}
			if got := p.typeCounts(t); !maps.Equal(got, tt.types) {
				t.Errorf("policies per type %v\nwant %v", got, tt.types)
			}
			t.Logf("typed by: %v", p.typeSources(t))
		})
	}
}

func (p *place) typeSources(t testing.TB) map[string]int {
	t.Helper()
	rows, err := p.d.Read.Query(`SELECT COALESCE(type_source, ''), count(*) FROM policies WHERE managed_environment_id = ? GROUP BY type_source`, p.env)
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

// TestSyncTheSameExportWrittenAnotherWay: re-syncing a shared export as a
// newer tool (null and empty properties everywhere), another encoding or
// Windows PowerShell 5 (.NET JSON dates) writes it gives no new version.
func TestSyncTheSameExportWrittenAnotherWay(t *testing.T) {
	tests := []struct {
		name string
		enc  intunetest.Encoding
		edit func(any) any
	}{
		{"null-valued and empty properties added everywhere", intunetest.AsFound, intunetest.AddEmpties},
		{"UTF-16LE with BOM and CRLF", intunetest.UTF16CRLF, nil},
		{"UTF-8", intunetest.UTF8, nil},
		{".NET JSON dates", intunetest.AsFound, intunetest.DotNetDates},
	}
	for _, export := range []string{"OpenIntuneBaseline", "CES2026-IntuneCD", "Azure-securedworkstation"} {
		src := shareddata.Dir(t, "intune", export)
		for _, tt := range tests {
			t.Run(export+"/"+tt.name, func(t *testing.T) {
				p := newPlace(t, dbtest.Open(t), "ws")
				first, _ := p.sync(t, os.DirFS(src))
				variant := filepath.Join(t.TempDir(), "variant")
				intunetest.Variant(t, src, variant, tt.enc, tt.edit)
				res, _ := p.sync(t, os.DirFS(variant))
				want := first.Counts
				want.Created, want.Unchanged = 0, first.Counts.Created
				if res.Counts != want || p.versions(t) != first.Counts.Created {
					t.Errorf("re-sync %+v with %d versions; want %+v with %d", res.Counts, p.versions(t), want, first.Counts.Created)
				}
			})
		}
	}
}

// TestSyncIntentWithItsSettingsFile: an IntuneManagement intent and its
// settings file are one policy; the sync is complete (it used to fail on the
// settings file and stay partial), so a later sync without them removes it;
// a changed setting is one setting changed.
func TestSyncIntentWithItsSettingsFile(t *testing.T) {
	intent := intunetest.RealIntent(t)
	src := shareddata.Dir(t, "intune", "Azure-securedworkstation", "ENT")
	dir := filepath.Join(t.TempDir(), "export")
	intunetest.Variant(t, src, dir, intunetest.AsFound, nil)
	intent.WritePair(t, dir, intunetest.UTF16CRLF)
	p := newPlace(t, dbtest.Open(t), "ws")

	res, rec := p.sync(t, os.DirFS(dir))
	if res.Outcome() != "succeeded" || res.Counts.Seen != 9 || res.Counts.Skipped != 1 || len(rec.problems) != 0 {
		t.Fatalf("first sync %+v %s %v, want 9 seen, the settings file skipped, succeeded", res.Counts, res.Outcome(), rec.problems)
	}
	var id int64
	var hash string
	if err := p.d.Read.QueryRow(`SELECT id, content_hash FROM policies WHERE policy_type = 'endpointSecurityIntent'`).Scan(&id, &hash); err != nil {
		t.Fatal(err)
	}
	payload, err := Payload(context.Background(), p.d.Read, hash)
	if err != nil || strings.Count(string(payload), `"definitionId"`) != len(intent.Settings) {
		t.Errorf("stored payload holds %d settings, want %d (%v)", strings.Count(string(payload), `"definitionId"`), len(intent.Settings), err)
	}

	changed := intent
	changed.Settings = append([]any(nil), intent.Settings...)
	on := slices.IndexFunc(changed.Settings, func(s any) bool { return s.(map[string]any)["value"] == true })
	setting := maps.Clone(changed.Settings[on].(map[string]any))
	setting["value"], setting["valueJson"] = false, "false"
	changed.Settings[on] = setting
	changed.WritePair(t, dir, intunetest.UTF16CRLF)
	res, _ = p.sync(t, os.DirFS(dir))
	var summary string
	if err := p.d.Read.QueryRow(`SELECT change_summary FROM policy_versions WHERE policy_id = ? AND version_number = 2`, id).Scan(&summary); err != nil ||
		res.Counts.Changed != 1 || summary != "1 setting changed" {
		t.Errorf("second sync %+v, summary %q (%v); want the intent changed by 1 setting", res.Counts, summary, err)
	}

	for _, f := range []string{intent.Name + ".json", intent.Name + "_Settings.json"} {
		mustRemove(t, filepath.Join(dir, "EndpointSecurity", f))
	}
	res, _ = p.sync(t, os.DirFS(dir))
	if res.Counts.Removed != 1 || res.Outcome() != "succeeded" {
		t.Errorf("sync without the intent %+v %s, want it removed", res.Counts, res.Outcome())
	}
}

// TestSyncWarnsOfASettingsFileAlone: a settings file without its intent is
// imported as an object of its own, and the run says so without failing.
func TestSyncWarnsOfASettingsFileAlone(t *testing.T) {
	intent := intunetest.RealIntent(t)
	dir := t.TempDir()
	intunetest.WriteFile(filepath.Join(dir, "EndpointSecurity", intent.Name+"_Settings.json"), intent.SettingsFile(t, intunetest.UTF8))
	p := newPlace(t, dbtest.Open(t), "ws")
	res, rec := p.sync(t, os.DirFS(dir))
	if res.Outcome() != "succeeded" || res.Counts.Created != 1 || len(rec.problems) != 1 || !rec.problems[0].Warning ||
		!strings.Contains(rec.problems[0].Reason, "endpoint security settings without their intent") {
		t.Errorf("%+v %s %+v, want one object and one warning", res.Counts, res.Outcome(), rec.problems)
	}
}

// TestSyncRecordsHowTypesWereKnown: an IntuneBackupAndRestore-style backup
// without @odata.type is typed by folder and shape, each policy says which,
// and an Assignments file is the assignments of its policy.
func TestSyncRecordsHowTypesWereKnown(t *testing.T) {
	dir := t.TempDir()
	placed, assigned := intunetest.BackupAndRestoreTree(t, dir)
	p := newPlace(t, dbtest.Open(t), "ws")
	res, rec := p.sync(t, os.DirFS(dir))
	want := map[string]int{}
	for _, pl := range placed {
		want[pl.TypeSource]++
	}
	if res.Counts.Created != len(placed) || res.Counts.Skipped != len(assigned)+1 || len(rec.problems) != 0 {
		t.Errorf("%+v %v: want %d policies and the %d Assignments files skipped", res.Counts, rec.problems, len(placed), len(assigned)+1)
	}
	if got := p.typeSources(t); !maps.Equal(got, want) {
		t.Errorf("typed by %v, want %v", got, want)
	}
	t.Logf("typed by: %v", want)
	for file, n := range assigned {
		var canonical string
		if err := p.d.Read.QueryRow(`SELECT pp.canonical FROM inventory_items i JOIN policies p ON p.id = i.policy_id
			JOIN policy_payloads pp ON pp.content_hash = p.content_hash WHERE i.source_path = ?`, file).Scan(&canonical); err != nil {
			t.Fatal(err)
		}
		var payload struct{ Assignments []any }
		if err := json.Unmarshal([]byte(canonical), &payload); err != nil || len(payload.Assignments) != n {
			t.Errorf("%s: %d assignments stored, want %d (%v)", file, len(payload.Assignments), n, err)
		}
	}
}

// TestUpgradePayloads: payloads stored in an older canonical form (here, as
// an older Atlas kept a null property) are rewritten once, in place of every
// reference — versions, policies and a table of another domain — so that a
// sync of the unchanged export writes no version.
func TestUpgradePayloads(t *testing.T) {
	ctx := context.Background()
	src := shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement")
	d := dbtest.Open(t)
	p := newPlace(t, d, "ws")
	first, _ := p.sync(t, os.DirFS(src))
	if _, err := d.Write.Exec(`CREATE TABLE other_domain_refs (content_hash TEXT NOT NULL REFERENCES policy_payloads (content_hash))`); err != nil {
		t.Fatal(err)
	}
	olderForm(t, d)
	if n := p.count(t, `SELECT count(*) FROM other_domain_refs`); n != first.Counts.Created {
		t.Fatalf("%d references in the other table, want %d", n, first.Counts.Created)
	}

	n, err := UpgradePayloads(ctx, d)
	if err != nil || n != first.Counts.Created {
		t.Fatalf("UpgradePayloads: %d rewritten, %v; want %d", n, err, first.Counts.Created)
	}
	if again, err := UpgradePayloads(ctx, d); err != nil || again != 0 {
		t.Errorf("a second upgrade rewrote %d (%v), want none", again, err)
	}
	for _, q := range []string{
		`SELECT count(*) FROM policy_payloads WHERE canonical_form <> 2 OR canonical LIKE '%"olderAtlas"%'`,
		`SELECT count(*) FROM other_domain_refs r LEFT JOIN policies p ON p.content_hash = r.content_hash WHERE p.id IS NULL`,
		`SELECT count(*) FROM policy_versions v JOIN policies p ON p.id = v.policy_id WHERE v.content_hash <> p.content_hash`,
		`SELECT count(*) FROM policy_versions WHERE change_summary IS NOT NULL`,
	} {
		if got := p.count(t, q); got != 0 {
			t.Errorf("%s: %d, want 0", q, got)
		}
	}
	res, _ := p.sync(t, os.DirFS(src))
	if res.Counts.Unchanged != first.Counts.Created || p.versions(t) != first.Counts.Created {
		t.Errorf("sync after the upgrade %+v, %d versions; want every policy unchanged", res.Counts, p.versions(t))
	}
}

// olderForm stores every payload as an older Atlas did, a null property kept
// (under a hash of its own, canonical form 1), and has another domain's table
// reference them.
func olderForm(t *testing.T, d *db.DB) {
	t.Helper()
	err := d.Tx(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT content_hash, canonical FROM policy_payloads`)
		if err != nil {
			return err
		}
		old := map[string][]byte{}
		for rows.Next() {
			var h string
			var c []byte
			if err := rows.Scan(&h, &c); err != nil {
				return err
			}
			old[h] = c
		}
		rows.Close()
		for h, c := range old {
			older := strings.Replace(string(c), "{", `{"olderAtlas":null,`, 1)
			oh := intune.Hash([]byte(older))
			for _, q := range []string{
				`INSERT INTO policy_payloads (content_hash, canonical, created_at) VALUES (?2, ?3, '2026-01-01T00:00:00Z')`,
				`UPDATE policies SET content_hash = ?2 WHERE content_hash = ?1`,
				`UPDATE policy_versions SET content_hash = ?2, change_summary = 'a property removed' WHERE content_hash = ?1`,
				`INSERT INTO other_domain_refs (content_hash) VALUES (?2)`,
				`DELETE FROM policy_payloads WHERE content_hash = ?1`,
			} {
				if _, err := tx.Exec(q, h, oh, older); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
