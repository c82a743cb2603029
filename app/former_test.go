package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestFormerAddresses: an address of the family before issue 26 (bookmarks,
// pages left open) named no workspace. A GET leads to the user's workspace
// that holds its record, offers the choice when several do, and is not found
// when none does (nor in a workspace the user may not open); a POST is refused
// and changes nothing, whichever workspace is current.
func TestFormerAddresses(t *testing.T) {
	f := newTwoCustomers(t)
	ctx := context.Background()
	if err := f.env.Data.AddEnvironment(ctx, "fabrikam", "lab", "Lab"); err != nil {
		t.Fatal(err)
	}
	victim := f.env.SignIn("victim@test", password)
	if r := victim.Post("/admin/workspaces/fabrikam/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select fabrikam: %d", r.Status)
	}
	var acmePolicy int64
	f.env.Data.DB.Read.QueryRow(`SELECT id FROM policies WHERE workspace_id = ?`, f.id["acme"]).Scan(&acmePolicy)
	// Fabrikam current: none of these is read there unless only fabrikam holds it.
	if r := f.owner.Post("/admin/workspaces/fabrikam/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select fabrikam: %d", r.Status)
	}

	t.Run("GET with one workspace holding the record", func(t *testing.T) {
		for former, want := range map[string]string{
			fmt.Sprintf("/admin/t/prod/policies/%d/versions/1", acmePolicy): fmt.Sprintf("/admin/w/acme/t/prod/policies/%d/versions/1", acmePolicy),
			fmt.Sprintf("/admin/t/prod/findings/%d", f.finding["acme"]):     fmt.Sprintf("/admin/w/acme/t/prod/findings/%d", f.finding["acme"]),
			fmt.Sprintf("/admin/t/prod/backups/%d?x=1", f.set["fabrikam"]):  fmt.Sprintf("/admin/w/fabrikam/t/prod/backups/%d?x=1", f.set["fabrikam"]),
			"/admin/t/lab":                                      "/admin/w/fabrikam/t/lab",
			"/admin/t/prod?workspace=acme":                      "/admin/w/acme/t/prod", // a link of issue 17 named its workspace
			"/admin/baselines/golden/snapshots/1":               "/admin/w/acme/baselines/golden/snapshots/1",
			"/admin/operations?environment=prod&workspace=acme": "/admin/w/acme/operations?environment=prod",
		} {
			r := f.owner.Get(former)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != want {
				t.Errorf("%s: %d → %q, want 303 → %s", former, r.Status, r.Header.Get("Location"), want)
			}
		}
		if r := f.owner.Get("/admin/w/acme/t/prod/findings/" + fmt.Sprint(f.finding["acme"])); !strings.Contains(r.Body, "Update a bookmark") {
			t.Error("the page a former address led to does not say that addresses changed")
		}
	})

	t.Run("GET with several workspaces holding the record", func(t *testing.T) {
		for former, want := range map[string][]string{
			"/admin/t/prod/backups":      {`href="/admin/w/acme/t/prod/backups">Acme Corp</a>`, `href="/admin/w/fabrikam/t/prod/backups">Fabrikam</a>`},
			"/admin/baselines/golden":    {`href="/admin/w/acme/baselines/golden">Acme Corp</a>`, `href="/admin/w/fabrikam/baselines/golden">Fabrikam</a>`},
			"/admin/settings":            {`href="/admin/w/acme/settings">Acme Corp</a>`, `href="/admin/w/fabrikam/settings">Fabrikam</a>`},
			"/admin/operations?type=x&y": {`href="/admin/w/acme/operations?type=x&amp;y=">Acme Corp</a>`, `href="/admin/w/fabrikam/operations?type=x&amp;y=">Fabrikam</a>`},
		} {
			r := f.owner.Get(former)
			if r.Status != http.StatusMultipleChoices || !strings.Contains(r.Body, "Which workspace?") {
				t.Errorf("%s: %d, want 300 with the choice", former, r.Status)
			}
			r.Shows(t, want, nil)
		}
	})

	t.Run("GET with no workspace holding the record", func(t *testing.T) {
		for _, tt := range []struct {
			who    string
			former string
		}{
			{"owner", "/admin/t/nowhere"},
			{"owner", "/admin/t/prod/policies/999999"},
			{"owner", fmt.Sprintf("/admin/t/pilot/findings/%d", f.finding["acme"])}, // a finding of prod, not pilot
			{"owner", "/admin/baselines/silver"},
			{"owner", "/admin/baselines//golden"},
			{"owner", "/admin/t//prod"},
			{"owner", "/admin/baselines/golden/snapshots/999999"},
			{"owner", "/admin/t/prod?workspace=nowhere"},
			{"readonly member of both, entitled to no lab", "/admin/t/lab"},
		} {
			c := f.owner
			if tt.who != "owner" {
				c = victim
			}
			if r := c.Get(tt.former); r.Status != http.StatusNotFound {
				t.Errorf("%s: %s: %d, want 404", tt.who, tt.former, r.Status)
			}
		}
	})

	t.Run("POST refused, nothing changed", func(t *testing.T) {
		before := workspaceRows(t, f.env, f.id["acme"]) + workspaceRows(t, f.env, f.id["fabrikam"])
		for former, form := range map[string]url.Values{
			"/admin/t/prod/backups":                                        {"name": {"Old tab"}},
			"/admin/t/prod/inventory/sync":                                 nil,
			"/admin/t/prod/compare":                                        {"profile": {"golden"}},
			fmt.Sprintf("/admin/t/prod/backups/%d/restore", f.set["acme"]): {"target": {"pilot"}, "layout": {"intunemanagement"}, "confirm": {"Pilot"}},
			"/admin/t/prod/findings/acknowledge":                           {"finding": {fmt.Sprint(f.finding["fabrikam"])}},
			"/admin/baselines/golden":                                      {"name": {"Old tab"}, "slug": {"golden"}, "status": {"active"}, "capture_mode": {"full"}},
			"/admin/baselines/golden/capture":                              {"environment": {"prod"}},
			"/admin/settings":                                              {"name": {"Old tab"}},
			"/admin/archive":                                               {"confirm": {"fabrikam"}},
			fmt.Sprintf("/admin/members/%d/remove", f.victimID):            nil,
			"/admin/environments":                                          {"slug": {"old"}, "name": {"Old tab"}},
		} {
			r := f.owner.Post(former, form)
			if r.Status != http.StatusGone || !strings.Contains(r.Body, "changed nothing") {
				t.Errorf("%s: %d, want 410 saying nothing changed", former, r.Status)
			}
		}
		if after := workspaceRows(t, f.env, f.id["acme"]) + workspaceRows(t, f.env, f.id["fabrikam"]); after != before {
			t.Errorf("a refused form changed:\n%s", lineDiff(before, after))
		}
	})
}
