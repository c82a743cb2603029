package app_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"atlas/app"
)

// TestServePrintsLaunchURLAndFallsBackToAFreePort runs Serve on a taken port and
// checks the one printed line, the launch URL and the clean shutdown.
func TestServePrintsLaunchURLAndFallsBackToAFreePort(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	data, err := app.OpenData(context.Background(), filepath.Join(t.TempDir(), "data"), "owner")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()

	out, printed := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, data, app.ServeOptions{Addr: taken.Addr().String(), NoBrowser: true, Stdout: printed})
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^Atlas is running at (http://127\.0\.0\.1:(\d+)/auth/launch\?token=[A-Za-z0-9_-]{43})\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("printed %q", line)
	}
	if "127.0.0.1:"+m[2] == taken.Addr().String() {
		t.Fatal("served on the taken port")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) == 0 {
		t.Errorf("launch URL: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdown: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not stop")
	}
}
