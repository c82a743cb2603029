package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/web"
)

// twoCustomers is the consultant's setting of issue 26: workspaces acme and
// fabrikam with the same environment slugs and names (prod "Production", pilot
// "Pilot") and the same baseline slug (golden), each with an export folder
// connected to prod and synced, golden captured and compared (a finding open
// in prod), and a backup of prod. The local owner is an owner of both, victim
// a readonly member of both.
type twoCustomers struct {
	env      *apptest.Env
	owner    *apptest.Client
	victimID int64
	set      map[string]int64 // a backup set of each workspace's prod
	finding  map[string]int64 // an open finding of each workspace's prod
	id       map[string]int64 // each workspace's id
}

func newTwoCustomers(t *testing.T) *twoCustomers {
	t.Helper()
	e := apptest.New(t)
	ctx := context.Background()
	d := e.Data
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.AddUser(ctx, "victim@test", "Victim", password, false))
	f := &twoCustomers{env: e, owner: e.Owner(), set: map[string]int64{}, finding: map[string]int64{}, id: map[string]int64{}}
	for _, ws := range []struct{ slug, name string }{{"acme", "Acme Corp"}, {"fabrikam", "Fabrikam"}} {
		must(d.AddWorkspace(ctx, ws.slug, ws.name))
		must(d.AddEnvironment(ctx, ws.slug, "prod", "Production"))
		must(d.AddEnvironment(ctx, ws.slug, "pilot", "Pilot"))
		must(d.AddMember(ctx, ws.slug, "victim@test", "readonly", ""))
		folder := t.TempDir()
		if err := writeExport(folder, ws.name+" compliance", 8); err != nil {
			t.Fatal(err)
		}
		if r := f.owner.Post(web.EnvironmentURL(ws.slug, "prod", "/connection"), url.Values{"path": {folder}}); r.Status != http.StatusSeeOther {
			t.Fatalf("connect %s: %d\n%s", ws.slug, r.Status, r.Body)
		}
		e.Finished(apptest.SyncNow(t, f.owner, ws.slug, "prod"))
		baseline := t.TempDir()
		if err := writeExport(baseline, ws.name+" compliance", 14); err != nil {
			t.Fatal(err)
		}
		if _, err := d.CaptureBaseline(ctx, ws.slug, "golden", "", baseline); err != nil {
			t.Fatal(err)
		}
		if c := e.Compare(ws.slug, "prod", "golden"); c.OpenFindings != 1 {
			t.Fatalf("%s: %d open findings, want 1", ws.slug, c.OpenFindings)
		}
		_, set, err := d.CreateBackup(ctx, ws.slug, "prod", "Nightly", nil)
		must(err)
		f.set[ws.slug] = set.ID
		var wsID, findingID int64
		d.DB.Read.QueryRow(`SELECT w.id, f.id FROM findings f JOIN workspaces w ON w.id = f.workspace_id WHERE w.slug = ?`, ws.slug).Scan(&wsID, &findingID)
		f.id[ws.slug], f.finding[ws.slug] = wsID, findingID
	}
	d.DB.Read.QueryRow(`SELECT id FROM users WHERE email = 'victim@test'`).Scan(&f.victimID)
	return f
}

// writeExport writes an export of one compliance policy into folder.
func writeExport(folder, name string, minimumLength int) error {
	if err := os.MkdirAll(filepath.Join(folder, "CompliancePolicies"), 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(folder, "CompliancePolicies", name+".json"),
		fmt.Appendf(nil, `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p1","displayName":%q,"passwordMinimumLength":%d}`, name, minimumLength), 0o644)
}

// page is a workspace's page: rest after /admin/w/{workspace}.
func page(workspace, rest string) string { return web.WorkspaceURL(workspace, rest) }

var (
	formRe   = regexp.MustCompile(`(?s)<form\b[^>]*\bmethod="post"[^>]*\baction="([^"]*)"[^>]*>(.*?)</form>`)
	buttonRe = regexp.MustCompile(`\bformaction="([^"]*)"`)
	hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// form finds on body the POST form (or the button's formaction) whose action's
// path ends with suffix: its action and its hidden fields, as a browser submits
// them.
func form(t *testing.T, body, suffix string) (string, url.Values) {
	t.Helper()
	for _, m := range formRe.FindAllStringSubmatch(body, -1) {
		actions := []string{m[1]}
		for _, b := range buttonRe.FindAllStringSubmatch(m[2], -1) {
			actions = append(actions, b[1])
		}
		for _, action := range actions {
			action = html.UnescapeString(action)
			if path, _, _ := strings.Cut(action, "?"); strings.HasSuffix(path, suffix) {
				fields := url.Values{}
				for _, h := range hiddenRe.FindAllStringSubmatch(m[2], -1) {
					fields.Add(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
				}
				return action, fields
			}
		}
	}
	for _, b := range buttonRe.FindAllStringSubmatch(body, -1) { // a button outside its form (form="…")
		if action := html.UnescapeString(b[1]); strings.HasSuffix(action, suffix) {
			return action, url.Values{}
		}
	}
	t.Fatalf("no form to …%s on the page", suffix)
	return "", nil
}

// workspaceRows is every row Atlas keeps of a workspace, its own and its
// environments' (in tables that name only the environment), as text: two reads
// are equal when nothing of the workspace changed.
func workspaceRows(t *testing.T, e *apptest.Env, workspaceID int64) string {
	t.Helper()
	q := e.Data.DB.Read
	tables, err := q.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE 'search_index%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var name string
		tables.Scan(&name)
		names = append(names, name)
	}
	tables.Close()
	var out strings.Builder
	for _, table := range names {
		columns := map[string]bool{}
		info, err := q.Query(`SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			t.Fatal(err)
		}
		for info.Next() {
			var c string
			info.Scan(&c)
			columns[c] = true
		}
		info.Close()
		var where string
		switch {
		case table == "workspaces":
			where = `id = ?`
		case columns["workspace_id"]:
			where = `workspace_id = ?`
		case columns["managed_environment_id"]:
			where = `managed_environment_id IN (SELECT id FROM managed_environments WHERE workspace_id = ?)`
		default:
			continue
		}
		rows, err := q.Query(`SELECT * FROM `+table+` WHERE `+where+` ORDER BY 1`, workspaceID)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			values := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range values {
				ptrs[i] = &values[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&out, "%s %q\n", table, values)
		}
		rows.Close()
	}
	return out.String()
}

// TestSecondTabCannotActOnAnotherWorkspace is issue 26's two tabs of one
// session: tab A opens each page with a form in acme; tab B selects fabrikam,
// where the same environment and baseline slugs exist, and opens the same
// page there; tab A submits the form. Each submission acts on acme, and
// nothing of fabrikam changes.
func TestSecondTabCannotActOnAnotherWorkspace(t *testing.T) {
	f := newTwoCustomers(t)
	acme, fabrikam := f.id["acme"], f.id["fabrikam"]
	before := workspaceRows(t, f.env, fabrikam)
	runs := func(typ string) string {
		return `SELECT count(*) FROM operation_runs WHERE workspace_id = ? AND type = '` + typ + `'`
	}
	restore := func(workspace string) string { return fmt.Sprintf("/t/prod/backups/%d/restore", f.set[workspace]) }
	preview := "?target=pilot&layout=intunemanagement"
	tests := []struct {
		name, page, action string     // the page of the form, after /admin/w/{workspace}, and the end of the form's action
		fields             url.Values // what tab A types
		acted              string     // a query on acme (?) whose answer the submission changes
	}{
		// Before the capture and the compare below, which resolve the finding.
		{"finding triage", "/t/prod/findings", "/findings/acknowledge", url.Values{"finding": {fmt.Sprint(f.finding["acme"])}},
			`SELECT count(*) FROM findings WHERE workspace_id = ? AND status = 'acknowledged'`},
		{"backup", "/t/prod/backups", "/t/prod/backups", url.Values{"name": {"Tab A"}}, runs("backup.create")},
		{"sync", "/t/prod/inventory", "/inventory/sync", nil, runs("inventory.sync")},
		{"capture", "/baselines/golden", "/capture", url.Values{"environment": {"prod"}}, runs("baseline.capture")},
		{"compare", "/t/prod", "/compare", url.Values{"profile": {"golden"}}, runs("drift.compare")},
		{"restore", restore("acme") + preview, restore("acme"), url.Values{"confirm": {"Pilot"}}, runs("restore.apply")},
		{"retention", "/t/prod/backups", "/backups/retention", url.Values{"keep_last": {"5"}},
			`SELECT count(*) FROM backup_retention r JOIN managed_environments e ON e.id = r.managed_environment_id WHERE e.workspace_id = ? AND r.keep_last = 5`},
		{"baseline edit", "/baselines/golden", "/baselines/golden", url.Values{"name": {"Golden of tab A"}, "slug": {"golden"}, "status": {"active"}, "capture_mode": {"full"}},
			`SELECT count(*) FROM baseline_profiles WHERE workspace_id = ? AND name = 'Golden of tab A'`},
		{"member role", "/members", fmt.Sprintf("/members/%d/role", f.victimID), url.Values{"role": {"operator"}},
			fmt.Sprintf(`SELECT count(*) FROM workspace_memberships WHERE workspace_id = ? AND user_id = %d AND role = 'operator'`, f.victimID)},
		{"member removal", "/members", fmt.Sprintf("/members/%d/remove", f.victimID), nil,
			fmt.Sprintf(`SELECT count(*) FROM workspace_memberships WHERE workspace_id = ? AND user_id = %d`, f.victimID)},
		{"workspace rename", "/settings", "/settings", url.Values{"name": {"Acme of tab A"}}, `SELECT count(*) FROM workspaces WHERE id = ? AND name = 'Acme of tab A'`},
		{"archive", "/settings", "/archive", url.Values{"confirm": {"acme"}}, `SELECT count(*) FROM workspaces WHERE id = ? AND archived_at IS NOT NULL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tabA := f.owner.Get(page("acme", tt.page))
			if tabA.Status != http.StatusOK {
				t.Fatalf("tab A opens %s: %d", tt.page, tabA.Status)
			}
			action, fields := form(t, tabA.Body, tt.action)
			for k, v := range tt.fields {
				fields[k] = v
			}
			// Tab B, the same session, works in fabrikam.
			if r := f.owner.Post("/admin/workspaces/fabrikam/select", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("tab B selects fabrikam: %d", r.Status)
			}
			same := strings.ReplaceAll(tt.page, restore("acme"), restore("fabrikam"))
			if r := f.owner.Get(page("fabrikam", same)); r.Status != http.StatusOK {
				t.Fatalf("tab B opens fabrikam's %s: %d", tt.page, r.Status)
			}
			acted := count(t, f.env, tt.acted, acme)
			r := f.owner.Post(action, fields)
			if r.Status != http.StatusSeeOther {
				t.Errorf("tab A submits to %s: %d\n%.2000s", action, r.Status, r.Body)
			}
			if count(t, f.env, tt.acted, acme) == acted {
				t.Errorf("the form posted to %s did not act on acme", action)
			}
			if after := workspaceRows(t, f.env, fabrikam); after != before {
				t.Errorf("the form posted to %s changed fabrikam:\n%s", action, lineDiff(before, after))
			}
		})
	}
}

// lineDiff is the lines only one of a and b has, marked - and +.
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	inA, inB := in(a), in(b)
	var out strings.Builder
	for _, l := range strings.Split(a, "\n") {
		if !inB[l] {
			out.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !inA[l] {
			out.WriteString("+ " + l + "\n")
		}
	}
	return out.String()
}
