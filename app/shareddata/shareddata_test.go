package shareddata

import (
	"path/filepath"
	"runtime"
	"testing"
)

// recorder is a testing.TB that notes whether the helper skipped or failed the
// test, and stops there as the real ones do.
type recorder struct {
	testing.TB
	ended string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(string, ...any) {
	r.ended = "skipped"
	runtime.Goexit()
}

func (r *recorder) Fatalf(string, ...any) {
	r.ended = "failed"
	runtime.Goexit()
}

func TestAbsentDataSkipsUnlessRequired(t *testing.T) {
	present, missing := t.TempDir(), filepath.Join(t.TempDir(), "absent")
	for _, tt := range []struct {
		require, dir, want string
	}{
		{"", missing, "skipped"},
		{"0", missing, "skipped"},
		{"1", missing, "failed"},
		{"", present, "returned"},
		{"1", present, "returned"},
	} {
		t.Run(tt.require+" "+filepath.Base(tt.dir), func(t *testing.T) {
			t.Setenv(RequireEnv, tt.require)
			r := &recorder{TB: t, ended: "returned"}
			done := make(chan string)
			go func() {
				defer close(done)
				if got := existing(r, tt.dir); got != tt.dir {
					r.ended = "returned " + got
				}
			}()
			<-done
			if r.ended != tt.want {
				t.Errorf("%s=%q, %s: %s, want %s", RequireEnv, tt.require, tt.dir, r.ended, tt.want)
			}
		})
	}
}
