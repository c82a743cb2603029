package intune

import (
	"io/fs"
	"path"
	"strings"
)

// migrationTable is the file IntuneManagement writes at an export's root: the
// source tenant's id and the objects the export references by id
// ({"TenantId": …, "Objects": [{"Id": …, "DisplayName": …, "Type": …}]}).
const migrationTable = "MigrationTable.json"

// ObjectNames are the display names an IntuneManagement export gives the
// objects its policies reference by id — groups, assignment filters — from the
// migration table at the export's root or in a folder just below it (a zip
// that holds the export folder). It is nil when there is none or it cannot be
// read: pages then show the ids.
func ObjectNames(fsys fs.FS) map[string]string {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil
	}
	var candidates []string
	for _, e := range entries {
		switch {
		case !e.IsDir() && strings.EqualFold(e.Name(), migrationTable):
			candidates = append([]string{e.Name()}, candidates...)
		case e.IsDir():
			candidates = append(candidates, path.Join(e.Name(), migrationTable))
		}
	}
	for _, p := range candidates {
		if names := objectNames(fsys, p); names != nil {
			return names
		}
	}
	return nil
}

func objectNames(fsys fs.FS, p string) map[string]string {
	b, err := readFile(fsys, p)
	if err != nil {
		return nil
	}
	v, err := Decode(b)
	if err != nil {
		return nil
	}
	table, _ := v.(map[string]any)
	names := map[string]string{}
	for k, objects := range table {
		list, _ := objects.([]any)
		if !strings.EqualFold(k, "Objects") {
			continue
		}
		for _, o := range list {
			m, _ := o.(map[string]any)
			id, name := field(m, "Id"), field(m, "DisplayName")
			if id != "" && name != "" {
				names[id] = name
			}
		}
	}
	return names
}

// field is a string field of an object, its key in any case.
func field(m map[string]any, key string) string {
	for k, v := range m {
		if s, ok := v.(string); ok && strings.EqualFold(k, key) {
			return strings.TrimSpace(s)
		}
	}
	return ""
}
