package environment_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"atlas/app/apptest"
	"atlas/app/db"
)

const twinRefusal = "Another environment of this workspace already has this name"

// environmentNames lists the workspace's environments as slug=name, by slug.
func environmentNames(t *testing.T, e *apptest.Env, workspace string) string {
	t.Helper()
	var s string
	err := e.Data.DB.Read.QueryRow(`SELECT coalesce(group_concat(slug || '=' || name, ', '), '') FROM (SELECT e.slug, e.name FROM managed_environments e
		JOIN workspaces w ON w.id = e.workspace_id WHERE w.slug = ? ORDER BY e.slug)`, workspace).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEnvironmentTwinsRefused: two environments of one workspace may not have
// names equal after NFC normalisation and full case folding; creating or
// renaming to such a name is refused on the name field (422), nothing saved.
// Another workspace may use the name, and an environment may change its own
// name's case.
func TestEnvironmentTwinsRefused(t *testing.T) {
	e, owner := newEnv(t)
	ctx := context.Background()
	if err := e.Data.AddEnvironment(ctx, "acme", "de", "Straße"); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddEnvironment(ctx, "acme", "fr", "Café"); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddWorkspace(ctx, "globex", "Globex"); err != nil {
		t.Fatal(err)
	}
	if r := owner.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	form := func(slug, name string) url.Values {
		return url.Values{"slug": {slug}, "name": {name}, "kind": {"pilot"}}
	}
	refused := []struct {
		what, path string
		form       url.Values
	}{
		{"create, other case", "/admin/w/acme/environments", form("twin", "PRODUCTION")},
		{"create, other case and spaces", "/admin/w/acme/environments", form("twin", "  production ")},
		{"create, full case folding", "/admin/w/acme/environments", form("twin", "STRASSE")},
		{"create, decomposed", "/admin/w/acme/environments", form("twin", "CAFE\u0301")},
		{"rename", "/admin/w/acme/t/de/settings", form("de", "production")},
		{"rename, slug and name", "/admin/w/acme/t/fr/settings", form("france", "Strasse")},
	}
	before := environmentNames(t, e, "acme")
	for _, tt := range refused {
		t.Run(tt.what, func(t *testing.T) {
			r := owner.Post(tt.path, tt.form)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, twinRefusal) || !strings.Contains(r.Body, `aria-invalid="true"`) {
				t.Fatalf("status %d, want 422 with %q on the name\n%.2000s", r.Status, twinRefusal, r.Body)
			}
			if after := environmentNames(t, e, "acme"); after != before {
				t.Errorf("environments %s, want %s", after, before)
			}
		})
	}

	if r := owner.Post("/admin/w/acme/t/prod/settings", url.Values{"slug": {"prod"}, "name": {"PRODUCTION"}, "kind": {"production"}}); r.Status != http.StatusSeeOther {
		t.Errorf("renaming an environment to its own name in capitals: %d\n%.2000s", r.Status, r.Body)
	}
	if err := e.Data.AddEnvironment(ctx, "globex", "prod", "Production"); err != nil {
		t.Errorf("another workspace's environment of the same name: %v", err)
	}
	if got, want := environmentNames(t, e, "acme"), "de=Straße, fr=Café, prod=PRODUCTION"; got != want {
		t.Errorf("environments %s, want %s", got, want)
	}
}

// TestConcurrentTwinsOneWins: the same name submitted at once, in several
// spellings, under several slugs, makes one environment; the others are refused.
func TestConcurrentTwinsOneWins(t *testing.T) {
	e, owner := newEnv(t)
	if r := owner.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	spellings := []string{"Pilot", "PILOT", "pilot", "pIlOt", "Pilot ", " PILOT"}
	statuses := make([]int, len(spellings))
	var wg sync.WaitGroup
	for i, name := range spellings {
		wg.Go(func() {
			r := owner.Post("/admin/w/acme/environments", url.Values{"slug": {"pilot-" + string(rune('a'+i))}, "name": {name}, "kind": {"pilot"}})
			statuses[i] = r.Status
			if r.Status == http.StatusUnprocessableEntity && !strings.Contains(r.Body, twinRefusal) {
				t.Errorf("%q refused, but not as a twin:\n%.2000s", name, r.Body)
			}
		})
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusSeeOther {
			created++
		}
	}
	var pilots int
	e.Data.DB.Read.QueryRow(`SELECT count(*) FROM managed_environments WHERE lower(name) = 'pilot'`).Scan(&pilots)
	if created != 1 || pilots != 1 {
		t.Errorf("statuses %v, %d environments named pilot: want one created", statuses, pilots)
	}
}

// TestNameKeyIsUniqueInTheDatabase: the database itself refuses a second
// environment with a workspace's name key, whatever code writes it.
func TestNameKeyIsUniqueInTheDatabase(t *testing.T) {
	e, _ := newEnv(t)
	_, err := e.Data.DB.Write.Exec(`INSERT INTO managed_environments (workspace_id, slug, name, name_key, created_at, updated_at)
		SELECT workspace_id, 'twin', 'PRODUCTION', name_key, created_at, updated_at FROM managed_environments WHERE slug = 'prod'`)
	if !db.IsUniqueViolationOn(err, "managed_environments.name_key") {
		t.Errorf("a row with prod's name key: %v, want the name key's unique violation", err)
	}
}
