package app_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// An action a person may not take is shown disabled with the reason, never as a
// link that answers 403: the sidebar's Members, Audit log and Settings, an
// environment's Members and Settings, "Add an environment".
func TestNoLinkLeadsToARefusal(t *testing.T) {
	f := newFixture(t)
	disabled := func(label, why string) string {
		return `<span class="nav-disabled" aria-disabled="true" title="` + why + `">` + label + `</span>`
	}
	tests := []struct {
		name          string
		actor         int
		path          string
		want, notWant []string
	}{
		{"owner: every entry a link", owner, "/admin/w/acme/t/prod",
			[]string{`href="/admin/w/acme/members"`, `href="/admin/w/acme/audit"`, `href="/admin/w/acme/settings"`, `href="/admin/w/acme/t/prod/members"`, `href="/admin/w/acme/t/prod/settings"`},
			[]string{"nav-disabled", `aria-disabled`}},
		{"manager: workspace members and settings disabled", manager, "/admin/w/acme/t/prod",
			[]string{disabled("Members", "Needs the owner role (you are manager)"), disabled("Settings", "Needs the owner role (you are manager)"),
				`href="/admin/w/acme/audit"`, `href="/admin/w/acme/t/prod/members"`, `href="/admin/w/acme/t/prod/settings"`},
			[]string{`href="/admin/w/acme/members"`, `href="/admin/w/acme/settings"`}},
		{"operator: the workspace's and the environment's disabled", operator, "/admin/w/acme/t/prod",
			[]string{disabled("Audit log", "Needs the manager role (you are operator)"), disabled("Members", "Needs the manager role (you are operator)"),
				`<span class="btn" aria-disabled="true" title="Needs the manager role (you are operator)">Settings</span>`},
			[]string{`href="/admin/w/acme/members"`, `href="/admin/w/acme/audit"`, `href="/admin/w/acme/settings"`, `href="/admin/w/acme/t/prod/members"`, `href="/admin/w/acme/t/prod/settings"`}},
		{"readonly: the same, with its role", readonly, "/admin/w/acme/t/prod",
			[]string{disabled("Audit log", "Needs the manager role (you are readonly)"), disabled("Settings", "Needs the owner role (you are readonly)")},
			[]string{`href="/admin/w/acme/members"`, `href="/admin/w/acme/audit"`, `href="/admin/w/acme/settings"`, `href="/admin/w/acme/t/prod/members"`, `href="/admin/w/acme/t/prod/settings"`}},
		{"readonly in prod through its membership, though a workspace operator", operatorReadonlyInProd, "/admin/w/acme/t/prod",
			[]string{disabled("Members", "Needs the manager role (you are readonly)")}, []string{`href="/admin/w/acme/t/prod/members"`}},
		{"hub: Add an environment disabled for an operator", operator, "/admin/w/acme",
			[]string{`<span class="btn btn-primary" aria-disabled="true" title="Needs the manager role (you are operator)">Add an environment</span>`},
			[]string{`href="/admin/w/acme/environments/new"`}},
		{"environments: Add an environment a link for a manager", manager, "/admin/w/acme/environments",
			[]string{`<a class="btn btn-primary" href="/admin/w/acme/environments/new">Add an environment</a>`}, nil},
	}
	href := regexp.MustCompile(`href="(/admin[^"]*)"`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.clients[tt.actor]
			r := c.Get(tt.path)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d", r.Status)
			}
			r.Shows(t, tt.want, tt.notWant)
			// And what is a link opens.
			for _, m := range href.FindAllStringSubmatch(r.Body, -1) {
				if path := strings.ReplaceAll(m[1], "&amp;", "&"); strings.HasSuffix(path, "/members") || strings.HasSuffix(path, "/settings") ||
					strings.HasSuffix(path, "/audit") || strings.HasSuffix(path, "/new") {
					if got := c.Get(path).Status; got != http.StatusOK {
						t.Errorf("link %s answers %d", path, got)
					}
				}
			}
		})
	}
}
