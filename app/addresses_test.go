package app_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// An address of a workspace, an environment or a run is written in one place,
// app/web/link.go (and matched in one, the routes table): a handler or a
// template that wrote /admin/t/ or /admin/w/ itself is how a link came to name
// no workspace (issue 26). Addresses above the workspaces may be written as
// they are.
func TestAddressesAreWrittenInOnePlace(t *testing.T) {
	address := regexp.MustCompile(`/admin/[a-z-]+`)
	above := map[string]bool{"/admin/workspaces": true, "/admin/users": true, "/admin/export-roots": true, "/admin/search": true}
	owners := map[string]bool{filepath.Join("web", "link.go"): true, "routes.go": true}
	for _, root := range []string{".", filepath.Join("..", "assets")} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || owners[path] || strings.HasSuffix(path, "_test.go") {
				return err
			}
			switch filepath.Ext(path) {
			case ".go", ".html", ".js":
			default:
				return nil
			}
			text, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i, line := range strings.Split(string(text), "\n") {
				if trimmed := strings.TrimSpace(line); strings.HasPrefix(trimmed, "//") {
					continue // a comment may name the route it documents
				}
				for _, a := range address.FindAllString(line, -1) {
					if !above[a] {
						t.Errorf("%s:%d writes %s itself: build it with app/web/link.go", path, i+1, a)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
