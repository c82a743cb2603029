package intunetest

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// Placed is a file a test tree was built with, and what reading it should give.
type Placed struct {
	Path       string // slash path in the tree
	Type       string // intune type key
	TypeSource string // intune.TypeFromLayout or TypeFromShape
}

// moves place the real exports' files in IntuneBackupAndRestore's type
// folders; "Graph request bodies" is a folder no tool names, where only the
// shape can tell the type.
var moves = []struct {
	from       []string
	to         string
	limit      int // files taken, 0 all
	typ        string
	typeSource string
}{
	{[]string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "SettingsCatalog"}, "Settings Catalog", 0, "settingsCatalog", intune.TypeFromLayout},
	{[]string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "CompliancePolicies"}, "Device Compliance Policies", 0, "compliancePolicy", intune.TypeFromLayout},
	{[]string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "DeviceConfiguration"}, "Device Configurations", 0, "deviceConfiguration", intune.TypeFromLayout},
	// An update ring is a device configuration: without its @odata.type, its folder says no more.
	{[]string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "UpdatePolicies"}, "Device Configurations", 0, "deviceConfiguration", intune.TypeFromLayout},
	{[]string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "DriverUpdateProfiles"}, "Windows Driver Updates", 0, "driverUpdateProfile", intune.TypeFromLayout},
	{[]string{"OpenIntuneBaseline", "BYOD", "AppProtection"}, "App Protection Policies", 0, "appProtection", intune.TypeFromLayout},
	{[]string{"Azure-securedworkstation", "ENT", "JSON", "DeviceConfigurationADMX"}, "Administrative Templates", 0, "adminTemplate", intune.TypeFromLayout},
	{[]string{"CES2026-IntuneCD", "Backup", "Scripts", "Shell"}, "Graph request bodies", 0, "shellScript", intune.TypeFromShape},
	{[]string{"OpenIntuneBaseline", "MACOS", "NativeImport"}, "Graph request bodies", 3, "settingsCatalog", intune.TypeFromShape},
	{[]string{"Azure-securedworkstation", "PAW", "JSON", "DeviceConfigurationADMX"}, "Graph request bodies", 0, "adminTemplate", intune.TypeFromShape},
}

// BackupAndRestoreTree writes into dst an IntuneBackupAndRestore-style backup
// made of the real exports, every file without its @odata.type: the files
// moved into that tool's type folders (moves), the RealIntent as
// "Device Management Intents/<template>/<templateId>_<name>.json" with its
// settingsDelta, and the same intent as a Graph request body. It also writes
// Assignments folders: two real assignments (IntuneCD's) for the first
// settings-catalog policy, one written as PowerShell writes a list of one
// (the object alone) for the first compliance policy, and one for a policy
// not in the tree. It returns the policy files and what they should read as,
// and the assignments each policy with an assignments file should get.
func BackupAndRestoreTree(tb testing.TB, dst string) (placed []Placed, assignments map[string]int) {
	tb.Helper()
	for _, m := range moves {
		src := shareddata.Dir(tb, append([]string{"intune"}, m.from...)...)
		entries, err := os.ReadDir(src)
		if err != nil {
			tb.Fatal(err)
		}
		taken := 0
		for _, e := range entries {
			if e.IsDir() || filepath.Ext(e.Name()) != ".json" || m.limit > 0 && taken == m.limit {
				continue
			}
			taken++
			raw, err := os.ReadFile(filepath.Join(src, e.Name()))
			if err != nil {
				tb.Fatal(err)
			}
			rel := m.to + "/" + e.Name()
			writeUntyped(tb, dst, rel, raw)
			placed = append(placed, Placed{rel, m.typ, m.typeSource})
		}
	}
	intent := RealIntent(tb)
	backup := map[string]any{"displayName": intent.Name, "description": intent.Object["description"],
		"settingsDelta": intent.Settings, "roleScopeTagIds": []any{"0"}}
	rel := "Device Management Intents/Endpoint protection/" + intent.Object["templateId"].(string) + "_" + intent.Name + ".json"
	write(tb, dst, rel, Encode(tb, backup, UTF16CRLF))
	placed = append(placed, Placed{rel, "endpointSecurityIntent", intune.TypeFromLayout})
	body := map[string]any{"displayName": intent.Name + " (request body)", "templateId": intent.Object["templateId"], "settings": intent.Settings}
	write(tb, dst, "Graph request bodies/intent.json", Encode(tb, body, UTF8))
	placed = append(placed, Placed{"Graph request bodies/intent.json", "endpointSecurityIntent", intune.TypeFromShape})

	targets := realAssignments(tb)
	first := func(to string) string {
		i := slices.IndexFunc(placed, func(p Placed) bool { return filepath.Dir(p.Path) == to })
		return filepath.Base(placed[i].Path)
	}
	catalog, compliance := first("Settings Catalog"), first("Device Compliance Policies")
	write(tb, dst, "Settings Catalog/Assignments/"+catalog, Encode(tb, targets[:2], UTF16CRLF))
	write(tb, dst, "Device Compliance Policies/Assignments/"+compliance, Encode(tb, targets[0], UTF8))
	write(tb, dst, "Settings Catalog/Assignments/A policy deleted since.json", Encode(tb, targets[:1], UTF8))
	return placed, map[string]int{"Settings Catalog/" + catalog: 2, "Device Compliance Policies/" + compliance: 1}
}

// writeUntyped writes a real file without its top-level @odata.type.
func writeUntyped(tb testing.TB, dst, rel string, raw []byte) {
	tb.Helper()
	v, err := intune.Decode(raw)
	if err != nil {
		tb.Fatal(err)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "@odata.type")
	}
	write(tb, dst, rel, Encode(tb, v, UTF8))
}

func write(tb testing.TB, dst, rel string, b []byte) {
	tb.Helper()
	if err := WriteFile(filepath.Join(dst, filepath.FromSlash(rel)), b); err != nil {
		tb.Fatal(err)
	}
}

// realAssignments are the distinct assignments of the IntuneCD backup.
func realAssignments(tb testing.TB) []any {
	tb.Helper()
	var all []any
	seen := map[string]bool{}
	err := intune.Read(os.DirFS(shareddata.Dir(tb, "intune", "CES2026-IntuneCD")), func(e intune.Entry) error {
		if e.Object == nil {
			return nil
		}
		list, _ := e.Object.Payload.(map[string]any)["assignments"].([]any)
		for _, a := range list {
			if key := string(intune.Canonical(a)); !seen[key] {
				seen[key] = true
				all = append(all, a)
			}
		}
		return nil
	})
	if err != nil || len(all) < 2 {
		tb.Fatalf("%d distinct assignments in the IntuneCD backup, want 2 or more (%v)", len(all), err)
	}
	return all
}
