package site_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"atlas/app/apptest"
)

const password = "correct horse battery"

// addUser creates a user (a site administrator with admin) who is readonly in acme's prod.
func addUser(t *testing.T, e *apptest.Env, email string, admin bool) int64 {
	t.Helper()
	ctx := context.Background()
	if err := e.Data.AddUser(ctx, email, email, password, admin); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddMember(ctx, "acme", email, "readonly", "prod"); err != nil {
		t.Fatal(err)
	}
	var id int64
	e.Data.DB.Read.QueryRow(`SELECT id FROM users WHERE email = ?`, email).Scan(&id)
	return id
}

func count(t *testing.T, e *apptest.Env, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.Data.DB.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// people is acme with the local owner, a readonly member (roID) and a site
// administrator (atlas user add --admin, readonly in prod), each signed in.
func people(t *testing.T) (e *apptest.Env, owner, readonly, admin *apptest.Client, roID int64) {
	t.Helper()
	e = apptest.NewAcme(t)
	roID = addUser(t, e, "ro@acme.test", false)
	addUser(t, e, "admin@acme.test", true)
	return e, e.Owner(), e.SignIn("ro@acme.test", password), e.SignIn("admin@acme.test", password), roID
}

const createForm = `action="/admin/workspaces"`

// TestOnlySiteAdministratorsCreateWorkspaces: issue 8 §1 — a readonly member
// neither sees the form nor gets through with a forged post; the local owner
// and users made site administrators (atlas user add --admin, the users page) do.
func TestOnlySiteAdministratorsCreateWorkspaces(t *testing.T) {
	e, owner, readonly, admin, roID := people(t)

	if r := readonly.Get("/admin/workspaces"); r.Status != http.StatusOK || strings.Contains(r.Body, createForm) {
		t.Errorf("readonly chooser: status %d, create form shown %v", r.Status, strings.Contains(r.Body, createForm))
	}
	if r := readonly.Post("/admin/workspaces", url.Values{"name": {"Mine"}, "slug": {"mine"}}); r.Status != http.StatusForbidden {
		t.Errorf("readonly creates a workspace: %d, want 403", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM workspaces WHERE slug = 'mine'`); n != 0 {
		t.Errorf("the refused post wrote %d workspace(s)", n)
	}
	for name, c := range map[string]*apptest.Client{"local owner": owner, "--admin user": admin} {
		if r := c.Get("/admin/workspaces"); !strings.Contains(r.Body, createForm) {
			t.Errorf("%s: no create form", name)
		}
	}
	if r := admin.Post("/admin/workspaces", url.Values{"name": {"Admin Co"}, "slug": {"admin-co"}}); r.Status != http.StatusSeeOther {
		t.Errorf("site administrator creates a workspace: %d", r.Status)
	}
	if n := count(t, e, `SELECT count(*) FROM workspace_memberships m JOIN workspaces w ON w.id = m.workspace_id JOIN users u ON u.id = m.user_id
		WHERE w.slug = 'admin-co' AND u.email = 'admin@acme.test' AND m.role = 'owner'`); n != 1 {
		t.Errorf("the site administrator does not own the workspace they created")
	}

	// The local owner makes the readonly member a site administrator on the users page, then withdraws it.
	toggle := "/admin/users/" + strconv.FormatInt(roID, 10) + "/site-admin"
	if r := owner.Post(toggle, url.Values{"site_admin": {"true"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("make site administrator: %d", r.Status)
	}
	if r := readonly.Post("/admin/workspaces", url.Values{"name": {"Mine"}, "slug": {"mine"}}); r.Status != http.StatusSeeOther {
		t.Errorf("after being made site administrator: %d", r.Status)
	}
	if r := owner.Post(toggle, url.Values{"site_admin": {"false"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("withdraw: %d", r.Status)
	}
	if r := readonly.Post("/admin/workspaces", url.Values{"name": {"Again"}, "slug": {"again"}}); r.Status != http.StatusForbidden {
		t.Errorf("after withdrawal: %d, want 403", r.Status)
	}
}

// TestUsersPage: only site administrators see it (and its sidebar entry); only
// the local owner makes site administrators; the local owner stays one.
func TestUsersPage(t *testing.T) {
	e, owner, readonly, admin, roID := people(t)

	if r := readonly.Get("/admin/users"); r.Status != http.StatusForbidden {
		t.Errorf("readonly opens the users page: %d", r.Status)
	}
	if body := readonly.Get("/admin/w/acme").Body; strings.Contains(body, `href="/admin/users"`) {
		t.Error("readonly's sidebar links to the users page")
	}
	for name, c := range map[string]*apptest.Client{"local owner": owner, "site administrator": admin} {
		r := c.Get("/admin/users")
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "ro@acme.test") || !strings.Contains(c.Get("/admin/w/acme").Body, `href="/admin/users"`) {
			t.Errorf("%s: users page %d or no sidebar entry", name, r.Status)
		}
	}
	if body := admin.Get("/admin/users").Body; !strings.Contains(body, `disabled title="Only the local owner`) {
		t.Error("a site administrator who is not the local owner is offered a live site-administrator toggle")
	}
	if r := admin.Post("/admin/users/"+strconv.FormatInt(roID, 10)+"/site-admin", url.Values{"site_admin": {"true"}}); r.Status != http.StatusForbidden {
		t.Errorf("site administrator makes another: %d, want 403", r.Status)
	}
	if r := admin.Post("/admin/users", url.Values{"email": {"x@acme.test"}, "name": {"X"}, "password": {password}, "site_admin": {"true"}}); r.Status != http.StatusForbidden || count(t, e, `SELECT count(*) FROM users WHERE email = 'x@acme.test'`) != 0 {
		t.Errorf("site administrator adds a site administrator: %d", r.Status)
	}
	if r := admin.Post("/admin/users", url.Values{"email": {"new@acme.test"}, "name": {"New"}, "password": {password}}); r.Status != http.StatusSeeOther {
		t.Errorf("site administrator adds a user: %d", r.Status)
	}
	e.SignIn("new@acme.test", password)
	if r := owner.Post("/admin/users/"+strconv.FormatInt(e.Data.Owner.ID, 10)+"/site-admin", url.Values{"site_admin": {"false"}}); r.Status != http.StatusConflict {
		t.Errorf("withdraw the local owner: %d, want 409", r.Status)
	}
	if r := owner.Post("/admin/users/"+strconv.FormatInt(e.Data.Owner.ID, 10)+"/remove", url.Values{"confirm": {e.Data.Owner.Email}}); r.Status != http.StatusConflict {
		t.Errorf("remove the local owner: %d, want 409", r.Status)
	}
}

// signedOut reports whether c's next request finds it signed out.
func signedOut(c *apptest.Client) bool {
	r := c.Get("/admin/workspaces")
	return r.Status == http.StatusSeeOther && r.Header.Get("Location") == "/login"
}

// TestSessionsAreRevocable: issue 8 §4 — a cookie copied before logout, a
// password change, a site administrator's "sign out everywhere" or the user's
// removal is signed out at its next request; the session id rotates at sign-in.
func TestSessionsAreRevocable(t *testing.T) {
	tests := []struct {
		name     string
		onlyThis bool // ends the session it is done in, not the user's other browsers
		revoke   func(t *testing.T, e *apptest.Env, victim *apptest.Client, id int64)
	}{
		{"logout", true, func(t *testing.T, _ *apptest.Env, victim *apptest.Client, _ int64) {
			if r := victim.Post("/logout", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("logout: %d", r.Status)
			}
		}},
		{"password change", false, func(t *testing.T, _ *apptest.Env, victim *apptest.Client, _ int64) {
			r := victim.Post("/account/password", url.Values{"current_password": {password}, "new_password": {"a new horse battery"}, "confirm_password": {"a new horse battery"}})
			if r.Status != http.StatusSeeOther {
				t.Fatalf("password change: %d\n%s", r.Status, r.Body)
			}
			if signedOut(victim) {
				t.Error("the browser that changed the password was signed out")
			}
		}},
		{"sign out everywhere else", false, func(t *testing.T, _ *apptest.Env, victim *apptest.Client, _ int64) {
			if r := victim.Post("/account/sign-out", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("sign out everywhere else: %d", r.Status)
			}
			if signedOut(victim) {
				t.Error("the browser that signed the others out was signed out")
			}
		}},
		{"site administrator signs the user out everywhere", false, func(t *testing.T, e *apptest.Env, _ *apptest.Client, id int64) {
			if r := e.Owner().Post("/admin/users/"+strconv.FormatInt(id, 10)+"/sign-out", nil); r.Status != http.StatusSeeOther {
				t.Fatalf("sign out everywhere: %d", r.Status)
			}
		}},
		{"user removed", false, func(t *testing.T, e *apptest.Env, _ *apptest.Client, id int64) {
			if r := e.Owner().Post("/admin/users/"+strconv.FormatInt(id, 10)+"/remove", url.Values{"confirm": {"ro@acme.test"}}); r.Status != http.StatusSeeOther {
				t.Fatalf("remove: %d", r.Status)
			}
			if n := count(t, e, `SELECT count(*) FROM users WHERE id = ?`, id); n != 0 {
				t.Error("the user is still there")
			}
		}},
		{"session expired", false, func(t *testing.T, e *apptest.Env, _ *apptest.Client, id int64) {
			if _, err := e.Data.DB.Write.Exec(`UPDATE user_sessions SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = ?`, id); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := apptest.NewAcme(t)
			id := addUser(t, e, "ro@acme.test", false)
			victim := e.SignIn("ro@acme.test", password)
			other := e.SignIn("ro@acme.test", password) // another browser
			stolen := victim.On(e)                      // the cookie, copied before
			if signedOut(stolen) || signedOut(other) {
				t.Fatal("copied cookie or second browser not signed in to begin with")
			}
			tt.revoke(t, e, victim, id)
			if !signedOut(stolen) {
				t.Error("the copied cookie still works")
			}
			if signedOut(other) == tt.onlyThis {
				t.Errorf("the user's other browser: signed out %v, want %v", signedOut(other), !tt.onlyThis)
			}
		})
	}
}

func TestSessionIDRotatesAtSignIn(t *testing.T) {
	e := apptest.NewAcme(t)
	id := addUser(t, e, "ro@acme.test", false)
	c := e.SignIn("ro@acme.test", password)
	var first string
	e.Data.DB.Read.QueryRow(`SELECT id FROM user_sessions WHERE user_id = ?`, id).Scan(&first)
	before := c.On(e)
	if r := c.Post("/login", url.Values{"email": {"ro@acme.test"}, "password": {password}}); r.Status != http.StatusSeeOther {
		t.Fatalf("sign in again: %d", r.Status)
	}
	var ids []string
	rows, _ := e.Data.DB.Read.Query(`SELECT id FROM user_sessions WHERE user_id = ?`, id)
	for rows.Next() {
		var s string
		rows.Scan(&s)
		ids = append(ids, s)
	}
	rows.Close()
	if len(ids) != 1 || ids[0] == first || first == "" {
		t.Errorf("sessions after signing in again: %v (first %q): want one new id", ids, first)
	}
	if !signedOut(before) {
		t.Error("the cookie from before the sign-in still works")
	}
	if signedOut(c) {
		t.Error("the new sign-in does not work")
	}
}

// TestPasswordChangeIsThrottled: guessing the current password on the account
// page counts like guessing it on the sign-in page (issue 8 §2).
func TestPasswordChangeIsThrottled(t *testing.T) {
	e := apptest.NewAcme(t)
	addUser(t, e, "ro@acme.test", false)
	c := e.SignIn("ro@acme.test", password)
	wrong := url.Values{"current_password": {"not it at all"}, "new_password": {"a new horse battery"}, "confirm_password": {"a new horse battery"}}
	for i := range 5 {
		if r := c.Post("/account/password", wrong); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "This is not your current password.") {
			t.Fatalf("wrong guess %d: %d", i+1, r.Status)
		}
	}
	r := c.Post("/account/password", url.Values{"current_password": {password}, "new_password": {"a new horse battery"}, "confirm_password": {"a new horse battery"}})
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Errorf("after 5 wrong guesses: %d, Retry-After %q; want 429 with Retry-After", r.Status, r.Header.Get("Retry-After"))
	}
}
