package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/db"
)

// storageCheck posts a new workspace as c while the data folder cannot take it,
// then again once unblock has run: the first gets the human page and saves
// nothing, the database stays intact, the second saves.
func storageCheck(t *testing.T, e *apptest.Env, c *apptest.Client, unblock string, status int, text string) {
	t.Helper()
	form := url.Values{"name": {"Out of room Ltd."}, "slug": {"zz-final"}}
	r := c.Post("/admin/workspaces", form)
	if r.Status != status || !strings.Contains(r.Body, text) || strings.Contains(r.Body, "Something went wrong") {
		t.Fatalf("blocked write: status %d (want %d), body lacks %q:\n%s", r.Status, status, text, r.Body)
	}
	if n := count(t, e, `SELECT count(*) FROM workspaces WHERE slug = 'zz-final'`); n != 0 {
		t.Errorf("the refused workspace was saved (%d rows)", n)
	}
	var integrity string
	e.Data.DB.Read.QueryRow(`PRAGMA integrity_check`).Scan(&integrity)
	if integrity != "ok" {
		t.Errorf("integrity_check after the refused write: %s", integrity)
	}
	if _, err := e.Data.DB.Write.Exec(unblock); err != nil {
		t.Fatal(err)
	}
	if r := c.Post("/admin/workspaces", form); r.Status != http.StatusSeeOther {
		t.Errorf("once there is room again: status %d", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM workspaces WHERE slug = 'zz-final'`); n != 1 {
		t.Errorf("after the retry, %d workspaces zz-final", n)
	}
}

func TestFullDataFolderGetsAClearPage(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	// The writer has one connection: limit its database to the pages it has, then
	// fill the workspaces table and its slug index with rows the size of the one
	// the request writes, appended where it will go, until one does not fit.
	if _, err := e.Data.DB.Write.Exec(`PRAGMA max_page_count = 1`); err != nil { // clamped to the current size
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		_, err := e.Data.DB.Write.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			fmt.Sprintf("Filler %09d", i), fmt.Sprintf("a-%06d", i), db.Now(), db.Now())
		if db.StorageProblem(err) == db.ErrDiskFull {
			break
		}
		if err != nil || i > 100_000 {
			t.Fatalf("filling the database: %d rows, %v", i, err)
		}
	}
	storageCheck(t, e, c, `PRAGMA max_page_count = 1073741823`, http.StatusInsufficientStorage, "The data folder is full")
}

func TestReadOnlyDataFolderGetsAClearPage(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	// query_only makes SQLite answer writes as it does on a read-only file (SQLITE_READONLY).
	if _, err := e.Data.DB.Write.Exec(`PRAGMA query_only = 1`); err != nil {
		t.Fatal(err)
	}
	storageCheck(t, e, c, `PRAGMA query_only = 0`, http.StatusServiceUnavailable, "The data folder is read-only")
}
