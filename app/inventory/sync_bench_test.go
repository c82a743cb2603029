package inventory

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app/db/dbtest"
	"atlas/app/intune/intunetest"
	"atlas/app/shareddata"
)

// BenchmarkSync20000 syncs the OpenIntuneBaseline tree copied to 20,000 files
// (every copy renamed and re-identified, so they are 20,000 distinct policies,
// in their original encodings: large UTF-16 files) into an empty environment
// ("first") and again ("unchanged").
func BenchmarkSync20000(b *testing.B) {
	benchmarkSync(b, "OpenIntuneBaseline", 20_000)
}

// BenchmarkSyncSmall50000 is the same over the CES2026-IntuneCD backup copied to
// 50,000 files: small UTF-8 files, where the cost per file counts.
func BenchmarkSyncSmall50000(b *testing.B) {
	benchmarkSync(b, "CES2026-IntuneCD", 50_000)
}

// benchmarkSync reports files/s, MB/s, the process's CPU time per file, the
// peak heap in use during the sync and the process's maximum RSS.
func benchmarkSync(b *testing.B, export string, files int) {
	dir := b.TempDir()
	size := intunetest.LargeExport(b, shareddata.Dir(b, "intune", export), dir, files)
	fsys := os.DirFS(dir)
	for _, name := range []string{"first", "unchanged"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			var peak uint64
			var cpu time.Duration
			for b.Loop() {
				b.StopTimer()
				p := newPlace(b, dbtest.Open(b), "bench")
				if name == "unchanged" {
					p.sync(b, fsys)
				}
				runtime.GC()
				stop := sampleHeap(&peak)
				before := cpuTime()
				b.StartTimer()
				res, _ := p.sync(b, fsys)
				b.StopTimer()
				cpu += cpuTime() - before
				stop()
				if res.Counts.Seen+res.Counts.Skipped != files || res.Counts.Seen == 0 || res.Counts.Failed != 0 {
					b.Fatalf("counts %+v", res.Counts)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(files)*float64(b.N)/b.Elapsed().Seconds(), "files/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			// CPU per file holds under load, where wall times do not: files/s on
			// an idle machine is at best 2 cores over it.
			b.ReportMetric(cpu.Seconds()*1000/float64(files*b.N), "cpu-ms/file")
			var ru syscall.Rusage
			if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
				b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
			}
		})
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sampleHeap records the largest HeapInuse seen until stop is called.
func sampleHeap(peak *uint64) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			*peak = max(*peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

// BenchmarkListPolicies20000 pages through an environment of 20,000 policies
// (the policies list's query and count) with the filters and sorts people use.
func BenchmarkListPolicies20000(b *testing.B) {
	fsys := fstest.MapFS{}
	platforms := []string{"windows10", "macOS", "iOS", "android"}
	for i := range 20_000 {
		fsys[fmt.Sprintf("SettingsCatalog/p%05d.json", i)] = &fstest.MapFile{Data: fmt.Appendf(nil,
			`{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","id":"id-%d","name":"Policy %05d","platforms":%q,"settings":[]}`,
			i, (i*7919)%20_000, platforms[i%len(platforms)])}
	}
	p := newPlace(b, dbtest.Open(b), "bench")
	if res, _ := p.sync(b, fsys); res.Counts.Created != 20_000 {
		b.Fatalf("counts %+v", res.Counts)
	}
	for _, f := range []Filter{{Page: 1}, {Page: 399}, {Sort: "seen", Desc: true, Page: 200}, {Platform: "macOS", Page: 50},
		{Coverage: "restorable", Sort: "versions", Page: 10}, {Search: "99", Page: 1}} {
		b.Run(fmt.Sprintf("%s_%s_%s_page%d", f.Sort, f.Platform+f.Coverage, f.Search, f.Page), func(b *testing.B) {
			for b.Loop() {
				list, err := ListPolicies(context.Background(), p.d.Read, p.env, f)
				if err != nil || list.Total == 0 || len(list.Policies) == 0 {
					b.Fatalf("%+v: %v", list, err)
				}
			}
		})
	}
}
