package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/db"
	"atlas/app/web"
)

func count(t *testing.T, e *apptest.Env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.Data.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFirstStartLandsOnAnEmptyChooser(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	r := c.Get("/admin")
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/admin/workspaces" {
		t.Fatalf("hub without a workspace: %d → %q", r.Status, r.Header.Get("Location"))
	}
	r = c.Get("/admin/workspaces")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Create your first workspace") {
		t.Fatalf("chooser: %d\n%s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, ">owner<") {
		t.Error("the local owner is not named after the OS user in the header")
	}
}

func TestLaunchTokenIsSingleUse(t *testing.T) {
	e := apptest.New(t)
	token := e.Server.Launcher.Issue()
	first := e.Anonymous()
	if r := first.Get("/auth/launch?token=" + token); r.Status != http.StatusSeeOther {
		t.Fatalf("first use: %d", r.Status)
	}
	for name, path := range map[string]string{"reused": "/auth/launch?token=" + token, "wrong": "/auth/launch?token=guess", "missing": "/auth/launch"} {
		c := e.Anonymous()
		if r := c.Get(path); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "already used or has expired") {
			t.Errorf("%s token: %d", name, r.Status)
		}
		if r := c.Get("/admin/workspaces"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
			t.Errorf("%s token left a session: %d", name, r.Status)
		}
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, email, password string
		status                int
		text                  string
	}{
		{"right password", "manager@acme.test", password, http.StatusSeeOther, ""},
		{"email in other case", "MANAGER@acme.test", password, http.StatusSeeOther, ""},
		{"wrong password", "manager@acme.test", "nope", http.StatusUnprocessableEntity, "Wrong email or password."},
		{"unknown email", "nobody@acme.test", password, http.StatusUnprocessableEntity, "Wrong email or password."},
		{"local owner has no password", "owner@atlas.localhost", "", http.StatusUnprocessableEntity, "Wrong email or password."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.env.Anonymous()
			r := c.Post("/login", url.Values{"email": {tt.email}, "password": {tt.password}})
			if r.Status != tt.status || !strings.Contains(r.Body, tt.text) {
				t.Fatalf("status %d, want %d; body %q", r.Status, tt.status, r.Body)
			}
			signedIn := c.Get("/admin/workspaces").Status == http.StatusOK
			if signedIn != (tt.status == http.StatusSeeOther) {
				t.Errorf("signed in = %v after status %d", signedIn, r.Status)
			}
			if tt.status != http.StatusSeeOther && !strings.Contains(r.Body, `value="`+tt.email+`"`) {
				t.Error("the typed email was not kept")
			}
		})
	}
}

// TestLoginThrottle: the 6th wrong password for an account is refused before
// any hashing (429, Retry-After), even with the right password, while another
// account behind the same address still signs in.
func TestLoginThrottle(t *testing.T) {
	e := apptest.New(t)
	for _, email := range []string{"ana@acme.test", "bo@acme.test"} {
		if err := e.Data.AddUser(context.Background(), email, email, password, false); err != nil {
			t.Fatal(err)
		}
	}
	c := e.Anonymous()
	wrong := url.Values{"email": {"ana@acme.test"}, "password": {"guess-guess"}}
	for i := range 5 {
		if r := c.Post("/login", wrong); r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("wrong password %d: %d", i+1, r.Status)
		}
	}
	for name, form := range map[string]url.Values{"6th wrong password": wrong,
		"right password": {"email": {"ANA@acme.test"}, "password": {password}}} {
		r := c.Post("/login", form)
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "30" ||
			!strings.Contains(r.Body, "Too many failed sign-ins. Try again in 30 s.") || !strings.Contains(r.Body, `value="`+form.Get("email")+`"`) {
			t.Errorf("%s: %d, Retry-After %q, body %q", name, r.Status, r.Header.Get("Retry-After"), r.Body)
		}
	}
	if r := e.SignIn("bo@acme.test", password).Get("/admin/workspaces"); r.Status != http.StatusOK {
		t.Errorf("another account after the guessing: %d", r.Status)
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	e := apptest.New(t)
	c := e.Anonymous()
	r := c.Get("/auth/launch?token=" + e.Server.Launcher.Issue())
	cookie := r.Header.Get("Set-Cookie")
	for _, want := range []string{web.CookieName + "=", "HttpOnly", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("Set-Cookie %q lacks %s", cookie, want)
		}
	}
	c.Post("/logout", nil)
	if r := c.Get("/admin"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login" {
		t.Errorf("after logout /admin: %d %s", r.Status, r.Header.Get("Location"))
	}
}

func TestSecurityHeadersAndHostCheck(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	// Written out, not web.ContentSecurityPolicy: a changed directive must fail here.
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'",
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
	}
	for path, status := range map[string]int{"/admin/workspaces": http.StatusOK, "/admin/nowhere": http.StatusNotFound, "/static/app.css": http.StatusOK} {
		r := c.Get(path)
		if r.Status != status {
			t.Errorf("%s: status %d, want %d", path, r.Status, status)
		}
		for header, value := range want {
			if got := r.Header.Values(header); len(got) != 1 || got[0] != value {
				t.Errorf("%s: %s = %q, want %q", path, header, got, value)
			}
		}
	}

	for _, host := range []string{"evil.example", "attacker.com:7420", "192.168.1.10"} {
		req := c.Request(http.MethodGet, "/admin/workspaces", nil)
		req.Host = host
		if r := c.Do(req); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "loopback") {
			t.Errorf("Host %s: %d", host, r.Status)
		}
	}
	for _, host := range []string{"localhost:7420", "127.0.0.1", "[::1]:7420"} {
		req := c.Request(http.MethodGet, "/login", nil)
		req.Host = host
		if r := c.Do(req); r.Status != http.StatusOK {
			t.Errorf("Host %s: %d", host, r.Status)
		}
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	form := url.Values{"name": {"Evil"}, "slug": {"evil"}}
	for name, set := range map[string]func(*http.Request){
		"origin header":  func(r *http.Request) { r.Header.Set("Origin", "https://evil.example") },
		"sec-fetch-site": func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") },
	} {
		req := c.Request(http.MethodPost, "/admin/workspaces", form)
		set(req)
		if r := c.Do(req); r.Status != http.StatusForbidden {
			t.Errorf("%s: %d", name, r.Status)
		}
	}
	if n := count(t, e, `SELECT count(*) FROM workspaces`); n != 0 {
		t.Errorf("a cross-origin post created %d workspaces", n)
	}
	req := c.Request(http.MethodPost, "/admin/workspaces", form)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if r := c.Do(req); r.Status != http.StatusSeeOther {
		t.Errorf("same-origin post: %d", r.Status)
	}
}

func TestCreateWorkspaceAndEnvironmentThroughPages(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	tests := []struct {
		name   string
		path   string
		form   url.Values
		status int
		text   string
	}{
		{"invalid slug keeps typed values", "/admin/workspaces", url.Values{"name": {"Contoso"}, "slug": {"Con Toso"}}, 422, `value="Con Toso"`},
		{"missing name", "/admin/workspaces", url.Values{"slug": {"contoso"}}, 422, "A name is required."},
		{"workspace created", "/admin/workspaces", url.Values{"name": {"Contoso Ltd"}, "slug": {"contoso"}}, 303, ""},
		{"duplicate workspace slug", "/admin/workspaces", url.Values{"name": {"Again"}, "slug": {"contoso"}}, 422, "already exists"},
		{"environment slug with capitals", "/admin/w/contoso/environments", url.Values{"name": {"Prod"}, "slug": {"Prod"}}, 422, "not a valid slug"},
		{"unknown kind", "/admin/w/contoso/environments", url.Values{"name": {"Prod"}, "slug": {"prod"}, "kind": {"galaxy"}}, 422, "Choose one of"},
		{"environment created", "/admin/w/contoso/environments", url.Values{"name": {"Production"}, "slug": {"prod"}, "kind": {"production"}}, 303, ""},
		{"duplicate environment slug", "/admin/w/contoso/environments", url.Values{"name": {"Prod 2"}, "slug": {"prod"}}, 422, "already has an environment"},
	}
	for _, tt := range tests {
		r := c.Post(tt.path, tt.form)
		if r.Status != tt.status || !strings.Contains(r.Body, tt.text) {
			t.Errorf("%s: status %d (want %d), body lacks %q", tt.name, r.Status, tt.status, tt.text)
		}
	}
	if r := c.Get("/admin"); r.Header.Get("Location") != "/admin/w/contoso" {
		t.Errorf("/admin leads to %q, not the new workspace's hub", r.Header.Get("Location"))
	}
	hub := c.Get("/admin/w/contoso")
	for _, want := range []string{"Contoso Ltd", `href="/admin/w/contoso/t/prod"`, "Production"} {
		if !strings.Contains(hub.Body, want) {
			t.Errorf("hub lacks %q", want)
		}
	}
	if n := count(t, e, `SELECT count(*) FROM audit_events WHERE action IN ('workspace.created', 'environment.created')`); n != 2 {
		t.Errorf("audit events = %d, want 2", n)
	}
	audit := c.Get("/admin/w/contoso/audit")
	if !strings.Contains(audit.Body, "environment.created") || !strings.Contains(audit.Body, "workspace.created") {
		t.Errorf("audit page lacks the events")
	}
}

func TestCurrentContext(t *testing.T) {
	f := newFixture(t)
	c := f.clients[owner]
	// Visiting an environment makes it current; the switcher shows it.
	if r := c.Get("/admin/w/acme/t/prod"); r.Status != http.StatusOK || !strings.Contains(r.Body, "<summary>Production</summary>") {
		t.Fatalf("dashboard: %d", r.Status)
	}
	if r := c.Get("/admin/w/acme/t/prod"); !strings.Contains(r.Body, "Connect an export") {
		t.Error("a dashboard without an export source does not say what to do next")
	}
	// It stays current on the next page.
	if r := c.Get("/admin/w/acme"); !strings.Contains(r.Body, "<summary>Production</summary>") {
		t.Error("the current environment was forgotten on the hub")
	}
	// Switching workspace clears the environment context (prod is not in other).
	if r := c.Post("/admin/workspaces/other/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select other: %d", r.Status)
	}
	if r := c.Get("/admin"); r.Header.Get("Location") != "/admin/w/other" {
		t.Errorf("/admin leads to %q after switching to other", r.Header.Get("Location"))
	}
	hub := c.Get("/admin/w/other")
	if !strings.Contains(hub.Body, "<summary>Other Inc</summary>") || !strings.Contains(hub.Body, "<summary>No environment</summary>") {
		t.Errorf("after switching, header is wrong:\n%s", hub.Body)
	}
	// A link to acme's prod names acme: it opens there, and makes acme current again (issue 26).
	if r := c.Get("/admin/w/acme/t/prod"); r.Status != http.StatusOK || !strings.Contains(r.Body, "<summary>Acme Corp</summary>") {
		t.Errorf("prod of acme from other: %d", r.Status)
	}
	// Archived environments are not selectable.
	c.Post("/admin/workspaces/acme/select", nil)
	if r := c.Post("/admin/w/acme/t/pilot/archive", url.Values{"confirm": {"wrong"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("archive without the typed slug: %d", r.Status)
	}
	if r := c.Post("/admin/w/acme/t/pilot/archive", url.Values{"confirm": {"pilot"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("archive pilot: %d", r.Status)
	}
	page := c.Get("/admin/w/acme/t/pilot")
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "archived") {
		t.Errorf("archived pilot page: %d", page.Status)
	}
	if strings.Contains(page.Body, "<summary>Pilot</summary>") || strings.Contains(page.Body, `href="/admin/w/acme/t/pilot" data-palette`) {
		t.Error("archived pilot is selectable in the switcher")
	}
	if r := c.Post("/admin/w/acme/t/pilot/restore", nil); r.Status != http.StatusSeeOther {
		t.Errorf("restore: %d", r.Status)
	}
	var status string
	f.env.Data.DB.Read.QueryRow(`SELECT lifecycle_status FROM managed_environments WHERE slug = 'pilot'`).Scan(&status)
	if status != "active" {
		t.Errorf("pilot lifecycle_status = %s", status)
	}
}

func TestLastOwnerStays(t *testing.T) {
	f := newFixture(t)
	c := f.clients[owner]
	var ownerID int64
	f.env.Data.DB.Read.QueryRow(`SELECT id FROM users WHERE is_local_owner = 1`).Scan(&ownerID)
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	if r := c.Post("/admin/w/acme/members/"+id(ownerID)+"/role", url.Values{"role": {"manager"}}); r.Status != http.StatusConflict || !strings.Contains(r.Body, "at least one owner") {
		t.Errorf("demote last owner: %d", r.Status)
	}
	if r := c.Post("/admin/w/acme/members/"+id(ownerID)+"/remove", nil); r.Status != http.StatusConflict {
		t.Errorf("remove last owner: %d", r.Status)
	}
	// With a second owner the first may step down.
	c.Post("/admin/w/acme/members", url.Values{"email": {"manager@acme.test"}, "role": {"owner"}})
	if r := c.Post("/admin/w/acme/members/"+id(ownerID)+"/role", url.Values{"role": {"manager"}}); r.Status != http.StatusSeeOther {
		t.Errorf("demote with another owner: %d", r.Status)
	}
	if n := count(t, f.env, `SELECT count(*) FROM workspace_memberships m JOIN workspaces w ON w.id = m.workspace_id WHERE w.slug = 'acme' AND role = 'owner'`); n != 1 {
		t.Errorf("owners = %d", n)
	}
}

// The environments the user is entitled to are read once a request, by the
// middleware for the frame: the guard and the handlers answer from that list.
func TestFrameReadsEnvironmentsOnce(t *testing.T) {
	f := newFixture(t)
	d := f.env.Data
	var run int64
	if err := d.DB.Write.QueryRow(`INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome, created_at)
		SELECT w.id, e.id, 'inventory.sync', 'completed', 'succeeded', ? FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id
		WHERE w.slug = 'acme' AND e.slug = 'prod' RETURNING id`, db.Now()).Scan(&run); err != nil {
		t.Fatal(err)
	}
	rec := f.env.Reads
	for _, actor := range []int{owner, operator} {
		c := f.clients[actor]
		c.Post("/admin/workspaces/acme/select", nil)
		for _, path := range []string{"/admin/w/acme/t/prod/policies", "/admin/operations/" + strconv.FormatInt(run, 10), "/admin/w/acme/baselines"} {
			var r *apptest.Response
			reads := 0
			for _, q := range rec.Record(func() { r = c.Get(path) }) {
				if strings.Contains(q.Query, "LEFT JOIN managed_environment_memberships em") {
					reads++
				}
			}
			if r.Status != http.StatusOK || !strings.Contains(r.Body, "<summary>Production</summary>") {
				t.Errorf("%s as %d: status %d, or prod is not current", path, actor, r.Status)
			}
			if reads != 1 {
				t.Errorf("%s as %d: the entitled environments read %d times, want once", path, actor, reads)
			}
		}
	}
}

// An archived workspace's addresses say so to its members (409, restore it
// first) and stay not found for anyone else; restored, they open again.
func TestArchivedWorkspaceAddresses(t *testing.T) {
	f := newFixture(t)
	c := f.clients[owner]
	if r := c.Post("/admin/w/acme/archive", url.Values{"confirm": {"acme"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("archive: %d", r.Status)
	}
	for _, path := range []string{"/admin/w/acme", "/admin/w/acme/t/prod/policies"} {
		if r := c.Get(path); r.Status != http.StatusConflict || !strings.Contains(r.Body, "Workspace Acme Corp is archived: restore it") {
			t.Errorf("%s: %d, want 409 saying to restore it", path, r.Status)
		}
		if r := f.clients[outsider].Get(path); r.Status != http.StatusNotFound {
			t.Errorf("%s for a non-member: %d, want 404", path, r.Status)
		}
	}
	if r := c.Post("/admin/workspaces/acme/restore", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("restore: %d", r.Status)
	}
	if r := c.Get("/admin/w/acme"); r.Status != http.StatusOK {
		t.Errorf("restored hub: %d", r.Status)
	}
}
