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
