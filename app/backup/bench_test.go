package backup_test

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"testing"

	"atlas/app"
	"atlas/app/apptest"
	"atlas/app/intune/intunetest"
	"atlas/app/shareddata"
)

// BenchmarkBackupRestore10000 takes an environment of 10,000 policies (the
// OpenIntuneBaseline tree copied to 10,000 distinct policies): "backup" takes a
// set of all of them, "preview" plans their restore into an empty environment,
// "restore-write" applies it (the target's backup first, then 10,000 files
// written in IntuneManagement's layout and every item's result recorded).
func BenchmarkBackupRestore10000(b *testing.B) {
	const policies = 10_000
	dir := b.TempDir()
	intunetest.LargeExport(b, shareddata.Dir(b, "intune", "OpenIntuneBaseline"), dir, policies)
	e := apptest.New(b)
	ctx := context.Background()
	if err := e.Data.AddWorkspace(ctx, "acme", "Acme"); err != nil {
		b.Fatal(err)
	}
	if err := e.Data.AddEnvironment(ctx, "acme", "big", "Big"); err != nil {
		b.Fatal(err)
	}
	if run, err := e.Data.Sync(ctx, "acme", "big", dir); err != nil || run.Counts["seen"] != policies {
		b.Fatalf("sync: %v %v", err, run.Counts)
	}
	var setID int64
	targets := 0
	newTarget := func(b *testing.B) string {
		targets++
		slug := fmt.Sprintf("empty-%d", targets)
		if err := e.Data.AddEnvironment(ctx, "acme", slug, slug); err != nil {
			b.Fatal(err)
		}
		return slug
	}
	report := func(b *testing.B) {
		b.ReportMetric(float64(policies)*float64(b.N)/b.Elapsed().Seconds(), "policies/s")
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
		}
	}
	b.Run("backup", func(b *testing.B) {
		for b.Loop() {
			_, set, err := e.Data.CreateBackup(ctx, "acme", "big", "", nil)
			if err != nil || set == nil || set.ItemCount != policies {
				b.Fatalf("backup: %v %+v", err, set)
			}
			setID = set.ID
		}
		report(b)
	})
	o := app.RestoreOptions{BackupID: setID, Layout: "intunemanagement", WithAssignments: true}
	b.Run("preview", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			slug := newTarget(b)
			b.StartTimer()
			if err := e.Data.PreviewRestore(ctx, io.Discard, "acme", slug, o, true); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("restore-write", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			slug := newTarget(b)
			b.StartTimer()
			run, err := e.Data.ApplyRestore(ctx, io.Discard, "acme", slug, o, true)
			if err != nil || run.Counts["succeeded"] != policies {
				b.Fatalf("restore: %v %v %+v", err, run.Counts, run.Failure)
			}
		}
		report(b)
	})
}
