package baseline_test

import (
	"context"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"atlas/app/apptest"
	"atlas/app/intune/intunetest"
	"atlas/app/operation"
	"atlas/app/shareddata"
)

// BenchmarkCompare10000 compares an environment of 10,000 policies with a
// 10,000-item snapshot: OpenIntuneBaseline's Windows export copied to 10,000
// distinct policies is the baseline; the environment is the same copied from
// an edited export (BitLocker's device encryption off, the Edge extensions
// policy deleted, a policy of its own added), so about 1 in 70 policies drifts,
// is missing or is unexpected — 430 findings. "first" opens them; "again"
// compares the same state once more (every finding updated). It reports
// policies/s and the process's maximum RSS.
func BenchmarkCompare10000(b *testing.B) {
	const policies = 10_000
	src := shareddata.Dir(b, "intune", "OpenIntuneBaseline", "WINDOWS")
	tmp := b.TempDir()
	edited := filepath.Join(tmp, "edited")
	writeCopy(b, src, edited, edits{encryptionOff: true, deleteEdge: true, addKiosk: true, sameNames: true})
	golden, tenant := filepath.Join(tmp, "golden"), filepath.Join(tmp, "tenant")
	intunetest.LargeExport(b, src, golden, policies)
	intunetest.LargeExport(b, edited, tenant, policies)

	e := apptest.NewAcme(b)
	ctx := context.Background()
	if c, err := e.Data.CaptureBaseline(ctx, "acme", "oib", "", golden); err != nil || c.Snapshot.ItemCount != policies {
		b.Fatalf("capture: %v", err)
	}
	e.Data.DB.Write.Exec(`UPDATE baseline_profiles SET report_unexpected = 1`)
	if run, err := e.Data.Sync(ctx, "acme", "prod", tenant); err != nil || run.Outcome != operation.Succeeded {
		b.Fatalf("sync: %v", err)
	}
	compare := func() *operation.Run {
		c, err := e.Data.Compare(ctx, "acme", "prod", "oib")
		if err != nil || c.Run.Outcome != operation.Succeeded {
			b.Fatalf("compare: %v %+v", err, c)
		}
		return c.Run
	}
	for _, name := range []string{"first", "again"} {
		b.Run(name, func(b *testing.B) {
			if name == "again" {
				compare() // the findings to update
			}
			for b.Loop() {
				b.StopTimer()
				if name == "first" {
					e.Data.DB.Write.Exec(`DELETE FROM findings`)
				}
				runtime.GC()
				b.StartTimer()
				run := compare()
				if name == "first" && run.Counts["opened"] == 0 || name == "again" && run.Counts["updated"] == 0 {
					b.Fatalf("counts %v", run.Counts)
				}
			}
			b.ReportMetric(float64(policies)*float64(b.N)/b.Elapsed().Seconds(), "policies/s")
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
			}
		})
	}
}
