package inventory_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/intune"
	"atlas/app/intune/intunetest"
)

// TestTypeSourcesShown: the inventory hub says how the types of an
// IntuneBackupAndRestore-style backup without @odata.type were known, and the
// policy page says it of each policy (issue 9).
func TestTypeSourcesShown(t *testing.T) {
	dir := t.TempDir()
	placed, _ := intunetest.BackupAndRestoreTree(t, dir)
	e := apptest.NewAcme(t)
	e.SyncExport("acme", "prod", os.DirFS(dir))
	owner := e.Owner()
	counts := map[string]int{}
	var byShape, byFolder string
	for _, p := range placed {
		counts[p.TypeSource]++
		switch {
		case p.TypeSource == intune.TypeFromShape && strings.HasSuffix(p.Path, "intent.json"):
			byShape = p.Path
		case p.TypeSource == intune.TypeFromLayout && strings.HasPrefix(p.Path, "Device Management Intents/"):
			byFolder = p.Path
		}
	}
	policy := func(sourcePath string) string {
		var id int64
		if err := e.Data.DB.Read.QueryRow(`SELECT policy_id FROM inventory_items WHERE source_path = ?`, sourcePath).Scan(&id); err != nil {
			t.Fatalf("policy read from %s: %v", sourcePath, err)
		}
		return fmt.Sprint("/admin/w/acme/t/prod/policies/", id)
	}
	tests := []struct {
		name, path, want string
	}{
		{"hub", "/admin/w/acme/t/prod/inventory", fmt.Sprintf(`<p class="muted" id="type-sources">%d typed by folder, %d by shape.</p>`,
			counts[intune.TypeFromLayout], counts[intune.TypeFromShape])},
		{"typed by its folder", policy(byFolder), "<dt>Typed by</dt><dd>its folder or file name, as its export tool wrote them (no @odata.type)</dd>"},
		{"typed by its shape", policy(byShape), "<dt>Typed by</dt><dd>its shape: its properties are this type&#39;s (no @odata.type, no type folder)</dd>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := owner.Get(tt.path)
			if r.Status != http.StatusOK || !strings.Contains(r.Body, tt.want) {
				t.Errorf("status %d, want %q in:\n%s", r.Status, tt.want, r.Body)
			}
		})
	}
}
