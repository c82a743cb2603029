package environment_test

import (
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"atlas/app/apptest"
)

// uploaded is the exports folder as it stands: every file and folder under it.
func uploaded(t *testing.T, e *apptest.Env) []string {
	t.Helper()
	var list []string
	root := filepath.Join(e.Dir, "exports")
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != root {
			rel, _ := filepath.Rel(root, p)
			list = append(list, filepath.ToSlash(rel))
		}
		return nil
	})
	return list
}

func sourceOf(t *testing.T, e *apptest.Env, environment string) (name, path string) {
	t.Helper()
	if err := e.Data.DB.Read.QueryRow(`SELECT source_name, source_path FROM provider_connections c
		JOIN managed_environments e ON e.id = c.managed_environment_id WHERE e.slug = ?`, environment).Scan(&name, &path); err != nil {
		t.Fatal(err)
	}
	return name, path
}

// TestUploadExpansionCap: a zip that expands past its limit (100 times its
// size, at least 8 MiB) is refused saying the limit, and leaves the exports
// folder as it was: the previous upload, no temporary zip, no partial folder.
func TestUploadExpansionCap(t *testing.T) {
	e, owner := newEnv(t)
	if r := upload(t, owner, "contoso.zip", zipOf(t, intuneCD), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("first upload: %d", r.Status)
	}
	before := uploaded(t, e)
	bomb := zipOf(t, map[string]string{"a.json": strings.Repeat("0", 9<<20)})
	r := upload(t, owner, "bomb.zip", bomb, nil)
	if want := "expands beyond the limit of 8 MiB for the whole export"; r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, want) {
		t.Fatalf("%d-byte bomb: status %d, want 422 with %q\n%s", len(bomb), r.Status, want, r.Body)
	}
	if after := uploaded(t, e); !slices.Equal(after, before) {
		t.Errorf("exports folder %v, want it as before: %v", after, before)
	}
	if name, _ := sourceOf(t, e, "prod"); name != "contoso.zip" {
		t.Errorf("source is %q after a refused upload", name)
	}
}

// TestUploadReplacesEarlierOnes: a new zip removes the previous upload's folder
// and any a crash left behind; a save that fails removes the new one instead.
func TestUploadReplacesEarlierOnes(t *testing.T) {
	e, owner := newEnv(t)
	if r := upload(t, owner, "first.zip", zipOf(t, intuneCD), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("first upload: %d", r.Status)
	}
	_, first := sourceOf(t, e, "prod")
	stale := filepath.Join(filepath.Dir(first), "upload-left-by-a-crash")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(stale, "old.json"), []byte("{}"), 0o600)

	if r := upload(t, owner, "second.zip", zipOf(t, map[string]string{"Settings Catalog/A_mdm.json": `{"name":"A"}`}), nil); r.Status != http.StatusSeeOther {
		t.Fatalf("second upload: %d", r.Status)
	}
	_, second := sourceOf(t, e, "prod")
	want := []string{"environment-1", "environment-1/" + filepath.Base(second), "environment-1/" + filepath.Base(second) + "/Settings Catalog",
		"environment-1/" + filepath.Base(second) + "/Settings Catalog/A_mdm.json"}
	if got := uploaded(t, e); !slices.Equal(got, want) {
		t.Errorf("exports folder %v, want %v", got, want)
	}

	// The save fails (a trigger refuses it): the source and its files stay, the new files go.
	if _, err := e.Data.DB.Write.Exec(`CREATE TRIGGER refuse_save BEFORE UPDATE ON provider_connections BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`); err != nil {
		t.Fatal(err)
	}
	if r := upload(t, owner, "third.zip", zipOf(t, intuneCD), nil); r.Status != http.StatusInternalServerError {
		t.Fatalf("upload whose save fails: %d", r.Status)
	}
	if got := uploaded(t, e); !slices.Equal(got, want) {
		t.Errorf("after a failed save the exports folder is %v, want %v", got, want)
	}
	if name, _ := sourceOf(t, e, "prod"); name != "second.zip" {
		t.Errorf("source %q after a failed save", name)
	}

	// The source becomes a folder: the upload's files go.
	if _, err := e.Data.DB.Write.Exec(`DROP TRIGGER refuse_save`); err != nil {
		t.Fatal(err)
	}
	if r := owner.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {exportFolder(t, t.TempDir())}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect a folder: %d", r.Status)
	}
	if got := uploaded(t, e); !slices.Equal(got, []string{"environment-1"}) {
		t.Errorf("after switching to a folder the exports folder is %v, want only the empty environment-1", got)
	}
}

// stalledUpload starts an upload whose zip arrives in two halves: it returns
// once Atlas is receiving the first half; finish sends the rest and returns
// the response.
func stalledUpload(t *testing.T, e *apptest.Env, c *apptest.Client, environment string, zip []byte) (finish func() *apptest.Response) {
	t.Helper()
	temps := len(tempZips(t, e))
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	responses := make(chan *apptest.Response, 1)
	go func() { responses <- c.Do(uploadRequest(t, c, "acme", environment, pr, mw.FormDataContentType())) }()
	fw, err := mw.CreateFormFile("export", environment+".zip")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(zip[:len(zip)/2])
	for deadline := time.Now().Add(time.Minute); len(tempZips(t, e)) == temps; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the upload to %s never arrived", environment)
		}
	}
	return func() *apptest.Response {
		fw.Write(zip[len(zip)/2:])
		mw.Close()
		pw.Close()
		return <-responses
	}
}

// tempZips are the zips being received.
func tempZips(t *testing.T, e *apptest.Env) []string {
	t.Helper()
	list, _ := filepath.Glob(filepath.Join(e.Dir, "exports", "upload-*.zip"))
	return list
}

// TestConcurrentUploads: while an environment receives a zip, a second one for
// it is refused at once (409) and writes nothing; and Atlas receives at most
// two at a time in all.
func TestConcurrentUploads(t *testing.T) {
	e, owner := newEnv(t)
	for _, slug := range []string{"pilot", "test"} {
		if err := e.Data.AddEnvironment(context.Background(), "acme", slug, strings.ToUpper(slug[:1])+slug[1:]); err != nil {
			t.Fatal(err)
		}
	}
	export := zipOf(t, intuneCD)
	finishProd := stalledUpload(t, e, owner, "prod", export)
	r := uploadTo(t, owner, "acme", "prod", "again.zip", export, nil)
	if want := "Another zip is being uploaded to Production: wait until it is done, then try again."; r.Status != http.StatusConflict || !strings.Contains(r.Body, want) {
		t.Errorf("second upload to prod: status %d, want 409 with %q", r.Status, want)
	}
	finishPilot := stalledUpload(t, e, owner, "pilot", export)
	r = uploadTo(t, owner, "acme", "test", "third.zip", export, nil)
	if want := "Atlas is already receiving 2 uploads: try again when one of them is done."; r.Status != http.StatusConflict || !strings.Contains(r.Body, want) {
		t.Errorf("third upload at once: status %d, want 409 with %q", r.Status, want)
	}
	if got := uploaded(t, e); len(got) != 2 || len(tempZips(t, e)) != 2 {
		t.Errorf("while two uploads are received, the exports folder holds %v: the refused ones wrote", got)
	}

	for name, finish := range map[string]func() *apptest.Response{"prod": finishProd, "pilot": finishPilot} {
		if r := finish(); r.Status != http.StatusSeeOther {
			t.Errorf("stalled upload to %s: %d\n%s", name, r.Status, r.Body)
		}
	}
	if r := uploadTo(t, owner, "acme", "test", "third.zip", export, nil); r.Status != http.StatusSeeOther {
		t.Errorf("upload to test once the others are done: %d", r.Status)
	}
	if n := len(tempZips(t, e)); n != 0 {
		t.Errorf("%d temporary zips left", n)
	}
	var sources int
	e.Data.DB.Read.QueryRow(`SELECT count(*) FROM provider_connections`).Scan(&sources)
	if sources != 3 {
		t.Errorf("%d sources saved, want 3", sources)
	}
}
