package app_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/operation"
)

// twoWorkspaces is acme (prod "Production") and fabrikam (prod "Fabrikam
// Production", lab "Fabrikam Lab"): "two" is a readonly member of acme and an
// operator of fabrikam entitled to prod only; "acmeonly" is a member of acme only.
type twoWorkspaces struct {
	env                  *apptest.Env
	two, acmeOnly        *apptest.Client
	fabrikamRun, labRun  int64 // runs in fabrikam's prod and lab
	acmeRun              int64
	fabrikamEnv, acmeEnv int64
}

func newTwoWorkspaces(t *testing.T) *twoWorkspaces {
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
	must(d.AddWorkspace(ctx, "acme", "Acme Corp"))
	must(d.AddEnvironment(ctx, "acme", "prod", "Production"))
	must(d.AddWorkspace(ctx, "fabrikam", "Fabrikam"))
	must(d.AddEnvironment(ctx, "fabrikam", "prod", "Fabrikam Production"))
	must(d.AddEnvironment(ctx, "fabrikam", "lab", "Fabrikam Lab"))
	must(d.AddUser(ctx, "two@test", "Two", password, false))
	must(d.AddUser(ctx, "acmeonly@test", "Acme only", password, false))
	must(d.AddMember(ctx, "acme", "two@test", "readonly", "prod"))
	must(d.AddMember(ctx, "fabrikam", "two@test", "operator", "prod"))
	must(d.AddMember(ctx, "acme", "acmeonly@test", "owner", ""))
	f := &twoWorkspaces{env: e}
	run := func(workspaceSlug, environmentSlug string) (runID, environmentID int64) {
		t.Helper()
		var wsID int64
		d.DB.Read.QueryRow(`SELECT w.id, e.id FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id
			WHERE w.slug = ? AND e.slug = ?`, workspaceSlug, environmentSlug).Scan(&wsID, &environmentID)
		r, _, err := d.Engine.Execute(ctx, operation.StartRequest{WorkspaceID: wsID, EnvironmentID: environmentID, Type: "demo.count",
			Context: map[string]any{"count": 1, "delay_ms": 0}, UserID: d.Owner.ID})
		must(err)
		return r.ID, environmentID
	}
	f.acmeRun, f.acmeEnv = run("acme", "prod")
	f.fabrikamRun, f.fabrikamEnv = run("fabrikam", "prod")
	f.labRun, _ = run("fabrikam", "lab")
	f.two = e.SignIn("two@test", password)
	f.acmeOnly = e.SignIn("acmeonly@test", password)
	if r := f.two.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	return f
}

func runPath(id int64) string { return "/admin/operations/" + strconv.FormatInt(id, 10) }

// currentWorkspace is the name the header's workspace switcher shows.
func currentWorkspace(t *testing.T, c *apptest.Client) string {
	t.Helper()
	body := c.Get("/admin/workspaces").Body // names no workspace: it shows the current one
	_, rest, _ := strings.Cut(body, `<details class="switcher">`+"\n<summary>")
	name, _, _ := strings.Cut(rest, "</summary>")
	return name
}

// TestAcrossWorkspaces shares one fixture (sign-ins and syncs are slow) between
// run access, links naming their workspace, and search; each part leaves acme
// current for the next, and the index's own test, which deletes fabrikam, is last.
func TestAcrossWorkspaces(t *testing.T) {
	f := searchable(t)
	t.Run("opening a run of another workspace switches to it", func(t *testing.T) { runSwitches(t, f) })
	t.Run("runs the user may not open are not found", func(t *testing.T) { runsNotFound(t, f) })
	t.Run("a link's workspace is switched to before its environment binds", func(t *testing.T) { linksNameTheirWorkspace(t, f) })
	t.Run("search finds every kind across workspaces", func(t *testing.T) { findsEveryKind(t, f) })
	t.Run("search never shows what the user may not open", func(t *testing.T) { showsNothingHidden(t, f) })
	t.Run("the search index follows renames and deletions", func(t *testing.T) { indexFollowsChanges(t, f) })
}

// spec 077: a run is opened by membership of its own workspace, whatever is current.
func runSwitches(t *testing.T, f *twoWorkspaces) {
	// A run page left open polls itself: that reads the run without switching.
	poll := f.two.Request(http.MethodGet, runPath(f.fabrikamRun)+"?live=1", nil)
	poll.Header.Set("HX-Request", "true")
	if r := f.two.Do(poll); r.Status != http.StatusOK || strings.Contains(r.Body, "Switched to") {
		t.Errorf("poll: status %d, or it switched", r.Status)
	}
	if got := currentWorkspace(t, f.two); got != "Acme Corp" {
		t.Errorf("a poll switched the current workspace to %q", got)
	}
	r := f.two.Get(runPath(f.fabrikamRun))
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200", r.Status)
	}
	for _, want := range []string{`class="flash flash-info"`, "Switched to Fabrikam to show this run.", "<summary>Fabrikam</summary>",
		"<summary>Fabrikam Production</summary>", `href="/admin/w/fabrikam/t/prod">Fabrikam Production</a>`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	if got := currentWorkspace(t, f.two); got != "Fabrikam" {
		t.Errorf("current workspace after the run is %q, want Fabrikam", got)
	}
	// Back in acme, acme's run opens without a switch or a notice.
	r = f.two.Get(runPath(f.acmeRun))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Switched to Acme Corp to show this run.") {
		t.Errorf("acme's run: status %d, no notice", r.Status)
	}
	if r = f.two.Get(runPath(f.acmeRun)); strings.Contains(r.Body, "Switched to") {
		t.Error("a run of the current workspace shows a switch notice")
	}
}

func runsNotFound(t *testing.T, f *twoWorkspaces) {
	tests := []struct {
		name   string
		client *apptest.Client
		run    int64
	}{
		{"a run of a workspace the user is not a member of", f.acmeOnly, f.fabrikamRun},
		{"a run of an environment the user is not entitled to", f.two, f.labRun},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missing := tt.client.Get("/admin/operations/999999")
			r := tt.client.Get(runPath(tt.run))
			if r.Status != http.StatusNotFound || missing.Status != http.StatusNotFound {
				t.Fatalf("status %d (missing id: %d), want 404", r.Status, missing.Status)
			}
			if r.Body != missing.Body {
				t.Errorf("the 404 differs from a missing id's:\n%s\n---\n%s", r.Body, missing.Body)
			}
			if got := currentWorkspace(t, tt.client); got != "Acme Corp" {
				t.Errorf("current workspace became %q", got)
			}
		})
	}
}

// A link names its workspace (issue 26): /admin/w/fabrikam/t/prod is
// fabrikam's prod whatever is current, never acme's, and opening it makes
// fabrikam current.
func linksNameTheirWorkspace(t *testing.T, f *twoWorkspaces) {
	r := f.two.Get("/admin/w/fabrikam/t/prod")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "<summary>Fabrikam</summary>") || !strings.Contains(r.Body, "<h1>Fabrikam Production") {
		t.Fatalf("status %d, want fabrikam's prod in fabrikam:\n%s", r.Status, r.Body)
	}
	if strings.Contains(r.Body, ">Production<") {
		t.Error("fabrikam's prod page names acme's Production")
	}
	if got := currentWorkspace(t, f.two); got != "Fabrikam" {
		t.Errorf("current workspace %q, want Fabrikam", got)
	}
	// From fabrikam, a link to acme's prod lands on acme's.
	r = f.two.Get("/admin/w/acme/t/prod")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "<h1>Production") || strings.Contains(r.Body, "Fabrikam Production") {
		t.Errorf("status %d, want acme's Production only", r.Status)
	}
	for _, tt := range []struct {
		name   string
		client *apptest.Client
		path   string
	}{
		{"a workspace the user is not a member of", f.acmeOnly, "/admin/w/fabrikam/t/prod"},
		{"a workspace that does not exist", f.two, "/admin/w/nowhere/t/prod"},
		{"an environment slug only another workspace has", f.two, "/admin/w/acme/t/lab"},
		{"a workspace page for a non-member", f.acmeOnly, "/admin/w/fabrikam"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.client.Get(tt.path)
			if r.Status != http.StatusNotFound {
				t.Errorf("status %d, want 404", r.Status)
			}
			if tt.client == f.acmeOnly && strings.Contains(r.Body, "Fabrikam") {
				t.Error("the 404 names a workspace the user is not a member of")
			}
		})
	}
}
