package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"atlas/app/apptest"
)

// findingsEnv is acme with its prod synced and compared with baseline golden:
// a high setting_drift finding (Baseline compliance) and a high missing_policy
// one (Mac compliance).
func findingsEnv(t *testing.T) (e *apptest.Env, findingID int64) {
	t.Helper()
	e = apptest.NewAcme(t)
	if err := e.Data.AddEnvironment(context.Background(), "acme", "pilot", "Pilot"); err != nil {
		t.Fatal(err)
	}
	seedPolicy(t, e, "acme", "prod")
	_, findingID = seedFindings(t, e, "acme", "prod")
	return e, findingID
}

func wantPage(t *testing.T, r *apptest.Response, status int, texts ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d\n%.2000s", r.Status, status, r.Body)
	}
	for _, text := range texts {
		if !strings.Contains(r.Body, text) {
			t.Errorf("page lacks %q", text)
		}
	}
}

func TestFindingsPages(t *testing.T) {
	e, id := findingsEnv(t)
	c := e.Owner()
	detail := fmt.Sprintf("/admin/w/acme/t/prod/findings/%d", id)
	tests := []struct {
		name, path string
		status     int
		want       []string
		not        []string
	}{
		{"list: open, most severe first", "/admin/w/acme/t/prod/findings", 200,
			[]string{"2 open or acknowledged in Production", "Baseline compliance - v2.0", "Mac compliance", "Setting drift", "Missing policy"}, nil},
		{"list by type", "/admin/w/acme/t/prod/findings?type=missing_policy", 200, []string{"Mac compliance"}, []string{"Baseline compliance - v2.0<"}},
		{"list by severity", "/admin/w/acme/t/prod/findings?severity=low", 200, []string{"No finding matches these filters"}, nil},
		{"list by profile", "/admin/w/acme/t/prod/findings?profile=golden&status=all", 200, []string{"2 in all"}, nil},
		{"detail: evidence like the diff pages, labels first", detail, 200,
			[]string{"Password minimum length", "14", "by type and name", "decided by setting removed", "opened", "Canonical JSON",
				`<select id="pin-policy" name="policy"><option value="1" selected>Baseline compliance</option></select>`}, nil},
		{"a finding under another environment", fmt.Sprintf("/admin/w/acme/t/pilot/findings/%d", id), 404, nil, nil},
		{"a finding that is not one", "/admin/w/acme/t/prod/findings/999999", 404, nil, nil},
		{"dashboard", "/admin/w/acme/t/prod", 200, []string{`data-kpi="open-high">2<`, "Latest findings", "Open findings, last 30 days", "<polyline", "failed or partial in 7 days"},
			[]string{"Drift is stale"}},
		{"dashboard never compared", "/admin/w/acme/t/pilot", 200, []string{"has never been compared with a baseline"}, nil},
		{"hub", "/admin/w/acme", 200, []string{`<span class="badge badge-high">high</span>`, "stale · never"}, nil},
		{"baselines", "/admin/w/acme/baselines", 200, []string{"golden", "2 policies from atlas-baseline-"}, nil},
		{"baseline", "/admin/w/acme/baselines/golden", 200, []string{"Capture snapshot", "Severity overrides", "#1", "Open findings in Production", "2 open"}, []string{"Open findings in Pilot"}},
		{"snapshot", "/admin/w/acme/baselines/golden/snapshots/1", 200, []string{"Compliance", "Mac compliance", "Compared against it", "succeeded",
			"Open findings in Production", "2 open"}, []string{"Open findings in Pilot"}},
		{"snapshot of no profile", "/admin/w/acme/baselines/nope/snapshots/1", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Get(tt.path)
			wantPage(t, r, tt.status, tt.want...)
			for _, text := range tt.not {
				if strings.Contains(r.Body, text) {
					t.Errorf("page shows %q", text)
				}
			}
		})
	}
}

func status(t *testing.T, e *apptest.Env, id int64) string {
	t.Helper()
	var s string
	if err := e.Data.DB.Read.QueryRow(`SELECT status FROM findings WHERE id = ?`, id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTriage(t *testing.T) {
	e, id := findingsEnv(t)
	owner := e.Owner()
	detail := fmt.Sprintf("/admin/w/acme/t/prod/findings/%d", id)
	one := func(extra url.Values) url.Values {
		form := url.Values{"finding": {fmt.Sprint(id)}, "next": {detail}}
		for k, v := range extra {
			form[k] = v
		}
		return form
	}
	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")

	r := owner.Post("/admin/w/acme/t/prod/findings/acknowledge", one(nil))
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != detail || status(t, e, id) != "acknowledged" {
		t.Fatalf("acknowledge: %d → %q, status %s", r.Status, r.Header.Get("Location"), status(t, e, id))
	}
	if r := owner.Post("/admin/w/acme/t/prod/findings/acknowledge", one(nil)); r.Status != http.StatusConflict {
		t.Errorf("acknowledging again: %d, want 409", r.Status)
	}
	for _, tt := range []struct {
		name, reason, expires, text string
	}{
		{"no expiry", "Pilot devices", "", "An exception needs an expiry date."},
		{"over a year", "Pilot devices", time.Now().AddDate(1, 0, 2).Format("2006-01-02"), "An exception lasts at most a year"},
		{"no reason", "", tomorrow, "Say why this deviation is accepted."},
	} {
		r := owner.Post("/admin/w/acme/t/prod/findings/accept", one(url.Values{"reason": {tt.reason}, "expires": {tt.expires}}))
		wantPage(t, r, http.StatusUnprocessableEntity, tt.text, "Password minimum length")
		if tt.reason != "" && !strings.Contains(r.Body, `value="`+tt.reason+`"`) {
			t.Errorf("%s: the reason typed is not kept", tt.name)
		}
		if status(t, e, id) != "acknowledged" {
			t.Fatalf("%s: saved anyway", tt.name)
		}
	}
	// From the list, the invalid form comes back on the list with its filters.
	r = owner.Post("/admin/w/acme/t/prod/findings/accept", url.Values{"finding": {fmt.Sprint(id)}, "next": {"/admin/w/acme/t/prod/findings?type=setting_drift"}, "reason": {"x"}})
	wantPage(t, r, http.StatusUnprocessableEntity, "An exception needs an expiry date.", "1 open or acknowledged in Production")

	r = owner.Post("/admin/w/acme/t/prod/findings/accept", one(url.Values{"reason": {"Pilot devices keep the short password"}, "expires": {tomorrow}}))
	if r.Status != http.StatusSeeOther || status(t, e, id) != "accepted" {
		t.Fatalf("accept: %d, status %s", r.Status, status(t, e, id))
	}
	wantPage(t, owner.Get(detail), http.StatusOK, "accepted", "Pilot devices keep the short password", "until "+tomorrow, "acknowledged", "by owner")
	if n := count(t, e, `SELECT COUNT(*) FROM audit_events WHERE action IN ('finding.acknowledged', 'finding.accepted') AND record_id = ?`, id); n != 2 {
		t.Errorf("%d audit events for the triage, want 2", n)
	}
	// Accepted: no longer open on the dashboard.
	wantPage(t, owner.Get("/admin/w/acme/t/prod"), http.StatusOK, `data-kpi="open-high">1<`, `data-kpi="accepted">1<`)

	// Bulk: a finding of another environment among the chosen is not found, and nothing changes.
	var missing int64
	e.Data.DB.Read.QueryRow(`SELECT id FROM findings WHERE finding_type = 'missing_policy'`).Scan(&missing)
	if r := owner.Post("/admin/w/acme/t/pilot/findings/acknowledge", url.Values{"finding": {fmt.Sprint(missing)}}); r.Status != http.StatusNotFound {
		t.Errorf("acknowledging prod's finding under pilot: %d, want 404", r.Status)
	}
	if r := owner.Post("/admin/w/acme/t/prod/findings/acknowledge", url.Values{}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("acknowledging nothing: %d, want 422", r.Status)
	}
}

func TestPinOnTheFindingPage(t *testing.T) {
	e, _ := findingsEnv(t)
	owner := e.Owner()
	var missing, policyID int64
	e.Data.DB.Read.QueryRow(`SELECT id FROM findings WHERE finding_type = 'missing_policy'`).Scan(&missing)
	e.Data.DB.Read.QueryRow(`SELECT id FROM policies`).Scan(&policyID)
	path := fmt.Sprintf("/admin/w/acme/t/prod/findings/%d", missing)
	if r := owner.Post(path+"/unpin", nil); r.Status != http.StatusConflict {
		t.Errorf("unpin without a pin: %d, want 409", r.Status)
	}
	if r := owner.Post(path+"/pin", url.Values{"policy": {"999999"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("pin to no policy of the environment: %d, want 422", r.Status)
	}
	var drift int64
	e.Data.DB.Read.QueryRow(`SELECT id FROM findings WHERE finding_type = 'setting_drift'`).Scan(&drift)
	path = fmt.Sprintf("/admin/w/acme/t/prod/findings/%d", drift)
	if r := owner.Post(path+"/pin", url.Values{"policy": {fmt.Sprint(policyID)}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != path {
		t.Fatalf("pin: %d → %q", r.Status, r.Header.Get("Location"))
	}
	wantPage(t, owner.Get(path), http.StatusOK, "Unpin this match", "pinned")
	e.Compare("acme", "prod", "golden")
	wantPage(t, owner.Get(path), http.StatusOK, "pinned by hand by owner")
	if r := owner.Post(path+"/unpin", nil); r.Status != http.StatusSeeOther || count(t, e, `SELECT COUNT(*) FROM baseline_match_pins`) != 0 {
		t.Fatalf("unpin: %d", r.Status)
	}
}

func TestBaselinePages(t *testing.T) {
	e, _ := findingsEnv(t)
	owner := e.Owner()
	r := owner.Post("/admin/w/acme/baselines", url.Values{"name": {"Pilot"}, "slug": {"Not A Slug"}})
	wantPage(t, r, http.StatusUnprocessableEntity, "not a valid slug", `value="Pilot"`)
	r = owner.Post("/admin/w/acme/baselines", url.Values{"name": {"Pilot"}, "slug": {"golden"}})
	wantPage(t, r, http.StatusUnprocessableEntity, "already has a baseline")
	if r := owner.Post("/admin/w/acme/baselines", url.Values{"name": {"Pilot"}, "slug": {"pilot"}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/admin/w/acme/baselines/pilot" {
		t.Fatalf("create: %d → %q", r.Status, r.Header.Get("Location"))
	}

	settings := url.Values{"name": {"Golden"}, "slug": {"golden"}, "status": {"active"}, "capture_mode": {"selected"}, "types": {"compliancePolicy"}, "report_unexpected": {"on"}}
	bad := url.Values{"overrides": {"critical type:compliancePolicy"}}
	for k, v := range settings {
		bad[k] = v
	}
	wantPage(t, owner.Post("/admin/w/acme/baselines/golden", bad), http.StatusUnprocessableEntity, "A severity override gives high, medium or low.", "critical type:compliancePolicy")
	settings.Set("overrides", "low type:compliancePolicy\nmedium passwordMinimumLength")
	if r := owner.Post("/admin/w/acme/baselines/golden", settings); r.Status != http.StatusSeeOther {
		t.Fatalf("update: %d\n%.1000s", r.Status, r.Body)
	}
	var overrides, types string
	e.Data.DB.Read.QueryRow(`SELECT severity_overrides, selected_types FROM baseline_profiles WHERE slug = 'golden'`).Scan(&overrides, &types)
	if overrides != `[{"policy_type":"compliancePolicy","severity":"low"},{"path":"passwordMinimumLength","severity":"medium"}]` || types != `["compliancePolicy"]` {
		t.Errorf("saved overrides %s, types %s", overrides, types)
	}
	// The type override now decides, and says so.
	e.Compare("acme", "prod", "golden")
	var severity, rule string
	e.Data.DB.Read.QueryRow(`SELECT severity, severity_rule FROM findings WHERE finding_type = 'setting_drift'`).Scan(&severity, &rule)
	if severity != "low" || rule != "profile override for the type Compliance policy" {
		t.Errorf("after the override: %s by %q", severity, rule)
	}

	r = owner.Post("/admin/w/acme/baselines/golden/capture", url.Values{"environment": {"prod"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/operations/") {
		t.Fatalf("capture: %d → %q", r.Status, r.Header.Get("Location"))
	}
	if r := owner.Post("/admin/w/acme/baselines/golden/capture", url.Values{"environment": {"nope"}}); r.Status != http.StatusNotFound {
		t.Errorf("capture from an unknown environment: %d, want 404", r.Status)
	}
	r = owner.Post("/admin/w/acme/t/prod/compare", url.Values{"profile": {"golden"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/operations/") {
		t.Fatalf("compare: %d → %q", r.Status, r.Header.Get("Location"))
	}
	if r := owner.Post("/admin/w/acme/t/prod/compare", url.Values{"profile": {"pilot"}}); r.Status != http.StatusConflict && !strings.Contains(r.Body, "has no snapshot") {
		t.Errorf("compare with a baseline never captured: %d", r.Status)
	}
	if r := owner.Post("/admin/w/acme/t/prod/compare", url.Values{"profile": {"nope"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("compare with no baseline: %d, want 422", r.Status)
	}
}
