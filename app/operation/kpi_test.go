package operation

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"atlas/app/db"
	"atlas/app/db/dbtest"
)

// referenceKPIs is the header as it was defined before the day counters: every
// run of the window counted from operation_runs (durations in whole
// milliseconds), of the runs the scope holds (of one environment when
// environmentID ≠ 0) by its rule written again in SQL.
func referenceKPIs(t *testing.T, q db.Querier, s Scope, environmentID int64, now time.Time) KPIs {
	t.Helper()
	scope := fmt.Sprintf("workspace_id = %d", s.WorkspaceID)
	switch {
	case environmentID != 0:
		scope += fmt.Sprintf(" AND managed_environment_id = %d", environmentID)
	case !s.whole:
		scope += " AND (managed_environment_id IS NULL OR managed_environment_id IN (SELECT value FROM json_each('" + marshal(s.environments) + "')))"
	}
	d30, d7 := db.Format(now.Add(-30*24*time.Hour)), db.Format(now.Add(-7*24*time.Hour))
	var k KPIs
	var totalMS int64
	err := q.QueryRowContext(context.Background(), `SELECT
		(SELECT count(*) FROM operation_runs WHERE `+scope+` AND created_at >= ?),
		(SELECT count(*) FROM operation_runs WHERE `+scope+` AND status IN ('queued', 'running')),
		COALESCE(sum(outcome IN ('failed', 'partial')), 0),
		COALESCE(sum(outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL), 0),
		CAST(COALESCE(sum(CASE WHEN outcome IS NOT NULL AND started_at IS NOT NULL AND completed_at IS NOT NULL
			THEN round((julianday(completed_at) - julianday(started_at)) * 86400000) END), 0) AS INTEGER)
		FROM operation_runs WHERE `+scope+` AND created_at >= ?`, d30, d7).Scan(&k.Runs30d, &k.Active, &k.FailedPartial7d, &k.Timed7d, &totalMS)
	if err != nil {
		t.Fatal(err)
	}
	if k.Timed7d > 0 {
		k.AvgDuration7d = time.Duration(float64(totalMS) / float64(k.Timed7d) * float64(time.Millisecond)).Round(time.Millisecond)
	}
	return k
}

// The counters give exactly what counting the runs gives, for every scope,
// after every kind of change a run goes through, at random moments and on the
// window's edges; and migration 0017 rebuilds exactly the counters the
// triggers kept.
func TestKPICountersMatchCountingTheRuns(t *testing.T) {
	d := world(t)
	ctx := context.Background()
	now := db.Now()
	for _, q := range []string{
		`INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at) VALUES (3, 2, 'lab', 'Lab', '` + now + `', '` + now + `')`,
		`INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (3, 'Gone', 'gone', '` + now + `', '` + now + `')`,
		`INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at) VALUES (4, 3, 'old', 'Old', '` + now + `', '` + now + `')`,
	} {
		if _, err := d.Write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	envsOf := map[int64][]int64{1: {0, 1, 2}, 2: {0, 3}, 3: {0, 4}}
	rng := rand.New(rand.NewPCG(13, 2026))
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	// Times around midnights, exact milliseconds before and after them included.
	randomTime := func() time.Time {
		day := base.AddDate(0, 0, -rng.IntN(40)+1)
		switch rng.IntN(6) {
		case 0:
			return day
		case 1:
			return day.Add(-time.Millisecond)
		}
		return day.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
	}
	outcomes := []Outcome{Succeeded, Partial, Failed, Cancelled}
	var createdTimes []time.Time
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		for i := range 2500 {
			ws := int64(rng.IntN(3) + 1)
			env := envsOf[ws][rng.IntN(len(envsOf[ws]))]
			created := randomTime()
			createdTimes = append(createdTimes, created)
			status, outcome, started, done := Completed, any(string(outcomes[rng.IntN(4)])), db.Time{Time: created.Add(time.Second)}, db.Time{}
			switch k := rng.IntN(10); {
			case k == 0:
				status, outcome, started = Queued, nil, db.Time{}
			case k == 1:
				status, outcome = Running, nil
			case k == 2: // cancelled before it started
				outcome, started, done = string(Cancelled), db.Time{}, db.Time{Time: created.Add(time.Minute)}
			case k == 3: // finished without a start time
				started, done = db.Time{}, db.Time{Time: created.Add(time.Minute)}
			default:
				done = db.Time{Time: started.Time.Add(time.Duration(rng.IntN(900_000)+1) * time.Millisecond)}
			}
			if _, err := tx.Exec(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome, created_at, started_at, completed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ws, db.NullID(env), fmt.Sprintf("type.%d", i), status, outcome, db.Format(created), started, done); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Every kind of change: the engine's own runs and cancels, runs finishing,
	// the demo moving runs in time, an environment and a workspace deleted, runs deleted.
	e := newEngine(t, d, DemoCount)
	e.Now = func() time.Time { return base.Add(-time.Hour) }
	for range 3 {
		if _, _, err := e.Execute(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 1, Type: "demo.count", Context: map[string]any{"count": 1, "delay_ms": 0}}); err != nil {
			t.Fatal(err)
		}
	}
	queued, _, err := e.Start(ctx, StartRequest{WorkspaceID: 1, EnvironmentID: 2, Type: "demo.count", Context: map[string]any{"count": 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Cancel(ctx, 1, queued.ID, 0); err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		id := rng.IntN(2500) + 1
		var err error
		switch i % 3 {
		case 0:
			done := randomTime()
			_, err = d.Write.Exec(`UPDATE operation_runs SET status = 'completed', outcome = ?, started_at = COALESCE(started_at, ?), completed_at = ?
				WHERE id = ? AND status != 'completed'`, string(outcomes[rng.IntN(4)]), db.Format(done.Add(-time.Minute)), db.Format(done), id)
		case 1: // moved to another day
			_, err = d.Write.Exec(`UPDATE operation_runs SET created_at = ? WHERE id = ?`, db.Format(randomTime()), id)
		case 2:
			_, err = d.Write.Exec(`DELETE FROM operation_runs WHERE id = ?`, id)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{`DELETE FROM managed_environments WHERE id = 2`, `DELETE FROM workspaces WHERE id = 3`} {
		if _, err := d.Write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}

	// Moments: random ones, midnights and a millisecond either side, and exactly
	// 7 and 30 days after some run's creation (the inclusive edge).
	var moments []time.Time
	for i := range 12 {
		midnight := base.AddDate(0, 0, -i*3)
		moments = append(moments, randomTime().Add(30*24*time.Hour*time.Duration(i%2)), midnight, midnight.Add(-time.Millisecond), midnight.Add(time.Millisecond),
			createdTimes[rng.IntN(len(createdTimes))].Add(7*24*time.Hour), createdTimes[rng.IntN(len(createdTimes))].Add(30*24*time.Hour))
	}
	// After the deletes: workspace 1 holds prod, and pilot's runs as its own;
	// workspace 2 holds lab; workspace 3 is gone.
	scopes := []struct {
		scope Scope
		env   int64
	}{
		{Scope{WorkspaceID: 1, environments: []int64{1}, whole: true}, 0}, {Scope{WorkspaceID: 1, environments: []int64{1}, whole: true}, 1},
		{Scope{WorkspaceID: 1, environments: []int64{1}}, 0}, {Scope{WorkspaceID: 1}, 0},
		{Scope{WorkspaceID: 2, environments: []int64{3}, whole: true}, 0}, {Scope{WorkspaceID: 2, environments: []int64{3}}, 3}, {Scope{WorkspaceID: 2}, 0},
		{Scope{WorkspaceID: 3, whole: true}, 0},
	}
	exercised := KPIs{}
	for _, at := range moments {
		for _, s := range scopes {
			want := referenceKPIs(t, d.Read, s.scope, s.env, at)
			got, err := LoadKPIs(ctx, d.Read, s.scope, s.env, at)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Fatalf("%s, environment %d at %s: got %+v, want %+v", s.scope, s.env, db.Format(at), got, want)
			}
			exercised.Runs30d += got.Runs30d
			exercised.FailedPartial7d += got.FailedPartial7d
			exercised.Timed7d += got.Timed7d
			exercised.Active += got.Active
		}
	}
	if exercised.Runs30d == 0 || exercised.FailedPartial7d == 0 || exercised.Timed7d == 0 || exercised.Active == 0 {
		t.Fatalf("the data does not exercise every figure: %+v", exercised)
	}

	kept := counters(t, d.Read)
	migration := dbtest.Migrations(t, d.Path)
	if err := migration.Migrate(16); err != nil {
		t.Fatalf("down to 0016: %v", err)
	}
	if err := migration.Up(); err != nil {
		t.Fatalf("up from 0016: %v", err)
	}
	if rebuilt := counters(t, d.Read); rebuilt != kept {
		t.Errorf("migration 0017 rebuilt\n%s\nthe triggers kept\n%s", rebuilt, kept)
	}
}

// counters lists the non-empty counter rows (the triggers leave emptied rows behind).
func counters(t *testing.T, q db.Querier) string {
	t.Helper()
	var list string
	err := q.QueryRowContext(context.Background(), `SELECT group_concat(workspace_id || ' ' || environment_id || ' ' || day || ': ' ||
		runs || ' ' || failed_partial || ' ' || timed || ' ' || duration_ms, char(10))
		FROM (SELECT * FROM operation_run_days WHERE runs != 0 ORDER BY workspace_id, environment_id, day)`).Scan(&list)
	if err != nil || list == "" {
		t.Fatalf("counters: %q, %v", list, err)
	}
	return list
}
