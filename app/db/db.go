// Package db opens Atlas's SQLite database: one writer connection, a read pool,
// pragmas on every connection, embedded migrations and online backups. Everything
// SQLite-specific lives here so the domains' SQL stays portable (DESIGN §10).
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"atlas/schema"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DB is the application's database: Write has exactly one connection so writers
// queue in Go instead of failing with SQLITE_BUSY; Read is a pool of read-only ones.
type DB struct {
	Write *sql.DB
	Read  *sql.DB
	Path  string
	lock  *os.File // shared: see lockPath
}

// pragmas go in the DSN so that every pooled connection gets them.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open takes the database's lock as one of its users, creates the file if needed
// (mode 0600), applies pending migrations (after copying an existing database
// aside) and returns the connections.
func Open(ctx context.Context, path string) (*DB, error) {
	lock, err := lockShared(path)
	if err != nil {
		return nil, err
	}
	d, err := open(ctx, path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	d.lock = lock
	return d, nil
}

func open(ctx context.Context, path string) (*DB, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open database file: %w", err)
	}
	f.Close()
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	// golang-migrate's set-up (a connection of its own, which parses the whole
	// schema again, and a write to its version table) was a third of opening the
	// database at start-up (issue 13): a database at the newest version skips it.
	if current, err := atNewestVersion(ctx, write, schema.FS); err != nil || !current {
		if err := Migrate(ctx, path); err != nil {
			write.Close()
			return nil, err
		}
	}
	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	d := &DB{Write: write, Read: read, Path: path}
	if err := write.PingContext(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return d, nil
}

// Close closes both pools, then gives the lock up; the WAL is checkpointed by
// SQLite when the last connection closes.
func (d *DB) Close() error {
	err := errors.Join(d.Read.Close(), d.Write.Close())
	if d.lock != nil {
		err = errors.Join(err, d.lock.Close())
	}
	return err
}

// Tx runs fn in one write transaction, committed when fn returns nil.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// Backup writes a consistent copy of the live database to dest, a new file, while
// others go on writing: VACUUM INTO reads one snapshot, on a connection of its own
// so that the writer is not held for the copy's duration.
func (d *DB) Backup(ctx context.Context, dest string) error {
	return backupOf(ctx, d.Path, dest)
}

// BackupFile is Backup from a process that does not have the database open
// (atlas data backup): it never creates or migrates the database, and holds the
// lock as one of its users so that a restore cannot replace the file meanwhile.
func BackupFile(ctx context.Context, path, dest string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no database to back up: %w", err)
	}
	lock, err := lockShared(path)
	if err != nil {
		return err
	}
	defer lock.Close()
	return backupOf(ctx, path, dest)
}

func backupOf(ctx context.Context, path, dest string) error {
	conn, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return err
	}
	defer conn.Close()
	return backup(ctx, conn, dest)
}

// backup copies conn's database into dest, which it creates empty and 0600 first
// (VACUUM INTO accepts an empty file): an existing file is never overwritten and
// the copy is never readable by others. It is synced before backup returns.
func backup(ctx context.Context, conn *sql.DB, dest string) error {
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	f.Close()
	if _, err := conn.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		os.Remove(dest)
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	if err := syncFile(dest); err != nil {
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return syncDir(filepath.Dir(dest))
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// IsUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY constraint failure.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// IsUniqueViolationOn reports whether err is a unique violation of a key that
// holds column ("table.column"): which of a table's keys refused the row.
func IsUniqueViolationOn(err error, column string) bool {
	if !IsUniqueViolation(err) {
		return false
	}
	// SQLite names the key's columns: "UNIQUE constraint failed: t.a, t.b (2067)".
	_, columns, _ := strings.Cut(err.Error(), "UNIQUE constraint failed: ")
	columns, _, _ = strings.Cut(columns, " (")
	return slices.Contains(strings.Split(columns, ", "), column)
}

// ErrDiskFull and ErrReadOnly are what StorageProblem finds.
var (
	ErrDiskFull = errors.New("the disk holding the data folder is full")
	ErrReadOnly = errors.New("the data folder is read-only")
)

// StorageProblem returns ErrDiskFull or ErrReadOnly when err is SQLite's or the
// OS's way of saying that a write found no room or no permission to write, else
// nil. SQLite rolls the transaction back in both cases: the file stays intact.
func StorageProblem(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary code; extended ones say why
		case sqlite3.SQLITE_FULL:
			return ErrDiskFull
		case sqlite3.SQLITE_READONLY:
			return ErrReadOnly
		}
	}
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return ErrDiskFull
	case errors.Is(err, syscall.EROFS):
		return ErrReadOnly
	}
	return nil
}

// CountRows counts the rows of each of tables in the database file at path.
func CountRows(ctx context.Context, path string, tables []string) ([]int64, error) {
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	counts := make([]int64, len(tables))
	for i, table := range tables {
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM "`+table+`"`).Scan(&counts[i]); err != nil {
			return nil, fmt.Errorf("count %s in %s: %w", table, path, err)
		}
	}
	return counts, nil
}

// Querier is what reads need: a pool, a connection or a transaction.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Row is a row to scan: a *sql.Row or the current row of *sql.Rows.
type Row interface{ Scan(dest ...any) error }

// Collect runs query and scans each of its rows with scan.
func Collect[T any](ctx context.Context, q Querier, scan func(Row) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// NullID stores 0 as NULL, for optional foreign keys.
func NullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// NullString stores "" as NULL.
func NullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Column is a column of a table.
type Column struct{ Table, Name string }

// ReferencesTo lists the columns whose foreign keys name table(column), in
// every table of the schema: a rewrite of a key finds every row that holds it,
// whichever domain added the table.
func ReferencesTo(ctx context.Context, q Querier, table, column string) ([]Column, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.name, f."from" FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND f."table" = ? AND f."to" = ? ORDER BY m.name, f."from"`, table, column)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []Column
	for rows.Next() {
		var c Column
		if err := rows.Scan(&c.Table, &c.Name); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}
