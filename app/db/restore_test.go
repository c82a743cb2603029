package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"atlas/schema"

	"github.com/golang-migrate/migrate/v4/source/iofs"
)

func openTest(t *testing.T, path string) *DB {
	t.Helper()
	d, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func queryInt(t *testing.T, conn *sql.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func integrity(t *testing.T, path string) string {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var result string
	if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&result); err != nil {
		t.Fatal(err)
	}
	return result
}

// TestBackupWhileWriting copies a database while a writer keeps committing rows
// numbered 1, 2, 3… each into two tables in one transaction. The copy must be the
// database at one moment: intact, holding rows 1..k without a gap in both tables,
// with k between the counts before and after the backup.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "atlas.db")
	d := openTest(t, path)
	ctx := context.Background()
	for _, stmt := range []string{`CREATE TABLE seq (n INTEGER PRIMARY KEY, pad TEXT)`, `CREATE TABLE seq_twin (n INTEGER PRIMARY KEY)`,
		// About 1.5 MB to copy, so that the writer commits while VACUUM INTO reads.
		`WITH RECURSIVE i(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM i WHERE x < 3000)
			INSERT INTO workspaces (name, slug, created_at, updated_at) SELECT printf('%.400c', 'w'), 'w' || x, '', '' FROM i`} {
		if _, err := d.Write.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	var next atomic.Int64
	stop, done := make(chan struct{}), make(chan error)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			n := next.Load() + 1
			err := d.Tx(ctx, func(tx *sql.Tx) error {
				if _, err := tx.Exec(`INSERT INTO seq (n, pad) VALUES (?, printf('%.200c', 'x'))`, n); err != nil {
					return err
				}
				_, err := tx.Exec(`INSERT INTO seq_twin (n) VALUES (?)`, n)
				return err
			})
			if err != nil {
				done <- err
				return
			}
			next.Store(n)
		}
	}()
	for next.Load() < 100 { // the writer is going
		time.Sleep(time.Millisecond)
	}
	before := next.Load()
	dest := filepath.Join(dir, "backup.db")
	err := BackupFile(ctx, path, dest)
	after := next.Load()
	close(stop)
	if werr := <-done; werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	if err != nil {
		t.Fatal(err)
	}

	if got := integrity(t, dest); got != "ok" {
		t.Fatalf("integrity_check of the copy: %s", got)
	}
	counts, err := CountRows(ctx, dest, []string{"seq", "seq_twin", "workspaces"})
	if err != nil {
		t.Fatal(err)
	}
	copyConn, _ := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	defer copyConn.Close()
	k, highest := counts[0], queryInt(t, copyConn, `SELECT COALESCE(max(n), 0) FROM seq`)
	if highest != k || counts[1] != k || counts[2] != 3000 {
		t.Errorf("copy: seq %d rows up to %d, seq_twin %d, workspaces %d: not one moment's database", k, highest, counts[1], counts[2])
	}
	if k < before || k > after {
		t.Errorf("copy holds %d rows; the source had %d when the backup began and %d when it ended", k, before, after)
	}
	if after == before {
		t.Errorf("the writer committed nothing during the backup (%d rows): the test proved nothing", before)
	}
	t.Logf("source: %d rows before the backup, %d after; the copy holds %d", before, after, k)
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("copy mode: %v %v, want 0600", st.Mode(), err)
	}
}

func TestBackupNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "atlas.db")
	openTest(t, path)
	for name, content := range map[string]string{"empty": "", "a file": "precious"} {
		dest := filepath.Join(dir, name)
		os.WriteFile(dest, []byte(content), 0o644)
		if err := BackupFile(context.Background(), path, dest); !errors.Is(err, fs.ErrExist) {
			t.Errorf("%s: backup over an existing file: %v, want ErrExist", name, err)
		}
		if got, _ := os.ReadFile(dest); string(got) != content {
			t.Errorf("%s: the existing file now holds %d bytes", name, len(got))
		}
	}
	if err := BackupFile(context.Background(), filepath.Join(dir, "none.db"), filepath.Join(dir, "x.db")); err == nil {
		t.Error("backup of a missing database succeeded")
	}
	if _, err := os.Stat(filepath.Join(dir, "none.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("backup created the database it was asked to copy")
	}
}

// backupWith makes a backup of a fresh database holding one workspace named
// name, then lets change edit the copy (to make it newer, dirty or damaged).
func backupWith(t *testing.T, name string, change string) string {
	t.Helper()
	dir := t.TempDir()
	d := openTest(t, filepath.Join(dir, "atlas.db"))
	d.Write.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES (?, 'w', '', '')`, name)
	dest := filepath.Join(dir, "backup.db")
	if err := d.Backup(context.Background(), dest); err != nil {
		t.Fatal(err)
	}
	if change != "" {
		conn, _ := sql.Open("sqlite", "file:"+dest)
		defer conn.Close()
		if _, err := conn.Exec(change); err != nil {
			t.Fatal(err)
		}
	}
	return dest
}

func workspaceNames(t *testing.T, path string) string {
	t.Helper()
	conn, _ := sql.Open("sqlite", "file:"+path+"?mode=ro")
	defer conn.Close()
	rows, err := conn.Query(`SELECT name FROM workspaces ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return strings.Join(names, ",")
}

// crashedDatabase leaves at dir/atlas.db the files of a database whose process
// was killed: its last commit ("in the WAL") is in atlas.db-wal only.
func crashedDatabase(t *testing.T, dir string) string {
	t.Helper()
	live := filepath.Join(t.TempDir(), "atlas.db")
	d := openTest(t, live)
	d.Write.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('checkpointed', 'c', '', '')`)
	d.Write.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	d.Write.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('in the WAL', 'l', '', '')`)
	path := filepath.Join(dir, "atlas.db")
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(live + suffix)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path+suffix, raw, 0o600)
	}
	return path
}

func TestRestoreKeepsTheCurrentDatabaseWholeAndSwapsTheBackupIn(t *testing.T) {
	from := backupWith(t, "from the backup", "")
	dir := t.TempDir()
	path := crashedDatabase(t, dir)

	r, err := Restore(context.Background(), path, from)
	if err != nil {
		t.Fatal(err)
	}
	if got := workspaceNames(t, path); got != "from the backup" {
		t.Errorf("restored database holds %q", got)
	}
	if !strings.HasPrefix(r.KeptAs, path+".before-restore-") || r.Version != r.Latest || r.Latest == 0 {
		t.Errorf("restored %+v", r)
	}
	if got := workspaceNames(t, r.KeptAs); got != "checkpointed,in the WAL" {
		t.Errorf("the database kept aside holds %q: the WAL's commit was lost", got)
	}
	for _, p := range []string{path, r.KeptAs} {
		if got := integrity(t, p); got != "ok" {
			t.Errorf("%s: integrity_check %s", p, got)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		base := filepath.Base(f)
		if strings.Contains(base, ".restore-") || base == "atlas.db-wal" {
			t.Errorf("left behind: %s", base)
		}
		if st, _ := os.Stat(f); st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o", base, st.Mode().Perm())
		}
	}
	// The restored database opens, and Atlas works on it.
	d := openTest(t, path)
	if n := queryInt(t, d.Read, `SELECT count(*) FROM workspaces`); n != 1 {
		t.Errorf("after reopening, %d workspaces", n)
	}
}

func TestRestoreRefusals(t *testing.T) {
	src, _ := iofs.New(schema.FS, ".")
	latest, _ := latestVersion(src)
	notSQLite := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notSQLite, []byte(strings.Repeat("not a database\n", 400)), 0o600)
	damaged := backupWith(t, "damaged", "")
	damage(t, damaged)

	for _, tt := range []struct {
		name, from, want string
	}{
		{"newer schema", backupWith(t, "newer", `UPDATE schema_migrations SET version = 999`),
			fmt.Sprintf("has schema version 999, newer than this Atlas's %d", latest)},
		{"dirty", backupWith(t, "dirty", `UPDATE schema_migrations SET dirty = 1`), "marked dirty at schema version"},
		{"no schema version", backupWith(t, "bare", `DROP TABLE schema_migrations`), "is not an Atlas database"},
		{"not SQLite", notSQLite, "is not a readable SQLite database"},
		{"damaged", damaged, "integrity check"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := crashedDatabase(t, dir)
			_, err := Restore(context.Background(), path, tt.from)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.from) {
				t.Fatalf("restore: %v, want %q naming the file", err, tt.want)
			}
			files, _ := filepath.Glob(filepath.Join(dir, "*"))
			if len(files) != 3 { // atlas.db, -wal, .lock
				t.Errorf("files after a refused restore: %v", files)
			}
			if got := workspaceNames(t, path); got != "checkpointed,in the WAL" {
				t.Errorf("the current database now holds %q", got)
			}
		})
	}

	t.Run("in use", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "atlas.db")
		openTest(t, path)
		if _, err := Restore(context.Background(), path, backupWith(t, "x", "")); !errors.Is(err, ErrInUse) {
			t.Fatalf("restore while the database is open: %v, want ErrInUse", err)
		}
	})
}

// damage overwrites the middle of a database file's second half with garbage.
// damage overwrites the page of the workspaces table, which only an integrity
// check reads: the schema version stays readable whatever the layout.
func damage(t *testing.T, path string) {
	t.Helper()
	conn, _ := sql.Open("sqlite", "file:"+path+"?mode=ro")
	var page, size int64
	err := conn.QueryRow(`SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master WHERE name = 'workspaces'`).Scan(&page, &size)
	conn.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteAt([]byte(strings.Repeat("\xff\x00garbage", int(size)/9)), (page-1)*size)
}

func TestRestoreAcceptsAnOlderSchemaAndOpenMigratesIt(t *testing.T) {
	old := filepath.Join(t.TempDir(), "old.db")
	first := fstest.MapFS{}
	for _, name := range []string{"0001_core.up.sql", "0001_core.down.sql"} {
		raw, err := fs.ReadFile(schema.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		first[name] = &fstest.MapFile{Data: raw}
	}
	if err := migrateFS(context.Background(), old, first); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "atlas.db")
	r, err := Restore(context.Background(), path, old)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != 1 || r.Latest <= 1 || r.KeptAs != "" {
		t.Errorf("restored %+v, want version 1, nothing kept aside", r)
	}
	d := openTest(t, path)
	if n := queryInt(t, d.Read, `SELECT version FROM schema_migrations`); uint(n) != r.Latest {
		t.Errorf("after opening, schema version %d, want %d", n, r.Latest)
	}
}

func TestStorageProblems(t *testing.T) {
	d := openTest(t, filepath.Join(t.TempDir(), "atlas.db"))
	_, readOnly := d.Read.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('a', 'a', '', '')`)

	conn, err := d.Write.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.ExecContext(context.Background(), `CREATE TABLE filler (x BLOB)`)
	conn.ExecContext(context.Background(), `PRAGMA max_page_count = 1`) // clamped to the current size
	_, full := conn.ExecContext(context.Background(), `INSERT INTO filler VALUES (randomblob(100000))`)
	if n := queryInt(t, d.Read, `SELECT count(*) FROM filler`); n != 0 {
		t.Errorf("a write that found the disk full left %d rows", n)
	}
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"SQLITE_FULL", full, ErrDiskFull},
		{"SQLITE_READONLY", readOnly, ErrReadOnly},
		{"wrapped SQLITE_FULL", fmt.Errorf("save: %w", full), ErrDiskFull},
		{"ENOSPC", &fs.PathError{Op: "write", Path: "x", Err: syscall.ENOSPC}, ErrDiskFull},
		{"EROFS", fmt.Errorf("upload: %w", &fs.PathError{Op: "open", Path: "x", Err: syscall.EROFS}), ErrReadOnly},
		{"other SQLite error", func() error { _, err := d.Read.Exec(`SELECT nope`); return err }(), nil},
		{"other error", errors.New("boom"), nil},
	} {
		if got := StorageProblem(tt.err); got != tt.want {
			t.Errorf("%s (%v): %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
