package intune

import (
	"maps"
	"os"
	"slices"
	"testing"

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
