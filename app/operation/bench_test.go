package operation

import (
	"context"
	"testing"
	"time"
)

// BenchmarkMillionRuns times the feed's queries and the KPI header on a database
// holding 1,000,000 runs (built once, by one INSERT … SELECT).
func BenchmarkMillionRuns(b *testing.B) {
	d := world(b)
	now := time.Now()
	start := time.Now()
	if err := GenerateRuns(context.Background(), d, 1, []int64{1, 2}, 1_000_000, now); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated 1,000,000 runs in %v", time.Since(start).Round(time.Millisecond))
	ctx := context.Background()
	// The owner reads through the workspace's indexes, an operator of one
	// environment through its own and the workspace's runs without one.
	owner, operator := Scope{WorkspaceID: 1, environments: []int64{1, 2}, whole: true}, Scope{WorkspaceID: 1, environments: []int64{2}}
	deep, err := List(ctx, d.Read, owner, Filter{}, Window{Limit: 50, After: &Cursor{CreatedAt: "2026-03-01T00:00:00.000Z", ID: 1 << 40}})
	if err != nil || len(deep.Runs) != 50 {
		b.Fatalf("deep page: %v, %d runs", err, len(deep.Runs))
	}
	benches := []struct {
		name string
		run  func() error
	}{
		{"KPIs/workspace", func() error { _, err := LoadKPIs(ctx, d.Read, owner, 0, now); return err }},
		{"KPIs/environment", func() error { _, err := LoadKPIs(ctx, d.Read, owner, 1, now); return err }},
		{"List/first page", func() error { _, err := List(ctx, d.Read, owner, Filter{}, Window{Limit: 50}); return err }},
		{"List/page in March", func() error {
			_, err := List(ctx, d.Read, owner, Filter{}, Window{Limit: 50, After: deep.Next})
			return err
		}},
		{"List/environment and type", func() error {
			_, err := List(ctx, d.Read, owner, Filter{EnvironmentID: 2, Type: "baseline.compare"}, Window{Limit: 50})
			return err
		}},
		{"List/failed or partial in 7 days", func() error {
			_, err := List(ctx, d.Read, owner, Filter{Outcomes: []Outcome{Failed, Partial}, Since: now.Add(-7 * 24 * time.Hour)}, Window{Limit: 50})
			return err
		}},
		{"RunTypes", func() error { _, err := RunTypes(ctx, d.Read, owner); return err }},
		{"List/oldest first", func() error {
			_, err := List(ctx, d.Read, owner, Filter{}, Window{Limit: 50, OldestFirst: true})
			return err
		}},
		{"KPIs/operator of one environment", func() error { _, err := LoadKPIs(ctx, d.Read, operator, 0, now); return err }},
		{"List/operator of one environment", func() error { _, err := List(ctx, d.Read, operator, Filter{}, Window{Limit: 50}); return err }},
		{"List/operator of one environment, page in March", func() error {
			_, err := List(ctx, d.Read, operator, Filter{}, Window{Limit: 50, After: deep.Next})
			return err
		}},
		{"RunTypes/operator of one environment", func() error { _, err := RunTypes(ctx, d.Read, operator); return err }},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				if err := bb.run(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEngineRun is the engine's own cost per run: start, claim, execute an
// empty handler, complete, read back (Execute, as the command line does).
func BenchmarkEngineRun(b *testing.B) {
	d := world(b)
	e := newEngine(b, d, Type{Name: "noop", Label: "No-op", Handler: func(ctx context.Context, run *Run, p *Progress) error {
		p.SetTotal(1)
		p.Succeeded(1)
		return nil
	}})
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := e.Execute(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "noop"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProgress is the per-item cost of reporting counts (written at most every 250 ms).
func BenchmarkProgress(b *testing.B) {
	d := world(b)
	e := newEngine(b, d)
	p := &Progress{engine: e, runID: 1, counts: Counts{}, flushed: time.Now()}
	for b.Loop() {
		p.Succeeded(1)
	}
}
