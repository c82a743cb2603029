package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"atlas/app/apptest"
	"atlas/app/db"
	"atlas/app/db/dbtest"
)

// TestHubQueriesDoNotGrowWithEnvironments: the hub reads every environment's
// drift and last sync in the same few queries however many environments the
// workspace has (issue 13: one environment cost three queries), and still
// shows each environment's own figures.
func TestHubQueriesDoNotGrowWithEnvironments(t *testing.T) {
	e := apptest.NewAcme(t)
	rec, err := dbtest.RecordReads(e.Data.DB)
	if err != nil {
		t.Fatal(err)
	}
	c := e.Owner()
	one := len(rec.Record(func() { c.Get("/admin") }))

	ctx := context.Background()
	now := time.Now().UTC()
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := e.Data.DB.Write.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	exec(`INSERT INTO baseline_profiles (workspace_id, name, slug, created_at, updated_at) SELECT id, 'Golden', 'golden', ?1, ?1 FROM workspaces WHERE slug = 'acme'`, db.Now())
	for i := 1; i <= 10; i++ {
		slug := fmt.Sprintf("branch-%02d", i)
		if err := e.Data.AddEnvironment(ctx, "acme", slug, fmt.Sprintf("Branch %02d", i)); err != nil {
			t.Fatal(err)
		}
		// Environment i: a sync i hours ago (and an older one), a compare 10 days ago, i high findings open and one accepted.
		for _, r := range []struct {
			typ, outcome string
			ago          time.Duration
		}{{"inventory.sync", "failed", 48 * time.Hour}, {"inventory.sync", "succeeded", time.Duration(i) * time.Hour}, {"drift.compare", "succeeded", 240 * time.Hour}} {
			exec(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome, created_at, started_at, completed_at)
				SELECT workspace_id, id, ?, 'completed', ?, ?3, ?3, ?3 FROM managed_environments WHERE slug = ?4`, r.typ, r.outcome, db.Format(now.Add(-r.ago)), slug)
		}
		for j := 0; j <= i; j++ {
			status, expires := "open", any(nil)
			if j == i {
				status, expires = "accepted", db.Format(now.AddDate(0, 1, 0))
			}
			exec(`INSERT INTO findings (workspace_id, managed_environment_id, baseline_profile_id, finding_type, scope_key, subject_key,
				policy_type, severity, severity_rule, status, exception_expires_at, evidence_jsonb, first_seen_at, last_seen_at, created_at, updated_at)
				SELECT e.workspace_id, e.id, p.id, 'setting_drift', e.id || '/' || ?2, ?2, 'settingsCatalog', 'high', 'rule', ?3, ?4, '{}', ?1, ?1, ?1, ?1
				FROM managed_environments e JOIN baseline_profiles p ON p.workspace_id = e.workspace_id WHERE e.slug = ?5`,
				db.Now(), fmt.Sprint(j), status, expires, slug)
		}
	}
	var r *apptest.Response
	eleven := len(rec.Record(func() { r = c.Get("/admin") }))
	if eleven != one {
		t.Errorf("the hub ran %d queries for one environment, %d for eleven: it should not grow", one, eleven)
	}
	table := r.Body[strings.Index(r.Body, `id="environment-health"`):]
	for i := 1; i <= 10; i++ {
		row := table[strings.Index(table, fmt.Sprintf(`>Branch %02d</a>`, i)):]
		row = row[:strings.Index(row, "</tr>")]
		for _, want := range []string{
			fmt.Sprintf(`<a href="/admin/t/branch-%02d/findings?severity=high&amp;workspace=acme">%d</a>`, i, i), // i high open
			`<td class="num">1</td>`, // one accepted
			`<span class="badge badge-partial" title="More than 7 days ago">stale</span>`, // compared 10 days ago
			`<span class="badge badge-succeeded">succeeded</span></a>`,                    // the last sync, not the failed one before it
		} {
			if !strings.Contains(row, want) {
				t.Errorf("Branch %02d's row misses %s:\n%s", i, want, row)
			}
		}
	}
}
