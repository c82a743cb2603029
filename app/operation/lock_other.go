//go:build !unix

package operation

import (
	"errors"
	"io/fs"
	"os"
)

// lockFile creates path and keeps it open for the life of the process.
func lockFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
}

// probeLock: Windows refuses to delete a file another process holds open, so a
// successful delete means its owner is gone.
func probeLock(path string) (bool, error) {
	err := os.Remove(path)
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return true, nil
}
