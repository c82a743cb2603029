package intune

import (
	"errors"
	"io/fs"
	"path"
	"strings"
)

// TenantOf returns the provider tenant id an export names, or "": IntuneManagement
// writes the source tenant's id into MigrationTable.json ({"TenantId": ...}).
// The other tools write no tenant identity into their exports.
func TenantOf(fsys fs.FS) string {
	tenant := ""
	found := errors.New("found")
	// A missing or unreadable table only means the export names no tenant, so
	// the walk's errors (and its early stop) carry nothing to report.
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(path.Base(p), "migrationtable.json") {
			return nil
		}
		b, err := readFile(fsys, p)
		if err != nil {
			return nil
		}
		v, err := Decode(b)
		if err != nil {
			return nil
		}
		m, _ := v.(map[string]any)
		for k, val := range m {
			if s, ok := val.(string); ok && strings.EqualFold(k, "TenantId") && strings.TrimSpace(s) != "" {
				tenant = strings.TrimSpace(s)
				return found
			}
		}
		return nil
	})
	return tenant
}
