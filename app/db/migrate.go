package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"atlas/schema"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// Migrate applies the embedded migrations to the database at path.
func Migrate(ctx context.Context, path string) error {
	return migrateFS(ctx, path, schema.FS)
}

// migrateFS brings the database up to the newest migration in migrations. An
// existing database is first copied aside; a failed migration is rolled back by its
// transaction and the version reset, so the file is left as it was.
func migrateFS(ctx context.Context, path string, migrations fs.FS) error {
	// The sqlite driver closes the *sql.DB it is given: migrations get their own handle.
	conn, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return err
	}
	conn.SetMaxOpenConns(1)
	src, err := iofs.New(migrations, ".")
	if err != nil {
		conn.Close()
		return fmt.Errorf("read migrations: %w", err)
	}
	driver, err := sqlite.WithInstance(conn, &sqlite.Config{})
	if err != nil {
		conn.Close()
		return fmt.Errorf("prepare migrations: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "sqlite", driver)
	if err != nil {
		conn.Close()
		return fmt.Errorf("prepare migrations: %w", err)
	}
	defer m.Close()

	current, dirty, err := m.Version()
	switch {
	case errors.Is(err, migrate.ErrNilVersion):
		current = 0
	case err != nil:
		return fmt.Errorf("read schema version: %w", err)
	case dirty:
		return dirtyError(path, current)
	}
	latest, err := latestVersion(src)
	if err != nil {
		return err
	}
	if current == latest {
		return nil
	}
	if current > latest {
		return fmt.Errorf("database %s has schema version %d, newer than this Atlas (%d): use a newer Atlas", path, current, latest)
	}
	if current > 0 {
		aside := fmt.Sprintf("%s.before-v%d-%s", path, latest, time.Now().UTC().Format("20060102T150405.000000000"))
		if err := backup(ctx, conn, aside); err != nil {
			return fmt.Errorf("copy database aside before migrating: %w", err)
		}
	}
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		// The failed migration's transaction rolled back; only the dirty marker remains.
		if v, dirty, verr := m.Version(); verr == nil && dirty {
			prev, perr := src.Prev(v)
			if perr != nil {
				prev = 0
			}
			if prev == 0 {
				m.Force(database0)
			} else {
				m.Force(int(prev))
			}
		}
		return fmt.Errorf("migrate database %s: %w (the database was left at its previous version)", filepath.Base(path), err)
	}
	return nil
}

// atNewestVersion reports whether the database on conn is at the newest of
// migrations and clean; false when it has no version table yet.
func atNewestVersion(ctx context.Context, conn *sql.DB, migrations fs.FS) (bool, error) {
	src, err := iofs.New(migrations, ".")
	if err != nil {
		return false, err
	}
	defer src.Close()
	latest, err := latestVersion(src)
	if err != nil {
		return false, err
	}
	var version uint
	var dirty bool
	err = conn.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&version, &dirty)
	if err != nil {
		return false, nil // a new database, or none that Migrate can read: Migrate says which
	}
	return version == latest && !dirty, nil
}

// dirtyError says how to recover a database that a migration or a bulk load
// (atlas demo --scale) left half-way: from the copy a migration keeps beside
// it, or, without one, from a backup or a new data folder.
func dirtyError(path string, version uint) error {
	copies, _ := filepath.Glob(path + ".before-v*")
	if len(copies) == 0 {
		return fmt.Errorf("database %s is marked dirty at schema version %d (a migration or a demo load stopped half-way) and no copy was kept beside it: restore a backup (atlas data restore) or use a new data folder", path, version)
	}
	newest, newestAt := copies[0], time.Time{}
	for _, c := range copies { // named by version and time: the newest is the migration that stopped
		if st, err := os.Stat(c); err == nil && st.ModTime().After(newestAt) {
			newest, newestAt = c, st.ModTime()
		}
	}
	return fmt.Errorf("database %s is marked dirty at schema version %d (a migration stopped half-way); restore the copy kept beside it, %s", path, version, newest)
}

// database0 is golang-migrate's "no version applied" marker for Force.
const database0 = -1

func latestVersion(src interface {
	First() (uint, error)
	Next(uint) (uint, error)
}) (uint, error) {
	v, err := src.First()
	if err != nil {
		return 0, fmt.Errorf("no migrations: %w", err)
	}
	for {
		next, err := src.Next(v)
		if errors.Is(err, os.ErrNotExist) {
			return v, nil
		}
		if err != nil {
			return 0, err
		}
		v = next
	}
}
