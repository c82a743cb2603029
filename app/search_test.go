package app_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
)

func policyExport(name string) fstest.MapFS {
	return fstest.MapFS{"CompliancePolicies/" + name + ".json": {
		Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"x","displayName":"` + name + `","passwordMinimumLength":8}`)}}
}

// searchable is twoWorkspaces with a record of every kind in fabrikam's prod and
// one in each place "two" may not see: fabrikam's lab, and workspace globex.
func searchable(t *testing.T) *twoWorkspaces {
	t.Helper()
	f := newTwoWorkspaces(t)
	e, ctx := f.env, context.Background()
	if err := e.Data.AddWorkspace(ctx, "globex", "Globex Zephyr"); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddEnvironment(ctx, "globex", "prod", "Globex Production"); err != nil {
		t.Fatal(err)
	}
	e.SyncExport("fabrikam", "prod", policyExport("Zephyr firewall"))
	e.SyncExport("fabrikam", "lab", policyExport("Zephyr lab secret"))
	e.SyncExport("globex", "prod", policyExport("Zephyr globex secret"))
	e.SyncExport("acme", "prod", policyExport("Zephyr acme"))
	e.CaptureExport("fabrikam", "zephyr-golden", policyExport("Zephyr golden"))
	e.Compare("fabrikam", "prod", "zephyr-golden")
	if _, _, err := e.Data.CreateBackup(ctx, "fabrikam", "prod", "Zephyr nightly", nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func search(c *apptest.Client, q string) string {
	return c.Get("/admin/search?q=" + url.QueryEscape(q)).Body
}

func findsEveryKind(t *testing.T, f *twoWorkspaces) {
	var policyID, findingID, backupID int64
	f.env.Data.DB.Read.QueryRow(`SELECT id FROM policies WHERE display_name = 'Zephyr firewall'`).Scan(&policyID)
	f.env.Data.DB.Read.QueryRow(`SELECT id FROM findings WHERE managed_environment_id = ?`, f.fabrikamEnv).Scan(&findingID)
	f.env.Data.DB.Read.QueryRow(`SELECT id FROM backup_sets WHERE name = 'Zephyr nightly'`).Scan(&backupID)
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	tests := []struct {
		name, q string
		want    []string
	}{
		{"workspace", "fabrik", []string{`href="/admin/w/fabrikam"`, `data-hint="Workspace · Fabrikam"`}},
		{"environment", "fabrikam prod", []string{`href="/admin/w/fabrikam/t/prod"`, `data-label="Fabrikam Production"`}},
		{"policy, with the workspace in its link", "firewall", []string{`href="/admin/w/fabrikam/t/prod/policies/` + id(policyID) + `"`,
			`data-hint="Policy · Fabrikam · Fabrikam Production"`}},
		{"baseline profile", "zephyr", []string{`href="/admin/w/fabrikam/baselines/zephyr-golden"`}},
		{"finding", "zephyr golden", []string{`href="/admin/w/fabrikam/t/prod/findings/` + id(findingID) + `"`}},
		{"backup set", "nightly", []string{`href="/admin/w/fabrikam/t/prod/backups/` + id(backupID) + `"`, `data-label="Zephyr nightly"`}},
		{"run by number", "#" + id(f.fabrikamRun), []string{`href="/admin/operations/` + id(f.fabrikamRun) + `"`, `data-label="Demo count #` + id(f.fabrikamRun) + `"`}},
		{"a record of the current workspace too", "acme", []string{`data-label="Zephyr acme"`, `data-label="Acme Corp"`}},
		{"any case, any accent", "ZÉPHYR FIRE", []string{`data-label="Zephyr firewall"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := search(f.two, tt.q)
			for _, want := range tt.want {
				if !strings.Contains(body, want) {
					t.Errorf("%q: results lack %s:\n%s", tt.q, want, body)
				}
			}
		})
	}
	if body := search(f.two, "ze"); !strings.Contains(body, "Type at least 3 letters") || strings.Contains(body, "data-result data-label") {
		t.Errorf("a two-letter query searched:\n%s", body)
	}
}

func showsNothingHidden(t *testing.T, f *twoWorkspaces) {
	tests := []struct {
		name    string
		client  *apptest.Client
		q       string
		notWant []string
	}{
		{"another workspace's records", f.two, "zephyr", []string{"Globex"}},
		{"an environment the user is not entitled to, and its records", f.two, "lab", []string{"Fabrikam Lab", "Zephyr lab secret", `data-result data-label`}},
		{"a run of such an environment", f.two, "#" + strconv.FormatInt(f.labRun, 10), []string{`data-result data-label`}},
		{"a workspace the user is not a member of", f.acmeOnly, "fabrikam", []string{`data-result data-label`, "Fabrikam Production"}},
		{"its run", f.acmeOnly, strconv.FormatInt(f.fabrikamRun, 10), []string{`data-result data-label`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := search(tt.client, tt.q)
			for _, s := range tt.notWant {
				if strings.Contains(body, s) {
					t.Errorf("%q shows %s:\n%s", tt.q, s, body)
				}
			}
			if !strings.Contains(body, "Zephyr") && tt.q == "zephyr" {
				t.Error("the user's own records are missing too")
			}
		})
	}
	// Not even a count: nothing found reads the same as nothing there.
	hidden, nothing := search(f.acmeOnly, "fabrikam"), search(f.acmeOnly, "nowhere-at-all")
	if strings.ReplaceAll(hidden, "fabrikam", "Q") != strings.ReplaceAll(nothing, "nowhere-at-all", "Q") {
		t.Errorf("a hidden match answers differently from no match:\n%s\n---\n%s", hidden, nothing)
	}
}

// The index follows renames and deletions through its triggers.
func indexFollowsChanges(t *testing.T, f *twoWorkspaces) {
	w := f.env.Data.DB.Write
	for _, stmt := range []string{`UPDATE workspaces SET name = 'Fabrikam Worldwide' WHERE slug = 'fabrikam'`,
		`UPDATE managed_environments SET display_name = 'Blue production' WHERE id = ` + strconv.FormatInt(f.fabrikamEnv, 10)} {
		if _, err := w.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if body := search(f.two, "worldwide"); !strings.Contains(body, `data-label="Fabrikam Worldwide"`) {
		t.Errorf("renamed workspace not found:\n%s", body)
	}
	if body := search(f.two, "blue"); !strings.Contains(body, `data-label="Blue production"`) {
		t.Errorf("renamed environment not found:\n%s", body)
	}
	if _, err := w.Exec(`DELETE FROM workspaces WHERE slug = 'fabrikam'`); err != nil {
		t.Fatal(err)
	}
	var left int
	w.QueryRow(`SELECT count(*) FROM search_index WHERE label MATCH '"Fabrikam"' OR label MATCH '"Blue"'`).Scan(&left)
	if left != 0 {
		t.Errorf("%d index rows outlive their deleted workspace", left)
	}
}
