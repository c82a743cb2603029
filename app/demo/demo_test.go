package demo_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"atlas/app/apptest"
	"atlas/app/db"
	"atlas/app/demo"
	"atlas/app/operation"
)

// anchor is a fixed "now" in the past, so runs on any day compare equal.
var anchor = time.Date(2026, 3, 15, 9, 30, 0, 0, time.UTC)

func load(t *testing.T, e *apptest.Env, force bool) *demo.Summary {
	t.Helper()
	s, err := demo.Load(context.Background(), e.Data.DB, e.Data.Engine, e.Dir, e.Data.Owner.ID, demo.Options{Force: force, Now: anchor})
	if err != nil {
		t.Fatalf("demo: %v", err)
	}
	return s
}

func count(t *testing.T, q db.Querier, query string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestLoad loads the demo once and checks it from every side.
func TestLoad(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	s := load(t, e, false)
	t.Run("counts", func(t *testing.T) { checkCounts(t, e, s) })
	t.Run("versions hold real changes", func(t *testing.T) { checkChanges(t, e) })
	t.Run("printed sign-ins sign in", func(t *testing.T) { checkSignIns(t, e, s) })
	t.Run("pages render", func(t *testing.T) { checkPages(t, e) })
	t.Run("export sources sync again unchanged", func(t *testing.T) { checkResync(t, e) })
	t.Run("link checker", func(t *testing.T) { checkLinks(t, e, s) })
}

// checkResync syncs every environment's connected export folder again, as
// "Sync now" does in a live demo: nothing is new, changed or removed.
func checkResync(t *testing.T, e *apptest.Env) {
	rows, err := e.Data.DB.Read.Query(`SELECT w.slug, m.slug, c.source_path, (SELECT count(*) FROM inventory_items i
		WHERE i.managed_environment_id = m.id) FROM provider_connections c JOIN managed_environments m ON m.id = c.managed_environment_id
		JOIN workspaces w ON w.id = m.workspace_id ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type source struct {
		ws, env, path string
		items         int
	}
	var sources []source
	for rows.Next() {
		var s source
		if err := rows.Scan(&s.ws, &s.env, &s.path, &s.items); err != nil {
			t.Fatal(err)
		}
		sources = append(sources, s)
	}
	rows.Close()
	if len(sources) != 9 {
		t.Fatalf("%d connections, want 9", len(sources))
	}
	for _, s := range sources {
		run := e.SyncExport(s.ws, s.env, os.DirFS(s.path))
		if c := run.Counts; run.Outcome != operation.Succeeded || c["created"]+c["changed"]+c["removed"] != 0 || c["unchanged"] != s.items {
			t.Errorf("%s/%s: %s %v, want %d unchanged", s.ws, s.env, run.Outcome, c, s.items)
		}
	}
}

// checkCounts: what every page needs is there, in the amounts the issue asks.
func checkCounts(t *testing.T, e *apptest.Env, s *demo.Summary) {
	q := e.Data.DB.Read
	start, end := db.Format(anchor.AddDate(0, 0, -90)), db.Format(anchor)
	tests := []struct {
		name     string
		query    string
		min, max int
	}{
		{"workspaces", `SELECT count(*) FROM workspaces`, 3, 3},
		{"workspaces with fewer than 2 or more than 4 environments", `SELECT count(*) FROM workspaces w
			WHERE (SELECT count(*) FROM managed_environments e WHERE e.workspace_id = w.id) NOT BETWEEN 2 AND 4`, 0, 0},
		{"distinct policy types", `SELECT count(DISTINCT policy_type) FROM policies`, 8, 99},
		{"policies with 3 versions or more", `SELECT count(*) FROM policies WHERE version_count >= 3`, 10, 999},
		{"policies whose version count is not their versions", `SELECT count(*) FROM policies p
			WHERE version_count != (SELECT count(*) FROM policy_versions v WHERE v.policy_id = p.id)`, 0, 0},
		{"removed policies (history kept)", `SELECT count(*) FROM policies WHERE removed_at IS NOT NULL`, 1, 99},
		{"environments without an IntuneManagement connection", `SELECT count(*) FROM managed_environments e WHERE NOT EXISTS
			(SELECT 1 FROM provider_connections c WHERE c.managed_environment_id = e.id AND c.layout = 'intunemanagement')`, 0, 0},
		// Syncs, captures and compares are the real operations'; backups and restores
		// show every outcome but a backup's partial (it is taken whole or not at all).
		{"run type × outcome pairs", `SELECT count(*) FROM (SELECT DISTINCT type, outcome FROM operation_runs)`, 13, 13},
		{"captures and compares that did not succeed", `SELECT count(*) FROM operation_runs
			WHERE type IN ('baseline.capture', 'drift.compare') AND outcome != 'succeeded'`, 0, 0},
		{"compares without the real counts", `SELECT count(*) FROM operation_runs WHERE type = 'drift.compare'
			AND json_extract(summary_counts, '$.matched') IS NULL`, 0, 0},
		{"compares that say their input was partial (after a broken file)", `SELECT count(*) FROM operation_runs
			WHERE type = 'drift.compare' AND failure_summary LIKE '%none was resolved%'`, 1, 99},
		{"baselines", `SELECT count(*) FROM baseline_profiles`, 3, 3},
		{"snapshots, each of the production's policies", `SELECT count(*) FROM baseline_snapshots s WHERE s.item_count > 20
			AND s.item_count = (SELECT count(*) FROM baseline_snapshot_items i WHERE i.baseline_snapshot_id = s.id)`, 6, 6},
		{"open findings", `SELECT count(*) FROM findings WHERE status = 'open'`, 10, 999},
		{"acknowledged findings", `SELECT count(*) FROM findings WHERE status = 'acknowledged'`, 1, 1},
		{"accepted findings", `SELECT count(*) FROM findings WHERE status = 'accepted' AND exception_reason != ''`, 1, 1},
		{"resolved findings", `SELECT count(*) FROM findings WHERE status = 'resolved' AND resolved_operation_run_id IS NOT NULL`, 10, 999},
		{"finding types", `SELECT count(DISTINCT finding_type) FROM findings`, 3, 3},
		{"severities of open findings", `SELECT count(DISTINCT severity) FROM findings WHERE status = 'open'`, 2, 3},
		{"findings reopened", `SELECT count(*) FROM finding_events WHERE action = 'reopened'`, 1, 999},
		{"exceptions that expired and reopened", `SELECT count(*) FROM finding_events WHERE action = 'exception expired'`, 1, 1},
		{"finding events outside the 90 days", `SELECT count(*) FROM finding_events WHERE created_at < ?1 OR created_at > ?2`, 0, 0},
		{"findings seen outside the 90 days", `SELECT count(*) FROM findings WHERE first_seen_at < ?1 OR last_seen_at > ?2
			OR resolved_at > ?2 OR updated_at > ?2`, 0, 0},
		{"audit events after now", `SELECT count(*) FROM audit_events WHERE created_at > ?2`, 0, 0},
		{"partial backups", `SELECT count(*) FROM operation_runs WHERE type = 'backup.create' AND outcome = 'partial'`, 0, 0},
		{"backup sets taken by backup runs", `SELECT count(*) FROM backup_sets s JOIN operation_runs r ON r.id = s.operation_run_id
			WHERE r.type = 'backup.create'`, 50, 999},
		{"succeeded backups without their set", `SELECT count(*) FROM operation_runs r WHERE r.type = 'backup.create' AND r.outcome = 'succeeded'
			AND NOT EXISTS (SELECT 1 FROM backup_sets s WHERE s.operation_run_id = r.id AND s.item_count > 0)`, 0, 0},
		// A restore of only items the target already holds writes nothing: no folder.
		{"succeeded restores that wrote items without their folder", `SELECT count(*) FROM operation_runs r WHERE r.type = 'restore.apply'
			AND r.outcome = 'succeeded' AND EXISTS (SELECT 1 FROM restore_items i WHERE i.operation_run_id = r.id AND i.result = 'written')
			AND NOT EXISTS (SELECT 1 FROM restores x WHERE x.operation_run_id = r.id AND x.output_path IS NOT NULL)`, 0, 0},
		{"succeeded restores that wrote items", `SELECT count(DISTINCT operation_run_id) FROM restore_items WHERE result = 'written'`, 1, 999},
		{"restored items checked by a later sync", `SELECT count(*) FROM restore_items WHERE verification IS NOT NULL`, 1, 999},
		{"backup sets outside the 90 days", `SELECT count(*) FROM backup_sets WHERE created_at < ?1 OR created_at > ?2`, 0, 0},
		{"run types", `SELECT count(DISTINCT type) FROM operation_runs WHERE type IN
			('inventory.sync', 'backup.create', 'baseline.capture', 'drift.compare', 'restore.apply')`, 5, 5},
		{"active runs (a live demo starts its own)", `SELECT count(*) FROM operation_runs WHERE status != 'completed'`, 0, 0},
		{"runs before the 90 days", `SELECT count(*) FROM operation_runs WHERE created_at < ?1`, 0, 0},
		{"runs after now", `SELECT count(*) FROM operation_runs WHERE completed_at > ?2`, 0, 0},
		{"runs in the first week", `SELECT count(*) FROM operation_runs WHERE created_at < date(?1, '+7 days')`, 5, 999},
		{"runs in the last day", `SELECT count(*) FROM operation_runs WHERE created_at > datetime(?2, '-1 day')`, 5, 999},
		{"versions captured outside the 90 days", `SELECT count(*) FROM policy_versions WHERE captured_at < ?1 OR captured_at > ?2`, 0, 0},
		{"runs of seconds", `SELECT count(*) FROM operation_runs WHERE julianday(completed_at) - julianday(started_at) < 10.0 / 86400`, 1, 9999},
		{"runs of minutes", `SELECT count(*) FROM operation_runs WHERE julianday(completed_at) - julianday(started_at) > 120.0 / 86400`, 1, 9999},
		{"cancelled before they started", `SELECT count(*) FROM operation_runs WHERE outcome = 'cancelled' AND started_at IS NULL`, 1, 99},
		{"partial runs without per-item errors", `SELECT count(*) FROM operation_runs
			WHERE outcome = 'partial' AND coalesce(json_array_length(failure_summary, '$.items'), 0) = 0`, 0, 0},
		{"failed or cancelled runs without a reason", `SELECT count(*) FROM operation_runs
			WHERE outcome IN ('failed', 'cancelled') AND coalesce(json_extract(failure_summary, '$.message'), '') = ''`, 0, 0},
		{"runs started by people", `SELECT count(DISTINCT initiated_by_user_id) FROM operation_runs`, 3, 99},
		{"sync runs without their counts", `SELECT count(*) FROM operation_runs WHERE type = 'inventory.sync'
			AND json_extract(summary_counts, '$.total') IS NULL`, 0, 0},
		{"environments whose last drift compare is over 7 days old", `SELECT count(*) FROM managed_environments e
			WHERE (SELECT max(created_at) FROM operation_runs r WHERE r.managed_environment_id = e.id AND r.type = 'drift.compare')
			< datetime(?2, '-7 days')`, 1, 1},
		{"workspace roles", `SELECT count(DISTINCT role) FROM workspace_memberships`, 4, 4},
		{"environment memberships of operators and readonly members", `SELECT count(DISTINCT role) FROM managed_environment_memberships
			WHERE role IN ('operator', 'readonly')`, 2, 2},
	}
	for _, tt := range tests {
		if n := count(t, q, tt.query, start, end); n < tt.min || n > tt.max {
			t.Errorf("%s: %d, want %d–%d", tt.name, n, tt.min, tt.max)
		}
	}
	want := demo.Summary{Workspaces: 3, Environments: count(t, q, `SELECT count(*) FROM managed_environments`),
		Policies: count(t, q, `SELECT count(*) FROM policies`), Versions: count(t, q, `SELECT count(*) FROM policy_versions`),
		Runs: count(t, q, `SELECT count(*) FROM operation_runs`)}
	if s.Workspaces != want.Workspaces || s.Environments != want.Environments || s.Policies != want.Policies ||
		s.Versions != want.Versions || s.Runs != want.Runs {
		t.Errorf("summary %+v, database %+v", *s, want)
	}
}

// checkChanges reads what changed between versions in the stored payloads: a
// BitLocker encryption method, a setting added, an assignment widened to all
// devices, a script line edited.
func checkChanges(t *testing.T, e *apptest.Env) {
	payload := func(name string, version int) map[string]any {
		t.Helper()
		var canonical string
		err := e.Data.DB.Read.QueryRow(`SELECT pp.canonical FROM policy_versions v JOIN policies p ON p.id = v.policy_id
			JOIN policy_payloads pp ON pp.content_hash = v.content_hash JOIN workspaces w ON w.id = p.workspace_id
			JOIN managed_environments e ON e.id = p.managed_environment_id
			WHERE w.slug = 'contoso' AND e.slug = 'prod' AND p.display_name = ? AND v.version_number = ?`, name, version).Scan(&canonical)
		if err != nil {
			t.Fatalf("%s v%d: %v", name, version, err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(canonical), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	script := func(m map[string]any) string {
		b, _ := base64.StdEncoding.DecodeString(m["scriptContent"].(string))
		return string(b)
	}
	text := func(m map[string]any) string { b, _ := json.Marshal(m); return string(b) }
	const bitlocker, timezone = "Win - BitLocker - OS disk encryption", "Win - Script - Set time zone"
	tests := []struct {
		name         string
		got          string
		want, unwant string
	}{
		{"v1 encrypts with XTS-AES 128", text(payload(bitlocker, 1)), "encryptionmethodwithxtsosdropdown_name_6", "encryptionmethodwithxtsosdropdown_name_7"},
		{"v2 encrypts with XTS-AES 256", text(payload(bitlocker, 2)), "encryptionmethodwithxtsosdropdown_name_7", "systemdrivesrequirestartupauthentication"},
		{"v3 adds startup authentication", text(payload(bitlocker, 3)), "systemdrivesrequirestartupauthentication_configuretpmpinkeyusagedropdown_name_2", "allDevicesAssignmentTarget"},
		{"v4 is assigned to all devices", text(payload(bitlocker, 4)), "allDevicesAssignmentTarget", "groupAssignmentTarget\""},
		{"script v1", script(payload(timezone, 1)), "Set-TimeZone -Id 'W. Europe Standard Time'", "GMT"},
		{"script v2 has the line edited", script(payload(timezone, 2)), "Set-TimeZone -Id 'GMT Standard Time'", "W. Europe"},
	}
	for _, tt := range tests {
		if !strings.Contains(tt.got, tt.want) || strings.Contains(tt.got, tt.unwant) {
			t.Errorf("%s: want %q and not %q in\n%s", tt.name, tt.want, tt.unwant, tt.got)
		}
	}
}

// signIns reads the sign-in lines Print writes.
var signIns = regexp.MustCompile(`(?m)^\s+(\S+@\S+)\s+password: (\S+)\s+\((.*)\)$`)

// checkSignIns signs in with what Print wrote: each user sees exactly the
// workspaces their roles name.
func checkSignIns(t *testing.T, e *apptest.Env, s *demo.Summary) {
	var out bytes.Buffer
	s.Print(&out)
	found := signIns.FindAllStringSubmatch(out.String(), -1)
	var roles []string
	for _, m := range found {
		email, password, access := m[1], m[2], m[3]
		for _, role := range []string{"manager", "operator", "readonly"} {
			if strings.Contains(access, role+" in ") && !slices.Contains(roles, role) {
				roles = append(roles, role)
			}
		}
		page := e.SignIn(email, password).Get("/admin/workspaces")
		if page.Status != http.StatusOK {
			t.Fatalf("%s: workspaces page %d", email, page.Status)
		}
		for _, ws := range []string{"Contoso Ltd", "Fabrikam Inc", "Northwind Traders"} {
			if strings.Contains(page.Body, ws) != strings.Contains(access, ws) {
				t.Errorf("%s (%s): workspace %s listed: %v", email, access, ws, strings.Contains(page.Body, ws))
			}
		}
	}
	if len(found) != 3 || len(roles) != 3 {
		t.Errorf("sign-ins %d with roles %v, want 3 covering manager, operator, readonly:\n%s", len(found), roles, out.String())
	}
}

// fingerprint is everything the demo decides: policies with their hashes and
// versions, and runs with their times, counts and failures (not their context:
// it names the data folder).
func fingerprint(t *testing.T, q db.Querier) string {
	t.Helper()
	var b strings.Builder
	for _, query := range []string{
		`SELECT w.slug, e.slug, p.identity_key, p.display_name, p.policy_type, p.content_hash, p.version_count,
			p.first_seen_at, p.last_seen_at, coalesce(p.removed_at, '')
			FROM policies p JOIN managed_environments e ON e.id = p.managed_environment_id JOIN workspaces w ON w.id = e.workspace_id
			ORDER BY 1, 2, 3`,
		`SELECT w.slug, e.slug, p.identity_key, v.version_number, v.content_hash, v.captured_at
			FROM policy_versions v JOIN policies p ON p.id = v.policy_id JOIN managed_environments e ON e.id = p.managed_environment_id
			JOIN workspaces w ON w.id = e.workspace_id ORDER BY 1, 2, 3, 4`,
		`SELECT w.slug, coalesce(e.slug, ''), r.type, r.outcome, r.created_at, coalesce(r.started_at, ''), r.completed_at,
			r.summary_counts, coalesce(r.failure_summary, ''), coalesce(u.email, '')
			FROM operation_runs r JOIN workspaces w ON w.id = r.workspace_id LEFT JOIN managed_environments e ON e.id = r.managed_environment_id
			LEFT JOIN users u ON u.id = r.initiated_by_user_id ORDER BY 1, 2, 3, 5, 7`,
		`SELECT w.slug, e.slug, f.finding_type, f.subject_key, f.severity, f.severity_rule, f.status, f.first_seen_at, f.last_seen_at,
			coalesce(f.resolved_at, ''), f.evidence_jsonb FROM findings f JOIN managed_environments e ON e.id = f.managed_environment_id
			JOIN workspaces w ON w.id = e.workspace_id ORDER BY 1, 2, 3, 4`,
		`SELECT w.slug, e.slug, f.subject_key, f.finding_type, v.action, v.to_status, v.created_at FROM finding_events v
			JOIN findings f ON f.id = v.finding_id JOIN managed_environments e ON e.id = f.managed_environment_id
			JOIN workspaces w ON w.id = e.workspace_id ORDER BY 1, 2, 3, 4, v.id`,
	} {
		rows, err := q.QueryContext(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			values := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, values...)
		}
		rows.Close()
	}
	return b.String()
}

func TestRefusesANonEmptyDatabaseUnlessForced(t *testing.T) {
	t.Parallel()
	e := apptest.NewAcme(t)
	ctx := context.Background()
	q := e.Data.DB.Read
	state := func() string {
		return fmt.Sprint(count(t, q, `SELECT count(*) FROM workspaces`), count(t, q, `SELECT count(*) FROM users`),
			count(t, q, `SELECT count(*) FROM managed_environments WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'acme')`),
			count(t, q, `SELECT count(*) FROM operation_runs`))
	}
	before := state()
	_, err := demo.Load(ctx, e.Data.DB, e.Data.Engine, e.Dir, e.Data.Owner.ID, demo.Options{Now: anchor})
	if !errors.Is(err, demo.ErrNotEmpty) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v, want the one-line ErrNotEmpty", err)
	}
	if after := state(); after != before {
		t.Fatalf("refusal wrote data: %s, was %s", after, before)
	}

	first := load(t, e, true)
	first.Took = 0
	firstPrint := fingerprint(t, q)
	var out bytes.Buffer
	second := load(t, e, true)
	second.Print(&out)
	second.Took = 0
	// Forced again over its own data, the demo writes exactly the same: it is
	// deterministic and replaces all of what it wrote before.
	if secondPrint := fingerprint(t, q); secondPrint != firstPrint {
		a, b := strings.Split(firstPrint, "\n"), strings.Split(secondPrint, "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("two loads differ (%d and %d lines), first at line %d:\n%s\n%s", len(a), len(b), i, a[i], b[i])
			}
		}
		t.Fatalf("two loads differ: %d and %d lines", len(a), len(b))
	}
	if lines := strings.Count(firstPrint, "\n"); lines < 500 {
		t.Errorf("fingerprint has %d lines: the demo wrote little", lines)
	}
	if got := state(); got != fmt.Sprint(4, 1+3, 1, second.Runs) {
		t.Errorf("after two forced loads: workspaces, users, acme environments, runs = %s", got)
	}
	if first.Policies != second.Policies || first.Versions != second.Versions || first.Runs != second.Runs {
		t.Errorf("second forced load differs: %+v, first %+v", second, first)
	}
	for _, a := range second.Accounts {
		e.SignIn(a.Email, a.Password)
	}
	if n := count(t, q, `SELECT count(*) FROM workspace_memberships m JOIN workspaces w ON w.id = m.workspace_id
		WHERE w.slug = 'acme' AND m.user_id = ?`, e.Data.Owner.ID); n != 1 {
		t.Errorf("acme lost its owner: %d memberships", n)
	}
}

func TestLoadRefusesAFutureAnchor(t *testing.T) {
	e := apptest.New(t)
	_, err := demo.Load(context.Background(), e.Data.DB, e.Data.Engine, e.Dir, e.Data.Owner.ID, demo.Options{Now: time.Now().Add(time.Hour)})
	if err == nil || !strings.Contains(err.Error(), "future") {
		t.Fatalf("error %v, want a refusal of the future", err)
	}
	if n := count(t, e.Data.DB.Read, `SELECT count(*) FROM users`); n != 1 {
		t.Errorf("%d users after a refusal", n)
	}
}

// checkPages opens the pages that exist as the owner: each renders the demo's data.
func checkPages(t *testing.T, e *apptest.Env) {
	owner := e.Owner()
	if r := owner.Post("/admin/workspaces/contoso/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select contoso: %d", r.Status)
	}
	var bitlocker int64
	if err := e.Data.DB.Read.QueryRow(`SELECT p.id FROM policies p JOIN managed_environments e ON e.id = p.managed_environment_id
		JOIN workspaces w ON w.id = e.workspace_id WHERE w.slug = 'contoso' AND e.slug = 'prod'
		AND p.display_name = 'Win - BitLocker - OS disk encryption'`).Scan(&bitlocker); err != nil {
		t.Fatal(err)
	}
	var warnedSync int64
	if err := e.Data.DB.Read.QueryRow(`SELECT r.id FROM operation_runs r JOIN workspaces w ON w.id = r.workspace_id
		WHERE w.slug = 'contoso' AND r.type = 'inventory.sync' AND r.failure_summary IS NOT NULL AND r.outcome = 'succeeded'`).Scan(&warnedSync); err != nil {
		t.Fatal(err)
	}
	var acknowledged int64
	if err := e.Data.DB.Read.QueryRow(`SELECT f.id FROM findings f JOIN workspaces w ON w.id = f.workspace_id
		WHERE w.slug = 'contoso' AND f.status = 'acknowledged'`).Scan(&acknowledged); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want []string
	}{
		{"hub", "/admin/w/contoso", []string{"Contoso Ltd", "Production", "Pilot", "Test", "Recent operations", "Inventory sync"}},
		{"operations feed", "/admin/w/contoso/operations?environment=", []string{"Drift compare", ">Backup<", ">Restore<"}},
		// (partial runs are in the other workspaces: the run type × outcome pairs above count them)
		{"runs that did not succeed", "/admin/w/contoso/operations?environment=&outcome=failed", []string{"badge-failed"}},
		{"backups", "/admin/w/contoso/t/prod/backups", []string{"Weekly backup ", "Before restore #"}},
		{"run with a warning", fmt.Sprint("/admin/operations/", warnedSync), []string{"Inventory sync", "Production",
			"Win - BitLocker - OS disk encryption (1).json", "older copy was ignored"}},
		{"environment dashboard", "/admin/w/contoso/t/prod", []string{"Production", "Export source", "IntuneManagement export", "Change the export source"}},
		{"inventory hub", "/admin/w/contoso/t/prod/inventory", []string{"badge-succeeded", "restorable", "dependencies", "partial", "risk"}},
		{"policies list", "/admin/w/contoso/t/prod/policies", []string{"Win - BitLocker - OS disk encryption", "Settings catalog",
			"Compliance policy", "Administrative template", "PowerShell script", "Enrollment status page"}},
		{"removed policies", "/admin/w/contoso/t/prod/policies?state=removed", []string{"Win - Antivirus (legacy template)"}},
		{"policy detail", fmt.Sprint("/admin/w/contoso/t/prod/policies/", bitlocker), []string{"Win - BitLocker - OS disk encryption",
			"Settings catalog", "encryptionmethodwithxtsosdropdown", "All devices", "/admin/operations/"}},
		{"drift on the dashboard", "/admin/w/contoso/t/prod", []string{`data-kpi="accepted">1<`, "Latest findings", "<polyline", "badge-status-acknowledged"}},
		{"findings", "/admin/w/contoso/t/prod/findings?status=all", []string{"Contoso Ltd production baseline", "Setting drift", "acknowledged", "accepted", "resolved"}},
		{"acknowledged finding", fmt.Sprint("/admin/w/contoso/t/prod/findings/", acknowledged), []string{"acknowledged", "by Tom Becker", "Changes", "compare #"}},
		{"baselines", "/admin/w/contoso/baselines", []string{"Contoso Ltd production baseline", "policies from Production"}},
		{"hub health", "/admin/w/contoso", []string{"environment-health", "badge-high"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := owner.Get(tt.path)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
			r.Shows(t, tt.want, nil)
		})
	}
}
