//go:build unix

package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"atlas/app"
	"atlas/app/auth"
	"atlas/app/db"
)

// TestMain lets a test start this binary as the real atlas command: with
// ATLAS_TEST_MAIN=1 it runs main's command line instead of the tests.
func TestMain(m *testing.M) {
	auth.UseCheapHashes() // here and in the atlas processes it starts; app/auth's tests check the real cost
	if os.Getenv("ATLAS_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// atlasServe starts `atlas serve` as a child process and returns it with its base URL,
// signed in through the launch URL it printed.
func atlasServe(t *testing.T, dataDir string) (*exec.Cmd, string, *http.Client) {
	t.Helper()
	return atlasServeWith(t, os.Args[0], dataDir)
}

// atlasServeWith is atlasServe with another atlas program.
func atlasServeWith(t *testing.T, program, dataDir string) (*exec.Cmd, string, *http.Client) {
	t.Helper()
	cmd := exec.Command(program, "serve", "--no-browser", "--addr", "127.0.0.1:0", "--data", dataDir)
	cmd.Env = append(os.Environ(), "ATLAS_TEST_MAIN=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	m := regexp.MustCompile(`(http://[^/]+)(/auth/launch\?token=\S+)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		t.Fatalf("atlas serve printed %q (%v)", line, err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(m[1] + m[2])
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("launch: %v %v", resp, err)
	}
	resp.Body.Close()
	return cmd, m[1], client
}

type runRow struct {
	status, outcome, counts, failure string
}

func readRun(t *testing.T, conn *sql.DB, id int64) runRow {
	t.Helper()
	var r runRow
	if err := conn.QueryRow(`SELECT status, COALESCE(outcome, ''), summary_counts, COALESCE(failure_summary, '') FROM operation_runs WHERE id = ?`, id).
		Scan(&r.status, &r.outcome, &r.counts, &r.failure); err != nil {
		t.Fatal(err)
	}
	return r
}

func waitRun(t *testing.T, conn *sql.DB, id int64, what string, cond func(runRow) bool) runRow {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // issue 3: recovered within 30 s of the next start
	for {
		r := readRun(t, conn, id)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d never %s: %+v", id, what, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCrashRecovery kills a serving Atlas with SIGKILL in the middle of a run,
// starts it again and checks that the run ended failed/interrupted, nothing is left
// running, the database is intact and a queued run still completes.
func TestCrashRecovery(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	setup, err := app.OpenData(ctx, dataDir, "owner")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{setup.AddWorkspace(ctx, "acme", "Acme"), setup.AddEnvironment(ctx, "acme", "prod", "Production"),
		setup.AddEnvironment(ctx, "acme", "pilot", "Pilot")} {
		if step != nil {
			t.Fatal(step)
		}
	}
	setup.Close()
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "atlas.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Each check on a fresh connection: FTS5's part of integrity_check trusts the
	// index structure a connection cached before another process wrote to it, and
	// reports a "checksum mismatch" that is not there.
	conn.SetMaxIdleConns(0)

	first, base, client := atlasServe(t, dataDir)
	resp, err := client.PostForm(base+"/admin/w/acme/t/prod/operations", url.Values{"type": {"demo.count"}, "count": {"1000000"}, "delay_ms": {"5"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var runID int64
	if m := regexp.MustCompile(`/admin/operations/(\d+)$`).FindStringSubmatch(resp.Header.Get("Location")); m != nil {
		runID, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if runID == 0 {
		t.Fatalf("start: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	waitRun(t, conn, runID, "running with progress", func(r runRow) bool {
		return r.status == "running" && strings.Contains(r.counts, `"processed"`)
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if r := readRun(t, conn, runID); r.status != "running" {
		t.Fatalf("before the restart the killed run is %s; the test would prove nothing", r.status)
	}
	var queuedID int64
	if err := conn.QueryRow(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, created_at, context)
		SELECT w.id, e.id, 'demo.count', 'queued', ?, '{"count": 5, "delay_ms": 0}' FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id
		WHERE w.slug = 'acme' AND e.slug = 'pilot' RETURNING id`, db.Now()).Scan(&queuedID); err != nil {
		t.Fatal(err)
	}

	second, _, _ := atlasServe(t, dataDir)
	killed := waitRun(t, conn, runID, "completed", func(r runRow) bool { return r.status == "completed" })
	var failure struct {
		Reason     string `json:"reason"`
		LastSeenAt string `json:"last_seen_at"`
	}
	json.Unmarshal([]byte(killed.failure), &failure)
	if killed.outcome != "failed" || failure.Reason != "interrupted" || failure.LastSeenAt == "" {
		t.Errorf("killed run: outcome %s, failure %s", killed.outcome, killed.failure)
	}
	if r := waitRun(t, conn, queuedID, "completed", func(r runRow) bool { return r.status == "completed" }); r.outcome != "succeeded" {
		t.Errorf("queued run after restart: %+v", r)
	}
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("atlas serve after SIGTERM: %v", err)
	}
	var running int
	var integrity string
	conn.QueryRow(`SELECT count(*) FROM operation_runs WHERE status = 'running'`).Scan(&running)
	conn.QueryRow(`PRAGMA integrity_check`).Scan(&integrity)
	if running != 0 || integrity != "ok" {
		t.Errorf("%d runs left running, integrity_check %q", running, integrity)
	}
}
