package operation

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// owner is this process as the owner of the runs it executes. It holds an OS lock
// on processes/<token>.lock for as long as it lives: the OS drops the lock when the
// process dies, even by SIGKILL, so another process can tell a dead owner from a
// live one without guessing from heartbeats (a live owner's runs are never touched).
type owner struct {
	pid   int
	token string
	dir   string
	lock  *os.File
}

func newOwner(dir string) (*owner, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("operations: create %s: %w", dir, err)
	}
	b := make([]byte, 16)
	rand.Read(b)
	o := &owner{pid: os.Getpid(), token: hex.EncodeToString(b), dir: dir}
	f, err := lockFile(o.path(o.token))
	if err != nil {
		return nil, fmt.Errorf("operations: lock %s: %w", o.path(o.token), err)
	}
	o.lock = f
	return o, nil
}

func (o *owner) path(token string) string { return filepath.Join(o.dir, token+".lock") }

var tokenPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// alive reports whether the process with token still runs.
func (o *owner) alive(token string) (bool, error) {
	if token == o.token {
		return true, nil
	}
	if !tokenPattern.MatchString(token) {
		return false, nil
	}
	return probeLock(o.path(token))
}

// release gives the lock up; the process no longer owns runs.
func (o *owner) release() error {
	rmErr := os.Remove(o.path(o.token))
	return errors.Join(o.lock.Close(), rmErr)
}
