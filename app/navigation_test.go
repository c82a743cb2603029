package app_test

import (
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
	"atlas/app/navigation"
)

// navigationSite is acme with prod and pilot: a compliance policy in both,
// baseline golden captured from prod's version 1, baseline reference captured
// from pilot, a backup of prod, then prod's version 2 and a compare with golden
// that finds the drift. The reader is readonly in prod only; the outsider
// belongs to another workspace.
type navigationSite struct {
	e                         *apptest.Env
	owner, reader, outsider   *apptest.Client
	policyID, findingID       int64
	goldenID, referenceID     int64 // snapshots
	backupID                  int64
	firstSync, capture, cmpID int64 // runs
}

func compliancePolicy(minLength int) fstest.MapFS {
	return fstest.MapFS{"CompliancePolicies/Windows compliance.json": {Data: fmt.Appendf(nil,
		`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"cp-1","displayName":"Windows compliance","passwordRequired":true,"passwordMinimumLength":%d}`, minLength)}}
}

func newNavigationSite(t *testing.T) *navigationSite {
	t.Helper()
	e := apptest.NewAcme(t)
	ctx := t.Context()
	d := e.Data
	for _, err := range []error{
		d.AddEnvironment(ctx, "acme", "pilot", "Pilot ring"),
		d.AddUser(ctx, "reader@acme.test", "Rita Reader", password, false),
		d.AddMember(ctx, "acme", "reader@acme.test", "readonly", "prod"),
		d.AddWorkspace(ctx, "other", "Other Inc"),
		d.AddUser(ctx, "outsider@other.test", "Otto Outsider", password, false),
		d.AddMember(ctx, "other", "outsider@other.test", "owner", ""),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	s := &navigationSite{e: e}
	s.firstSync = e.SyncExport("acme", "prod", compliancePolicy(8)).ID
	e.SyncExport("acme", "pilot", compliancePolicy(8))
	golden, err := d.CaptureBaseline(ctx, "acme", "golden", "prod", "")
	if err != nil {
		t.Fatal(err)
	}
	reference, err := d.CaptureBaseline(ctx, "acme", "reference", "pilot", "")
	if err != nil {
		t.Fatal(err)
	}
	s.goldenID, s.referenceID, s.capture = golden.Snapshot.ID, reference.Snapshot.ID, golden.Run.ID
	_, set, err := d.CreateBackup(ctx, "acme", "prod", "Before change", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.backupID = set.ID
	e.SyncExport("acme", "prod", compliancePolicy(14))
	s.cmpID = e.Compare("acme", "prod", "golden").Run.ID
	s.policyID = int64(count(t, e, `SELECT p.id FROM policies p JOIN managed_environments e ON e.id = p.managed_environment_id WHERE e.slug = 'prod'`))
	s.findingID = int64(count(t, e, `SELECT id FROM findings WHERE finding_type = 'setting_drift'`))
	s.owner = e.Owner()
	if r := s.owner.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	s.reader, s.outsider = e.SignIn("reader@acme.test", password), e.SignIn("outsider@other.test", password)
	return s
}

// detailPages are the site's detail pages, each with the relations its related
// context must show.
func (s *navigationSite) detailPages() map[string][]string {
	policy := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d", s.policyID)
	return map[string][]string{
		"/admin/w/acme/t/prod":           {"operations", "sync_runs", "backup_sets"},
		policy:                           {"latest_version", "source_run", "findings"},
		policy + "/versions/1":           {"parent_policy", "source_run", "snapshot_evidence", "backup_evidence"},
		policy + "/versions/2":           {"parent_policy", "source_run"},
		"/admin/w/acme/baselines/golden": {"latest_snapshot", "findings", "compare_runs"},
		s.snapshot("golden", s.goldenID): {"baseline_profile", "source_run", "source_environment", "findings"},
		s.finding():                      {"policy", "policy_version", "baseline_snapshot", "baseline_profile", "inventory_item", "baseline_run", "current_run"},
		s.backup():                       {"source_run", "artifact"},
		fmt.Sprint("/admin/operations/", s.firstSync): {"environment", "changed_policies"},
		fmt.Sprint("/admin/operations/", s.capture):   {"environment", "baseline_profile", "baseline_snapshot"},
		fmt.Sprint("/admin/operations/", s.cmpID):     {"environment", "baseline_profile", "baseline_snapshot", "findings"},
	}
}

func (s *navigationSite) snapshot(profile string, id int64) string {
	return fmt.Sprintf("/admin/w/acme/baselines/%s/snapshots/%d", profile, id)
}
func (s *navigationSite) finding() string {
	return fmt.Sprintf("/admin/w/acme/t/prod/findings/%d", s.findingID)
}
func (s *navigationSite) backup() string {
	return fmt.Sprintf("/admin/w/acme/t/prod/backups/%d", s.backupID)
}

// relatedEntry is one rendered entry of a page's related context.
type relatedEntry struct {
	source, key, unavailable, href, text string
}

var (
	relatedSection = regexp.MustCompile(`(?s)<section class="panel related"[^>]*data-related-source="([a-z_]+)">(.*?)</section>`)
	relatedDD      = regexp.MustCompile(`(?s)<dd( data-relation="([a-z_]+)")?( data-unavailable="([a-z]+)")?>(.*?)</dd>`)
	firstLink      = regexp.MustCompile(`<a href="([^"]*)">([^<]*)</a>`)
)

// relatedOf reads a page's related-context sections.
func relatedOf(t *testing.T, path, body string) []relatedEntry {
	t.Helper()
	sections := relatedSection.FindAllStringSubmatch(body, -1)
	if len(sections) != 1 {
		t.Fatalf("%s: %d related-context sections, want one", path, len(sections))
	}
	var list []relatedEntry
	for _, dd := range relatedDD.FindAllStringSubmatch(sections[0][2], -1) {
		if dd[2] == "" {
			t.Errorf("%s: an entry rendered without a relation: %s", path, dd[0])
			continue
		}
		e := relatedEntry{source: sections[0][1], key: dd[2], unavailable: dd[4]}
		if m := firstLink.FindStringSubmatch(dd[5]); m != nil {
			e.href, e.text = html.UnescapeString(m[1]), html.UnescapeString(m[2])
		}
		list = append(list, e)
	}
	return list
}

func ruleOf(e relatedEntry) (navigation.NavigationMatrixRule, bool) {
	i := slices.IndexFunc(navigation.Matrix, func(r navigation.NavigationMatrixRule) bool {
		return r.SourceType == e.source && r.SourceSurface == navigation.DetailSection && r.RelationKey == e.key
	})
	if i < 0 {
		return navigation.NavigationMatrixRule{}, false
	}
	return navigation.Matrix[i], true
}

var runLabel = regexp.MustCompile(`^(Inventory sync|Baseline capture|Drift compare|Backup|Restore) #\d+ · \d{1,2} [A-Z][a-z]{2}$`)

// TestSpec131ValidationRules checks each rule of spec 131's validation table on
// the rendered pages.
func TestSpec131ValidationRules(t *testing.T) {
	s := newNavigationSite(t)
	pages := map[string][]relatedEntry{}
	for path, want := range s.detailPages() {
		r := s.owner.Get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: status %d", path, r.Status)
		}
		pages[path] = relatedOf(t, path, r.Body)
		var keys []string
		for _, e := range pages[path] {
			keys = append(keys, e.key)
		}
		for _, k := range want {
			if !slices.Contains(keys, k) {
				t.Errorf("%s: no %s in its related context (has %v)", path, k, keys)
			}
		}
	}

	t.Run("every in-scope relationship resolves through one explicit navigation-matrix rule", func(t *testing.T) {
		for path, entries := range pages {
			for _, e := range entries {
				if _, ok := ruleOf(e); !ok {
					t.Errorf("%s: %s %s rendered without a matrix rule", path, e.source, e.key)
				}
			}
		}
	})

	t.Run("canonical run destinations always use the tenantless operations route family", func(t *testing.T) {
		for path, entries := range pages {
			for _, e := range entries {
				rule, _ := ruleOf(e)
				if (rule.TargetType == navigation.OperationRun && !strings.HasPrefix(e.href, "/admin/operations/") ||
					rule.TargetType == navigation.OperationsFeed && !strings.HasPrefix(e.href, "/admin/w/acme/operations?")) && e.href != "" {
					t.Errorf("%s: %s links to %s", path, e.key, e.href)
				}
			}
		}
	})

	t.Run("non-members receive 404 semantics for target resources", func(t *testing.T) {
		version := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/versions/1", s.policyID)
		for name, c := range map[string]*apptest.Client{"outsider": s.outsider} {
			for _, path := range []string{version, s.snapshot("golden", s.goldenID), s.finding(), s.backup()} {
				if r := c.Get(path); r.Status != http.StatusNotFound || strings.Contains(r.Body, "Windows compliance") {
					t.Errorf("%s GET %s: %d", name, path, r.Status)
				}
			}
		}
		// The reader is not entitled to pilot: its policy's version is not found either.
		pilotPolicy := count(t, s.e, `SELECT p.id FROM policies p JOIN managed_environments e ON e.id = p.managed_environment_id WHERE e.slug = 'pilot'`)
		if r := s.reader.Get(fmt.Sprintf("/admin/w/acme/t/pilot/policies/%d/versions/1", pilotPolicy)); r.Status != http.StatusNotFound {
			t.Errorf("reader GET pilot's version: %d", r.Status)
		}
	})

	t.Run("in-scope members lacking capability may see unavailable context, but target execution still fails with 403", func(t *testing.T) {
		r := s.reader.Get(s.snapshot("reference", s.referenceID))
		if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-relation="source_environment" data-unavailable="unauthorized"`) {
			t.Fatalf("reader's reference snapshot: %d, no unauthorized source environment", r.Status)
		}
		if strings.Contains(r.Body, "Pilot ring") || strings.Contains(r.Body, "/admin/w/acme/t/pilot") {
			t.Error("the snapshot names an environment the reader may not see")
		}
		if r := s.reader.Get("/admin/w/acme/baselines"); strings.Contains(r.Body, "Pilot ring") {
			t.Error("the baselines list names an environment the reader may not see")
		}
		finding := s.reader.Get(s.finding())
		if entries := relatedOf(t, s.finding(), finding.Body); len(entries) < 5 {
			t.Errorf("reader sees %d related entries of the finding", len(entries))
		}
		if r := s.reader.Post("/admin/w/acme/t/prod/compare", map[string][]string{"profile": {"golden"}}); r.Status != http.StatusForbidden {
			t.Errorf("reader starts a compare: %d, want 403", r.Status)
		}
	})

	t.Run("related-context entries show human-readable labels first and technical IDs second", func(t *testing.T) {
		bareID := regexp.MustCompile(`^#?\d+$`)
		for path, entries := range pages {
			for _, e := range entries {
				rule, _ := ruleOf(e)
				switch {
				case e.href == "":
				case bareID.MatchString(strings.TrimSpace(e.text)) || strings.HasPrefix(e.text, "#"):
					t.Errorf("%s: %s reads %q", path, e.key, e.text)
				case rule.TargetType == navigation.OperationRun && !runLabel.MatchString(e.text):
					t.Errorf("%s: run %s reads %q, want e.g. \"Inventory sync #8 · 3 Nov\"", path, e.key, e.text)
				}
			}
		}
		policy := s.owner.Get(fmt.Sprintf("/admin/w/acme/t/prod/policies/%d", s.policyID)).Body
		if regexp.MustCompile(`/admin/operations/\d+">#\d+<`).MatchString(policy) {
			t.Error("the version history links a run as a bare #id")
		}
	})

	t.Run("list-level drill-down actions remain limited to the highest-priority operator journeys", func(t *testing.T) {
		row := regexp.MustCompile(`(?s)<td class="actions-cell">(.*?)</td>`)
		for _, path := range []string{"/admin/w/acme/t/prod/policies", "/admin/w/acme/t/prod/findings", "/admin/w/acme/t/prod/backups", "/admin/w/acme/baselines"} {
			body := s.owner.Get(path).Body
			cells := row.FindAllStringSubmatch(body, -1)
			if len(cells) == 0 {
				t.Errorf("%s: no row offers a next step", path)
			}
			for _, c := range cells {
				inline, _, _ := strings.Cut(c[1], "<details")
				if n := strings.Count(inline, "data-action="); n == 0 || n > navigation.InlineLimit {
					t.Errorf("%s: %d inline actions in a row", path, n)
				}
			}
		}
		if body := s.owner.Get("/admin/w/acme/t/prod/findings").Body; !strings.Contains(body, `<details class="user-menu row-menu">`) ||
			!strings.Contains(body, `data-action="current_run"`) {
			t.Error("the findings list groups no third action in its menu")
		}
	})

	t.Run("missing or unresolved relations render clear unavailable states without broken links", func(t *testing.T) {
		// The first sync no longer kept; the finding's evidence names a policy Atlas no longer has.
		s.e.Data.DB.Write.Exec(`DELETE FROM operation_runs WHERE id = ?`, s.firstSync)
		s.e.Data.DB.Write.Exec(`UPDATE findings SET evidence_jsonb = json_set(evidence_jsonb, '$.current.policy_id', 999999) WHERE id = ?`, s.findingID)
		version := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/versions/1", s.policyID)
		for path, want := range map[string]relatedEntry{
			version:     {key: "source_run", unavailable: "missing"},
			s.finding(): {key: "policy_version", unavailable: "unresolved"},
		} {
			r := s.owner.Get(path)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d", path, r.Status)
			}
			i := slices.IndexFunc(relatedOf(t, path, r.Body), func(e relatedEntry) bool { return e.key == want.key })
			if i < 0 {
				t.Fatalf("%s: no %s entry", path, want.key)
			}
			if e := relatedOf(t, path, r.Body)[i]; e.unavailable != want.unavailable || e.href != "" {
				t.Errorf("%s: %s is %+v, want a non-clickable %s entry", path, want.key, e, want.unavailable)
			}
		}
	})
}

// TestVersionPage: a version's page shows its policy, the run that captured
// it, the baseline snapshots and backups holding it, and its settings as they were.
func TestVersionPage(t *testing.T) {
	s := newNavigationSite(t)
	base := fmt.Sprintf("/admin/w/acme/t/prod/policies/%d", s.policyID)
	r := s.owner.Get(base + "/versions/1")
	for _, want := range []string{
		"<h1>Version 1 of Windows compliance</h1>",
		fmt.Sprintf(`<a href="%s">Windows compliance</a>`, base),
		fmt.Sprintf(`<a href="%s">golden</a>`, s.snapshot("golden", s.goldenID)),
		fmt.Sprintf(`<a href="/admin/w/acme/t/prod/backups/%d">Before change</a>`, s.backupID),
		">8<", // its minimum password length, not version 2's 14
		`<span class="badge next-step">next step</span>`,
		`<a href="/admin/w/acme">Acme Corp</a>`, `<a href="/admin/w/acme/t/prod">Production</a>`, // workspace → environment → record
	} {
		if r.Status != http.StatusOK || !strings.Contains(r.Body, want) {
			t.Errorf("version 1: status %d, no %s", r.Status, want)
		}
	}
	if !regexp.MustCompile(fmt.Sprintf(`<a href="/admin/operations/%d\?back=[^"]+">Inventory sync #%d · \d+ \w+</a>`, s.firstSync, s.firstSync)).MatchString(r.Body) {
		t.Error("version 1 does not name the sync that captured it, with the way back")
	}
	if v2 := s.owner.Get(base + "/versions/2"); !strings.Contains(v2.Body, ">14<") || strings.Contains(v2.Body, "Before change") {
		t.Error("version 2 shows version 1's settings or holders")
	}
	for _, path := range []string{base + "/versions/3", base + "/versions/x"} {
		if r := s.owner.Get(path); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, r.Status)
		}
	}
	// A run opened from the version comes back to it.
	run := s.owner.Get(fmt.Sprintf("/admin/operations/%d?back=%s&back_label=Back+to+version+1", s.firstSync, base+"/versions/1"))
	if !strings.Contains(run.Body, fmt.Sprintf(`<a href="%s/versions/1">← Back to version 1</a>`, base)) {
		t.Error("the run's page offers no way back")
	}
}

// TestRunLinksOnlyWhereTheViewerMayOpenThem (issue 17): the reader is entitled
// to prod only, and baseline reference is captured from pilot. Its capture run
// is an unauthorized entry, never a link answering 404: as the snapshot's
// "Captured by", as the profile's Snapshots table's run, and as the "Baseline
// captured by" of prod's finding against it; the snapshot's Compares table
// lists prod's compare, not pilot's. The owner follows every one of them.
func TestRunLinksOnlyWhereTheViewerMayOpenThem(t *testing.T) {
	s := newNavigationSite(t)
	prodCompare := s.e.Compare("acme", "prod", "reference").Run.ID
	pilotCompare := s.e.Compare("acme", "pilot", "reference").Run.ID
	capture := count(t, s.e, `SELECT operation_run_id FROM baseline_snapshots WHERE id = ?`, s.referenceID)
	finding := fmt.Sprintf("/admin/w/acme/t/prod/findings/%d", count(t, s.e, `SELECT f.id FROM findings f
		JOIN baseline_profiles p ON p.id = f.baseline_profile_id JOIN managed_environments e ON e.id = f.managed_environment_id
		WHERE p.slug = 'reference' AND e.slug = 'prod' AND f.finding_type = 'setting_drift'`))
	snapshot, profile := s.snapshot("reference", s.referenceID), "/admin/w/acme/baselines/reference"
	captureLink := fmt.Sprintf(`/admin/operations/%d"`, capture)
	captureLinked := regexp.MustCompile(fmt.Sprintf(`href="/admin/operations/%d[?"]`, capture))
	for _, tt := range []struct {
		path, relation string // a related-context entry naming the capture ("" for none)
		table          string // the capture's cell in a table
	}{
		{snapshot, "source_run", ""},
		{profile, "", `<td><span class="unavailable" data-unavailable="unauthorized">Unavailable`},
		{finding, "baseline_run", ""},
	} {
		owner, reader := s.owner.Get(tt.path), s.reader.Get(tt.path)
		if owner.Status != http.StatusOK || reader.Status != http.StatusOK {
			t.Fatalf("%s: owner %d, reader %d", tt.path, owner.Status, reader.Status)
		}
		if !captureLinked.MatchString(owner.Body) {
			t.Errorf("%s: the owner has no link to the capture", tt.path)
		}
		if captureLinked.MatchString(reader.Body) {
			t.Errorf("%s: the reader is shown a link to the capture, which answers %d", tt.path, s.reader.Get(strings.TrimSuffix(captureLink, `"`)).Status)
		}
		if tt.relation != "" {
			i := slices.IndexFunc(relatedOf(t, tt.path, reader.Body), func(e relatedEntry) bool { return e.key == tt.relation })
			if i < 0 || relatedOf(t, tt.path, reader.Body)[i].unavailable != "unauthorized" {
				t.Errorf("%s: %s is not an unauthorized entry for the reader", tt.path, tt.relation)
			}
		}
		if tt.table != "" && !strings.Contains(reader.Body, tt.table) {
			t.Errorf("%s: the reader's table does not show the capture as unavailable", tt.path)
		}
	}
	compares := s.reader.Get(snapshot).Body
	if !strings.Contains(compares, fmt.Sprintf(`href="/admin/operations/%d">#%d</a>`, prodCompare, prodCompare)) ||
		strings.Contains(compares, fmt.Sprintf("#%d<", pilotCompare)) {
		t.Errorf("the reader's Compares table does not list prod's compare #%d only (pilot's is #%d)", prodCompare, pilotCompare)
	}
	if owners := s.owner.Get(snapshot).Body; !strings.Contains(owners, fmt.Sprintf(`href="/admin/operations/%d">#%d</a>`, pilotCompare, pilotCompare)) {
		t.Errorf("the owner's Compares table does not list pilot's compare")
	}
}
