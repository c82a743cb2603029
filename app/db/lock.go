package db

import (
	"errors"
	"fmt"
	"os"
)

// ErrInUse is a restore's answer when an Atlas process has the database open.
var ErrInUse = errors.New("an Atlas process is using the database")

// errRestoring is a process's answer when a restore holds the database.
var errRestoring = errors.New("atlas data restore is replacing the database")

// The lock file beside the database (atlas.db.lock) is held shared by every
// process that has the database open and exclusively by a restore, so a restore
// can tell for certain that no Atlas uses the database. The OS drops the lock when
// a process ends, even by SIGKILL; the file itself stays.
func lockPath(path string) string { return path + ".lock" }

// lockShared takes the database's lock as one of its users.
func lockShared(path string) (*os.File, error) {
	f, err := os.OpenFile(lockPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", lockPath(path), err)
	}
	held, err := tryLock(f, false)
	if err == nil && held {
		err = errRestoring
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// lockExclusive takes the database's lock for a restore: ErrInUse while any
// other process holds it.
func lockExclusive(path string) (*os.File, error) {
	f, err := os.OpenFile(lockPath(path), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", lockPath(path), err)
	}
	held, err := tryLock(f, true)
	if err == nil && held {
		err = ErrInUse
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
