//go:build unix

package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestLoginBurst fires 200 wrong passwords for one account, 100 at a time, at
// the real server (issue 8: it grew to 10 GB): its peak memory stays under
// 300 MB, the throttle answers 429 with Retry-After, and another user still
// signs in.
func TestLoginBurst(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	const secret = "correct horse battery"
	for _, email := range []string{"ana@contoso.test", "bo@contoso.test"} {
		var stderr strings.Builder
		args := []string{"user", "add", "--email", email, "--name", email, "--password-stdin", "--data", dataDir}
		if code := run(args, strings.NewReader(secret+"\n"), io.Discard, &stderr); code != 0 {
			t.Fatalf("user add %s: exit %d: %s", email, code, stderr.String())
		}
	}
	server, base, _ := atlasServeWith(t, unracedAtlas(t), dataDir)
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	login := func(email, password string) (*http.Response, error) {
		client := &http.Client{CheckRedirect: noRedirect}
		resp, err := client.PostForm(base+"/login", url.Values{"email": {email}, "password": {password}})
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		return resp, err
	}

	var mu sync.Mutex
	statuses := map[int]int{}
	refusedWithRetryAfter := 0
	slots := make(chan struct{}, 100)
	var burst sync.WaitGroup
	for i := range 200 {
		slots <- struct{}{}
		burst.Go(func() {
			defer func() { <-slots }()
			resp, err := login("ana@contoso.test", fmt.Sprintf("guess %d", i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("guess %d: %v", i, err)
				return
			}
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
				refusedWithRetryAfter++
			}
		})
	}
	burst.Wait()
	t.Logf("burst answers by status: %v", statuses)
	if statuses[http.StatusSeeOther] > 0 || statuses[http.StatusUnprocessableEntity] > 5 || refusedWithRetryAfter == 0 {
		t.Errorf("want at most 5 wrong-password answers (422), the rest 429 with Retry-After; got %v, %d with Retry-After", statuses, refusedWithRetryAfter)
	}
	if resp, err := login("bo@contoso.test", secret); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another user signs in after the burst: %v %v", resp, err)
	}

	peak, err := peakRSS(server.Process.Pid)
	if err != nil {
		t.Skipf("peak memory not measured: %v", err)
	}
	t.Logf("peak RSS of atlas serve: %.0f MB", float64(peak)/1e6)
	if peak >= 300e6 {
		t.Errorf("peak RSS %.0f MB, want under 300 MB", float64(peak)/1e6)
	}
}

// unracedAtlas is the program whose memory means something: this test binary,
// or, when it runs under the race detector (whose shadow memory triples a
// process's RSS), atlas built without it.
func unracedAtlas(t *testing.T) string {
	t.Helper()
	info, _ := debug.ReadBuildInfo()
	if info == nil || !slices.Contains(info.Settings, debug.BuildSetting{Key: "-race", Value: "true"}) {
		return os.Args[0]
	}
	program := filepath.Join(t.TempDir(), "atlas")
	if out, err := exec.Command("go", "build", "-o", program, ".").CombinedOutput(); err != nil {
		t.Fatalf("build atlas without the race detector: %v\n%s", err, out)
	}
	return program
}

// peakRSS reads a process's peak resident set size (VmHWM) from /proc, in bytes.
func peakRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if kb, ok := strings.CutPrefix(lines.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			return n * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/%d/status", pid)
}
