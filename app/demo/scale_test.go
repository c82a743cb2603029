package demo_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/demo"
)

// tiny has the large dataset's shape at a size a test can afford.
var tiny = demo.Scale{Name: "tiny", Workspaces: 3, EnvironmentsPerWorkspace: 2, Policies: 400, HeavyPolicies: 150, ThousandPolicies: 60,
	Versions: 1600, Runs: 3000, Findings: 300, BackupSets: 20, SnapshotsPerProfile: 2}

func TestLoadScale(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	ctx := context.Background()
	s, err := demo.LoadScale(ctx, e.Data.DB, e.Data.Owner.ID, tiny, anchor)
	if err != nil {
		t.Fatal(err)
	}
	q := e.Data.DB.Read
	t.Run("counts", func(t *testing.T) {
		for _, c := range []struct {
			query string
			want  int
		}{
			{`SELECT count(*) FROM workspaces`, 3},
			{`SELECT count(*) FROM managed_environments`, 6},
			{`SELECT count(*) FROM policies`, 400},
			{`SELECT count(*) FROM policy_versions`, 1600},
			{`SELECT count(*) FROM operation_runs`, 3000},
			{`SELECT count(*) FROM findings`, 300},
			{`SELECT count(*) FROM backup_sets`, 20},
			{`SELECT count(*) FROM baseline_profiles`, 3},
			{`SELECT count(*) FROM baseline_snapshots`, 6},
			{`SELECT count(*) FROM policies WHERE managed_environment_id = (SELECT min(id) FROM managed_environments)`, 150},
			{`SELECT count(*) FROM operation_runs WHERE workspace_id = (SELECT min(id) FROM workspaces)`, 1500},
		} {
			if n := count(t, q, c.query); n != c.want {
				t.Errorf("%s: %d, want %d", c.query, n, c.want)
			}
		}
		if s.Runs != 3000 || s.Policies != 400 || s.Versions != 1600 || s.Findings != 300 || s.BackupSets != 20 {
			t.Errorf("summary %+v", s)
		}
	})
	t.Run("invariants", func(t *testing.T) {
		for _, c := range []struct{ what, query string }{
			{"version_count is the versions", `SELECT count(*) FROM policies p WHERE version_count != (SELECT count(*) FROM policy_versions v WHERE v.policy_id = p.id)`},
			{"a policy's hash is its last version's", `SELECT count(*) FROM policies p JOIN policy_versions v ON v.policy_id = p.id AND v.version_number = p.version_count WHERE v.content_hash != p.content_hash`},
			{"an item per present policy", `SELECT count(*) FROM policies p LEFT JOIN inventory_items i ON i.policy_id = p.id WHERE (p.removed_at IS NULL) != (i.id IS NOT NULL)`},
			{"a summary for every later version", `SELECT count(*) FROM policy_versions WHERE (version_number > 1) != (change_summary IS NOT NULL)`},
			{"versions captured by succeeded syncs of their environment", `SELECT count(*) FROM policy_versions v JOIN operation_runs r ON r.id = v.operation_run_id
				WHERE r.managed_environment_id != v.managed_environment_id OR r.type != 'inventory.sync' OR r.outcome NOT IN ('succeeded', 'partial')`},
			{"scope keys as a compare writes them", `SELECT count(*) FROM findings WHERE scope_key != managed_environment_id || '/' || baseline_profile_id || '/' || finding_type || '/' || subject_key`},
			{"a backup set's count is its items", `SELECT count(*) FROM backup_sets s WHERE item_count != (SELECT count(*) FROM backup_items i WHERE i.backup_set_id = s.id)`},
			{"every finding has its opening", `SELECT count(*) FROM findings f WHERE NOT EXISTS (SELECT 1 FROM finding_events e WHERE e.finding_id = f.id AND e.action = 'opened')`},
			{"an outcome exactly when completed", `SELECT count(*) FROM operation_runs WHERE (status = 'completed') != (outcome IS NOT NULL)`},
		} {
			if n := count(t, q, c.query); n != 0 {
				t.Errorf("%s: %d rows break it", c.what, n)
			}
		}
		var fk int
		rows, err := q.Query(`PRAGMA foreign_key_check`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			fk++
		}
		rows.Close()
		if fk != 0 {
			t.Errorf("%d rows break a foreign key", fk)
		}
	})
	t.Run("every type, status and outcome", func(t *testing.T) {
		if n := count(t, q, `SELECT count(*) FROM (SELECT DISTINCT type, outcome FROM operation_runs WHERE status = 'completed')`); n != 5*4-1 {
			t.Errorf("%d (type, outcome) pairs, want 19 (a backup never ends partial)", n)
		}
		if n := count(t, q, `SELECT count(*) FROM (SELECT DISTINCT finding_type, status FROM findings)`); n != 12 {
			t.Errorf("%d (finding type, status) pairs, want 12", n)
		}
		if n := count(t, q, `SELECT count(*) FROM (SELECT content_hash FROM policy_versions GROUP BY content_hash
			HAVING count(DISTINCT managed_environment_id) > 1)`); n < 100 {
			t.Errorf("%d payloads shared by environments: identical payloads are not shared", n)
		}
	})
	t.Run("pages", func(t *testing.T) {
		pages, err := demo.ScalePages(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		owner := e.Owner()
		for _, p := range pages {
			owner.Post("/admin/workspaces/"+p.Workspace+"/select", nil)
			r := owner.Get(p.Path)
			if r.Status != http.StatusOK || strings.Contains(r.Body, "Something went wrong") {
				t.Errorf("%s (%s): status %d", p.Name, p.Path, r.Status)
			}
		}
	})
	t.Run("deterministic", func(t *testing.T) {
		again := apptest.New(t)
		if _, err := demo.LoadScale(ctx, again.Data.DB, again.Data.Owner.ID, tiny, anchor); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"policies", "policy_versions", "operation_runs", "findings", "backup_items"} {
			query := `SELECT count(*), total(length(` + map[string]string{"policies": "identity_key || content_hash",
				"policy_versions": "content_hash || captured_at", "operation_runs": "type || created_at || summary_counts",
				"findings": "scope_key || evidence_jsonb", "backup_items": "content_hash"}[table] + `)) FROM ` + table
			var a, b [2]float64
			q.QueryRow(query).Scan(&a[0], &a[1])
			again.Data.DB.Read.QueryRow(query).Scan(&b[0], &b[1])
			if a != b {
				t.Errorf("%s: %v then %v", table, a, b)
			}
		}
	})
	t.Run("what the bulk load skipped is as the schema keeps it", func(t *testing.T) {
		for _, c := range []struct{ what, query string }{
			{"run-day counters are the runs' (migrations 0010, 0017)", `SELECT count(*) FROM (
				SELECT workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms FROM operation_run_days
				EXCEPT SELECT workspace_id, environment_id, day, count(*), sum(failed_partial), sum(timed), sum(duration_ms)
					FROM operation_run_day_shares GROUP BY workspace_id, environment_id, day)`},
			{"no counter missing (migrations 0010, 0017)", `SELECT count(*) FROM (
				SELECT workspace_id, environment_id, day, count(*), sum(failed_partial), sum(timed), sum(duration_ms)
					FROM operation_run_day_shares GROUP BY workspace_id, environment_id, day
				EXCEPT SELECT workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms FROM operation_run_days)`},
			{"no runs missing from the counters", `SELECT (SELECT count(*) FROM operation_runs) - (SELECT coalesce(sum(runs), 0) FROM operation_run_days)`},
			{"a search row per policy, finding and backup set (migration 0011)", `SELECT (SELECT count(*) FROM policies) + (SELECT count(*) FROM findings) +
				(SELECT count(*) FROM backup_sets) - (SELECT count(*) FROM search_index WHERE rowid >= 3 * 1099511627776 AND rowid < 7 * 1099511627776
				AND rowid NOT BETWEEN 4 * 1099511627776 AND 5 * 1099511627776 - 1)`},
			{"the schema is clean", `SELECT count(*) FROM schema_migrations WHERE dirty`},
		} {
			if n := count(t, q, c.query); n != 0 {
				t.Errorf("%s: off by %d", c.what, n)
			}
		}
		if n := count(t, q, `SELECT count(*) FROM search_index WHERE search_index MATCH 'Weekly backup'`); n != 20 {
			t.Errorf("the search finds %d backup sets by their name, want 20", n)
		}
		var ok string
		if err := q.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
			t.Errorf("integrity_check: %s %v", ok, err)
		}
		if _, err := e.Data.DB.Write.Exec(`INSERT INTO search_index (search_index, rank) VALUES ('integrity-check', 1)`); err != nil {
			t.Errorf("search index integrity-check: %v", err)
		}
		schema := `SELECT group_concat(type || ' ' || name || ': ' || sql, char(10)) FROM (SELECT * FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name)`
		var loaded, fresh string
		q.QueryRow(schema).Scan(&loaded)
		apptest.New(t).Data.DB.Read.QueryRow(schema).Scan(&fresh)
		if loaded != fresh {
			t.Errorf("the schema after the load differs from a fresh database's:\n%s\n---\n%s", loaded, fresh)
		}
	})
	if _, err := demo.LoadScale(ctx, e.Data.DB, e.Data.Owner.ID, tiny, anchor); err != demo.ErrNotEmpty {
		t.Errorf("a second load: %v, want ErrNotEmpty", err)
	}
}

// Issue 13: every query of the measured pages is served by an index on the
// medium dataset, where the pages ask for what they ask at scale (page 500 of
// the heavy environment's policies, a policy with 50 versions).
func TestQueryPlansMedium(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	if _, err := demo.LoadScale(context.Background(), e.Data.DB, e.Data.Owner.ID, demo.Scales["medium"], anchor); err != nil {
		t.Fatal(err)
	}
	checkPlans(t, e)
}

// A load that fails half-way leaves a database Atlas refuses to open: it ran
// without fsync and without some indexes and triggers.
func TestLoadScaleFailedIsDirty(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	bad := tiny
	bad.Workspaces = 99
	if _, err := demo.LoadScale(context.Background(), e.Data.DB, e.Data.Owner.ID, bad, anchor); err == nil {
		t.Fatal("a load of an unsupported shape succeeded")
	}
	if n := count(t, e.Data.DB.Read, `SELECT count(*) FROM schema_migrations WHERE dirty`); n != 1 {
		t.Errorf("the schema version is not marked dirty after a failed load")
	}
	// No migration kept a copy: the message says to start again rather than to restore one.
	if d, err := db.Open(context.Background(), e.Data.DB.Path); err == nil || !strings.Contains(err.Error(), "marked dirty") ||
		!strings.Contains(err.Error(), "no copy was kept beside it") {
		if d != nil {
			d.Close()
		}
		t.Errorf("opening the database after a failed load: %v, want refused as marked dirty", err)
	}
}

// largeTables are those the large dataset holds by the hundred thousand or more.
var largeTables = []string{"operation_runs", "policies", "policy_versions", "policy_payloads", "inventory_items", "findings",
	"finding_events", "backup_sets", "backup_items", "baseline_snapshot_items", "audit_events"}

// checkPlans runs EXPLAIN QUERY PLAN for every query of issue 13's pages and
// fails on a scan of a large table that no index serves (issue 13: every list
// and KPI query is served by an index).
func checkPlans(t *testing.T, e *apptest.Env) {
	ctx := context.Background()
	pages, err := demo.ScalePages(ctx, e.Data.DB.Read)
	if err != nil {
		t.Fatal(err)
	}
	rec := e.Reads
	owner := e.Owner()
	for _, p := range pages {
		owner.Post("/admin/workspaces/"+p.Workspace+"/select", nil)
		queries := rec.Record(func() { owner.Get(p.Path) })
		if len(queries) == 0 {
			t.Errorf("%s: no query recorded", p.Name)
		}
		for _, s := range queries {
			for _, detail := range dbtest.Plan(t, e.Data.DB.Read, s.Query, s.Args...) {
				for _, table := range largeTables {
					if scan := "SCAN " + table; (detail == scan || strings.HasPrefix(detail, scan+" ")) && !strings.Contains(detail, " USING ") {
						t.Errorf("%s: %s\n%s", p.Name, detail, s.Query)
					}
				}
			}
		}
	}
}
