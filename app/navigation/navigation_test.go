package navigation

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"atlas/app/access"
)

// TestMatrixRulesAreWellFormed lists the rules: each uses spec 131's enums, has a
// label, and is the only one for its relation.
func TestMatrixRulesAreWellFormed(t *testing.T) {
	surfaces := []SourceSurface{DetailSection, DetailHeader, ListRow, CanonicalList}
	modes := []TargetMode{DirectRecord, FilteredList, CanonicalPage}
	policies := []MissingStatePolicy{Hide, ShowUnavailable, ShowReferenceOnly}
	seen := map[ruleKey]bool{}
	for _, r := range Matrix {
		t.Logf("%-17s %-14s %-18s → %-17s %-15s %q", r.SourceType, r.SourceSurface, r.RelationKey, r.TargetType, r.TargetMode, r.Label)
		k := ruleKey{r.SourceType, r.SourceSurface, r.RelationKey}
		switch {
		case seen[k]:
			t.Errorf("two rules for %v", k)
		case !slices.Contains(surfaces, r.SourceSurface), !slices.Contains(modes, r.TargetMode), !slices.Contains(policies, r.MissingStatePolicy):
			t.Errorf("%v: an enum value outside spec 131's", k)
		case r.Label == "" || r.Priority < 1:
			t.Errorf("%v: no label or priority", k)
		}
		seen[k] = true
	}
}

// Spec 131: every in-scope relationship resolves through one explicit rule; one
// without a rule cannot be rendered (it panics, failing the page's tests).
func TestRuleEveryRelationResolvesThroughOneRule(t *testing.T) {
	if r := Rule(PolicyVersion, DetailSection, "parent_policy"); r.TargetType != Policy || r.MissingStatePolicy != ShowReferenceOnly {
		t.Errorf("parent_policy rule = %+v", r)
	}
	defer func() {
		if recover() == nil {
			t.Error("a relation without a rule rendered")
		}
	}()
	NewEntries(PolicyVersion).Link("no_such_relation", "x", "", "/x")
}

// Spec 131: canonical run destinations always use the tenantless operations
// route family: a run's own page, or its workspace's feed (DESIGN §5).
func TestRuleCanonicalRunDestinationsAreTenantless(t *testing.T) {
	run := RunLink(1, 8, Finding, "Back to Defender", "/admin/w/acme/t/prod/findings/3?x=1")
	feed := FeedLink(&access.Workspace{ID: 1, Slug: "acme"}, 2, Environment, url.Values{"environment": {"prod"}, "type": {"inventory.sync"}}, "Back to Production inventory", "/admin/w/acme/t/prod/inventory")
	if !strings.HasPrefix(run.URL(), "/admin/operations/8?") {
		t.Errorf("run link %s", run.URL())
	}
	if !strings.HasPrefix(feed.URL(), "/admin/w/acme/operations?") {
		t.Errorf("feed link %s is not its workspace's feed", feed.URL())
	}
	q, _ := url.ParseQuery(strings.SplitN(feed.URL(), "?", 2)[1])
	back := BackFrom(q)
	if q.Get("type") != "inventory.sync" || q.Get("environment") != "prod" || back == nil ||
		back.Label != "Back to Production inventory" || back.URL != "/admin/w/acme/t/prod/inventory" {
		t.Errorf("feed link %s lost its filters or its way back (%+v)", feed.URL(), back)
	}
	for _, evil := range []string{"//evil.test/x", "https://evil.test", "/\\evil.test", ""} {
		if b := BackFrom(url.Values{BackParam: {evil}, BackLabelParam: {"Back"}}); b != nil {
			t.Errorf("followed %q back", evil)
		}
	}
}

// Spec 131: human-readable labels first, technical ids second.
func TestRuleEntriesShowLabelsFirstIDsSecond(t *testing.T) {
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	if got := RunLabel("Inventory sync", 8, at); got != "Inventory sync #8 · 3 Nov" {
		t.Errorf("RunLabel = %q", got)
	}
	l := NewEntries(PolicyVersion)
	l.Link("source_run", RunLabel("Inventory sync", 8, at), "succeeded", "/admin/operations/8")
	l.Link("parent_policy", "Defender baseline", "Settings catalog", "/admin/w/acme/t/prod/policies/3")
	s := l.Section()
	if s.Entries[0].Key != "parent_policy" || s.Entries[0].Value != "Defender baseline" || s.PrimaryEntryKey != "parent_policy" {
		t.Errorf("not in operator relevance, or no next step: %+v", s)
	}
}

// Spec 131: list-level drill-downs remain limited to the highest-priority journeys.
func TestRuleListRowsShowTheTopTwoInline(t *testing.T) {
	row := NewActions(BackupSet).Add("source_run", "/admin/operations/1").Add("artifact", "/d").Add("restore", "/r").Add("none", "").Row()
	var inline, grouped []string
	for _, a := range row.Inline {
		inline = append(inline, a.Key+":"+string(a.Placement))
	}
	for _, a := range row.Grouped {
		grouped = append(grouped, a.Key+":"+string(a.Placement))
	}
	if !slices.Equal(inline, []string{"restore:row_action", "artifact:row_action"}) || !slices.Equal(grouped, []string{"source_run:grouped_action"}) {
		t.Errorf("inline %v, grouped %v", inline, grouped)
	}
}

// Spec 131: missing or unresolved relations render clear unavailable states;
// unauthorized ones keep no reference.
func TestRuleUnavailableRelationsSayWhyAndLeakNothing(t *testing.T) {
	l := NewEntries(BaselineSnapshot)
	l.Unavailable("source_environment", ReasonUnauthorized, "Contoso production")
	l.Unavailable("source_run", ReasonMissing, "Baseline capture #4")
	l.Unavailable("findings", ReasonUnresolved, "") // hidden by its rule
	s := l.Section()
	if len(s.Entries) != 2 {
		t.Fatalf("entries %+v", s.Entries)
	}
	run, env := s.Entries[0], s.Entries[1]
	if run.Availability != Missing || run.Value != "Baseline capture #4" || run.TargetURL != "" || run.UnavailableText == "" {
		t.Errorf("missing run: %+v", run)
	}
	if env.Availability != Unauthorized || env.Value != "Unavailable" || strings.Contains(env.Value+env.SecondaryValue+env.UnavailableText, "Contoso") {
		t.Errorf("unauthorized environment leaks or is not unavailable: %+v", env)
	}
	if s.PrimaryEntryKey != "" {
		t.Errorf("an unavailable entry is the next step: %q", s.PrimaryEntryKey)
	}
}

// Issue 17: a table's link goes through its rule like a related entry: one
// without a rule cannot be rendered, and one the viewer may not follow is an
// unavailable entry that names nothing when unauthorized, or nothing at all
// when its rule hides it.
func TestLinksInTablesGoThroughTheirRules(t *testing.T) {
	if l := NewLink(BaselineSnapshot, ListRow, "source_run", "#8", "/admin/operations/8"); l.URL != "/admin/operations/8" || l.Text != "#8" {
		t.Errorf("available link: %+v", l)
	}
	l := UnavailableLink(BaselineSnapshot, ListRow, "source_run", ReasonUnauthorized, "Baseline capture #8")
	if l.URL != "" || l.Text != "Unavailable" || l.Reason != ReasonUnauthorized || l.Message == "" || l.Hidden || strings.Contains(l.Text+l.Message, "#8") {
		t.Errorf("unauthorized link leaks or is not unavailable: %+v", l)
	}
	if l := UnavailableLink(BaselineSnapshot, DetailSection, "compares", ReasonMissing, "#9"); !l.Hidden {
		t.Errorf("a link its rule hides shows: %+v", l)
	}
	defer func() {
		if recover() == nil {
			t.Error("a link without a rule rendered")
		}
	}()
	NewLink(BaselineSnapshot, ListRow, "no_such_relation", "x", "/x")
}
