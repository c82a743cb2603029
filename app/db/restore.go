package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"atlas/schema"

	"github.com/golang-migrate/migrate/v4/source/iofs"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Restored says what Restore did.
type Restored struct {
	Version uint   // the restored database's schema version
	Latest  uint   // this Atlas's; a lower Version is migrated at the next start
	Size    int64  // bytes
	KeptAs  string // where the previous database now is; "" when there was none
}

// Restore replaces the database at path with a copy of the backup from. It holds
// the database's lock exclusively throughout (ErrInUse while any Atlas process has
// it open), copies the backup into the folder and checks the copy (integrity,
// a schema version that is clean and not newer than this Atlas) before anything
// is touched, keeps the previous database beside it, then renames the copy into
// place: at every moment path is either the whole old database or the whole new one.
func Restore(ctx context.Context, path, from string) (*Restored, error) {
	lock, err := lockExclusive(path)
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	stamp := time.Now().UTC().Format("20060102T150405.000000000")
	tmp := path + ".restore-" + stamp
	size, err := copyNew(from, tmp)
	defer removeDatabase(tmp) // nothing left once the copy is in place
	if err != nil {
		return nil, err
	}
	r := &Restored{Size: size}
	if r.Version, r.Latest, err = checkBackup(ctx, tmp, from); err != nil {
		return nil, err
	}
	if r.KeptAs, err = setAside(ctx, path, path+".before-restore-"+stamp); err != nil {
		return nil, fmt.Errorf("keep the current database aside: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return r, syncDir(filepath.Dir(path))
}

// copyNew copies from into the new file dest (0600) and syncs it.
func copyNew(from, dest string) (int64, error) {
	src, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, src)
	if err == nil {
		err = out.Sync()
	}
	return n, errors.Join(err, out.Close())
}

// checkBackup opens the copy at path (of the backup named from) and refuses it
// unless it passes integrity_check and has a clean schema version no newer than
// this Atlas's. The connection is closed before it returns, so no -wal is left.
func checkBackup(ctx context.Context, path, from string) (version, latest uint, err error) {
	src, err := iofs.New(schema.FS, ".")
	if err != nil {
		return 0, 0, err
	}
	if latest, err = latestVersion(src); err != nil {
		return 0, 0, err
	}
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	problems, err := integrityProblems(ctx, conn)
	var se *sqlite.Error
	switch {
	case errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CORRUPT:
		// So damaged that the check itself stops: a damaged database, not another kind of file.
		problems = []string{err.Error()}
	case err != nil:
		return 0, 0, fmt.Errorf("%s is not a readable SQLite database: %w", from, err)
	}
	if len(problems) > 0 {
		return 0, 0, fmt.Errorf("%s fails SQLite's integrity check (%s): it was not restored", from, strings.Join(problems, "; "))
	}
	var dirty bool
	err = conn.QueryRowContext(ctx, `SELECT version, dirty FROM schema_migrations`).Scan(&version, &dirty)
	switch {
	case err != nil:
		return 0, 0, fmt.Errorf("%s is not an Atlas database (no schema version: %v)", from, err)
	case dirty:
		return 0, 0, fmt.Errorf("%s is marked dirty at schema version %d (a migration failed in it): it was not restored", from, version)
	case version > latest:
		return 0, 0, fmt.Errorf("%s has schema version %d, newer than this Atlas's %d: restore it with a newer Atlas", from, version, latest)
	}
	return version, latest, nil
}

// integrityProblems runs PRAGMA integrity_check; no problems is "ok". It keeps
// the first few of a damaged file's many lines.
func integrityProblems(ctx context.Context, conn *sql.DB) ([]string, error) {
	rows, err := conn.QueryContext(ctx, `PRAGMA integrity_check(5)`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	return problems, rows.Err()
}

// setAside keeps the database at path as aside, whole: its WAL is checkpointed
// into it first (a process killed with SIGKILL leaves committed work there), and
// whatever -wal or -shm remains moves with it, so the restored file never meets
// an old WAL. path itself stays in place (a hard link) until the restore's rename
// replaces it. It returns "" when there is no database at path.
func setAside(ctx context.Context, path, aside string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	// A damaged database may refuse the checkpoint: its WAL then moves with it.
	checkpoint(ctx, path)
	if err := os.Link(path, aside); err != nil {
		return "", err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		err := os.Rename(path+suffix, aside+suffix)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
	}
	return aside, nil
}

// checkpoint writes the WAL of the database at path into the file; closing the
// last connection then removes the WAL.
func checkpoint(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", "file:"+path+"?mode=rw&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return errors.Join(err, conn.Close())
}

// removeDatabase removes a database file with its -wal and -shm, if they exist.
func removeDatabase(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
}
