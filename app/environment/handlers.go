package environment

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve environment pages: list, create, settings, members (the
// dashboard is app/finding's: it is mostly about drift).
type Handlers struct {
	DB       *db.DB
	Views    *web.Views
	Resolver *access.Resolver
}

type listPage struct {
	web.Page
	Workspace    *access.Workspace
	Environments []*access.Environment
}

// List shows every environment the user is entitled to, archived ones too.
func (h *Handlers) List(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	envs, err := h.Resolver.Environments(ctx, ws, access.UserFrom(ctx).ID)
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "environment/list", &listPage{
		Page:      web.Page{Title: "Environments", Section: "environments", Crumbs: []web.Crumb{{Name: ws.Name, URL: ws.URL("")}, {Name: "Environments"}}},
		Workspace: ws, Environments: envs})
}

type formPage struct {
	web.Page
	Workspace   *access.Workspace
	Environment *access.Environment // nil when creating
	Fields      Fields
	Kinds       []string
	Errors      web.FieldErrors
}

func newFormPage(ws *access.Workspace) *formPage {
	return &formPage{Page: web.Page{Title: "Add an environment", Section: "environments",
		Crumbs: []web.Crumb{{Name: ws.Name, URL: ws.URL("")}, {Name: "Environments", URL: ws.URL("/environments")}, {Name: "Add"}}},
		Workspace: ws, Kinds: Kinds, Fields: Fields{Kind: "production"}}
}

func formFields(req bunrouter.Request) Fields {
	return Fields{Slug: req.PostFormValue("slug"), Name: req.PostFormValue("name"),
		DisplayName: req.PostFormValue("display_name"), Kind: req.PostFormValue("kind")}
}

// echo is f as the re-rendered form shows it back.
func (f Fields) echo() Fields {
	return Fields{Slug: web.Echo(f.Slug), Name: web.Echo(f.Name), DisplayName: web.Echo(f.DisplayName), Kind: web.Echo(f.Kind)}
}

// New shows the form to add an environment.
func (h *Handlers) New(w http.ResponseWriter, req bunrouter.Request) error {
	return h.Views.Render(w, req.Request, http.StatusOK, "environment/form", newFormPage(access.MustWorkspace(req.Context())))
}

// Create adds an environment to the workspace (form fields slug, name, display_name, kind).
func (h *Handlers) Create(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	f := formFields(req)
	err := h.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := Create(ctx, tx, ws.ID, access.UserFrom(ctx).ID, f)
		return err
	})
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		page := newFormPage(ws)
		page.Fields, page.Errors = f.echo(), fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "environment/form", page)
	}
	if err != nil {
		return err
	}
	slug := strings.TrimSpace(f.Slug)
	return web.Redirect(w, req.Request, web.EnvironmentURL(ws.Slug, slug, ""), "Environment "+strings.TrimSpace(f.Name)+" added.")
}

func settingsPage(ws *access.Workspace, env *access.Environment) *formPage {
	return &formPage{Page: web.Page{Title: "Environment settings", Section: "env-settings", Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Settings"})},
		Workspace: ws, Environment: env, Kinds: Kinds,
		Fields: Fields{Slug: env.Slug, Name: env.Name, DisplayName: env.DisplayName, Kind: env.Kind}}
}

// Settings shows the edit form with archive or restore.
func (h *Handlers) Settings(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	return h.Views.Render(w, req.Request, http.StatusOK, "environment/form", settingsPage(access.MustWorkspace(ctx), access.MustEnvironment(ctx)))
}

// Update saves the edit form.
func (h *Handlers) Update(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	f := formFields(req)
	err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return update(ctx, tx, env, access.UserFrom(ctx).ID, f) })
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		page := settingsPage(ws, env)
		page.Fields, page.Errors = f.echo(), fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "environment/form", page)
	}
	if err != nil {
		return err
	}
	slug := strings.TrimSpace(f.Slug)
	web.SessionFrom(ctx).SetEnvironment(env.ID, slug)
	return web.Redirect(w, req.Request, web.EnvironmentURL(ws.Slug, slug, "/settings"), "Environment saved.")
}

// Archive sets lifecycle_status to archived after a typed confirmation (form field confirm = slug).
func (h *Handlers) Archive(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	if req.PostFormValue("confirm") != env.Slug {
		page := settingsPage(ws, env)
		page.Errors = web.FieldErrors{"confirm": "Type the environment's slug, " + env.Slug + ", to archive it."}
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "environment/form", page)
	}
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return setLifecycle(ctx, tx, env, access.UserFrom(ctx).ID, "archived") }); err != nil {
		return err
	}
	web.SessionFrom(ctx).SetEnvironment(0, "")
	return web.Redirect(w, req.Request, ws.URL("/environments"), "Environment "+env.Label()+" archived.")
}

// Restore makes an archived environment active again.
func (h *Handlers) Restore(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	env := access.MustEnvironment(ctx)
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return setLifecycle(ctx, tx, env, access.UserFrom(ctx).ID, "active") }); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, env.URL(""), "Environment "+env.Label()+" restored.")
}

type membersPage struct {
	web.Page
	Workspace   *access.Workspace
	Environment *access.Environment
	Members     []access.Member
	Roles       []access.Role
	Email       string
	Role        string
	Errors      web.FieldErrors
}

func (h *Handlers) membersPage(ctx context.Context) (*membersPage, error) {
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	list, err := members(ctx, h.DB.Read, env.ID)
	return &membersPage{Page: web.Page{Title: "Environment members", Section: "env-members", Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Members"})},
		Workspace: ws, Environment: env, Members: list, Roles: access.Roles, Role: string(access.Readonly)}, err
}

// Members lists who is entitled to the environment through a membership.
func (h *Handlers) Members(w http.ResponseWriter, req bunrouter.Request) error {
	page, err := h.membersPage(req.Context())
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "environment/members", page)
}

// AddMember entitles a workspace member (form fields email, role).
func (h *Handlers) AddMember(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	email, roleName := strings.TrimSpace(req.PostFormValue("email")), req.PostFormValue("role")
	fields := web.FieldErrors{}
	role, err := access.ParseRole(roleName)
	if err != nil {
		fields["role"] = err.Error()
	} else {
		err = h.DB.Tx(ctx, func(tx *sql.Tx) error { return AddMember(ctx, tx, ws.ID, env.ID, access.UserFrom(ctx).ID, email, role) })
		if !errors.As(err, &fields) && err != nil {
			return err
		}
	}
	if fields.Any() {
		page, perr := h.membersPage(ctx)
		if perr != nil {
			return perr
		}
		page.Email, page.Role, page.Errors = web.Echo(email), web.Echo(roleName), fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "environment/members", page)
	}
	return web.Redirect(w, req.Request, env.URL("/members"), email+" can now use "+env.Label()+".")
}

// RemoveMember ends a user's environment membership.
func (h *Handlers) RemoveMember(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	env := access.MustEnvironment(ctx)
	userID, err := access.ParseID(req.Param("user"))
	if err != nil {
		return err
	}
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return removeMember(ctx, tx, env, access.UserFrom(ctx).ID, userID) }); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, env.URL("/members"), "Membership removed.")
}
