// Package site is Atlas above its workspaces (DESIGN §4): site administrators,
// the users page with its export roots, and each person's own account page.
package site

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve the users page (site administrators) and the account page (everyone).
type Handlers struct {
	DB       *db.DB
	Views    *web.Views
	Folders  *environment.ExportFolders
	Throttle *auth.Throttle // the sign-in throttle, for password changes
}

// UserRow is one user as the users page lists them.
type UserRow struct {
	ID           int64
	Name         string
	Email        string
	IsLocalOwner bool
	SiteAdmin    bool
	HasPassword  bool
	Workspaces   int
	Sessions     int // live sign-ins
	CreatedAt    db.Time
}

func listUsers(ctx context.Context, q db.Querier) ([]UserRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.name, u.email, u.is_local_owner, u.is_site_admin, u.password_hash IS NOT NULL,
		(SELECT COUNT(*) FROM workspace_memberships m WHERE m.user_id = u.id),
		(SELECT COUNT(*) FROM user_sessions s WHERE s.user_id = u.id AND s.expires_at > ?), u.created_at
		FROM users u ORDER BY u.is_local_owner DESC, u.name COLLATE NOCASE, u.id`, db.Now())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []UserRow
	for rows.Next() {
		var u UserRow
		if err := rows.Scan(&u.ID, &u.Name, &u.Email, &u.IsLocalOwner, &u.SiteAdmin, &u.HasPassword, &u.Workspaces, &u.Sessions, &u.CreatedAt); err != nil {
			return nil, err
		}
		u.SiteAdmin = u.SiteAdmin || u.IsLocalOwner
		list = append(list, u)
	}
	return list, rows.Err()
}

type usersPage struct {
	web.Page
	Me       *auth.User
	Users    []UserRow
	Roots    []environment.ExportRoot
	GrantWhy string // why the viewer may not make site administrators, or ""
	Root     string
	New      newUser
	Errors   web.FieldErrors
}

type newUser struct {
	Email, Name string
	SiteAdmin   bool
}

func (h *Handlers) usersPage(ctx context.Context) (*usersPage, error) {
	me := access.UserFrom(ctx)
	users, err := listUsers(ctx, h.DB.Read)
	if err != nil {
		return nil, err
	}
	roots, err := h.Folders.Roots(ctx)
	if err != nil {
		return nil, err
	}
	return &usersPage{Page: web.Page{Title: "Users", Section: "users", Crumbs: []web.Crumb{{Name: "Users"}}},
		Me: me, Users: users, Roots: roots, GrantWhy: access.SiteWhy(me, access.GrantSiteAdmin), Errors: web.FieldErrors{}}, nil
}

// Users lists everyone who can sign in, with the site's export roots.
func (h *Handlers) Users(w http.ResponseWriter, req bunrouter.Request) error {
	page, err := h.usersPage(req.Context())
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "site/users", page)
}

// invalid re-renders the users page with what was typed and what is wrong (422).
func (h *Handlers) invalid(w http.ResponseWriter, req bunrouter.Request, fill func(*usersPage)) error {
	page, err := h.usersPage(req.Context())
	if err != nil {
		return err
	}
	fill(page)
	return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "site/users", page)
}

// CreateUser adds a user who signs in with a password (form fields email,
// name, password, site_admin).
func (h *Handlers) CreateUser(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	me := access.UserFrom(ctx)
	nu := newUser{Email: strings.TrimSpace(req.PostFormValue("email")), Name: req.PostFormValue("name"), SiteAdmin: req.PostFormValue("site_admin") == "true"}
	if nu.SiteAdmin {
		if why := access.SiteWhy(me, access.GrantSiteAdmin); why != "" {
			return web.Errorf(web.Forbidden, "%s.", why)
		}
	}
	prepared, err := auth.PrepareUser(ctx, nu.Email, nu.Name, req.PostFormValue("password"))
	if err == nil {
		err = h.DB.Tx(ctx, func(tx *sql.Tx) error {
			u, err := prepared.Insert(ctx, tx)
			if err != nil {
				return err
			}
			if nu.SiteAdmin {
				if err := auth.SetSiteAdmin(ctx, tx, u.ID, true); err != nil {
					return err
				}
			}
			return audit.Record(ctx, tx, audit.Event{UserID: me.ID, Action: "user.created", RecordType: "user", RecordID: u.ID,
				RecordLabel: u.Email, Detail: map[string]any{"site_admin": nu.SiteAdmin}})
		})
	}
	var fields web.FieldErrors
	switch {
	case errors.As(err, &fields):
	case errors.Is(err, auth.ErrEmailTaken):
		fields = web.FieldErrors{"email": "A user with this email already exists."}
	case err != nil:
		return err
	}
	if fields.Any() {
		nu.Email, nu.Name = web.Echo(nu.Email), web.Echo(nu.Name)
		return h.invalid(w, req, func(p *usersPage) { p.New, p.Errors = nu, fields })
	}
	return web.Redirect(w, req.Request, web.UsersURL, "User "+nu.Email+" added.")
}

// targetUser is the {user} of a users-page route.
func (h *Handlers) targetUser(req bunrouter.Request) (*auth.User, error) {
	id, err := access.ParseID(req.Param("user"))
	if err != nil {
		return nil, err
	}
	u, err := auth.UserByID(req.Context(), h.DB.Read, id)
	if errors.Is(err, auth.ErrNoUser) {
		return nil, web.ErrNotFound
	}
	return u, err
}

// SetSiteAdmin makes a user a site administrator or not (form field site_admin: true or false).
func (h *Handlers) SetSiteAdmin(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	u, err := h.targetUser(req)
	if err != nil {
		return err
	}
	if u.IsLocalOwner {
		return web.Errorf(web.Conflict, "The local owner is always a site administrator.")
	}
	admin := req.PostFormValue("site_admin") == "true"
	err = h.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := auth.SetSiteAdmin(ctx, tx, u.ID, admin); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{UserID: access.UserFrom(ctx).ID, Action: "user.site_admin", RecordType: "user",
			RecordID: u.ID, RecordLabel: u.Email, Detail: map[string]any{"site_admin": admin}})
	})
	if err != nil {
		return err
	}
	message := u.Name + " is no longer a site administrator."
	if admin {
		message = u.Name + " is now a site administrator."
	}
	return web.Redirect(w, req.Request, web.UsersURL, message)
}

// SignOut ends every session of a user, on every device, at its next request.
func (h *Handlers) SignOut(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	u, err := h.targetUser(req)
	if err != nil {
		return err
	}
	var ended int64
	err = h.DB.Tx(ctx, func(tx *sql.Tx) error {
		if ended, err = auth.EndSessions(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{UserID: access.UserFrom(ctx).ID, Action: "user.signed_out", RecordType: "user",
			RecordID: u.ID, RecordLabel: u.Email, Detail: map[string]any{"sessions": ended}})
	})
	if err != nil {
		return err
	}
	if u.ID == access.UserFrom(ctx).ID {
		// Yourself: this browser stays signed in, on a new session.
		if err := h.renew(ctx); err != nil {
			return err
		}
	}
	return web.Redirect(w, req.Request, web.UsersURL, u.Name+" is signed out everywhere ("+plural(ended, "session")+" ended).")
}

// RemoveUser deletes a user after a typed confirmation (form field confirm = their email).
func (h *Handlers) RemoveUser(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	me := access.UserFrom(ctx)
	u, err := h.targetUser(req)
	if err != nil {
		return err
	}
	switch {
	case u.ID == me.ID:
		return web.Errorf(web.Conflict, "You cannot remove yourself.")
	case !strings.EqualFold(strings.TrimSpace(req.PostFormValue("confirm")), u.Email):
		return h.invalid(w, req, func(p *usersPage) {
			p.Errors = web.FieldErrors{"confirm-" + u.Email: "Type " + u.Email + " to remove this user."}
		})
	}
	err = h.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := auth.RemoveUser(ctx, tx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{UserID: me.ID, Action: "user.removed", RecordType: "user", RecordID: u.ID, RecordLabel: u.Email})
	})
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, web.UsersURL, u.Email+" was removed and signed out.")
}

// AddRoot sets a folder under which every user may connect export folders (form field root).
func (h *Handlers) AddRoot(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	root := req.PostFormValue("root")
	resolved, err := h.Folders.AddRoot(ctx, access.UserFrom(ctx).ID, root)
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		return h.invalid(w, req, func(p *usersPage) { p.Root, p.Errors = root, fields })
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, web.UsersURL, resolved+" is now an export root.")
}

// RemoveRoot removes an export root set on this page.
func (h *Handlers) RemoveRoot(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	id, err := access.ParseID(req.Param("root"))
	if err != nil {
		return err
	}
	path, err := h.Folders.RemoveRoot(ctx, access.UserFrom(ctx).ID, id)
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, web.UsersURL, path+" is no longer an export root: folders connected under it, unless the local owner chose them, are no longer synced.")
}

func plural(n int64, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return web.Number(int(n)) + " " + word + "s"
}
