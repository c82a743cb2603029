package intune_test

import (
	"encoding/json"
	"maps"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/intune"
	"atlas/app/intune/intunetest"
)

// read reads the export in dir: its objects and skips by path, and its errors.
func read(t *testing.T, dir string) (objects map[string]*intune.Object, skipped map[string]string) {
	t.Helper()
	objects, skipped = map[string]*intune.Object{}, map[string]string{}
	err := intune.Read(os.DirFS(dir), func(e intune.Entry) error {
		switch {
		case e.Err != nil:
			t.Errorf("%s: %v", e.Path, e.Err)
		case e.Object != nil:
			objects[e.Path] = e.Object
		default:
			skipped[e.Path] = e.Skipped
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return objects, skipped
}

func writeFile(t *testing.T, file string, b []byte) {
	t.Helper()
	if err := intunetest.WriteFile(file, b); err != nil {
		t.Fatal(err)
	}
}

// TestIntentSettingsFiles: IntuneManagement's "<name>_Settings.json" (a JSON
// string holding the settings) is read with the intent "<name>.json" beside
// it, as one policy whose payload holds the settings, whatever the encoding;
// settings the intent carries inline win; a settings file alone is an object
// of its own. Every case is made of the RealIntent.
func TestIntentSettingsFiles(t *testing.T) {
	intent := intunetest.RealIntent(t)
	inline := intent.With("settings", intent.Settings)
	want := intune.Hash(intune.Canonical(intune.Normalize(inline)))
	// other is the settings with one value changed.
	other := json.RawMessage(strings.Replace(string(intunetest.Encode(t, intent.Settings, intunetest.UTF8)), `"value": true`, `"value": false`, 1))
	intentFile := path.Join("EndpointSecurity", intent.Name+".json")
	settingsFile := path.Join("EndpointSecurity", intent.Name+"_Settings.json")
	tests := []struct {
		name     string
		write    func(t *testing.T, dir string)
		object   string // the path of the one object read
		hash     string // its hash, "" when it is not the intent's
		skipped  bool   // the settings file is skipped (read with the intent)
		warning  string // a warning on the object, "" none
		typeName string // its display name
	}{
		{"intent and settings file, UTF-8", func(t *testing.T, dir string) { intent.WritePair(t, dir, intunetest.UTF8) },
			intentFile, want, true, "", intent.Name},
		{"intent and settings file, UTF-16LE with BOM and CRLF", func(t *testing.T, dir string) { intent.WritePair(t, dir, intunetest.UTF16CRLF) },
			intentFile, want, true, "", intent.Name},
		{"settings inline, no settings file", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, intentFile), intunetest.Encode(t, inline, intunetest.UTF16CRLF))
		}, intentFile, want, false, "", intent.Name},
		{"settings inline and the same in the settings file", func(t *testing.T, dir string) {
			intent.WritePair(t, dir, intunetest.UTF8)
			writeFile(t, filepath.Join(dir, intentFile), intunetest.Encode(t, inline, intunetest.UTF8))
		}, intentFile, want, true, "", intent.Name},
		{"settings inline and others in the settings file: the inline ones win", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, intentFile), intunetest.Encode(t, inline, intunetest.UTF8))
			writeFile(t, filepath.Join(dir, settingsFile), intunetest.Encode(t, string(other), intunetest.UTF8))
		}, intentFile, want, true, "holds other settings than the file itself: the file's own were kept", intent.Name},
		{"settings file holding a bare list", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, intentFile), intunetest.Encode(t, intent.Object, intunetest.UTF8))
			list := intunetest.Encode(t, intent.Settings, intunetest.UTF8)
			writeFile(t, filepath.Join(dir, settingsFile), intunetest.Encode(t, string(list), intunetest.UTF16CRLF))
		}, intentFile, want, true, "", intent.Name},
		{"settings file without its intent", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, settingsFile), intent.SettingsFile(t, intunetest.UTF16CRLF))
		}, settingsFile, "", false, "endpoint security settings without their intent (EndpointSecurity/" + intent.Name + ".json", intent.Name},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.write(t, dir)
			objects, skipped := read(t, dir)
			if len(objects) != 1 || objects[tt.object] == nil {
				t.Fatalf("objects %v, want %s alone (skipped %v)", slicesOf(objects), tt.object, skipped)
			}
			o := objects[tt.object]
			if o.Type.Key != "endpointSecurityIntent" || o.DisplayName != tt.typeName {
				t.Errorf("read as %s %q", o.Type.Key, o.DisplayName)
			}
			if tt.hash != "" && o.Hash != tt.hash {
				t.Errorf("hash %s, want the intent's with its settings inline %s:\n%.400s", o.Hash, tt.hash, o.Canonical)
			}
			settings, _ := o.Payload.(map[string]any)["settings"].([]any)
			if len(settings) != len(intent.Settings) {
				t.Errorf("%d settings in the payload, want %d", len(settings), len(intent.Settings))
			}
			if got := skipped[settingsFile] != ""; got != tt.skipped {
				t.Errorf("settings file skipped %v (%q), want %v", got, skipped[settingsFile], tt.skipped)
			}
			warnings := strings.Join(o.Warnings, "\n")
			if tt.warning == "" && warnings != "" || !strings.Contains(warnings, tt.warning) {
				t.Errorf("warnings %q, want %q", warnings, tt.warning)
			}
		})
	}
}

func slicesOf(m map[string]*intune.Object) []string {
	var keys []string
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	return keys
}

// TestReadBackupAndRestoreTree: an IntuneBackupAndRestore-style backup of the
// real exports, without @odata.type, is typed by its folders (including
// "Device Management Intents/<template>"), and a folder no tool names by its
// files' shapes; Assignments files become the assignments of the policy of
// the same file name and no objects.
func TestReadBackupAndRestoreTree(t *testing.T) {
	dir := t.TempDir()
	placed, assigned := intunetest.BackupAndRestoreTree(t, dir)
	objects, skipped := read(t, dir)
	if len(objects) != len(placed) {
		t.Errorf("%d objects, want %d", len(objects), len(placed))
	}
	sources := map[string]int{}
	for _, p := range placed {
		o := objects[p.Path]
		if o == nil {
			t.Errorf("%s: not read as an object (%q)", p.Path, skipped[p.Path])
			continue
		}
		sources[o.TypeSource]++
		if o.Type.Key != p.Type || o.TypeSource != p.TypeSource || len(o.Warnings) > 0 {
			t.Errorf("%s: %s by %q (%v), want %s by %s", p.Path, o.Type.Key, o.TypeSource, o.Warnings, p.Type, p.TypeSource)
		}
		m, _ := o.Payload.(map[string]any) // an admin template is a list
		list, _ := m["assignments"].([]any)
		if len(list) != assigned[p.Path] {
			t.Errorf("%s: %d assignments, want %d", p.Path, len(list), assigned[p.Path])
		}
	}
	t.Logf("type sources: %v", sources)
	for p := range assigned {
		file := path.Join(path.Dir(p), "Assignments", path.Base(p))
		if want := "the assignments of " + p + ", read with it"; skipped[file] != want {
			t.Errorf("%s skipped %q, want %q", file, skipped[file], want)
		}
	}
	if why := skipped["Settings Catalog/Assignments/A policy deleted since.json"]; !strings.HasPrefix(why, "assignments of a policy that is not in the export") {
		t.Errorf("orphan assignments: %q", why)
	}
	if got := intune.DetectLayout(os.DirFS(dir)).Kind; got != intune.IntuneBackupAndRestore {
		t.Errorf("layout %s, want %s", got, intune.IntuneBackupAndRestore)
	}
}

// TestReadFollowsNoLink: issue 17 — a file beside a policy that is a link
// (its assignments, an intent's settings), or a migration table that is one,
// is not read, whether the link leads out of the export or stays inside: the
// policy fails (it is not read without what it holds) and no names or tenant
// come from it. Read through an os.Root, as a sync reads.
func TestReadFollowsNoLink(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "assignments.json"), []byte(`[{"target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}]`))
	writeFile(t, filepath.Join(outside, "MigrationTable.json"), []byte(`{"TenantId":"leaked","Objects":[{"Id":"g-1","DisplayName":"Leaked group"}]}`))
	dir := t.TempDir()
	policy := []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"%s","displayName":"%s"}`)
	for _, name := range []string{"Out", "In", "Alone"} {
		writeFile(t, filepath.Join(dir, "Device Compliance Policies", name+".json"), []byte(strings.NewReplacer("%s", name).Replace(string(policy))))
	}
	writeFile(t, filepath.Join(dir, "tables", "names.json"), []byte(`{"TenantId":"inside","Objects":[{"Id":"g-1","DisplayName":"Inside group"}]}`))
	assignments := filepath.Join(dir, "Device Compliance Policies", "Assignments")
	writeFile(t, filepath.Join(assignments, "Alone.json"), []byte(`[]`))
	for link, target := range map[string]string{
		filepath.Join(assignments, "Out.json"):    filepath.Join(outside, "assignments.json"),
		filepath.Join(assignments, "In.json"):     "Alone.json",
		filepath.Join(dir, "MigrationTable.json"): filepath.Join("tables", "names.json"),
	} {
		if err := os.Symlink(target, link); err != nil {
			t.Fatal(err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	failed := map[string]string{}
	err = intune.Read(root.FS(), func(e intune.Entry) error {
		if e.Err != nil {
			failed[e.Path] = e.Err.Error()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	const why = "it is a link: Atlas reads only the files an export holds, not what links point to"
	want := map[string]string{
		"Device Compliance Policies/Out.json": "its assignments file Device Compliance Policies/Assignments/Out.json: " + why,
		"Device Compliance Policies/In.json":  "its assignments file Device Compliance Policies/Assignments/In.json: " + why,
	}
	if !maps.Equal(failed, want) {
		t.Errorf("failed %v,\nwant %v", failed, want)
	}
	if names, tenant := intune.ObjectNames(root.FS()), intune.TenantOf(root.FS()); names != nil || tenant != "" {
		t.Errorf("read through the migration table's link: names %v, tenant %q", names, tenant)
	}
}
