package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atlas/app/apptest"
)

// A 9 MiB paste, as an attacker posted it: once saved, it weighed on every page
// of every member, and its flash ended the request in a 500.
var hugeName = strings.Repeat("x", 9<<20)

// TestNamesAreBounded: a name longer than 200 characters, or not one line of
// valid text, is refused with 422 on the form, the typed value cut in the echo,
// and nothing is saved.
func TestNamesAreBounded(t *testing.T) {
	e := apptest.NewAcme(t)
	c := e.Owner()
	if r := c.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	valid := url.Values{"name": {"Pilot"}, "slug": {"pilot"}, "kind": {"pilot"}}
	with := func(field, value string) url.Values {
		form := url.Values{}
		for k, v := range valid {
			form[k] = v
		}
		form.Set(field, value)
		return form
	}
	tests := []struct {
		name string
		path string
		form url.Values
		want string
	}{
		{"workspace create", "/admin/workspaces", url.Values{"name": {hugeName}, "slug": {"huge"}}, "A name is at most 200 characters; this one has 9,437,184."},
		{"workspace create, two lines", "/admin/workspaces", url.Values{"name": {"Contoso\nLtd"}, "slug": {"contoso"}}, "no line breaks"},
		{"workspace create, not UTF-8", "/admin/workspaces", url.Values{"name": {"Contoso \xff"}, "slug": {"contoso"}}, "not valid text (UTF-8)"},
		{"workspace create, huge slug", "/admin/workspaces", url.Values{"name": {"Contoso"}, "slug": {hugeName}}, "longer than 63 characters"},
		{"workspace rename", "/admin/w/acme/settings", url.Values{"name": {hugeName}}, "A name is at most 200 characters"},
		{"environment create", "/admin/w/acme/environments", with("name", hugeName), "A name is at most 200 characters"},
		{"environment create, display name", "/admin/w/acme/environments", with("display_name", hugeName), "A name is at most 200 characters"},
		{"environment create, display name with a tab", "/admin/w/acme/environments", with("display_name", "Pilot\tring"), "no line breaks"},
		{"environment update", "/admin/w/acme/t/prod/settings", with("name", hugeName), "A name is at most 200 characters"},
		{"environment update, display name", "/admin/w/acme/t/prod/settings", with("display_name", hugeName), "A name is at most 200 characters"},
	}
	rows := `SELECT (SELECT count(*) FROM workspaces) + (SELECT count(*) FROM managed_environments) + (SELECT count(*) FROM audit_events)`
	before := count(t, e, rows)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.Post(tt.path, tt.form)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tt.want) {
				t.Fatalf("status %d, want 422 with %q\n%.2000s", r.Status, tt.want, r.Body)
			}
			if len(r.Body) > 64<<10 {
				t.Errorf("the 422 page weighs %d bytes", len(r.Body))
			}
			if strings.Contains(tt.form.Encode(), hugeName) && !strings.Contains(r.Body, `value="`+strings.Repeat("x", 799)+`…"`) {
				t.Errorf("the typed value is not echoed, cut")
			}
		})
	}
	if after := count(t, e, rows); after != before {
		t.Errorf("rows %d → %d: something was saved", before, after)
	}
	if n := count(t, e, `SELECT count(*) FROM workspaces WHERE name <> 'Acme Corp'`) + count(t, e, `SELECT count(*) FROM managed_environments WHERE name <> 'Production' OR display_name IS NOT NULL`); n != 0 {
		t.Errorf("%d names changed", n)
	}
}

// TestLongestNameRoundTrips: a name of 200 four-byte characters is created,
// redirected with its flash (303) and shown, without a 500 from the cookie.
func TestLongestNameRoundTrips(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	longest := strings.Repeat("🔒", 200)
	steps := []struct {
		path string
		form url.Values
		then string
	}{
		{"/admin/workspaces", url.Values{"name": {longest}, "slug": {"locked"}}, "/admin"}, // then its hub
		{"/admin/w/locked/settings", url.Values{"name": {"Ⅱ" + longest[len("🔒"):]}}, "/admin/w/locked/settings"},
		{"/admin/w/locked/environments", url.Values{"name": {longest}, "display_name": {longest}, "slug": {"prod"}, "kind": {"production"}}, "/admin/w/locked/t/prod"},
		{"/admin/w/locked/t/prod/settings", url.Values{"name": {longest}, "display_name": {"Ⅲ" + longest[len("🔒"):]}, "slug": {"prod"}, "kind": {"production"}}, "/admin/w/locked/t/prod/settings"},
	}
	for _, s := range steps {
		r := c.Post(s.path, s.form)
		if r.Status != http.StatusSeeOther || r.Header.Get("Location") != s.then {
			t.Fatalf("POST %s: status %d to %q, want 303 to %s\n%.1000s", s.path, r.Status, r.Header.Get("Location"), s.then, r.Body)
		}
		page := c.Get(s.then)
		if s.then == "/admin" {
			page = c.Get(page.Header.Get("Location"))
		}
		if page.Status != http.StatusOK || !strings.Contains(page.Body, longest[len("🔒"):]) || !strings.Contains(page.Body, `class="flash`) {
			t.Errorf("GET %s: status %d, name or flash missing", s.then, page.Status)
		}
	}
	if n := count(t, e, `SELECT count(*) FROM managed_environments WHERE name = ? AND display_name = ?`, longest, "Ⅲ"+longest[len("🔒"):]); n != 1 {
		t.Errorf("environment saved %d times with the longest names", n)
	}
}
