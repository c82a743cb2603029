package app_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"atlas/app/apptest"
	"atlas/app/db"
	"atlas/app/operation"
	"atlas/app/web"
)

// runIn returns the run id a start, cancel or retry redirected to.
func runIn(t *testing.T, r *apptest.Response) int64 {
	t.Helper()
	m := regexp.MustCompile(`^/admin/operations/(\d+)$`).FindStringSubmatch(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("status %d, location %q: %s", r.Status, r.Header.Get("Location"), r.Body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// until fetches path until its body contains text (the engine runs in the background).
func until(t *testing.T, c *apptest.Client, path, text string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.Get(path)
		if strings.Contains(r.Body, text) {
			return r.Body
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never showed %q:\n%s", path, text, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOperationPagesForEveryViewer(t *testing.T) {
	f := newFixture(t)
	run := "/admin/operations/" + strconv.FormatInt(f.runID, 10)
	tests := []struct {
		name    string
		actor   int
		path    string
		status  int
		want    []string
		notWant []string
	}{
		{"owner's feed shows the run with its environment", owner, "/admin/w/acme/operations?environment=all", 200,
			[]string{"runs in 30 days", "Demo count", `href="/admin/w/acme/t/prod"`, `class="badge badge-partial"`, "owner"}, []string{"Unavailable"}},
		{"DESIGN §4: a member entitled to no environment sees none of its runs", unentitled, "/admin/w/acme/operations", 200,
			[]string{"runs in 30 days"}, []string{"Demo count", "Production", "/admin/w/acme/t/prod", "#" + strconv.FormatInt(f.runID, 10)}},
		{"owner's feed defaults to no filter without a current environment", owner, "/admin/w/acme/operations", 200, []string{`<td><a href="/admin/w/acme/t/prod">`}, []string{"clear-filter"}},
		{"owner's detail", owner, run, 200,
			[]string{"Demo count #", "badge-partial", "Count", "Some items failed", "item 2", "divisible by 2", `href="/admin/w/acme/t/prod"`, ">Retry</button>"},
			[]string{"hx-trigger", "Unavailable"}},
		{"spec 077: a run of an environment the member is not entitled to is not found", unentitled, run, 404,
			[]string{"does not exist"}, []string{"Production", "item 2", "Fail every", "Demo count"}},
		{"readonly sees retry disabled with the reason", readonly, run, 200,
			[]string{`disabled title="Needs the operator role (you are readonly)"`}, nil},
		{"outsider gets not found", outsider, run, 404, []string{"does not exist"}, []string{"Demo count"}},
		{"a run id that does not exist", owner, "/admin/operations/999999", 404, nil, nil},
		{"hub lists recent operations", owner, "/admin/w/acme", 200, []string{`id="recent-operations"`, "Demo count", "All operations"}, []string{"hx-trigger"}},
		{"dashboard lists them and offers no demo-only start", operator, "/admin/w/acme/t/prod", 200, []string{"Demo count"}, []string{"Run demo count", `value="demo.count"`}},
		{"feed offers no demo-only start", operator, "/admin/w/acme/operations?environment=prod", 200, []string{"Demo count"}, []string{"Run demo count", `name="delay_ms"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.clients[tt.actor].Get(tt.path)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d", r.Status, tt.status)
			}
			r.Shows(t, tt.want, tt.notWant)
		})
	}
}

// kpiValue reads a figure of the operations header by its label.
func kpiValue(t *testing.T, body, label string) string {
	t.Helper()
	m := regexp.MustCompile(`<span class="kpi-value">([^<]*)</span><span class="kpi-label">` + regexp.QuoteMeta(label) + `</span>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %q figure", label)
	}
	return m[1]
}

// TestKPIsCountOnlyEntitledEnvironments (issue 17, DESIGN §4, spec 058): every
// figure and row of the feed, and the hub's recent runs, hold only the runs of
// the environments the viewer is entitled to and the workspace's own: the
// operator of prod sees neither pilot's runs nor their count.
func TestKPIsCountOnlyEntitledEnvironments(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	var acmeID, pilotID int64
	f.env.Data.DB.Read.QueryRow(`SELECT w.id, e.id FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id
		WHERE w.slug = 'acme' AND e.slug = 'pilot'`).Scan(&acmeID, &pilotID)
	runs := map[string][]int64{"prod": {f.runID}}
	for env, id := range map[string]int64{"pilot": pilotID, "pilot again": pilotID, "workspace": 0} {
		run, _, err := f.env.Data.Engine.Execute(ctx, operation.StartRequest{WorkspaceID: acmeID, EnvironmentID: id, Type: "demo.count",
			Context: map[string]any{"count": 2, "delay_ms": 0, "fail_every": 1}, UserID: f.env.Data.Owner.ID})
		if err != nil {
			t.Fatal(err)
		}
		env, _, _ = strings.Cut(env, " ")
		runs[env] = append(runs[env], run.ID)
	}
	// What each may open, counted apart from the code under test.
	count := func(entitled string) (string, string) {
		var all, failed int
		f.env.Data.DB.Read.QueryRow(`SELECT count(*), count(*) FILTER (WHERE outcome IN ('failed', 'partial')) FROM operation_runs r
			LEFT JOIN managed_environments e ON e.id = r.managed_environment_id
			WHERE r.workspace_id = ? AND (e.slug IS NULL OR instr(?, ' ' || e.slug || ' '))`, acmeID, " "+entitled+" ").Scan(&all, &failed)
		return strconv.Itoa(all), strconv.Itoa(failed)
	}
	for _, tt := range []struct {
		actor           int
		entitled        string
		shown, withheld []string
	}{
		{owner, "prod pilot", []string{"prod", "pilot", "workspace"}, nil},
		{operator, "prod", []string{"prod", "workspace"}, []string{"pilot"}},
		{readonly, "prod", []string{"prod", "workspace"}, []string{"pilot"}},
		{unentitled, "", []string{"workspace"}, []string{"prod", "pilot"}},
	} {
		t.Run(actorNames[tt.actor], func(t *testing.T) {
			c := f.clients[tt.actor]
			feed := c.Get("/admin/w/acme/operations?environment=all").Body
			runs30, failed := count(tt.entitled)
			if got := kpiValue(t, feed, "runs in 30 days"); got != runs30 {
				t.Errorf("runs in 30 days: %s, want %s", got, runs30)
			}
			if got := kpiValue(t, feed, "failed or partial in 7 days"); got != failed {
				t.Errorf("failed or partial in 7 days: %s, want %s", got, failed)
			}
			for _, env := range tt.shown {
				for _, id := range runs[env] {
					if !strings.Contains(feed, fmt.Sprintf(`href="/admin/operations/%d"`, id)) {
						t.Errorf("the feed does not list %s's run #%d", env, id)
					}
				}
			}
			hub := c.Get("/admin/w/acme").Body
			for _, env := range tt.withheld {
				for _, id := range runs[env] {
					if link := fmt.Sprintf(`/admin/operations/%d"`, id); strings.Contains(feed, link) || strings.Contains(hub, link) {
						t.Errorf("the feed or the hub lists %s's run #%d", env, id)
					}
				}
			}
		})
	}
}

// The sidebar's Operations link names the current environment; the feed's
// address alone decides what it lists (issue 26: the session's environment no
// longer filters it, so a link opens the same list whatever another tab chose).
func TestFeedLinkNamesTheCurrentEnvironment(t *testing.T) {
	f := newFixture(t)
	c := f.clients[owner]
	// pilot gets a run of its own; visiting pilot's dashboard makes it current.
	c.Post("/admin/w/acme/t/pilot/operations", url.Values{"type": {"demo.count"}, "count": {"1"}, "delay_ms": {"0"}})
	dashboard := c.Get("/admin/w/acme/t/pilot")
	dashboard.Shows(t, []string{`<a href="/admin/w/acme/operations?environment=pilot" data-palette="Operations">`}, nil)
	if r := c.Get("/admin/w/acme/operations"); strings.Contains(r.Body, "Environment: Pilot") || !strings.Contains(r.Body, `<td><a href="/admin/w/acme/t/prod">`) {
		t.Error("the feed's address without a filter does not list every environment's runs")
	}
	r := c.Get("/admin/w/acme/operations?environment=pilot")
	if !strings.Contains(r.Body, `class="clear-filter" href="/admin/w/acme/operations?environment=all"`) || !strings.Contains(r.Body, "Environment: Pilot") {
		t.Fatalf("no visible pilot filter with a way to clear it:\n%s", r.Body)
	}
	if strings.Contains(r.Body, `<td><a href="/admin/w/acme/t/prod">`) {
		t.Error("the pilot-filtered feed lists prod's run")
	}
	r = c.Get("/admin/w/acme/operations?environment=all")
	if !strings.Contains(r.Body, `<td><a href="/admin/w/acme/t/prod">`) || !strings.Contains(r.Body, `<td><a href="/admin/w/acme/t/pilot">`) {
		t.Error("the cleared filter does not list both environments' runs")
	}
	r = c.Get("/admin/w/acme/operations?environment=all&outcome=failed&outcome=partial&period=7d")
	if !strings.Contains(r.Body, "Outcome: partial or failed") || !strings.Contains(r.Body, `<td><a href="/admin/w/acme/t/prod">`) {
		t.Errorf("the failed/partial KPI link does not list prod's partial run")
	}
}

func TestStartDedupeCancelAndRetryThroughThePages(t *testing.T) {
	f := newFixture(t)
	c := f.clients[operator]
	slow := url.Values{"type": {"demo.count"}, "count": {"100000"}, "delay_ms": {"20"}}
	id := runIn(t, c.Post("/admin/w/acme/t/prod/operations", slow))
	path := "/admin/operations/" + strconv.FormatInt(id, 10)
	body := until(t, c, path, "badge-running")
	if !strings.Contains(body, `hx-get="`+path+`?live=1" hx-trigger="every 1s"`) || !strings.Contains(body, "<progress") {
		t.Errorf("an active run does not poll with a progress bar:\n%s", body)
	}
	if again := runIn(t, c.Post("/admin/w/acme/t/prod/operations", slow)); again != id {
		t.Errorf("second start opened run %d, want the active %d", again, id)
	}
	if r := c.Get(path); !strings.Contains(r.Body, "Demo count is already running here") {
		t.Errorf("no already-running notice:\n%s", r.Body)
	}
	if r := c.Post("/admin/w/acme/t/prod/operations", url.Values{"type": {"demo.count"}, "count": {"0"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "count must be a whole number from 1 to 1000000") {
		t.Errorf("invalid count: %d", r.Status)
	}
	if r := c.Post("/admin/w/acme/t/prod/operations", url.Values{"type": {"nope"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("unknown type: %d", r.Status)
	}
	if r := f.clients[readonly].Post(path+"/cancel", nil); r.Status != http.StatusForbidden {
		t.Errorf("readonly cancel: %d", r.Status)
	}

	runIn(t, c.Post(path+"/cancel", nil))
	body = until(t, c, path+"?live=1", "badge-cancelled")
	if strings.Contains(body, "hx-trigger") || !strings.Contains(body, "data-toast") || !strings.Contains(body, "Demo count #"+strconv.FormatInt(id, 10)+" cancelled.") {
		t.Errorf("a finished run still polls or has no toast:\n%s", body)
	}
	if r := c.Post(path+"/cancel", nil); r.Status != http.StatusConflict {
		t.Errorf("cancel a finished run: %d", r.Status)
	}

	retry := runIn(t, c.Post(path+"/retry", nil))
	if retry == id {
		t.Fatal("retry reopened the old run")
	}
	body = c.Get("/admin/operations/" + strconv.FormatInt(retry, 10)).Body
	if !strings.Contains(body, `<dd data-relation="retry_of"><a href="`+path+`">Demo count #`) {
		t.Errorf("the retry does not link the old run:\n%s", body)
	}
	if body := c.Get(path).Body; !strings.Contains(body, `<dd data-relation="retried_as"><a href="/admin/operations/`+strconv.FormatInt(retry, 10)+`">Demo count #`) {
		t.Error("the old run does not link its retry")
	}
	runIn(t, c.Post("/admin/operations/"+strconv.FormatInt(retry, 10)+"/cancel", nil))
}

func TestFeedPagerWalksEveryRun(t *testing.T) {
	e := apptest.New(t)
	ctx := t.Context()
	e.Data.AddWorkspace(ctx, "acme", "Acme")
	e.Data.AddEnvironment(ctx, "acme", "prod", "Production")
	c := e.Owner()
	c.Post("/admin/workspaces/acme/select", nil)
	var want []string
	for i := range 120 {
		_ = i
		id := runIn(t, c.Post("/admin/w/acme/t/prod/operations", url.Values{"type": {"demo.count"}, "count": {"1"}, "delay_ms": {"0"}}))
		want = append([]string{strconv.FormatInt(id, 10)}, want...)
		until(t, c, "/admin/operations/"+strconv.FormatInt(id, 10), "badge-succeeded")
	}
	link := regexp.MustCompile(`<a href="/admin/operations/(\d+)">#`)
	next := regexp.MustCompile(`<a class="next" href="([^"]+)">`)
	var got []string
	for path, pages := "/admin/w/acme/operations?environment=all", 0; path != ""; pages++ {
		r := c.Get(path)
		for _, m := range link.FindAllStringSubmatch(r.Body, -1) {
			got = append(got, m[1])
		}
		path = ""
		if m := next.FindStringSubmatch(r.Body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		if pages > 5 {
			t.Fatal("the pager does not end")
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("pages listed %d runs, want %d in order", len(got), len(want))
	}
}

// TestActingOnARunIsDecidedByTheResolver: retry of a finished pilot run is refused
// with 409 once pilot is archived; a member not entitled to pilot and an outsider
// get 404 for the run and its retry (spec 077).
func TestActingOnARunIsDecidedByTheResolver(t *testing.T) {
	f := newFixture(t)
	owner := f.clients[owner]
	id := runIn(t, owner.Post("/admin/w/acme/t/pilot/operations", url.Values{"type": {"demo.count"}, "count": {"1"}}))
	path := "/admin/operations/" + strconv.FormatInt(id, 10)
	until(t, owner, path, "badge-succeeded")
	if r := f.clients[operator].Post(path+"/retry", nil); r.Status != http.StatusNotFound {
		t.Errorf("operator without a pilot membership retries: %d", r.Status)
	}
	if r := f.clients[operator].Get(path); r.Status != http.StatusNotFound {
		t.Errorf("operator without a pilot membership views the run: %d", r.Status)
	}
	if r := f.clients[outsider].Get(path); r.Status != http.StatusNotFound {
		t.Errorf("outsider views the run: %d", r.Status)
	}
	var before, after int
	f.env.Data.DB.Read.QueryRow(`SELECT count(*) FROM operation_runs`).Scan(&before)
	if r := owner.Post("/admin/w/acme/t/pilot/archive", url.Values{"confirm": {"pilot"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("archive pilot: %d", r.Status)
	}
	if r := owner.Post(path+"/retry", nil); r.Status != http.StatusConflict || !strings.Contains(r.Body, "archived") {
		t.Errorf("retry in an archived environment: %d", r.Status)
	}
	f.env.Data.DB.Read.QueryRow(`SELECT count(*) FROM operation_runs`).Scan(&after)
	if after != before {
		t.Errorf("a refused retry created a run: %d runs, before %d", after, before)
	}
}

// The feed filters by every type Atlas knows — registered or found in the
// workspace's runs — and names an unknown one in a chip instead of ignoring it.
func TestFeedFiltersByEveryKnownType(t *testing.T) {
	f := newFixture(t)
	d := f.env.Data
	if _, err := d.DB.Write.Exec(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome, created_at)
		SELECT w.id, e.id, 'legacy.import', 'completed', 'succeeded', ? FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id
		WHERE w.slug = 'acme' AND e.slug = 'prod'`, db.Now()); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		actor         int
		path          string
		want, notWant []string
	}{
		{"a registered type", owner, "/admin/w/acme/operations?environment=all&type=drift.compare",
			[]string{"Type: Drift compare", `<option value="drift.compare" selected>`, "<td>Drift compare</td>"},
			[]string{"<td>Demo count</td>", "<td>Legacy import</td>", "Unknown type"}},
		{"a type only the workspace's runs know", owner, "/admin/w/acme/operations?environment=all&type=legacy.import",
			[]string{"Type: Legacy import", `<option value="legacy.import" selected>`, "<td>Legacy import</td>"},
			[]string{"<td>Drift compare</td>", "<td>Demo count</td>"}},
		{"an unknown type: a chip that removes it, and no runs", owner, "/admin/w/acme/operations?environment=all&type=nope",
			[]string{`<a class="clear-filter" href="/admin/w/acme/operations?environment=all" title="Remove this filter">Unknown type: nope</a>`, "No runs match these filters"},
			[]string{"<td>Drift compare</td>", "<td>Demo count</td>", "selected>Nope"}},
		{"a demo-only type is listed where it ran", owner, "/admin/w/acme/operations?environment=all",
			[]string{`<option value="demo.count">Demo count</option>`, `<option value="inventory.sync">Inventory sync</option>`}, nil},
		{"and not where it never ran", outsider, "/admin/w/other/operations",
			[]string{`<option value="inventory.sync">Inventory sync</option>`}, []string{"demo.count", "legacy.import"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.clients[tt.actor].Get(tt.path)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
			r.Shows(t, tt.want, tt.notWant)
		})
	}
}

// A sync's page says what it read in words; the JSON comes second, folded away.
func TestRunContextReadsAsWords(t *testing.T) {
	e := apptest.NewAcme(t)
	run := e.SyncExport("acme", "prod", fstest.MapFS{"CompliancePolicies/Baseline.json": {
		Data: []byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p1","displayName":"Baseline compliance"}`)}})
	body := e.Owner().Get("/admin/operations/" + strconv.FormatInt(run.ID, 10)).Body
	details, folded, ok := strings.Cut(body, "<details><summary class=\"muted\">Context as JSON</summary>")
	if !ok {
		t.Fatalf("no folded JSON:\n%s", body)
	}
	details = details[strings.Index(details, "<h2>Details</h2>"):]
	for _, want := range []string{"<dt>Selection › Source kind</dt><dd>folder</dd>", "<dt>Selection › Layout</dt>", "<dt>Expected files</dt><dd>1</dd>", "<dt>Selection hash</dt>"} {
		if !strings.Contains(details, want) {
			t.Errorf("details miss %q:\n%s", want, details)
		}
	}
	if strings.Contains(details, "{") || strings.Contains(details, "&#34;") {
		t.Errorf("details show raw JSON:\n%s", details)
	}
	if !strings.Contains(folded, "&#34;selection&#34;: {") {
		t.Errorf("the folded JSON is not the context:\n%s", folded)
	}
}

// formIn reads the fields of the form that page renders for action: its hidden
// inputs (the one-time form key among them), as a browser would send them.
func formIn(t *testing.T, page, action string) url.Values {
	t.Helper()
	m := regexp.MustCompile(`(?s)<form[^>]* method="post" action="` + regexp.QuoteMeta(action) + `">(.*?)</form>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form for %s:\n%s", action, page)
	}
	form := url.Values{}
	for _, in := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(m[1], -1) {
		form.Add(in[1], html.UnescapeString(in[2]))
	}
	if form.Get(web.FormKeyField) == "" {
		t.Fatalf("the form for %s carries no form key:\n%s", action, m[1])
	}
	return form
}

// TestConcurrentStartsJoinOneRun: twenty parallel submissions of one rendered
// start form, of every kind, make one run and all open it; the same form sent
// again once that run has finished opens it again (issue 17: twenty "Apply
// restore" of one set gave 3 restores, fast runs ending between submissions).
func TestConcurrentStartsJoinOneRun(t *testing.T) {
	f := newFixture(t)
	c := f.clients[owner]
	export := t.TempDir()
	os.MkdirAll(filepath.Join(export, "CompliancePolicies"), 0o700)
	os.WriteFile(filepath.Join(export, "CompliancePolicies", "Baseline.json"),
		[]byte(`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"p1","displayName":"Baseline compliance"}`), 0o600)
	if r := c.Post("/admin/w/acme/t/prod/connection", url.Values{"path": {export}}); r.Status != http.StatusSeeOther {
		t.Fatalf("connect prod to its export: %d: %s", r.Status, r.Body)
	}
	backup := "/admin/w/acme/t/prod/backups/" + strconv.FormatInt(f.backupID, 10)
	run := "/admin/operations/" + strconv.FormatInt(f.runID, 10)
	tests := []struct {
		name, page, action string // page renders the form; "" for a form no page renders
		fields             url.Values
	}{
		{"sync", "/admin/w/acme/t/prod/inventory", "/admin/w/acme/t/prod/inventory/sync", nil},
		{"backup", "/admin/w/acme/t/prod/backups", "/admin/w/acme/t/prod/backups", url.Values{"name": {"Twenty"}}},
		{"restore apply", backup + "/restore?target=pilot&layout=intunemanagement", backup + "/restore", url.Values{"confirm": {"Pilot"}}},
		{"capture", "/admin/w/acme/baselines/golden", "/admin/w/acme/baselines/golden/capture", url.Values{"environment": {"prod"}}},
		{"compare", "/admin/w/acme/t/prod/findings", "/admin/w/acme/t/prod/compare", url.Values{"profile": {"golden"}}},
		{"retry", run, run + "/retry", nil},
		{"generic start", "", "/admin/w/acme/t/prod/operations", url.Values{"type": {"demo.count"}, "count": {"1"}, "delay_ms": {"0"}, web.FormKeyField: {web.NewFormKey()}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			if tt.page != "" {
				form = formIn(t, c.Get(tt.page).Body, tt.action)
			}
			for k, v := range tt.fields {
				form[k] = v
			}
			key := form.Get(web.FormKeyField)
			var last int64
			f.env.Data.DB.Read.QueryRow(`SELECT max(id) FROM operation_runs`).Scan(&last)
			answers := make([]*apptest.Response, 20)
			var wg sync.WaitGroup
			for i := range answers {
				wg.Go(func() { answers[i] = c.Post(tt.action, form) })
			}
			wg.Wait()
			id := runIn(t, answers[0])
			for i, r := range answers {
				if r.Status != http.StatusSeeOther || r.Header.Get("Location") != answers[0].Header.Get("Location") {
					t.Errorf("submission %d: status %d, location %q; the first opened run %d", i, r.Status, r.Header.Get("Location"), id)
				}
			}
			if n := count(t, f.env, `SELECT count(*) FROM operation_runs WHERE id > ?`, last); n != 1 {
				t.Errorf("twenty submissions of one form made %d runs", n)
			}
			if n := count(t, f.env, `SELECT count(*) FROM operation_runs WHERE id = ? AND start_key = ?`, id, key); n != 1 {
				t.Errorf("run %d does not carry the form's key", id)
			}
			path := "/admin/operations/" + strconv.FormatInt(id, 10)
			until(t, c, path, "Retry</button>") // finished
			if again := runIn(t, c.Post(tt.action, form)); again != id {
				t.Errorf("the form sent again after run %d finished opened run %d", id, again)
			}
			c.Get(path).Shows(t, []string{"This form already started"}, nil)
		})
	}
	var before int
	f.env.Data.DB.Read.QueryRow(`SELECT count(*) FROM operation_runs`).Scan(&before)
	damaged := url.Values{"type": {"demo.count"}, "count": {"1"}, web.FormKeyField: {"<script>alert(1)</script>"}}
	if r := c.Post("/admin/w/acme/t/prod/operations", damaged); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "This form is damaged") {
		t.Errorf("a damaged form key: %d", r.Status)
	}
	if n := count(t, f.env, `SELECT count(*) FROM operation_runs`); n != before {
		t.Errorf("a damaged form key started a run: %d runs, before %d", n, before)
	}
}
