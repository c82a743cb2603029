package environment

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/web"
)

// TestOlderTwinsKept: a database from before names had keys (schema 14) may
// hold twins. Migrating it neither fails nor renames them; they keep no key,
// the name stays taken for new environments, and the first edit of a twin must
// give it a name of its own.
func TestOlderTwinsKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "atlas.db")
	m := dbtest.Migrations(t, path)
	if err := m.Migrate(14); err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (1, 'Acme', 'acme', '', '');
		INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at) VALUES
			(1, 1, 'prod', 'Production', '', ''), (2, 1, 'prod-2', 'PRODUCTION', '', ''),
			(3, 1, 'de', 'Straße', '', ''), (4, 1, 'de-2', 'STRASSE', '', ''), (5, 1, 'pilot', 'Pilot', '', '')`); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	d, err := db.Open(ctx, path)
	if err != nil {
		t.Fatalf("migrating a database with twins: %v", err)
	}
	defer d.Close()
	names := func() string {
		var s string
		if err := d.Read.QueryRow(`SELECT group_concat(id || '=' || name || '/' || coalesce(name_key, '-'), ', ') FROM (SELECT * FROM managed_environments ORDER BY id)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got, want := names(), "1=Production/-, 2=PRODUCTION/-, 3=Straße/-, 4=STRASSE/-, 5=Pilot/-"; got != want {
		t.Fatalf("after the migration: %s, want %s", got, want)
	}

	twin := func(err error) bool {
		var fields web.FieldErrors
		return errors.As(err, &fields) && strings.Contains(fields["name"], "already has this name")
	}
	tx := func(fn func(tx *sql.Tx) error) error { return d.Tx(ctx, fn) }
	environment := func(id int64, slug string) *access.Environment {
		return &access.Environment{ID: id, WorkspaceID: 1, Slug: slug}
	}
	if err := tx(func(tx *sql.Tx) error {
		_, err := Create(ctx, tx, 1, 0, Fields{Slug: "prod-3", Name: "production"})
		return err
	}); !twin(err) {
		t.Errorf("a third Production: %v, want refused as a twin", err)
	}
	if err := tx(func(tx *sql.Tx) error {
		return update(ctx, tx, environment(4, "de-2"), 0, Fields{Slug: "de-2", Name: "STRASSE", Kind: "pilot"})
	}); !twin(err) {
		t.Errorf("editing a twin, keeping its name: %v, want refused as a twin", err)
	}
	for _, edit := range []struct {
		id         int64
		slug, name string
	}{{4, "de-2", "Straße (old)"}, {3, "de", "STRASSE"}, {5, "pilot", "Pilot"}} {
		if err := tx(func(tx *sql.Tx) error {
			return update(ctx, tx, environment(edit.id, edit.slug), 0, Fields{Slug: edit.slug, Name: edit.name})
		}); err != nil {
			t.Errorf("renaming %s to %s: %v", edit.slug, edit.name, err)
		}
	}
	if got, want := names(), "1=Production/-, 2=PRODUCTION/-, 3=STRASSE/strasse, 4=Straße (old)/strasse (old), 5=Pilot/pilot"; got != want {
		t.Errorf("after the edits: %s, want %s", got, want)
	}
}
