package intune_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app/intune"
	"atlas/app/intune/intunetest"
	"atlas/app/shareddata"
)

// readEntries is everything Read says, file by file, in order.
func readEntries(t *testing.T, fsys fs.FS) []string {
	t.Helper()
	var got []string
	err := intune.Read(fsys, func(e intune.Entry) error {
		line := e.Path + ": "
		switch {
		case e.Object != nil:
			o := e.Object
			line += fmt.Sprintf("%s %s %q %s %s %d %v %s", o.Type.Key, o.TypeSource, o.DisplayName, o.ExternalID, o.Hash, o.Size, o.Warnings, o.Modified)
		case e.Err != nil:
			line += "error " + e.Err.Error()
		default:
			line += "skipped " + e.Skipped
		}
		got = append(got, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Workers decode files ahead of visit: the entries, their order, hashes and the
// settings files read with their intents are the same with one worker or many.
func TestReadGivesTheSameWithOneWorkerOrMany(t *testing.T) {
	mixed := t.TempDir()
	intunetest.BackupAndRestoreTree(t, mixed) // Assignments folders
	intent := intunetest.RealIntent(t)
	intent.WritePair(t, mixed, intunetest.UTF16CRLF) // an intent and its settings file
	if err := os.WriteFile(mixed+"/broken.json", []byte(`{"@odata.type": `), 0o600); err != nil {
		t.Fatal(err)
	}
	exports := []string{mixed}
	for _, name := range []string{"OpenIntuneBaseline", "Azure-securedworkstation"} { // the mixed tree is made of CES2026-IntuneCD
		exports = append(exports, shareddata.Dir(t, "intune", name))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, dir := range exports {
		runtime.GOMAXPROCS(1)
		one := readEntries(t, os.DirFS(dir))
		runtime.GOMAXPROCS(6)
		many := readEntries(t, os.DirFS(dir))
		if !slices.Equal(one, many) {
			for i := range min(len(one), len(many)) {
				if one[i] != many[i] {
					t.Fatalf("%s: entry %d differs:\none worker: %s\nsix:        %s", dir, i, one[i], many[i])
				}
			}
			t.Fatalf("%s: %d entries with one worker, %d with six", dir, len(one), len(many))
		}
		if dir == mixed && !slices.ContainsFunc(one, func(s string) bool { return strings.Contains(s, "the settings of the endpoint security intent") }) {
			t.Errorf("the intent's settings file was not read with it:\n%s", strings.Join(one, "\n"))
		}
	}
}

// A visit error stops the walk at once, and no worker outlives Read.
func TestReadStopsAtVisitsError(t *testing.T) {
	dir := shareddata.Dir(t, "intune", "OpenIntuneBaseline")
	before := runtime.NumGoroutine()
	stop := errors.New("enough")
	visited := 0
	err := intune.Read(os.DirFS(dir), func(e intune.Entry) error {
		visited++
		if visited == 10 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || visited != 10 {
		t.Fatalf("Read = %v after %d visits, want the visit's error after 10", err, visited)
	}
	for deadline := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after Read, %d before", runtime.NumGoroutine(), before)
		}
	}
}

// A panic while reading a file reaches the caller, as it did before the workers.
func TestReadPanicsOnTheCallersGoroutine(t *testing.T) {
	defer func() {
		if v := recover(); v == nil {
			t.Error("the panic was lost")
		}
	}()
	intune.Read(panicking{}, func(e intune.Entry) error { return nil })
}

// panicking is an export whose one file panics when opened.
type panicking struct{}

func (panicking) Open(name string) (fs.File, error) {
	if name == "policy.json" {
		panic("cannot open " + name)
	}
	return fstest.MapFS{"policy.json": {Data: []byte(`{}`)}}.Open(name)
}
