//go:build unix

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"atlas/app"
)

// TestServingAtlasRecoversADeadCLIRun: an `atlas sync` is killed with SIGKILL
// mid-run while `atlas serve` keeps running; the serving engine's periodic
// recovery (not its start-up) completes the run as failed/interrupted.
func TestServingAtlasRecoversADeadCLIRun(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	setup, err := app.OpenData(ctx, dataDir, "owner")
	if err != nil {
		t.Fatal(err)
	}
	if err := setup.AddWorkspace(ctx, "acme", "Acme"); err != nil {
		t.Fatal(err)
	}
	if err := setup.AddEnvironment(ctx, "acme", "prod", "Production"); err != nil {
		t.Fatal(err)
	}
	setup.Close()
	// An export big enough that the sync is still going when it is killed.
	export := filepath.Join(t.TempDir(), "export", "DeviceConfiguration")
	if err := os.MkdirAll(export, 0o700); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		policy := fmt.Sprintf(`{"@odata.type":"#microsoft.graph.macOSGeneralDeviceConfiguration","id":"p-%d","displayName":"Policy %04d"}`, i, i)
		if err := os.WriteFile(filepath.Join(export, fmt.Sprintf("Policy %04d.json", i)), []byte(policy), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "atlas.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	server, base, client := atlasServe(t, dataDir)
	sync := exec.Command(os.Args[0], "sync", "--workspace", "acme", "--environment", "prod", "--data", dataDir, filepath.Dir(export))
	sync.Env = append(os.Environ(), "ATLAS_TEST_MAIN=1")
	if err := sync.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sync.Process.Kill(); sync.Wait() })
	var runID int64
	for deadline := time.Now().Add(60 * time.Second); runID == 0; time.Sleep(5 * time.Millisecond) {
		conn.QueryRow(`SELECT id FROM operation_runs WHERE type = 'inventory.sync' AND status = 'running' AND owner_pid = ?`, sync.Process.Pid).Scan(&runID)
		if time.Now().After(deadline) {
			t.Fatal("atlas sync never started its run")
		}
	}
	if err := sync.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	sync.Wait()
	if r := readRun(t, conn, runID); r.status != "running" {
		t.Fatalf("the sync finished (%s) before it was killed; the test would prove nothing", r.status)
	}

	recovered := waitRun(t, conn, runID, "completed by the serving Atlas", func(r runRow) bool { return r.status == "completed" })
	var failure struct {
		Reason string `json:"reason"`
	}
	json.Unmarshal([]byte(recovered.failure), &failure)
	if recovered.outcome != "failed" || failure.Reason != "interrupted" {
		t.Errorf("killed sync: outcome %s, failure %s", recovered.outcome, recovered.failure)
	}
	if server.ProcessState != nil {
		t.Fatalf("atlas serve stopped: %v", server.ProcessState)
	}
	resp, err := client.Get(fmt.Sprintf("%s/admin/operations/%d", base, runID))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Interrupted") {
		t.Errorf("the run's page on the serving Atlas: %d\n%s", resp.StatusCode, page)
	}
}
