//go:build unix

package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"atlas/app"
)

// TestDataBackupAndRestore drives atlas data backup and atlas data restore: a
// backup of a folder, one that would overwrite a file, a restore refused while
// atlas serve holds the folder, the restore once it was killed, and a backup from
// a newer Atlas.
func TestDataBackupAndRestore(t *testing.T) {
	dir := t.TempDir()
	data, backup := filepath.Join(dir, "data"), filepath.Join(dir, "monday.db")
	atlas := func(args string, wantStatus int, wantOut, wantErr string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		got := run(append(strings.Fields(args), "--data", data), nil, &stdout, &stderr)
		if got != wantStatus || !strings.Contains(stdout.String(), wantOut) || !strings.Contains(stderr.String(), wantErr) {
			t.Fatalf("atlas %s: exit %d (want %d), stdout %q (want %q), stderr %q (want %q)",
				args, got, wantStatus, stdout.String(), wantOut, stderr.String(), wantErr)
		}
		if strings.Count(strings.TrimSpace(stdout.String()+stderr.String()), "\n") > 0 {
			t.Errorf("atlas %s: more than one line: %q %q", args, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	atlas("workspace add --slug contoso --name Contoso", 0, "", "")
	atlas("environment add --workspace contoso --slug prod --name Production", 0, "", "")

	atlas("data backup --to "+backup, 0, "Backed up "+filepath.Join(data, "atlas.db")+" to "+backup+" (", "")
	out := atlas("data backup --to "+filepath.Join(dir, "tuesday.db"), 0, "", "")
	for _, want := range []string{" KiB): ", "users 1, workspaces 1, environments 1, policies 0, policy versions 0, operation runs 0, audit events 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("backup printed %q, want %q", out, want)
		}
	}
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v %v, want mode 0600", st, err)
	}
	atlas("data backup --to "+backup, 2, "", "already exists")
	atlas("data backup", 2, "", "--to is required")
	atlas("data restore", 2, "", "--from is required")
	atlas("data restore --from "+filepath.Join(dir, "none.db"), 2, "", "cannot be read")

	atlas("workspace add --slug fabrikam --name Fabrikam", 0, "", "")
	server, _, _ := atlasServe(t, data)
	atlas("data restore --from "+backup, 1, "", "the data folder "+data+" is in use by Atlas")
	// Killed, not stopped: the OS gives its lock up all the same.
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	server.Wait()

	out = atlas("data restore --from "+backup, 0, "Restored "+backup, "")
	kept := strings.TrimSuffix(out[strings.Index(out, "kept as ")+len("kept as "):], ".\n")
	if !strings.HasPrefix(kept, filepath.Join(data, "atlas.db.before-restore-")) {
		t.Fatalf("restore printed %q", out)
	}
	if got := slugs(t, filepath.Join(data, "atlas.db")); got != "contoso" {
		t.Errorf("after the restore the workspaces are %q, want the backup's", got)
	}
	if got := slugs(t, kept); got != "contoso,fabrikam" {
		t.Errorf("the database kept aside holds %q", got)
	}
	d, err := app.OpenData(context.Background(), data, "owner")
	if err != nil {
		t.Fatalf("open the restored folder: %v", err)
	}
	d.Close()

	newer := filepath.Join(dir, "from-the-future.db")
	atlas("data backup --to "+newer, 0, "", "")
	conn, _ := sql.Open("sqlite", "file:"+newer)
	var latest int
	conn.QueryRow(`SELECT version FROM schema_migrations`).Scan(&latest)
	conn.Exec(`UPDATE schema_migrations SET version = 999`)
	conn.Close()
	atlas("data restore --from "+newer, 1, "", "has schema version 999, newer than this Atlas's "+strconv.Itoa(latest))
}

func slugs(t *testing.T, path string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var list string
	if err := conn.QueryRow(`SELECT group_concat(slug, ',') FROM (SELECT slug FROM workspaces ORDER BY slug)`).Scan(&list); err != nil {
		t.Fatal(err)
	}
	return list
}
