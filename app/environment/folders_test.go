package environment_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"atlas/app/apptest"
)

// exportFolder writes a one-file IntuneManagement export into a new folder dir.
func exportFolder(t *testing.T, dir string) string {
	t.Helper()
	sub := filepath.Join(dir, "IntuneManagement", "SettingsCatalog")
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "Edge.json"),
		[]byte(`{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","name":"Edge","settings":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

var fieldError = regexp.MustCompile(`<p class="field-error" role="alert">([^<]*)</p>`)

// TestExportFolderRules: issue 8 — the data folder (inside, around, or through a
// link) is never a source; the local owner may choose any other folder; others
// only folders under an export root; a refusal never says whether the path exists.
func TestExportFolderRules(t *testing.T) {
	outside := exportFolder(t, filepath.Join(t.TempDir(), "outside"))
	root := t.TempDir()
	underRoot := exportFolder(t, filepath.Join(root, "contoso"))
	file := filepath.Join(underRoot, "IntuneManagement", "SettingsCatalog", "Edge.json")
	linkOut := filepath.Join(root, "link-out")
	if err := os.Symlink(outside, linkOut); err != nil {
		t.Fatal(err)
	}

	const (
		ownerRefusal = "This folder cannot be used: choose an existing folder that Atlas can read, outside Atlas&#39;s own data folder."
		noRoots      = "Connecting a folder needs an export root, and none is set"
		rootRefusal  = "This folder cannot be used: choose an existing folder that Atlas can read, under an export root ("
	)
	tests := []struct {
		name  string
		actor string // owner, or manager (a workspace manager who is not a site administrator)
		roots bool   // an export root is set
		path  func(e *apptest.Env) string
		want  string // the field error; "" for saved
	}{
		{"owner: data folder", "owner", false, func(e *apptest.Env) string { return e.Dir }, ownerRefusal},
		{"owner: inside the data folder", "owner", false, func(e *apptest.Env) string { return exportFolder(t, filepath.Join(e.Dir, "exports", "mine")) }, ownerRefusal},
		{"owner: a folder holding the data folder", "owner", false, func(e *apptest.Env) string { return filepath.Dir(e.Dir) }, ownerRefusal},
		{"owner: a link to the data folder", "owner", false, func(e *apptest.Env) string { return linkTo(t, e.Dir) }, ownerRefusal},
		{"owner: dot-dot into the data folder", "owner", false, func(e *apptest.Env) string { return e.Dir + "/../" + filepath.Base(e.Dir) }, ownerRefusal},
		{"owner: missing folder", "owner", false, func(*apptest.Env) string { return filepath.Join(outside, "nope") }, ownerRefusal},
		{"owner: a file", "owner", false, func(*apptest.Env) string { return file }, ownerRefusal},
		{"owner: any other folder", "owner", false, func(*apptest.Env) string { return outside }, ""},
		{"owner: relative path", "owner", false, func(*apptest.Env) string { return "exports/contoso" }, "Type the full path, from the root"},
		{"owner: empty", "owner", false, func(*apptest.Env) string { return " " }, "Type the full path of the export folder."},
		{"manager without roots", "manager", false, func(*apptest.Env) string { return outside }, noRoots},
		{"manager: under a root", "manager", true, func(*apptest.Env) string { return underRoot }, ""},
		{"manager: the root itself", "manager", true, func(*apptest.Env) string { return root }, ""},
		{"manager: outside the roots", "manager", true, func(*apptest.Env) string { return outside }, rootRefusal},
		{"manager: a link out of a root", "manager", true, func(*apptest.Env) string { return linkOut }, rootRefusal},
		{"manager: dot-dot out of a root", "manager", true, func(*apptest.Env) string { return underRoot + "/../../" }, rootRefusal},
		{"manager: missing under a root", "manager", true, func(*apptest.Env) string { return filepath.Join(root, "nope") }, rootRefusal},
		{"manager: the data folder", "manager", true, func(e *apptest.Env) string { return e.Dir }, rootRefusal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, owner := newEnv(t)
			c := owner
			if tt.actor == "manager" {
				c = signInManager(t, e)
			}
			if tt.roots {
				if r := owner.Post("/admin/export-roots", url.Values{"root": {root}}); r.Status != http.StatusSeeOther {
					t.Fatalf("add export root: %d\n%s", r.Status, r.Body)
				}
			}
			r := c.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {tt.path(e)}})
			var saved int
			e.Data.DB.Read.QueryRow(`SELECT count(*) FROM provider_connections`).Scan(&saved)
			if tt.want == "" {
				if r.Status != http.StatusSeeOther || saved != 1 {
					t.Fatalf("status %d, %d saved; want 303 and saved\n%s", r.Status, saved, r.Body)
				}
				return
			}
			if r.Status != http.StatusUnprocessableEntity || saved != 0 {
				t.Fatalf("status %d, %d saved; want 422 and nothing saved", r.Status, saved)
			}
			m := fieldError.FindStringSubmatch(r.Body)
			if m == nil || !strings.HasPrefix(m[1], tt.want) {
				t.Fatalf("field error %q, want it to start with %q", m, tt.want)
			}
		})
	}
}

func linkTo(t *testing.T, target string) string {
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

func signInManager(t *testing.T, e *apptest.Env) *apptest.Client {
	t.Helper()
	ctx := context.Background()
	if err := e.Data.AddUser(ctx, "manager@acme.test", "Mia Manager", "correct horse battery", false); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddMember(ctx, "acme", "manager@acme.test", "manager", ""); err != nil {
		t.Fatal(err)
	}
	return e.SignIn("manager@acme.test", "correct horse battery")
}

// TestConnectedFolderShown: the page reads the export the folder holds, and the
// full path is shown only to who may change the source (issue 8); a readonly
// member sees the folder's name.
func TestConnectedFolderShown(t *testing.T) {
	folder := exportFolder(t, filepath.Join(t.TempDir(), "contoso-export"))
	e, owner := newEnv(t)
	if r := owner.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {folder}, "tenant_id": {"abc"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect: %d\n%s", r.Status, r.Body)
	}
	ctx := context.Background()
	if err := e.Data.AddUser(ctx, "ro@acme.test", "Rita Readonly", "correct horse battery", false); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddMember(ctx, "acme", "ro@acme.test", "readonly", "prod"); err != nil {
		t.Fatal(err)
	}
	readonly := e.SignIn("ro@acme.test", "correct horse battery")
	resolved, _ := filepath.EvalSymlinks(folder)
	for _, page := range []string{"/admin/w/acme/t/prod/connection", "/admin/w/acme/t/prod", "/admin/w/acme/t/prod/inventory"} {
		body := owner.Get(page).Body
		if !strings.Contains(body, resolved) {
			t.Errorf("owner: %s lacks the full path %s", page, resolved)
		}
		r := readonly.Get(page)
		if r.Status != http.StatusOK || strings.Contains(r.Body, resolved) || !strings.Contains(r.Body, "contoso-export") {
			t.Errorf("readonly: %s status %d, full path shown %v, base name shown %v", page, r.Status,
				strings.Contains(r.Body, resolved), strings.Contains(r.Body, "contoso-export"))
		}
	}
	page := owner.Get("/admin/w/acme/t/prod/connection").Body
	for _, want := range []string{"IntuneManagement export: 1 JSON file in 1 folder", "abc"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}
