package operation

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"atlas/app/db"
	"atlas/app/db/dbtest"
)

// genRun is a generated run as the test knows it, independent of the SQL.
type genRun struct {
	id            int64
	env           int64
	typ           string
	status        Status
	outcome       Outcome
	created       time.Time
	started, done time.Time // zero when missing
	workspace     int64
}

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// The scopes of workspace 1 (prod 1, pilot 2) the tests read through: an
// owner's, an operator's of prod, and a member's entitled to no environment.
var (
	ownerScope = Scope{WorkspaceID: 1, environments: []int64{1, 2}, whole: true}
	prodScope  = Scope{WorkspaceID: 1, environments: []int64{1}}
	noneScope  = Scope{WorkspaceID: 1}
	testScopes = []Scope{ownerScope, prodScope, noneScope}
)

// holds is the scope's rule written again for the tests: a run of its
// workspace, of an environment it lists or of none.
func (s Scope) holds(r genRun) bool {
	return r.workspace == s.WorkspaceID && (r.env == 0 || slices.Contains(s.environments, r.env))
}

func (s Scope) String() string {
	switch {
	case s.whole:
		return "owner"
	case len(s.environments) == 0:
		return "entitled to none"
	}
	return fmt.Sprintf("entitled to %v", s.environments)
}

// generate inserts runs spread over 60 days with every status and outcome, plus
// runs exactly at and just outside the 7- and 30-day boundaries.
func generate(t testing.TB, d *db.DB, n int) []genRun {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 11))
	var runs []genRun
	add := func(r genRun) { runs = append(runs, r) }
	outcomes := []Outcome{Succeeded, Partial, Failed, Cancelled}
	for i := range n {
		created := testNow.Add(-time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
		if i%17 == 0 && i > 0 {
			created = runs[len(runs)-1].created // ties on created_at: the id decides the order
		}
		r := genRun{env: int64(rng.IntN(3)), typ: []string{"inventory.sync", "backup.create", "baseline.compare"}[rng.IntN(3)],
			created: created, workspace: 1}
		switch k := rng.IntN(20); {
		case k == 0:
			r.status = Queued
		case k == 1:
			r.status, r.started = Running, created.Add(time.Second)
		case k == 2: // cancelled before it started: no started_at
			r.status, r.outcome, r.done = Completed, Cancelled, created.Add(time.Minute)
		default:
			r.status, r.outcome = Completed, outcomes[rng.IntN(4)]
			r.started = created.Add(time.Duration(rng.IntN(5000)) * time.Millisecond)
			r.done = r.started.Add(time.Duration(rng.IntN(600_000)+1) * time.Millisecond)
		}
		add(r)
	}
	for _, at := range []time.Time{testNow.Add(-7 * 24 * time.Hour), testNow.Add(-7*24*time.Hour - time.Millisecond),
		testNow.Add(-30 * 24 * time.Hour), testNow.Add(-30*24*time.Hour - time.Millisecond)} {
		add(genRun{env: 1, typ: "inventory.sync", status: Completed, outcome: Failed, created: at, started: at.Add(time.Second), done: at.Add(3 * time.Second), workspace: 1})
		add(genRun{env: 1, typ: "inventory.sync", status: Completed, outcome: Partial, created: at, done: at.Add(time.Second), workspace: 1}) // no started_at
	}
	add(genRun{env: 1, typ: "inventory.sync", status: Completed, outcome: Failed, created: testNow.Add(-time.Hour), workspace: 2}) // another workspace
	err := d.Tx(context.Background(), func(tx *sql.Tx) error {
		stmt, err := tx.Prepare(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome, created_at, started_at, completed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range runs {
			r := &runs[i]
			typ := r.typ
			if r.status != Completed { // one active run per (environment, type): give each its own type
				typ = fmt.Sprintf("%s.%d", r.typ, i)
				r.typ = typ
			}
			var outcome any
			if r.outcome != "" {
				outcome = string(r.outcome)
			}
			if err := stmt.QueryRow(r.workspace, db.NullID(r.env), typ, r.status, outcome, db.Format(r.created),
				db.Time{Time: r.started}, db.Time{Time: r.done}).Scan(&r.id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// The header counts the runs of its scope (of one of its environments when
// asked), and only those: issue 17's operator of two of three environments saw
// the third's runs counted.
func TestKPIsMatchAnIndependentCount(t *testing.T) {
	d := world(t)
	runs := generate(t, d, 3000)
	for _, c := range []struct {
		scope Scope
		env   int64
	}{{ownerScope, 0}, {ownerScope, 1}, {ownerScope, 2}, {prodScope, 0}, {prodScope, 1}, {prodScope, 2}, {noneScope, 0}} {
		t.Run(fmt.Sprintf("%s, environment %d", c.scope, c.env), func(t *testing.T) {
			var want KPIs
			var total time.Duration
			for _, r := range runs {
				if !c.scope.holds(r) || (c.env != 0 && r.env != c.env) {
					continue
				}
				age := testNow.Sub(r.created)
				if age <= 30*24*time.Hour {
					want.Runs30d++
				}
				if r.status != Completed {
					want.Active++
				}
				if age <= 7*24*time.Hour && (r.outcome == Failed || r.outcome == Partial) {
					want.FailedPartial7d++
				}
				if age <= 7*24*time.Hour && r.status == Completed && !r.started.IsZero() && !r.done.IsZero() {
					want.Timed7d++
					total += r.done.Sub(r.started)
				}
			}
			got, err := LoadKPIs(context.Background(), d.Read, c.scope, c.env, testNow)
			if err != nil {
				t.Fatal(err)
			}
			avg := total / time.Duration(max(1, want.Timed7d))
			diff := got.AvgDuration7d - avg
			got.AvgDuration7d, want.AvgDuration7d = 0, 0
			if got != want || diff < -time.Millisecond || diff > time.Millisecond {
				t.Errorf("got %+v (avg off by %v), want %+v (avg %v)", got, diff, want, avg)
			}
			inScope := c.env == 0 || c.scope.Opens(c.env) // otherwise every figure is 0
			if inScope && (want.Runs30d == 0 || want.Active == 0 || want.FailedPartial7d == 0 || want.Timed7d == 0) {
				t.Errorf("generated data does not exercise every figure: %+v", want)
			}
		})
	}
}

func TestFeedFilters(t *testing.T) {
	d := world(t)
	runs := generate(t, d, 600)
	tests := []struct {
		name   string
		filter Filter
		keep   func(genRun) bool
	}{
		{"everything", Filter{}, func(r genRun) bool { return true }},
		{"environment", Filter{EnvironmentID: 2}, func(r genRun) bool { return r.env == 2 }},
		{"type", Filter{Type: "backup.create"}, func(r genRun) bool { return r.typ == "backup.create" }},
		{"active", Filter{Statuses: []Status{Queued, Running}}, func(r genRun) bool { return r.status != Completed }},
		{"failed or partial", Filter{Outcomes: []Outcome{Failed, Partial}}, func(r genRun) bool { return r.outcome == Failed || r.outcome == Partial }},
		{"last 7 days", Filter{Since: testNow.Add(-7 * 24 * time.Hour)}, func(r genRun) bool { return !r.created.Before(testNow.Add(-7 * 24 * time.Hour)) }},
		{"combined", Filter{EnvironmentID: 1, Type: "inventory.sync", Outcomes: []Outcome{Failed}, Since: testNow.Add(-30 * 24 * time.Hour)},
			func(r genRun) bool {
				return r.env == 1 && r.typ == "inventory.sync" && r.outcome == Failed && !r.created.Before(testNow.Add(-30*24*time.Hour))
			}},
	}
	for _, s := range testScopes {
		for _, tt := range tests {
			t.Run(s.String()+"/"+tt.name, func(t *testing.T) {
				var want []int64
				for _, r := range newestFirst(runs) {
					if s.holds(r) && tt.keep(r) {
						want = append(want, r.id)
					}
				}
				page, err := List(context.Background(), d.Read, s, tt.filter, Window{Limit: 10_000})
				if err != nil {
					t.Fatal(err)
				}
				// An environment outside the scope lists nothing; anything else lists something.
				if got := ids(page.Runs); !slices.Equal(got, want) || (len(want) == 0) != (tt.filter.EnvironmentID != 0 && !s.Opens(tt.filter.EnvironmentID)) {
					t.Errorf("got %d runs, want %d (first got %v, want %v)", len(got), len(want), head(got), head(want))
				}
			})
		}
	}
}

func newestFirst(runs []genRun) []genRun {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b genRun) int {
		if c := b.created.Compare(a.created); c != 0 {
			return c
		}
		return int(b.id - a.id)
	})
	return sorted
}

func ids(runs []*Run) []int64 {
	var list []int64
	for _, r := range runs {
		list = append(list, r.ID)
	}
	return list
}

func head(s []int64) []int64 { return s[:min(5, len(s))] }

// Paging forward while new runs arrive, then back again, sees every run that
// existed at the start exactly once and in order: through the workspace's
// index, and through a scope's arms merged.
func TestFeedPagesHaveNoDuplicatesOrGapsWhileRunsArrive(t *testing.T) {
	for _, order := range []struct {
		scope       Scope
		oldestFirst bool
	}{{ownerScope, false}, {ownerScope, true}, {prodScope, false}, {prodScope, true}} {
		t.Run(fmt.Sprintf("%s, oldest first %v", order.scope, order.oldestFirst), func(t *testing.T) {
			d := world(t)
			runs := generate(t, d, 500)
			e := newEngine(t, d, DemoCount)
			e.Now = func() time.Time { return testNow.Add(time.Hour) }
			var want []int64
			for _, r := range newestFirst(runs) {
				if order.scope.holds(r) {
					want = append(want, r.id)
				}
			}
			if order.oldestFirst {
				slices.Reverse(want)
			}
			var got []int64
			var pages []*ListPage
			w := Window{Limit: 37, OldestFirst: order.oldestFirst}
			for {
				page, err := List(context.Background(), d.Read, order.scope, Filter{}, w)
				if err != nil {
					t.Fatal(err)
				}
				pages = append(pages, page)
				got = append(got, ids(page.Runs)...)
				// A new run arrives between two page views.
				if _, _, err := e.Execute(context.Background(), StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "demo.count",
					Context: map[string]any{"count": 1, "delay_ms": 0}}); err != nil {
					t.Fatal(err)
				}
				if page.Next == nil {
					break
				}
				w.After, w.Before = page.Next, nil
			}
			if order.oldestFirst { // the newcomers belong at the end of the oldest-first walk
				got = got[:min(len(got), len(want))]
			}
			if !slices.Equal(got, want) {
				t.Fatalf("forward: %d runs seen, want %d; duplicates or gaps", len(got), len(want))
			}
			// Back from the last page: each Prev page is exactly the page seen before.
			last := pages[len(pages)-1]
			for i := len(pages) - 2; i >= 0 && !order.oldestFirst; i-- {
				if last.Prev == nil {
					t.Fatalf("page %d has no previous page", i+1)
				}
				prev, err := List(context.Background(), d.Read, order.scope, Filter{}, Window{Limit: 37, Before: last.Prev})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(ids(prev.Runs), ids(pages[i].Runs)) {
					t.Fatalf("previous of page %d differs from page %d", i+1, i)
				}
				last = prev
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	c := Cursor{CreatedAt: "2026-11-20T12:00:00.000Z", ID: 42}
	got, ok := ParseCursor(c.String())
	if !ok || got != c {
		t.Errorf("round trip: %v %v", got, ok)
	}
	for _, bad := range []string{"", "x~1", "2026-11-20T12:00:00.000Z~0", "2026-11-20T12:00:00.000Z~-1", "2026-11-20T12:00:00.000Z"} {
		if _, ok := ParseCursor(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The hot queries use the indexes meant for them: no full scan, no sort of the
// history. A scope of some environments reads each of its arms through an
// index of its own: never the whole workspace's runs.
func TestHotQueriesUseTheirIndexes(t *testing.T) {
	d := world(t)
	generate(t, d, 2000)
	after := &Cursor{CreatedAt: db.Format(testNow.Add(-24 * time.Hour)), ID: 1000}
	active := Filter{Statuses: []Status{Queued, Running}}
	prodActive := Filter{EnvironmentID: 1, Statuses: active.Statuses}
	list := func(s Scope, f Filter, w Window) func() (string, []any) {
		return func() (string, []any) { return listQuery(s, f, w) }
	}
	kpis := func(s Scope, env int64) func() (string, []any) {
		return func() (string, []any) { return kpiQuery(s, env, testNow) }
	}
	tests := []struct {
		name  string
		query func() (string, []any)
		index []string // each arm's
	}{
		{"feed", list(ownerScope, Filter{}, Window{Limit: 50}), []string{"operation_runs_workspace_created"}},
		{"feed next page", list(ownerScope, Filter{}, Window{Limit: 50, After: after}), []string{"operation_runs_workspace_created"}},
		{"feed by environment", list(ownerScope, Filter{EnvironmentID: 1}, Window{Limit: 50, After: after}), []string{"operation_runs_environment"}},
		{"feed by type", list(ownerScope, Filter{Type: "backup.create"}, Window{Limit: 50}), []string{"operation_runs_workspace_type_created"}},
		{"feed oldest first", list(ownerScope, Filter{}, Window{Limit: 50, OldestFirst: true}), []string{"operation_runs_workspace_created"}},
		{"feed by environment and outcome", list(ownerScope, Filter{EnvironmentID: 1, Outcomes: []Outcome{Failed}}, Window{Limit: 50}),
			[]string{"operation_runs_environment_outcome_created"}},
		{"active runs (hub)", list(ownerScope, active, Window{Limit: 20}), []string{"operation_runs_workspace_active"}},
		{"active runs of an environment (dashboard)", list(ownerScope, prodActive, Window{Limit: 20}), []string{"operation_runs_environment_active"}},
		{"KPIs", kpis(ownerScope, 0), []string{"COVERING INDEX operation_runs_workspace_kpi"}},
		{"KPIs of an environment", kpis(ownerScope, 1), []string{"COVERING INDEX operation_runs_environment_kpi"}},
		{"active counts of an environment (inventory hub)", func() (string, []any) {
			return activeCountsQuery(ownerScope.arms(1)), []any{"inventory.sync"}
		}, []string{"operation_runs_environment_active"}},
		// An operator of prod: prod's runs and the workspace's own, each arm on an environment index.
		{"operator's feed", list(prodScope, Filter{}, Window{Limit: 50}), []string{"operation_runs_environment_created", "operation_runs_environment_created"}},
		{"operator's feed next page", list(prodScope, Filter{}, Window{Limit: 50, After: after}),
			[]string{"operation_runs_environment_created", "operation_runs_environment_created"}},
		{"operator's feed oldest first", list(prodScope, Filter{}, Window{Limit: 50, OldestFirst: true}),
			[]string{"operation_runs_environment_created", "operation_runs_environment_created"}},
		{"operator's feed by type", list(prodScope, Filter{Type: "backup.create"}, Window{Limit: 50}),
			[]string{"operation_runs_environment_type_created", "operation_runs_environment_type_created"}},
		{"operator's feed by outcome", list(prodScope, Filter{Outcomes: []Outcome{Failed}}, Window{Limit: 50}),
			[]string{"operation_runs_environment_outcome_created", "operation_runs_environment_outcome_created"}},
		{"operator's active runs (hub)", list(prodScope, active, Window{Limit: 20}), []string{"operation_runs_environment_active", "operation_runs_environment_active"}},
		{"operator's KPIs", kpis(prodScope, 0), []string{"COVERING INDEX operation_runs_environment_kpi", "COVERING INDEX operation_runs_environment_kpi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			query, args := tt.query()
			plan := explain(t, d, query, args...)
			if strings.HasPrefix(tt.name, "KPIs") || strings.HasSuffix(tt.name, "KPIs") {
				// Both windows' first days of each arm read a covering index; whole days the counters' key.
				if strings.Count(plan, "COVERING INDEX") != 2*len(tt.index) || !strings.Contains(plan, "SEARCH operation_run_days USING PRIMARY KEY") {
					t.Errorf("the windows' first days do not each read a covering index, or the whole days not the counters' key:\n%s", plan)
				}
			}
			sorts := strings.Contains(plan, "TEMP B-TREE") && !strings.Contains(tt.name, "active") // a handful of active runs may be sorted
			if sorts || strings.Contains(plan, "SCAN r\n") || strings.Contains(plan, "SCAN operation_runs\n") || strings.Contains(plan, "operation_runs_workspace") != strings.Contains(tt.index[0], "workspace") {
				t.Errorf("plan sorts, scans, or reads the whole workspace's index for some environments:\n%s", plan)
			}
			for _, index := range tt.index {
				if !strings.Contains(plan, index) {
					t.Errorf("plan does not use %s:\n%s", index, plan)
				}
			}
			if n := strings.Count(plan, "USING "); n < len(tt.index) {
				t.Errorf("%d arms read through %d indexes:\n%s", len(tt.index), n, plan)
			}
		})
	}
}

// RunTypes lists each type of the scope's runs once, hopping through a type
// index rather than reading every run: the workspace's, or each arm's
// environment's.
func TestRunTypesHopThroughTheTypeIndex(t *testing.T) {
	d := world(t)
	runs := generate(t, d, 2000)
	for _, s := range testScopes {
		var want []string
		for _, r := range runs {
			if s.holds(r) && !slices.Contains(want, r.typ) {
				want = append(want, r.typ)
			}
		}
		slices.Sort(want)
		got, err := RunTypes(context.Background(), d.Read, s)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: RunTypes = %v, %v; want the %d types %v", s, got, err, len(want), want)
		}
		for _, arm := range s.arms(0) {
			index := "INDEX operation_runs_environment_type_created"
			if s.whole {
				index = "COVERING INDEX operation_runs_workspace_type_created"
			}
			if plan := explain(t, d, runTypesQuery(arm)); strings.Count(plan, index) != 2 || strings.Contains(plan, "SCAN operation_runs") {
				t.Errorf("%s: RunTypes does not search the type index:\n%s", s, plan)
			}
		}
	}
	if none, err := RunTypes(context.Background(), d.Read, Scope{WorkspaceID: 99, whole: true}); err != nil || len(none) != 0 {
		t.Errorf("a workspace without runs: %v, %v", none, err)
	}
}

func explain(t *testing.T, d *db.DB, query string, args ...any) string {
	t.Helper()
	return strings.Join(dbtest.Plan(t, d.Read, query, args...), "\n") + "\n"
}

// FuzzParseCursor: whatever a query string holds, a cursor either round-trips or is refused.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"2026-11-20T12:00:00.000Z~42", "", "~", "x~1", "2026-11-20T12:00:00.000Z~-1", "2026-13-40T99:00:00.000Z~1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := ParseCursor(s)
		if !ok {
			return
		}
		if c.ID <= 0 {
			t.Fatalf("%q gave id %d", s, c.ID)
		}
		again, ok := ParseCursor(c.String())
		if !ok || again != c {
			t.Fatalf("%q → %+v → %q does not round-trip", s, c, c.String())
		}
	})
}
