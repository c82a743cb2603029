// Package dbtest gives tests a fresh, fully migrated database file: never a mock,
// never :memory: (each pooled connection would be its own database).
package dbtest

import (
	"context"
	"path/filepath"
	"testing"

	"atlas/app/db"
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
