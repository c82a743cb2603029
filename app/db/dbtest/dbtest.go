// Package dbtest gives tests a fresh, fully migrated database file: never a mock,
// never :memory: (each pooled connection would be its own database).
package dbtest

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"atlas/app/db"
	"atlas/schema"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// Open returns a migrated database in t.TempDir(), closed when the test ends.
func Open(t testing.TB) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), filepath.Join(t.TempDir(), "atlas.db"))
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Migrations is a golang-migrate handle on the database file at path, over the
// embedded migrations, for tests that step its schema down or up (or build a
// database of an older schema); closed when the test ends.
func Migrations(t testing.TB, path string) *migrate.Migrate {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	src, err := iofs.New(schema.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	driver, err := sqlite.WithInstance(conn, &sqlite.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite", driver)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}
