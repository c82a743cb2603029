package intune

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app/shareddata"
)

// tally reads an export and counts objects per type key, skips and errors.
type tally struct {
	types   map[string]int
	skipped map[string]string
	errs    map[string]string
	objects []*Object
}

func readAll(t testing.TB, dir string) tally {
	t.Helper()
	got := tally{types: map[string]int{}, skipped: map[string]string{}, errs: map[string]string{}}
	err := Read(os.DirFS(dir), func(e Entry) error {
		switch {
		case e.Object != nil:
			got.types[e.Object.Type.Key]++
			got.objects = append(got.objects, e.Object)
		case e.Err != nil:
			got.errs[e.Path] = e.Err.Error()
		default:
			got.skipped[e.Path] = e.Skipped
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Read(%s): %v", dir, err)
	}
	return got
}

func TestReadRealExports(t *testing.T) {
	tests := []struct {
		name    string
		dir     []string
		types   map[string]int
		skipped int
	}{
		{"OpenIntuneBaseline WINDOWS IntuneManagement", []string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement"},
			map[string]int{"settingsCatalog": 59, "compliancePolicy": 4, "updateRing": 3, "driverUpdateProfile": 3, "deviceConfiguration": 1}, 0},
		{"OpenIntuneBaseline whole tree", []string{"OpenIntuneBaseline"},
			map[string]int{"settingsCatalog": 59 + 17 + 2, "compliancePolicy": 4 + 3 + 1, "updateRing": 3, "driverUpdateProfile": 3, "deviceConfiguration": 1, "appProtection": 2},
			19 + 1}, // NativeImport copies and LICENSE
		{"OpenIntuneBaseline MACOS NativeImport alone", []string{"OpenIntuneBaseline", "MACOS", "NativeImport"},
			map[string]int{"settingsCatalog": 17}, 0},
		{"CES2026 IntuneCD", []string{"CES2026-IntuneCD"},
			map[string]int{"settingsCatalog": 69, "compliancePolicy": 18, "notificationTemplate": 2, "deviceConfiguration": 6, "updateRing": 1,
				"enrollmentConfiguration": 5, "enrollmentStatusPage": 1, "appProtection": 2, "shellScript": 7, "customAttribute": 2,
				"roleDefinition": 1, "scopeTag": 1, "deviceManagementSettings": 1},
			1 + 1}, // Assignment Report/report.json and LICENSE
		{"secured workstation ENT", []string{"Azure-securedworkstation", "ENT"},
			map[string]int{"compliancePolicy": 3, "deviceConfiguration": 4, "adminTemplate": 1}, 0},
		{"secured workstation PAW", []string{"Azure-securedworkstation", "PAW"},
			map[string]int{"compliancePolicy": 3, "deviceConfiguration": 7, "adminTemplate": 1}, 0},
		{"secured workstation SPE", []string{"Azure-securedworkstation", "SPE"},
			map[string]int{"compliancePolicy": 3, "deviceConfiguration": 5, "adminTemplate": 1}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, shareddata.Dir(t, append([]string{"intune"}, tt.dir...)...))
			if len(got.errs) > 0 {
				t.Errorf("per-file errors: %v", got.errs)
			}
			if !maps.Equal(got.types, tt.types) {
				t.Errorf("types = %v\nwant    %v", got.types, tt.types)
			}
			if len(got.skipped) != tt.skipped {
				t.Errorf("skipped %d files, want %d: %v", len(got.skipped), tt.skipped, got.skipped)
			}
		})
	}
}

func TestReadRealObjectFields(t *testing.T) {
	got := readAll(t, shareddata.Dir(t, "intune"))
	if len(got.errs) > 0 {
		t.Fatalf("per-file errors: %v", got.errs)
	}
	for _, o := range got.objects {
		if o.DisplayName == "" || o.Platform == "" || o.Hash == "" || o.Modified.IsZero() || o.Size == 0 {
			t.Errorf("%s: incomplete object %+v", o.SourcePath, *o)
		}
		if o.Type.Key == Other.Key {
			t.Errorf("%s: type not recognised (%s)", o.SourcePath, o.GraphType)
		}
	}
	skips := slices.Sorted(maps.Values(got.skipped))
	t.Logf("%d objects, skipped: %v", len(got.objects), slices.Compact(skips))
}

func TestReadSynthetic(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), ModTime: mod} }
	fsys := fstest.MapFS{
		"Backup/Settings Catalog/Edge_mdm.json": file(`{"name":"Edge","platforms":"macOS","technologies":"mdm","settings":[]}`),
		"Backup/Scope Tags/Default.json":        file(`{"displayName":"Default","isBuiltIn":true}`),
		"Backup/Assignment Report/report.json":  file(`[]`),
		"Graph/policy.json": file(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"abc",` +
			`"displayName":"Win","lastModifiedDateTime":"2024-12-05T19:36:18.3807998Z"}`),
		"Graph/unknown.json":      file(`{"@odata.type":"#microsoft.graph.somethingNew","displayName":"New"}`),
		"Graph/list.json":         file(`[{"a":1}]`),
		"Graph/scalar.json":       file(`"hello"`),
		"Graph/broken.json":       file(`{"a":`),
		"Graph/readme.txt":        file(`hi`),
		"MigrationTable.json":     file(`{"Objects":[]}`),
		"Templates/Firewall.json": file(`[{"definition@odata.bind":"d","enabled":"true"}]`),
		"Graph/link.json":         {Data: []byte(`{}`), Mode: fs.ModeSymlink},
	}
	got := map[string]string{}
	var objects = map[string]*Object{}
	err := Read(fsys, func(e Entry) error {
		switch {
		case e.Object != nil:
			got[e.Path] = "object " + e.Object.Type.Key
			objects[e.Path] = e.Object
		case e.Err != nil:
			got[e.Path] = "error " + e.Err.Error()
		default:
			got[e.Path] = "skip " + e.Skipped
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Backup/Settings Catalog/Edge_mdm.json": "object settingsCatalog",
		"Backup/Scope Tags/Default.json":        "object scopeTag",
		"Backup/Assignment Report/report.json":  "skip IntuneCD assignment report: a report, not configuration",
		"Graph/policy.json":                     "object compliancePolicy",
		"Graph/unknown.json":                    "object other",
		"Graph/list.json":                       "skip a JSON array that is not an administrative template nor intent settings: not a configuration object",
		"Graph/scalar.json":                     "error expected a JSON object or array, found a string",
		"Graph/broken.json":                     "error not valid JSON at byte 5 (line 1, column 6, UTF-8): the file ends in the middle of a value",
		"Graph/readme.txt":                      "skip not a JSON file",
		"MigrationTable.json":                   "skip IntuneManagement migration table: ids of the source tenant, not configuration",
		"Templates/Firewall.json":               "object adminTemplate",
		"Graph/link.json":                       "skip a link: Atlas reads only the files an export holds, not what links point to",
	}
	if !maps.Equal(got, want) {
		for p := range want {
			if got[p] != want[p] {
				t.Errorf("%s: got %q, want %q", p, got[p], want[p])
			}
		}
	}

	fields := map[string]string{
		"Backup/Settings Catalog/Edge_mdm.json": "|Edge|macOS|#microsoft.graph.deviceManagementConfigurationPolicy|2026-01-02T03:04:05Z|70",
		"Graph/policy.json":                     "abc|Win|windows|#microsoft.graph.windows10CompliancePolicy|2024-12-05T19:36:18.3807998Z|145",
		"Templates/Firewall.json":               "|Firewall|windows|#microsoft.graph.groupPolicyConfiguration|2026-01-02T03:04:05Z|48",
		"Backup/Scope Tags/Default.json":        "|Default|all|#microsoft.graph.roleScopeTag|2026-01-02T03:04:05Z|42",
		"Graph/unknown.json":                    "|New|all|#microsoft.graph.somethingNew|2026-01-02T03:04:05Z|67",
	}
	for p, want := range fields {
		o := objects[p]
		got := fmt.Sprintf("%s|%s|%s|%s|%s|%d", o.ExternalID, o.DisplayName, o.Platform, o.GraphType, o.Modified.Format(time.RFC3339Nano), o.Size)
		if got != want {
			t.Errorf("%s: got  %s\nwant %s", p, got, want)
		}
	}
	pol := objects["Graph/policy.json"]
	if string(pol.Canonical) != `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","displayName":"Win"}` || pol.Hash != Hash(pol.Canonical) {
		t.Errorf("policy payload = %s (%s)", pol.Canonical, pol.Hash)
	}
}

func TestReadStopsOnVisitError(t *testing.T) {
	fsys := fstest.MapFS{"a.json": {Data: []byte(`{}`)}, "b.json": {Data: []byte(`{}`)}}
	stop := errors.New("stop")
	n := 0
	err := Read(fsys, func(Entry) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("Read = %v after %d visits, want stop after 1", err, n)
	}
}

func TestReadMissingRoot(t *testing.T) {
	err := Read(os.DirFS(filepath.Join(t.TempDir(), "nope")), func(Entry) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "reading the export") {
		t.Errorf("Read = %v, want a reading error", err)
	}
}

// TestReorderedSettingsKeepTheHash rewrites a real UTF-16 settings catalog file
// as UTF-8 with every unordered array reversed: same configuration, same hash.
func TestReorderedSettingsKeepTheHash(t *testing.T) {
	dir := shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "SettingsCatalog")
	name := "Win - OIB - ES - Windows Firewall - D - Firewall Configuration - v3.1.json"
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	orig, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Hash(Canonical(Normalize(orig)))

	again, _ := Decode(b)
	reversed := reverseUnordered(again, "")
	settings := again.(map[string]any)["settings"].([]any)
	if len(settings) < 2 {
		t.Fatalf("%s has %d settings; the test needs several", name, len(settings))
	}
	raw, err := json.MarshalIndent(again, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	reordered, err := Decode(append([]byte{0xEF, 0xBB, 0xBF}, raw...))
	if err != nil {
		t.Fatal(err)
	}
	if reversed == 0 {
		t.Fatal("nothing was reordered")
	}
	if got := Hash(Canonical(Normalize(reordered))); got != want {
		t.Errorf("reordered copy hashes %s, original %s", got, want)
	}

	// One changed value is a new hash.
	first := settings[0].(map[string]any)["settingInstance"].(map[string]any)
	first["settingDefinitionId"] = first["settingDefinitionId"].(string) + "_edited"
	if got := Hash(Canonical(Normalize(again))); got == want {
		t.Error("an edited setting kept the hash")
	}
}

// TestOneFormatOneHash compares OpenIntuneBaseline's macOS policies as
// IntuneManagement exported them (UTF-16, every Graph annotation) with their
// NativeImport copies (UTF-8, the portal's format): unchanged policies hash the
// same, and the one edited between the two exports does not.
func TestOneFormatOneHash(t *testing.T) {
	root := shareddata.Dir(t, "intune", "OpenIntuneBaseline", "MACOS")
	hashes := map[string][]string{}
	for _, sub := range []string{"IntuneManagement/SettingsCatalog", "NativeImport"} {
		got := readAll(t, filepath.Join(root, sub))
		for _, o := range got.objects {
			hashes[path.Base(o.SourcePath)] = append(hashes[path.Base(o.SourcePath)], o.Hash)
		}
	}
	var differ []string
	for name, h := range hashes {
		if len(h) != 2 {
			t.Fatalf("%s read %d times", name, len(h))
		}
		if h[0] != h[1] {
			differ = append(differ, name)
		}
	}
	want := []string{"MacOS - OIB - Microsoft AutoUpdate - D - MAU Configuration - v1.0.json"} // channel 0 -> 4
	if len(hashes) != 17 || !slices.Equal(differ, want) {
		t.Errorf("%d policies, hashes differ for %v, want only %v", len(hashes), differ, want)
	}
}

// reverseUnordered reverses, in place, every array Normalize puts in order,
// and counts those with two or more elements.
func reverseUnordered(v any, key string) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			n += reverseUnordered(e, k)
		}
	case []any:
		if _, ok := unorderedArrays[key]; ok && len(x) > 1 {
			slices.Reverse(x)
			n++
		}
		for _, e := range x {
			n += reverseUnordered(e, key)
		}
	}
	return n
}

// BenchmarkRead reads the whole OpenIntuneBaseline tree (UTF-16 settings
// catalog files up to 1 MB): MB/s counts file bytes, files/s every entry.
func BenchmarkRead(b *testing.B) {
	fsys := os.DirFS(shareddata.Dir(b, "intune", "OpenIntuneBaseline"))
	var files int
	var size int64
	err := Read(fsys, func(e Entry) error {
		files++
		if e.Object != nil {
			size += e.Object.Size
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if err := Read(fsys, func(Entry) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}

// BenchmarkReadCopies reads 20,000 files: the OpenIntuneBaseline IntuneManagement
// files copied into folders in memory (issue 4's throughput tree). The heap
// peak (sampled every 100 files, garbage included) stays that of a few files
// in flight, not of the tree: Read streams.
func BenchmarkReadCopies(b *testing.B) {
	const want = 20_000
	src := os.DirFS(shareddata.Dir(b, "intune", "OpenIntuneBaseline"))
	var originals []string
	err := fs.WalkDir(src, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, "/IntuneManagement/") {
			originals = append(originals, p)
		}
		return err
	})
	if err != nil || len(originals) == 0 {
		b.Fatalf("no IntuneManagement files: %v", err)
	}
	contents := make([][]byte, len(originals))
	for i, p := range originals {
		if contents[i], err = fs.ReadFile(src, p); err != nil {
			b.Fatal(err)
		}
	}
	tree := fstest.MapFS{}
	var size int64
	for i := range want {
		data := contents[i%len(originals)] // shared: the tree costs the originals' 7 MB
		tree[fmt.Sprintf("copy%03d/%s", i/len(originals), originals[i%len(originals)])] = &fstest.MapFile{Data: data, ModTime: time.Now()}
		size += int64(len(data))
	}
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		err := Read(tree, func(e Entry) error {
			if e.Object == nil {
				b.Fatalf("%s: %v %s", e.Path, e.Err, e.Skipped)
			}
			if n++; n%100 == 0 {
				metrics.Read(heap)
				peak = max(peak, heap[0].Value.Uint64())
			}
			return nil
		})
		if err != nil || n != want {
			b.Fatalf("Read: %d objects, %v", n, err)
		}
	}
	b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
