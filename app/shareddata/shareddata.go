// Package shareddata finds the real Intune exports that live beside the project
// (../shared/data), which tests read but never copy.
package shareddata

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// RequireEnv, when set to 1 (CI sets it), turns absent shared data into a failure instead of a skip.
const RequireEnv = "ATLAS_REQUIRE_SHARED"

// Dir returns the absolute path of ../shared/data/<elem...> relative to the
// module root. When it is absent the test is skipped with a clear message, or
// fails when ATLAS_REQUIRE_SHARED=1.
func Dir(t testing.TB, elem ...string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		absent(t, fmt.Sprintf("shared data: %v", err))
	}
	return existing(t, filepath.Join(append([]string{root, "..", "shared", "data"}, elem...)...))
}

// existing returns dir, or skips or fails the test when dir is absent.
func existing(t testing.TB, dir string) string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		absent(t, fmt.Sprintf("shared data %s is absent (it sits beside the project checkout)", dir))
	}
	return dir
}

func absent(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s and %s=1: put the shared data in place", why, RequireEnv)
	}
	t.Skipf("%s: skipping (%s=1 makes this a failure)", why, RequireEnv)
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
