package app_test

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"atlas/app"
)

// start is what `atlas serve` does before it can answer: open (and migrate) the
// data folder, parse the templates, listen.
func start(b *testing.B, dir string) {
	data, err := app.OpenData(context.Background(), dir, "owner")
	if err != nil {
		b.Fatal(err)
	}
	srv, err := app.NewServer(data, app.ServerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	_ = srv.Handler()
	ln.Close()
	data.Close()
}

func BenchmarkStartupEmpty(b *testing.B) {
	root := b.TempDir()
	for i := 0; b.Loop(); i++ {
		start(b, filepath.Join(root, strconv.Itoa(i)))
	}
}

func BenchmarkStartup100MB(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "data")
	start(b, dir)
	conn, err := sql.Open("sqlite", filepath.Join(dir, "atlas.db"))
	if err != nil {
		b.Fatal(err)
	}
	// ~100 MB of audit events: 100,000 rows of 1 KB detail.
	_, err = conn.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
		INSERT INTO audit_events (action, record_type, record_label, detail, created_at)
		SELECT 'bench.filled', 'bench', 'row ' || i, json_object('pad', hex(randomblob(500))), '2026-01-01T00:00:00.000Z' FROM n`)
	conn.Close()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		start(b, dir)
	}
	info, _ := os.Stat(filepath.Join(dir, "atlas.db"))
	b.ReportMetric(float64(info.Size())/1e6, "db-MB")
}
