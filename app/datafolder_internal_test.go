package app

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"atlas/app/db"
)

// TestOpenErrorSaysWhatToDo covers what a root test run cannot provoke: the
// database or its folder refusing writes at start.
func TestOpenErrorSaysWhatToDo(t *testing.T) {
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "atlas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, readOnly := d.Read.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('a', 'a', '', '')`)
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"database file not writable", fmt.Errorf("open database file: %w", &fs.PathError{Op: "open", Path: "/d/atlas.db", Err: syscall.EACCES}),
			"the database in the data folder /d is read-only (permission denied): make the folder and its files writable for this user, or choose another folder with --data"},
		{"SQLite refuses to write", fmt.Errorf("ensure local owner: %w", readOnly), "the database in the data folder /d is read-only (attempt to write a readonly database (8))"},
		{"disk full", &fs.PathError{Op: "write", Path: "/d/atlas.db-wal", Err: syscall.ENOSPC}, "the disk holding the data folder /d is full: free some space"},
	} {
		if got := openError("/d", tt.err).Error(); !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if other := fmt.Errorf("database has schema version 9, newer than this Atlas"); openError("/d", other) != other {
		t.Error("an error that is not about writing was reworded")
	}
}
