//go:build bench

package main

// The benchmark harness of issue 13 (make bench): the large dataset, generated
// once into .bench/ and reused; page latency through the full router beside
// each page's bare SQL; the hub under 4 clients; start-up, binary size and
// memory of the real atlas serve; the Go benchmarks' figures; all written into
// BENCHMARKS.md between its bench markers.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"atlas/app"
	"atlas/app/browsertest"
	"atlas/app/db/dbtest"
	"atlas/app/demo"
	"atlas/app/web"
)

const benchDir = ".bench"

// benchFigures collects what the run measured, in the order it is written.
type benchFigures struct {
	dataset string
	pages   []pageFigure
	hubRPS  float64
	hubHTTP float64
	startup []time.Duration // atlas serve exec to its URL line
	// startupCPU is the CPU time atlas serve spent up to its URL line;
	// openData and newServer are the two halves of it, timed in this process.
	startupCPU          []time.Duration
	openData, newServer []time.Duration
	blocking            []string // render-blocking requests besides the CSS, in any page
	binary              int64
	idleRSS             int64
	loadRSS             int64
	browser             map[string]time.Duration
	goBench             []string
	loadAvg             []string
	took                time.Duration
	scale               string
	dataSize            int64
}

type pageFigure struct {
	demo.ScalePage
	queries        int
	requests       int
	bytes          int
	p50, p99       time.Duration
	sqlP50, sqlP99 time.Duration
}

// TestScaleBench is make bench's load run (go test -tags bench -run TestScaleBench .).
func TestScaleBench(t *testing.T) {
	scale := orDefault(os.Getenv("ATLAS_BENCH_SCALE"), "large")
	began := time.Now()
	f := &benchFigures{scale: scale, loadAvg: []string{loadAverage()}}
	bin := filepath.Join(benchDir, "atlas")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	st, _ := os.Stat(bin)
	f.binary = st.Size()
	dir := filepath.Join(benchDir, scale)
	f.dataset = dataset(t, bin, dir, scale)
	if st, err := os.Stat(filepath.Join(dir, "atlas.db")); err == nil {
		f.dataSize = st.Size()
	}

	if only := os.Getenv("ATLAS_BENCH_PAGES"); only != "" {
		pageFigures(t, dir, regexp.MustCompile(only), f) // while working on a page: its figures only, BENCHMARKS.md untouched
		return
	}
	pages, err := scalePages(dir)
	if err != nil {
		t.Fatal(err)
	}
	serveFigures(t, bin, dir, pages[0].Workspace, f)
	pageFigures(t, dir, nil, f)
	if b, err := os.ReadFile(filepath.Join(benchDir, "go-bench.txt")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Benchmark") {
				f.goBench = append(f.goBench, line)
			}
		}
	}
	f.loadAvg = append(f.loadAvg, loadAverage())
	f.took = time.Since(began)
	if err := writeBenchmarks("BENCHMARKS.md", f); err != nil {
		t.Fatal(err)
	}
}

func orDefault(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

// dataset generates the scale's data folder once (its line says how long it
// took) and reuses it afterwards.
func dataset(t *testing.T, bin, dir, scale string) string {
	note := dir + ".txt"
	if _, err := os.Stat(filepath.Join(dir, "atlas.db")); err == nil {
		b, _ := os.ReadFile(note)
		return strings.TrimSpace(string(b)) + " (generated before, reused)"
	}
	t.Logf("generating the %s dataset into %s (once)", scale, dir)
	began := time.Now()
	cmd := exec.Command(bin, "demo", "--scale", scale, "--data", dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("atlas demo --scale %s: %v\n%s", scale, err, out)
	}
	line := fmt.Sprintf("%s; wall time %.1f s, CPU %.1f s, load average before %s", strings.TrimSpace(string(out)),
		time.Since(began).Seconds(), cpuSeconds(cmd.ProcessState), loadAverage())
	os.WriteFile(note, []byte(line+"\n"), 0o600)
	return line
}

func cpuSeconds(ps *os.ProcessState) float64 {
	return (ps.UserTime() + ps.SystemTime()).Seconds()
}

// serveFigures starts the real atlas serve on the dataset: start-up (five
// starts), idle memory, then the hub under 4 clients over HTTP and the memory
// that load takes.
func serveFigures(t *testing.T, bin, dir, workspace string, f *benchFigures) {
	for range 5 {
		began := time.Now()
		data, err := app.OpenData(context.Background(), dir, "owner")
		if err != nil {
			t.Fatal(err)
		}
		opened := time.Now()
		srv, err := app.NewServer(data, app.ServerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		srv.Handler()
		f.openData, f.newServer = append(f.openData, opened.Sub(began)), append(f.newServer, time.Since(opened))
		data.Close()
	}
	var launch string
	for i := range 6 {
		cmd := exec.Command(bin, "serve", "--no-browser", "--addr", "127.0.0.1:0", "--data", dir)
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = io.Discard
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "Atlas is running at ") {
			cmd.Process.Kill()
			t.Fatalf("atlas serve: %q %v", line, err)
		}
		if i > 0 { // the first start warms the page cache
			f.startup = append(f.startup, time.Since(began))
			f.startupCPU = append(f.startupCPU, processCPU(cmd.Process.Pid))
		}
		launch = strings.TrimSpace(strings.TrimPrefix(line, "Atlas is running at "))
		if i < 5 {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
			continue
		}
		time.Sleep(3 * time.Second)
		f.idleRSS = procStatus(cmd.Process.Pid, "VmRSS")
		base := launch[:strings.Index(launch, "/auth/")]
		c := launchClient(t, launch)
		c.Post(base+"/admin/workspaces/"+workspace+"/select", "application/x-www-form-urlencoded", nil)
		f.browser = browserFigures(t, c, base, workspace)
		f.hubHTTP = concurrently(4, 10*time.Second, func() error {
			r, err := c.Get(base + web.WorkspaceURL(workspace, ""))
			if err != nil {
				return err
			}
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusOK {
				return fmt.Errorf("hub: %d", r.StatusCode)
			}
			return nil
		})
		f.loadRSS = procStatus(cmd.Process.Pid, "VmHWM")
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
}

func launchClient(t *testing.T, launch string) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err := c.Get(launch)
	if err != nil || r.StatusCode != http.StatusSeeOther {
		t.Fatalf("launch: %v %v", r, err)
	}
	r.Body.Close()
	return c
}

// browserFigures loads pages in Chromium with the client's session: navigation
// start to the load event, the median of 10 loads, beside a static file of
// Atlas (the browser's own floor).
func browserFigures(t *testing.T, c *http.Client, base, workspace string) map[string]time.Duration {
	ctx := browsertest.New(t)
	u, _ := url.Parse(base)
	for _, k := range c.Jar.Cookies(u) {
		if err := chromedp.Run(ctx, network.SetCookie(k.Name, k.Value).WithURL(base)); err != nil {
			t.Fatal(err)
		}
	}
	figures := map[string]time.Duration{}
	for _, p := range browserPages(workspace) {
		var loads []time.Duration
		for range 10 {
			var ms float64
			if err := chromedp.Run(ctx, chromedp.Navigate(base+p.path),
				chromedp.Evaluate(`performance.getEntriesByType("navigation")[0].loadEventEnd`, &ms)); err != nil {
				t.Fatalf("%s: %v", p.path, err)
			}
			loads = append(loads, time.Duration(ms*float64(time.Millisecond)))
		}
		slices.Sort(loads)
		figures[p.name] = loads[len(loads)/2]
	}
	return figures
}

func browserPages(workspace string) []struct{ name, path string } {
	return []struct{ name, path string }{
		{"workspace hub", web.WorkspaceURL(workspace, "")},
		{"policies list, first page", web.EnvironmentURL(workspace, "prod", "/policies")},
		{"a static file (app.css)", "/static/app.css"},
	}
}

func scalePages(dir string) ([]demo.ScalePage, error) {
	data, err := app.OpenData(context.Background(), dir, "owner")
	if err != nil {
		return nil, err
	}
	defer data.Close()
	return demo.ScalePages(context.Background(), data.DB.Read)
}

// concurrently runs fn from n clients for d and returns requests per second.
func concurrently(n int, d time.Duration, fn func() error) float64 {
	var done atomic.Int64
	var failed atomic.Value
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	began := time.Now()
	for range n {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if err := fn(); err != nil {
					failed.Store(err)
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		panic(err)
	}
	return float64(done.Load()) / time.Since(began).Seconds()
}

// processCPU is the user and system time process pid has used so far.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's name, which is in parentheses: utime and stime are the 12th and 13th.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	user, _ := strconv.ParseInt(fields[11], 10, 64)
	system, _ := strconv.ParseInt(fields[12], 10, 64)
	return time.Duration(user+system) * time.Second / clockTicks
}

// clockTicks is the kernel's USER_HZ, the unit of /proc's CPU times (100 on Linux everywhere).
const clockTicks = 100

// procStatus reads a VmRSS-like line of /proc/PID/status, in bytes.
func procStatus(pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(key + `:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

// pageFigures times every page in this process, through the full router
// (handler.ServeHTTP, signed in as the owner): 5 warm-up requests, then 200;
// then the same page's recorded queries replayed 200 times on the read pool.
// With only set, the pages whose name or path it matches and not the hub's load.
func pageFigures(t *testing.T, dir string, only *regexp.Regexp, f *benchFigures) {
	ctx := context.Background()
	data, err := app.OpenData(ctx, dir, "owner")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	srv, err := app.NewServer(data, app.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := dbtest.RecordReads(data.DB)
	if err != nil {
		t.Fatal(err)
	}
	h := srv.Handler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	c := launchClient(t, ts.URL+"/auth/launch?token="+srv.Launcher.Issue())
	pages, err := demo.ScalePages(ctx, data.DB.Read)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(ts.URL)
	get := func(path string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = u.Host
		for _, k := range c.Jar.Cookies(u) {
			req.AddCookie(k)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for _, p := range pages {
		if only != nil && !only.MatchString(p.Name) && !only.MatchString(p.Path) {
			continue
		}
		r, err := c.Post(ts.URL+"/admin/workspaces/"+p.Workspace+"/select", "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		pf := pageFigure{ScalePage: p}
		var first *httptest.ResponseRecorder
		queries := rec.Record(func() { first = get(p.Path) })
		if first.Code != http.StatusOK {
			t.Fatalf("%s %s: %d", p.Name, p.Path, first.Code)
		}
		pf.queries, pf.bytes = len(queries), first.Body.Len()
		for _, r := range renderBlocking(first.Body.String()) {
			if !slices.Contains(f.blocking, r) {
				f.blocking = append(f.blocking, r)
			}
		}
		for range 5 {
			get(p.Path)
		}
		pf.requests, pf.p50, pf.p99 = percentiles(func() { get(p.Path) })
		_, pf.sqlP50, pf.sqlP99 = percentiles(func() {
			if err := dbtest.Replay(ctx, data.DB.Read, queries); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%-40s p50 %6.2f ms  p99 %6.2f ms  SQL p50 %6.2f ms  p99 %6.2f ms  (%d queries, %d bytes)", p.Name,
			ms(pf.p50), ms(pf.p99), ms(pf.sqlP50), ms(pf.sqlP99), pf.queries, pf.bytes)
		f.pages = append(f.pages, pf)
	}
	if only != nil {
		return
	}
	f.hubRPS = concurrently(4, 5*time.Second, func() error {
		if w := get(pages[0].Path); w.Code != http.StatusOK { // the heavy workspace's hub
			return fmt.Errorf("hub: %d", w.Code)
		}
		return nil
	})
}

// renderBlocking lists what in a page's HTML holds its rendering up besides
// its one stylesheet: a script neither deferred nor async, a second stylesheet.
func renderBlocking(html string) []string {
	var found []string
	for _, tag := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(html, -1) {
		if !regexp.MustCompile(`\s(defer|async)[\s>=]`).MatchString(tag) {
			found = append(found, tag)
		}
	}
	if sheets := regexp.MustCompile(`<link\b[^>]*rel="stylesheet"[^>]*>`).FindAllString(html, -1); len(sheets) > 1 {
		found = append(found, sheets[1:]...)
	}
	return found
}

// percentiles times fn 200 times, or for 30 s when it is slower than that
// allows (at least 10 times): a page of seconds would take hours otherwise.
func percentiles(fn func()) (n int, p50, p99 time.Duration) {
	var d []time.Duration
	stop := time.Now().Add(30 * time.Second)
	for len(d) < 200 && (len(d) < 10 || time.Now().Before(stop)) {
		began := time.Now()
		fn()
		d = append(d, time.Since(began))
	}
	slices.Sort(d)
	n = len(d)
	return n, d[n/2], d[(n*99+99)/100-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	fields := strings.Fields(string(b))
	if len(fields) < 3 {
		return "?"
	}
	return strings.Join(fields[:3], " ")
}

func machine() string {
	model := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.+)`).FindSubmatch(b); m != nil {
			model = string(m[1])
		}
	}
	mem := procMeminfo()
	return fmt.Sprintf("%d CPU (%s), %.0f GiB, %s/%s, %s", runtime.NumCPU(), model, float64(mem)/(1<<30), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func procMeminfo() int64 {
	b, _ := os.ReadFile("/proc/meminfo")
	m := regexp.MustCompile(`MemTotal:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return kb << 10
}

func commit() string {
	out, err := exec.Command("git", "describe", "--always", "--dirty").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

const (
	benchBegin = "<!-- make bench: begin (written by bench_test.go; edit outside these markers) -->"
	benchEnd   = "<!-- make bench: end -->"
)

// writeBenchmarks puts the run's figures between the markers of BENCHMARKS.md
// (at its top the first time); the hand-written notes around them stay.
func writeBenchmarks(path string, f *benchFigures) error {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w(benchBegin)
	w("## `make bench`, %s dataset (issue 13)", f.scale)
	w("")
	w("Date: %s. Machine: %s. Commit: %s. Load average %s at the start, %s at the end (other work shares the machine: take the figures as upper bounds). The run took %.0f s.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), machine(), commit(), f.loadAvg[0], f.loadAvg[len(f.loadAvg)-1], f.took.Seconds())
	w("")
	w("Dataset: %s. Database file %.0f MiB.", f.dataset, float64(f.dataSize)/(1<<20))
	w("")
	w("### Pages (issue 13 targets: p99 ≤ 10 ms and ≤ 2× its bare SQL; the 1,000-row page ≤ 50 ms)")
	w("Through the full router in one process (`handler.ServeHTTP`), signed in as the owner, 200 requests after 5 to warm up, or as many as 30 s allow when a page is slower (at least 10: then p99 is the slowest). Bare SQL: the queries the page ran on the read pool, recorded and replayed as often, every row read, nothing rendered.")
	w("")
	w("| page | requests | p50 | p99 | bare SQL p50 | bare SQL p99 | p99 ÷ SQL p99 | queries | HTML | target |")
	w("|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range f.pages {
		limit := 10 * time.Millisecond
		if strings.Contains(p.Name, "1,000 rows") {
			limit = 50 * time.Millisecond
		}
		ratio := float64(p.p99) / float64(max(p.sqlP99, time.Microsecond))
		verdict := "met"
		switch {
		case p.p99 > limit && ratio > 2:
			verdict = fmt.Sprintf("not met: %.1f ms over, %.1f× SQL", ms(p.p99-limit), ratio)
		case p.p99 > limit:
			verdict = fmt.Sprintf("not met: %.1f ms over", ms(p.p99-limit))
		case ratio > 2:
			verdict = fmt.Sprintf("not met: %.1f× SQL", ratio)
		}
		w("| %s `%s` | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.1f | %d | %d KB | %s |", p.Name, p.Path, p.requests, ms(p.p50), ms(p.p99), ms(p.sqlP50), ms(p.sqlP99),
			ratio, p.queries, p.bytes/1024, verdict)
	}
	w("")
	w("| figure | value | target |")
	w("|---|---|---|")
	w("| hub, 4 concurrent clients in process | %.1f requests/s | ≥ 1,000: %s |", f.hubRPS, metIf(f.hubRPS >= 1000))
	w("| hub, 4 concurrent clients over HTTP to `atlas serve` (the clients share the 2 cores) | %.1f requests/s | |", f.hubHTTP)
	if len(f.startup) > 0 {
		mid := median(f.startup)
		w("| start-up on the dataset (`atlas serve` exec to its URL line; median of %d, min %.0f ms, max %.0f ms) | %.0f ms | ≤ 100 ms: %s |", len(f.startup),
			ms(slices.Min(f.startup)), ms(slices.Max(f.startup)), ms(mid), metIf(mid <= 100*time.Millisecond))
		w("| its CPU time up to the URL line (median; the machine's load does not inflate it as it does the wall time) | %.0f ms | |", ms(median(f.startupCPU)))
		w("| its parts, in process (median of %d): opening the data folder (database, schema check, payload form check, local owner, recovery of interrupted runs) / templates and handlers | %.1f ms / %.1f ms | |",
			len(f.openData), ms(median(f.openData)), ms(median(f.newServer)))
	}
	w("| binary (`-trimpath -s -w`, no cgo) | %.1f MB | ≤ 25 MB: %s |", float64(f.binary)/1e6, metIf(f.binary <= 25e6))
	w("| idle memory (VmRSS 3 s after start) | %.1f MB | ≤ 40 MB: %s |", float64(f.idleRSS)/1e6, metIf(f.idleRSS <= 40e6))
	w("| memory under the load run (VmHWM after 10 s of the hub, 4 clients) | %.1f MB | |", float64(f.loadRSS)/1e6)
	for _, p := range browserPages(workspace) {
		w("| Chromium, navigation start → load event, %s `%s` (median of 10) | %.0f ms | |", p.name, p.path, ms(f.browser[p.name]))
	}
	if len(f.blocking) == 0 {
		w("| render-blocking requests besides the one stylesheet, in the pages above | none | none: met |")
	} else {
		w("| render-blocking requests besides the one stylesheet, in the pages above | `%s` | none: not met |", strings.Join(f.blocking, "`, `"))
	}
	w("")
	if len(f.goBench) > 0 {
		w("### Go benchmarks (`go test -run '^$' -bench . -benchmem ./...`, before the load run)")
		w("")
		w("| figure | benchmark | value | target |")
		w("|---|---|---|---|")
		values := goBenchValues(f.goBench)
		for _, g := range goFigures {
			v, ok := values[g.bench][g.unit]
			if !ok {
				w("| %s | `%s` | not measured | %s |", g.label, g.bench, g.target)
				continue
			}
			target := g.target
			if g.met != nil {
				target += ": " + metIf(g.met(v))
			}
			w("| %s | `%s` | %s | %s |", g.label, g.bench, goValue(v, g.unit), target)
		}
		w("")
		w("<details><summary>Every Go benchmark line</summary>")
		w("")
		w("```")
		for _, l := range f.goBench {
			w("%s", l)
		}
		w("```")
		w("</details>")
	}
	w(benchEnd)

	old, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(old)
	start, end := strings.Index(text, benchBegin), strings.Index(text, benchEnd)
	switch {
	case start >= 0 && end > start:
		text = text[:start] + b.String() + text[end+len(benchEnd)+1:]
	default:
		first := strings.Index(text, "\n## ")
		text = text[:first+1] + b.String() + "\n" + text[first+1:]
	}
	return os.WriteFile(path, []byte(text), 0o644)
}

// goFigures are issue 13's figures that Go benchmarks measure, in the order
// the issue lists them: the benchmark, which of its values, and the target
// when the issue sets one.
var goFigures = []struct {
	label, bench, unit, target string
	met                        func(float64) bool
}{
	{"sync, large UTF-16 files (OpenIntuneBaseline copied to 20,000 files, 1.08 GB), first sync", "BenchmarkSync20000/first", "MB/s", "≥ 100 MB/s", func(v float64) bool { return v >= 100 }},
	{"the same sync's peak heap", "BenchmarkSync20000/first", "peak-heap-MB", "≤ 64 MB", func(v float64) bool { return v <= 64 }},
	{"sync, small UTF-8 files (CES2026-IntuneCD copied to 50,000 files), first sync", "BenchmarkSyncSmall50000/first", "files/s", "≥ 5,000 files/s", func(v float64) bool { return v >= 5000 }},
	{"the same sync's peak heap", "BenchmarkSyncSmall50000/first", "peak-heap-MB", "≤ 64 MB", func(v float64) bool { return v <= 64 }},
	{"compare 10,000 policies with a 10,000-item snapshot, 429 findings opened", "BenchmarkCompare10000/first", "ns/op", "≤ 1 s", func(v float64) bool { return v <= 1e9 }},
	{"compare throughput", "BenchmarkCompare10000/first", "policies/s", "", nil},
	{"compare the same again, 429 findings updated", "BenchmarkCompare10000/again", "ns/op", "≤ 1 s", func(v float64) bool { return v <= 1e9 }},
	{"diff, two settings-catalog policies of 1,000 settings", "BenchmarkCompareSettingsCatalog1000", "settings/s", "", nil},
	{"backup of 10,000 policies (one set)", "BenchmarkBackupRestore10000/backup", "ns/op", "", nil},
	{"restore of 10,000 policies into an empty environment (files written, results recorded)", "BenchmarkBackupRestore10000/restore-write", "ns/op", "", nil},
	{"restore preview of 10,000 policies", "BenchmarkBackupRestore10000/preview", "ns/op", "", nil},
	{"start-up in process, a new data folder (create, migrate, templates, listen)", "BenchmarkStartupEmpty", "ns/op", "", nil},
	{"start-up in process, an existing 140 MB database", "BenchmarkStartup100MB", "ns/op", "", nil},
}

// goBenchValues reads `go test -bench` lines: benchmark name (without its
// -GOMAXPROCS suffix) → unit → value.
func goBenchValues(lines []string) map[string]map[string]float64 {
	values := map[string]map[string]float64{}
	for _, l := range lines {
		fields := strings.Fields(l)
		if len(fields) < 4 {
			continue
		}
		name := regexp.MustCompile(`-\d+$`).ReplaceAllString(fields[0], "")
		values[name] = map[string]float64{}
		for i := 2; i+1 < len(fields); i += 2 {
			if v, err := strconv.ParseFloat(fields[i], 64); err == nil {
				values[name][fields[i+1]] = v
			}
		}
	}
	return values
}

// goValue shows a benchmark's value as people read it: "1.84 s", "5,451 policies/s".
func goValue(v float64, unit string) string {
	switch {
	case unit == "ns/op" && v >= 1e9:
		return fmt.Sprintf("%.2f s", v/1e9)
	case unit == "ns/op":
		return fmt.Sprintf("%.1f ms", v/1e6)
	case unit == "MB/s":
		return fmt.Sprintf("%.1f MB/s", v)
	case unit == "peak-heap-MB":
		return fmt.Sprintf("%.1f MB", v)
	}
	return fmt.Sprintf("%s %s", web.Number(int(v+0.5)), unit)
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func metIf(ok bool) string {
	if ok {
		return "met"
	}
	return "not met"
}
