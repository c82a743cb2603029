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
	"sync"
	"testing"
	"testing/fstest"

	"atlas/schema"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

func tables(t *testing.T, conn *sql.DB) []string {
	t.Helper()
	rows, err := conn.Query(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name`)
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
	return names
}

func TestOpenCreatesCoreTablesWithPragmas(t *testing.T) {
	path := filepath.Join(t.TempDir(), "atlas.db")
	d, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got := strings.Join(tables(t, d.Read), ",")
	for _, want := range []string{"users", "workspaces", "workspace_memberships", "managed_environments",
		"managed_environment_memberships", "provider_connections", "operation_runs", "audit_events"} {
		if !strings.Contains(","+got+",", ","+want+",") {
			t.Errorf("table %s missing; have %s", want, got)
		}
	}
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "busy_timeout": "10000"} {
		var v string
		if err := d.Read.QueryRow("PRAGMA " + pragma).Scan(&v); err != nil {
			t.Fatal(err)
		}
		if v != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, v, want)
		}
	}
	if _, err := d.Read.Exec(`INSERT INTO users (email, name, created_at, updated_at) VALUES ('a@b', 'a', '', '')`); err == nil {
		t.Error("read pool accepted a write")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("database file mode %o, want 600", perm)
	}
}

func TestMigrationsGoDownAndUpAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "atlas.db")
	if err := Migrate(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	conn, _ := sql.Open("sqlite", dsn(path, false))
	src, _ := iofs.New(schema.FS, ".")
	driver, _ := sqlite.WithInstance(conn, &sqlite.Config{})
	m, err := migrate.NewWithInstance("iofs", src, "sqlite", driver)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Down(); err != nil {
		t.Fatalf("down: %v", err)
	}
	check, _ := sql.Open("sqlite", dsn(path, false))
	defer check.Close()
	if left := tables(t, check); len(left) != 0 {
		t.Errorf("tables left after down: %v", left)
	}
	if err := m.Up(); err != nil {
		t.Fatalf("up again: %v", err)
	}
	m.Close()
	if n := len(tables(t, check)); n < 8 {
		t.Errorf("after up again %d tables", n)
	}
}

func TestFailedMigrationLeavesDatabaseAsItWasAndKeepsACopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "atlas.db")
	first := fstest.MapFS{
		"0001_a.up.sql":   {Data: []byte("CREATE TABLE a (x INTEGER);")},
		"0001_a.down.sql": {Data: []byte("DROP TABLE a;")},
	}
	if err := migrateFS(context.Background(), path, first); err != nil {
		t.Fatal(err)
	}
	conn, _ := sql.Open("sqlite", dsn(path, false))
	defer conn.Close()
	conn.Exec("INSERT INTO a VALUES (42)")

	broken := fstest.MapFS{
		"0001_a.up.sql":   first["0001_a.up.sql"],
		"0001_a.down.sql": first["0001_a.down.sql"],
		"0002_b.up.sql":   {Data: []byte("CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);")},
		"0002_b.down.sql": {Data: []byte("DROP TABLE b;")},
	}
	err := migrateFS(context.Background(), path, broken)
	if err == nil || !strings.Contains(err.Error(), "left at its previous version") {
		t.Fatalf("want a clear migration error, got %v", err)
	}
	if got := strings.Join(tables(t, conn), ","); got != "a" {
		t.Errorf("tables after failed migration = %q, want only a", got)
	}
	var x int
	if err := conn.QueryRow("SELECT x FROM a").Scan(&x); err != nil || x != 42 {
		t.Errorf("row in a = %d, %v", x, err)
	}
	var version, dirty int
	conn.QueryRow("SELECT version, dirty FROM schema_migrations").Scan(&version, &dirty)
	if version != 1 || dirty != 0 {
		t.Errorf("schema version %d dirty %d, want 1 clean", version, dirty)
	}
	copies, _ := filepath.Glob(path + ".before-v2-*")
	if len(copies) != 1 {
		t.Errorf("copies kept aside: %v", copies)
	}
	// Fixed migrations then apply on the next start.
	broken["0002_b.up.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (y INTEGER);")}
	if err := migrateFS(context.Background(), path, broken); err != nil {
		t.Fatalf("after fix: %v", err)
	}
	if got := strings.Join(tables(t, conn), ","); got != "a,b" {
		t.Errorf("tables after fixed migration = %q", got)
	}
}

func TestConcurrentWritersNeverSeeBusy(t *testing.T) {
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "atlas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				errs <- d.Tx(context.Background(), func(tx *sql.Tx) error {
					_, err := tx.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`,
						"w", "w-"+string(rune('a'+w))+"-"+strings.Repeat("x", i), Now(), Now())
					return err
				})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int
	d.Read.QueryRow("SELECT count(*) FROM workspaces").Scan(&n)
	if n != 400 {
		t.Errorf("rows = %d, want 400", n)
	}
}

func TestUniqueViolationIsRecognised(t *testing.T) {
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "atlas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	insert := func() error {
		_, err := d.Write.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('a', 'a', '', '')`)
		return err
	}
	if err := insert(); err != nil {
		t.Fatal(err)
	}
	err = insert()
	if !IsUniqueViolation(err) {
		t.Errorf("second insert: %v, want a unique violation", err)
	}
	if !IsUniqueViolationOn(err, "workspaces.slug") || IsUniqueViolationOn(err, "workspaces.name") || IsUniqueViolationOn(err, "workspaces.sl") {
		t.Errorf("%v: the violation is of workspaces.slug only", err)
	}
	if IsUniqueViolation(errors.New("other")) {
		t.Error("plain error taken for a unique violation")
	}
}

func TestBackupIsAConsistentCopy(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(context.Background(), filepath.Join(dir, "atlas.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Write.Exec(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('a', 'a', '', '')`)
	dest := filepath.Join(dir, "copy.db")
	if err := d.Backup(context.Background(), dest); err != nil {
		t.Fatal(err)
	}
	c, _ := sql.Open("sqlite", dsn(dest, true))
	defer c.Close()
	var n int
	c.QueryRow("SELECT count(*) FROM workspaces").Scan(&n)
	if n != 1 {
		t.Errorf("copy holds %d workspaces", n)
	}
}

// Open hands a database to golang-migrate only when it is behind or dirty; one
// at the newest version opens without it (issue 13: start-up).
func TestOpenMigratesOnlyADatabaseNotAtTheNewestVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "atlas.db")
	conn, _ := sql.Open("sqlite", dsn(path, false))
	defer conn.Close()
	if current, err := atNewestVersion(ctx, conn, schema.FS); err != nil || current {
		t.Fatalf("a new database: at the newest version %v, %v", current, err)
	}
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if current, err := atNewestVersion(ctx, conn, schema.FS); err != nil || !current {
		t.Fatalf("after Open: at the newest version %v, %v", current, err)
	}
	// One version behind: Open migrates it, keeping a copy aside first.
	src, _ := iofs.New(schema.FS, ".")
	latest, _ := latestVersion(src)
	prev, _ := src.Prev(latest)
	names, _ := fs.Glob(schema.FS, fmt.Sprintf("%04d_*.down.sql", latest))
	down, _ := fs.ReadFile(schema.FS, names[0])
	if _, err := conn.Exec(string(down)); err != nil {
		t.Fatal(err)
	}
	conn.Exec(`UPDATE schema_migrations SET version = ?`, prev)
	if d, err = Open(ctx, path); err != nil {
		t.Fatal(err)
	}
	d.Close()
	copies, _ := filepath.Glob(path + ".before-v*")
	if current, _ := atNewestVersion(ctx, conn, schema.FS); !current || len(copies) != 1 {
		t.Errorf("a database one version behind: after Open at the newest version %v, copies aside %v", current, copies)
	}
	// Marked dirty: Open refuses, as golang-migrate's check says, and names
	// the copy the migration kept.
	conn.Exec(`UPDATE schema_migrations SET dirty = 1`)
	if _, err := Open(ctx, path); err == nil || !strings.Contains(err.Error(), "marked dirty") || !strings.Contains(err.Error(), copies[0]) {
		t.Errorf("a dirty database opened or its copy not named: %v", err)
	}
}
