package environment_test

import (
	"archive/zip"
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/web"
)

func newEnv(t *testing.T) (*apptest.Env, *apptest.Client) {
	t.Helper()
	e := apptest.NewAcme(t)
	return e, e.Owner()
}

// zipOf builds a zip holding files (name → content).
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload posts a multipart form with the zip as field export to prod.
func upload(t *testing.T, c *apptest.Client, name string, content []byte, fields map[string]string) *apptest.Response {
	t.Helper()
	return uploadTo(t, c, "acme", "prod", name, content, fields)
}

// uploadTo posts a multipart form with the zip as field export to an environment.
func uploadTo(t *testing.T, c *apptest.Client, workspace, environment, name string, content []byte, fields map[string]string) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if name != "" {
		fw, err := mw.CreateFormFile("export", name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(content)
	}
	mw.Close()
	return c.Do(uploadRequest(t, c, workspace, environment, &body, mw.FormDataContentType()))
}

// uploadRequest is a POST of a multipart body to the environment's upload.
func uploadRequest(t *testing.T, c *apptest.Client, workspace, environment string, body io.Reader, contentType string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.Request(http.MethodPost, web.EnvironmentURL(workspace, environment, "/connection/upload"), nil).URL.String(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	return req
}

var intuneCD = map[string]string{
	"backup/Backup/Settings Catalog/Edge_mdm.json":                                  `{"name":"Edge","platforms":"windows10","technologies":"mdm","settings":[]}`,
	"backup/Backup/Compliance Policies/Policies/Win_windows10CompliancePolicy.json": `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","displayName":"Win"}`,
	"backup/MigrationTable.json":                                                    `{"TenantId":"11111111-2222-3333-4444-555555555555","Objects":[]}`,
}

// files lists the regular files under dir, relative to it.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var list []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			list = append(list, filepath.ToSlash(rel))
		}
		return nil
	})
	return list
}

func TestConnectZip(t *testing.T) {
	e, owner := newEnv(t)
	if r := owner.Get("/admin/w/acme/t/prod/connection"); r.Status != http.StatusOK || !strings.Contains(r.Body, "No exports imported") {
		t.Fatalf("empty page: %d", r.Status)
	}
	r := upload(t, owner, "contoso.zip", zipOf(t, intuneCD), map[string]string{"domain": "Contoso.onmicrosoft.com"})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("upload: %d\n%s", r.Status, r.Body)
	}
	r = owner.Get("/admin/w/acme/t/prod/connection")
	for _, want := range []string{`action="/admin/w/acme/t/prod/inventory/sync"`, "contoso.zip", "11111111-2222-3333-4444-555555555555", "contoso.onmicrosoft.com", "recognised", "IntuneCD backup: 3 JSON files in 3 folders."} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(r.Body)
	}
	exports := filepath.Join(e.Dir, "exports")
	first := files(t, exports)
	if len(first) != 3 || !strings.HasPrefix(first[0], "environment-") {
		t.Fatalf("extracted files = %v", first)
	}

	// A new zip replaces the old one, whose folder goes.
	r = upload(t, owner, "contoso-2.zip", zipOf(t, map[string]string{"Settings Catalog/A_mdm.json": intuneCD["backup/Backup/Settings Catalog/Edge_mdm.json"]}), nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("second upload: %d\n%s", r.Status, r.Body)
	}
	if got := files(t, exports); len(got) != 1 || !strings.HasSuffix(got[0], "Settings Catalog/A_mdm.json") {
		t.Errorf("after the second upload: %v", got)
	}
	var n int
	e.Data.DB.Read.QueryRow(`SELECT count(*) FROM audit_events WHERE action = 'connection.saved'`).Scan(&n)
	if n != 2 {
		t.Errorf("audit events = %d, want 2", n)
	}
}

func TestConnectZipRefused(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content func(t *testing.T) []byte
		fields  map[string]string
		want    string
	}{
		{"path traversal", "evil.zip", func(t *testing.T) []byte {
			return zipOf(t, map[string]string{"ok.json": `{}`, "../../evil.json": `{}`})
		}, nil, `The zip was refused: zip entry &#34;../../evil.json&#34; refused`},
		{"absolute path", "abs.zip", func(t *testing.T) []byte { return zipOf(t, map[string]string{"/tmp/evil.json": `{}`}) }, nil, "the path is absolute"},
		{"not a zip", "notes.zip", func(*testing.T) []byte { return []byte("just text") }, nil, "not a readable zip file"},
		{"no file", "", func(*testing.T) []byte { return nil }, nil, "Choose a zip file to upload."},
		{"bad domain", "ok.zip", func(t *testing.T) []byte { return zipOf(t, intuneCD) }, map[string]string{"domain": "not a domain"}, "Type a domain such as"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, owner := newEnv(t)
			r := upload(t, owner, tt.file, tt.content(t), tt.fields)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tt.want) {
				t.Fatalf("status %d, want 422 with %q\n%s", r.Status, tt.want, r.Body)
			}
			if got := files(t, filepath.Join(e.Dir, "exports")); len(got) != 0 {
				t.Errorf("files left under the data folder: %v", got)
			}
			for _, f := range files(t, filepath.Dir(e.Dir)) {
				if !strings.HasPrefix(f, "data/") || strings.Contains(f, "evil") {
					t.Errorf("written outside the exports: %s", f)
				}
			}
			var n int
			e.Data.DB.Read.QueryRow(`SELECT count(*) FROM provider_connections`).Scan(&n)
			if n != 0 {
				t.Errorf("a refused zip saved a connection")
			}
		})
	}
}
