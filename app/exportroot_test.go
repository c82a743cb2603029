package app_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app"
)

// TestExportRootFlag: atlas serve --export-root takes existing folders apart
// from the data folder, and the users page lists them as set at start.
func TestExportRootFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	data, err := app.OpenData(context.Background(), dir, "owner")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	file := filepath.Join(t.TempDir(), "file.json")
	os.WriteFile(file, []byte("{}"), 0o600)
	for name, root := range map[string]string{
		"the data folder":        dir,
		"inside the data folder": filepath.Join(dir, "exports"),
		"around the data folder": filepath.Dir(dir),
		"missing":                filepath.Join(t.TempDir(), "nope"),
		"a file":                 file,
	} {
		os.MkdirAll(filepath.Join(dir, "exports"), 0o700)
		_, err := app.NewServer(data, app.ServerOptions{ExportRoots: []string{root}})
		var usage *app.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), "cannot be an export root") {
			t.Errorf("%s: err %v, want a usage error saying it cannot be an export root", name, err)
		}
	}

	root := t.TempDir()
	srv, err := app.NewServer(data, app.ServerOptions{ExportRoots: []string{root}})
	if err != nil {
		t.Fatal(err)
	}
	// The syncs the engine runs check their folders against the roots given at
	// start (issue 17): those of this start, not of an earlier one.
	if resolved, _ := filepath.EvalSymlinks(root); len(data.Folders.FlagRoots) != 1 || data.Folders.FlagRoots[0] != resolved {
		t.Errorf("the syncs check against %v, want [%s]", data.Folders.FlagRoots, resolved)
	}
	web := httptest.NewServer(srv.Handler())
	defer web.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(web.URL + "/auth/launch?token=" + srv.Launcher.Issue())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = client.Get(web.URL + "/admin/users")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(b)
	resolved, _ := filepath.EvalSymlinks(root)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, resolved+`</span>
<span class="muted">(set with --export-root)</span>`) {
		t.Errorf("users page %d does not list %s as set with --export-root", resp.StatusCode, resolved)
	}
}
