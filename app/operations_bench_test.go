package app_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"atlas/app/apptest"
	"atlas/app/operation"
)

// BenchmarkOperationsPages1M times whole pages, through the router, on a database
// holding 1,000,000 runs: the feed with its KPI header, a later page, and the hub.
func BenchmarkOperationsPages1M(b *testing.B) {
	e := apptest.New(b)
	ctx := context.Background()
	if err := e.Data.AddWorkspace(ctx, "acme", "Acme"); err != nil {
		b.Fatal(err)
	}
	e.Data.AddEnvironment(ctx, "acme", "prod", "Production")
	e.Data.AddEnvironment(ctx, "acme", "pilot", "Pilot")
	var ws int64
	var envs []int64
	rows, _ := e.Data.DB.Read.Query(`SELECT workspace_id, id FROM managed_environments ORDER BY id`)
	for rows.Next() {
		var id int64
		rows.Scan(&ws, &id)
		envs = append(envs, id)
	}
	rows.Close()
	if err := operation.GenerateRuns(ctx, e.Data.DB, ws, envs, 1_000_000, time.Now()); err != nil {
		b.Fatal(err)
	}
	c := e.Owner()
	c.Post("/admin/workspaces/acme/select", nil)
	for _, page := range []struct{ name, path string }{
		{"feed", "/admin/w/acme/operations?environment=all"},
		{"feed of one environment", "/admin/w/acme/operations?environment=prod"},
		{"feed failed or partial in 7 days", "/admin/w/acme/operations?environment=all&outcome=failed&outcome=partial&period=7d"},
		{"feed page in March", "/admin/w/acme/operations?environment=all&after=2026-03-01T00:00:00.000Z~1099511627776"},
		{"hub", "/admin/w/acme"},
	} {
		b.Run(page.name, func(b *testing.B) {
			for b.Loop() {
				if r := c.Get(page.path); r.Status != http.StatusOK {
					b.Fatalf("%s: %d", page.path, r.Status)
				}
			}
		})
	}
}
