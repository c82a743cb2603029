package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"atlas/app/db"
	"atlas/app/web"
)

// The data folder's own commands: atlas data backup and atlas data restore. Both
// work on the folder's files, never through OpenData, which would create, migrate
// and lock the database they copy or replace.

// backupTables are the tables whose row counts a backup prints, with their labels.
var backupTables = []struct{ name, label string }{
	{"users", "users"}, {"workspaces", "workspaces"}, {"managed_environments", "environments"},
	{"policies", "policies"}, {"policy_versions", "policy versions"}, {"operation_runs", "operation runs"},
	{"audit_events", "audit events"},
}

// BackupData writes a consistent copy of the database in the data folder dir to
// dest, a new file (0600), while Atlas may be running and writing, and prints the
// file, its size and the copy's row counts.
func BackupData(ctx context.Context, dir, dest string, w io.Writer) error {
	if dest == "" {
		return &UsageError{errors.New("--to is required: the backup file to write")}
	}
	path := filepath.Join(dir, "atlas.db")
	err := db.BackupFile(ctx, path, dest)
	if errors.Is(err, fs.ErrExist) {
		return &UsageError{fmt.Errorf("%s already exists: a backup never overwrites a file, choose a new name", dest)}
	}
	if err != nil {
		return err
	}
	st, err := os.Stat(dest)
	if err != nil {
		return err
	}
	names := make([]string, len(backupTables))
	for i, t := range backupTables {
		names[i] = t.name
	}
	counts, err := db.CountRows(ctx, dest, names)
	if err != nil {
		return err
	}
	parts := make([]string, len(counts))
	for i, n := range counts {
		parts[i] = backupTables[i].label + " " + web.Number(int(n))
	}
	fmt.Fprintf(w, "Backed up %s to %s (%s): %s\n", path, dest, size(st.Size()), strings.Join(parts, ", "))
	return nil
}

// RestoreData replaces the database in the data folder dir with the backup at
// from, keeping the current one beside it, and prints what it did. It refuses
// while any Atlas process uses the folder.
func RestoreData(ctx context.Context, dir, from string, w io.Writer) error {
	if from == "" {
		return &UsageError{errors.New("--from is required: the backup file to restore")}
	}
	if st, err := os.Stat(from); err != nil || st.IsDir() {
		return &UsageError{fmt.Errorf("the backup %s cannot be read: it is missing or not a file", from)}
	}
	if err := prepareFolder(dir); err != nil {
		return err
	}
	path := filepath.Join(dir, "atlas.db")
	r, err := db.Restore(ctx, path, from)
	if errors.Is(err, db.ErrInUse) {
		return fmt.Errorf("the data folder %s is in use by Atlas (a server, or a command such as atlas sync): stop it, then restore", dir)
	}
	if err != nil {
		return err
	}
	line := fmt.Sprintf("Restored %s (%s, schema version %d) into %s;", from, size(r.Size), r.Version, path)
	if r.KeptAs != "" {
		line += " the previous database is kept as " + r.KeptAs + "."
	} else {
		line += " there was no database before."
	}
	if r.Version < r.Latest {
		line += fmt.Sprintf(" Atlas migrates it to schema version %d at its next start.", r.Latest)
	}
	fmt.Fprintln(w, line)
	return nil
}

// size is a file size as people read it: "52.3 MiB".
func size(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// prepareFolder creates the data folder, or secures an existing one, with mode 0700.
func prepareFolder(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("the data folder %s cannot be created (%v): choose another folder with --data", dir, reason(err))
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("the data folder %s cannot be made private to this user (%v): make it writable, or choose another folder with --data", dir, reason(err))
	}
	return nil
}

// openError says in one line what keeps the database in dir from opening, and what to do.
func openError(dir string, err error) error {
	switch {
	case errors.Is(db.StorageProblem(err), db.ErrDiskFull):
		return fmt.Errorf("the disk holding the data folder %s is full: free some space, then start Atlas again", dir)
	case errors.Is(err, fs.ErrPermission), errors.Is(db.StorageProblem(err), db.ErrReadOnly):
		return fmt.Errorf("the database in the data folder %s is read-only (%v): make the folder and its files writable for this user, or choose another folder with --data", dir, reason(err))
	}
	return err
}

// reason is the innermost cause of err: "not a directory", "permission denied".
func reason(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
