package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"atlas/app"
	"atlas/app/db"
	"atlas/app/db/dbtest"
)

// TestHubQueriesDoNotGrowWithEnvironments: the hub reads every environment's
// drift and last sync in the same few queries however many environments the
// workspace has (issue 13: one environment cost three queries), and still
// shows each environment's own figures.
func TestHubQueriesDoNotGrowWithEnvironments(t *testing.T) {
	ctx := context.Background()
	// Its own server without the operations engine: the recorder replaces the
	// read pool before anything else uses it, and records the hub's queries only.
	data, err := app.OpenData(ctx, t.TempDir(), "owner")
	if err != nil {
		t.Fatal(err)
	}
	defer data.Close()
	rec, err := dbtest.RecordReads(data.DB)
	if err != nil {
		t.Fatal(err)
	}
	if err := data.AddWorkspace(ctx, "acme", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	if err := data.AddEnvironment(ctx, "acme", "prod", "Production"); err != nil {
		t.Fatal(err)
	}
	srv, err := app.NewServer(data, app.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	get := func() string {
		r, err := client.Get(ts.URL + "/admin")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	if r, err := client.Get(ts.URL + "/auth/launch?token=" + srv.Launcher.Issue()); err != nil {
		t.Fatal(err)
	} else {
		r.Body.Close()
	}
	one := len(rec.Record(func() { get() }))

	now := time.Now().UTC()
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := data.DB.Write.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	exec(`INSERT INTO baseline_profiles (workspace_id, name, slug, created_at, updated_at) SELECT id, 'Golden', 'golden', ?1, ?1 FROM workspaces WHERE slug = 'acme'`, db.Now())
	for i := 1; i <= 10; i++ {
		slug := fmt.Sprintf("branch-%02d", i)
		if err := data.AddEnvironment(ctx, "acme", slug, fmt.Sprintf("Branch %02d", i)); err != nil {
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
	var body string
	eleven := len(rec.Record(func() { body = get() }))
	if eleven != one {
		t.Errorf("the hub ran %d queries for one environment, %d for eleven: it should not grow", one, eleven)
	}
	table := body[strings.Index(body, `id="environment-health"`):]
	for i := 1; i <= 10; i++ {
		row := table[strings.Index(table, fmt.Sprintf(`>Branch %02d</a>`, i)):]
		row = row[:strings.Index(row, "</tr>")]
		for _, want := range []string{
			fmt.Sprintf(`<a href="/admin/w/acme/t/branch-%02d/findings?severity=high">%d</a>`, i, i), // i high open
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
