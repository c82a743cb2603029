package workspace

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"time"

	"atlas/app/access"
	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/finding"
	"atlas/app/inventory"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve the chooser, the hub, workspace settings and members.
type Handlers struct {
	DB         *db.DB
	Views      *web.Views
	Resolver   *access.Resolver
	Operations *operation.Handlers
}

type chooserPage struct {
	web.Page
	Active    []*access.Workspace
	Archived  []*access.Workspace
	CreateWhy string // why the user may not create a workspace, or ""
	Name      string
	Slug      string
	Errors    web.FieldErrors
}

func (h *Handlers) chooser(ctx context.Context, user *auth.User) (*chooserPage, error) {
	page := &chooserPage{Page: web.Page{Title: "Workspaces", Section: "workspaces", Crumbs: []web.Crumb{{Name: "Workspaces"}}},
		CreateWhy: access.SiteWhy(user, access.ManageSite)}
	list, err := h.Resolver.Workspaces(ctx, user.ID)
	for _, ws := range list {
		if ws.Archived {
			page.Archived = append(page.Archived, ws)
		} else {
			page.Active = append(page.Active, ws)
		}
	}
	return page, err
}

// Chooser lists the user's workspaces, with a form to create one for site administrators.
func (h *Handlers) Chooser(w http.ResponseWriter, req bunrouter.Request) error {
	page, err := h.chooser(req.Context(), access.UserFrom(req.Context()))
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "workspace/chooser", page)
}

// Create adds a workspace (form fields name, slug) owned by the user and makes it current.
func (h *Handlers) Create(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	user := access.UserFrom(ctx)
	name, slug := strings.TrimSpace(req.PostFormValue("name")), strings.TrimSpace(req.PostFormValue("slug"))
	var id int64
	err := h.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		id, err = Create(ctx, tx, name, slug, user.ID)
		return err
	})
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		page, lerr := h.chooser(ctx, user)
		if lerr != nil {
			return lerr
		}
		page.Name, page.Slug, page.Errors = web.Echo(name), web.Echo(slug), fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "workspace/chooser", page)
	}
	if err != nil {
		return err
	}
	web.SessionFrom(ctx).SetWorkspace(id)
	return web.Redirect(w, req.Request, web.HomeURL, "Workspace "+name+" created.")
}

// Select makes a workspace current (404 for non-members; archived ones cannot be selected).
func (h *Handlers) Select(w http.ResponseWriter, req bunrouter.Request) error {
	ws := access.MustWorkspace(req.Context())
	if ws.Archived {
		return web.Errorf(web.Conflict, "Workspace %s is archived: restore it before working in it.", ws.Name)
	}
	web.SessionFrom(req.Context()).SetWorkspace(ws.ID)
	return web.Redirect(w, req.Request, ws.URL(""), "")
}

// Home is /admin: it leads to the current workspace's hub, the one place the
// session's current workspace decides where a request goes (DESIGN §5).
func (h *Handlers) Home(w http.ResponseWriter, req bunrouter.Request) error {
	return web.Redirect(w, req.Request, access.MustWorkspace(req.Context()).URL(""), "")
}

// Restore brings an archived workspace back.
func (h *Handlers) Restore(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return setArchived(ctx, tx, ws, access.UserFrom(ctx).ID, false) }); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, web.ChooserURL, "Workspace "+ws.Name+" restored.")
}

type hubPage struct {
	web.Page
	Workspace    *access.Workspace
	Environments []EnvironmentHealth
	Operations   *operation.RecentRuns
	Severities   []diff.Severity
}

// EnvironmentHealth is one environment at a glance on the hub: its drift
// (worst open severity, counts, stale flag, last compare) and its last sync.
type EnvironmentHealth struct {
	*access.Environment
	Drift    finding.Drift
	LastSync *inventory.Run // nil: never synced
}

// Hub is the workspace's home, the page a consultant opens every
// morning: every environment's health at a glance.
func (h *Handlers) Hub(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	envs, err := h.Resolver.Environments(ctx, ws, access.UserFrom(ctx).ID)
	if err != nil {
		return err
	}
	page := &hubPage{Page: web.Page{Title: ws.Name, Section: "hub", Crumbs: []web.Crumb{{Name: ws.Name}}}, Workspace: ws, Severities: finding.Severities}
	// A constant number of queries whatever the number of environments.
	ids := make([]int64, len(envs))
	for i, env := range envs {
		ids[i] = env.ID
	}
	drift, err := finding.DriftByEnvironment(ctx, h.DB.Read, ids, time.Now())
	if err != nil {
		return err
	}
	syncs, err := inventory.LastSyncs(ctx, h.DB.Read, ids)
	if err != nil {
		return err
	}
	for _, env := range envs {
		page.Environments = append(page.Environments, EnvironmentHealth{Environment: env, Drift: drift[env.ID], LastSync: syncs[env.ID]})
	}
	if page.Operations, err = h.Operations.Recent(ctx, 0, req.URL.RequestURI()); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "workspace/hub", page)
}

type settingsPage struct {
	web.Page
	Workspace *access.Workspace
	Name      string
	Errors    web.FieldErrors
}

func newSettingsPage(ws *access.Workspace) *settingsPage {
	return &settingsPage{Page: web.Page{Title: "Workspace settings", Section: "settings",
		Crumbs: []web.Crumb{{Name: ws.Name, URL: ws.URL("")}, {Name: "Settings"}}}, Workspace: ws, Name: ws.Name}
}

// Settings shows rename and archive.
func (h *Handlers) Settings(w http.ResponseWriter, req bunrouter.Request) error {
	return h.Views.Render(w, req.Request, http.StatusOK, "workspace/settings", newSettingsPage(access.MustWorkspace(req.Context())))
}

// Rename changes the workspace's name (form field name).
func (h *Handlers) Rename(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	name := req.PostFormValue("name")
	err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return rename(ctx, tx, ws, access.UserFrom(ctx).ID, name) })
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		page := newSettingsPage(ws)
		page.Name, page.Errors = web.Echo(name), fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "workspace/settings", page)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, ws.URL("/settings"), "Workspace renamed.")
}

// Archive hides the workspace from the switcher after a typed confirmation (form field confirm = slug).
func (h *Handlers) Archive(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	if req.PostFormValue("confirm") != ws.Slug {
		page := newSettingsPage(ws)
		page.Errors = web.FieldErrors{"confirm": "Type the workspace's slug, " + ws.Slug + ", to archive it."}
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "workspace/settings", page)
	}
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return setArchived(ctx, tx, ws, access.UserFrom(ctx).ID, true) }); err != nil {
		return err
	}
	web.SessionFrom(ctx).SetWorkspace(0)
	return web.Redirect(w, req.Request, web.ChooserURL, "Workspace "+ws.Name+" archived.")
}

type membersPage struct {
	web.Page
	Workspace *access.Workspace
	Members   []access.Member
	Roles     []access.Role
	Email     string
	Role      string
	Errors    web.FieldErrors
}

func (h *Handlers) membersPage(ctx context.Context, ws *access.Workspace) (*membersPage, error) {
	list, err := members(ctx, h.DB.Read, ws.ID)
	return &membersPage{Page: web.Page{Title: "Members", Section: "members",
		Crumbs: []web.Crumb{{Name: ws.Name, URL: ws.URL("")}, {Name: "Members"}}},
		Workspace: ws, Members: list, Roles: access.Roles, Role: string(access.Readonly)}, err
}

// Members lists the workspace's members (owner only).
func (h *Handlers) Members(w http.ResponseWriter, req bunrouter.Request) error {
	page, err := h.membersPage(req.Context(), access.MustWorkspace(req.Context()))
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "workspace/members", page)
}

// AddMember adds an existing user (form fields email, role).
func (h *Handlers) AddMember(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	email, roleName := strings.TrimSpace(req.PostFormValue("email")), req.PostFormValue("role")
	err := web.FieldErrors{}
	role, rerr := access.ParseRole(roleName)
	if rerr != nil {
		err["role"] = rerr.Error()
	}
	var txErr error
	if !err.Any() {
		txErr = h.DB.Tx(ctx, func(tx *sql.Tx) error {
			_, err := AddMember(ctx, tx, ws.ID, access.UserFrom(ctx).ID, email, role)
			return err
		})
		errors.As(txErr, &err)
	}
	if err.Any() {
		page, perr := h.membersPage(ctx, ws)
		if perr != nil {
			return perr
		}
		page.Email, page.Role, page.Errors = web.Echo(email), web.Echo(roleName), err
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "workspace/members", page)
	}
	if txErr != nil {
		return txErr
	}
	return web.Redirect(w, req.Request, ws.URL("/members"), email+" is now "+string(role)+".")
}

// ChangeRole sets a member's role (form field role); the last owner cannot be demoted.
func (h *Handlers) ChangeRole(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	userID, err := access.ParseID(req.Param("user"))
	if err != nil {
		return err
	}
	role, err := access.ParseRole(req.PostFormValue("role"))
	if err != nil {
		return web.Errorf(web.Invalid, "%s", err.Error())
	}
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return changeRole(ctx, tx, ws.ID, access.UserFrom(ctx).ID, userID, role) }); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, ws.URL("/members"), "Role changed.")
}

// RemoveMember takes a user out of the workspace; the last owner cannot be removed.
func (h *Handlers) RemoveMember(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	userID, err := access.ParseID(req.Param("user"))
	if err != nil {
		return err
	}
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error { return removeMember(ctx, tx, ws.ID, access.UserFrom(ctx).ID, userID) }); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, ws.URL("/members"), "Member removed.")
}

type formerPage struct {
	web.Page
	Holders []access.Holder
}

// errFormerForm refuses a form posted to a former address: it names no
// workspace, so it cannot say which customer it was for.
var errFormerForm = web.Errorf(web.Gone, "This form comes from a page of an earlier Atlas, whose addresses did not name their workspace: Atlas cannot tell which customer it was for, and changed nothing. Open the page again and submit the form from there.")

// Former answers an address of the family before issue 26 (DESIGN §5): a GET
// leads to the one of the user's workspaces that holds its record, or offers
// the choice when several do (the resolver found them); a POST is refused.
func (h *Handlers) Former(w http.ResponseWriter, req bunrouter.Request) error {
	if req.Method != http.MethodGet {
		return errFormerForm
	}
	holders := access.HoldersFrom(req.Context())
	if len(holders) == 1 {
		web.SessionFrom(req.Context()).AddFlash("info", "Atlas's addresses now name their workspace: this page is in "+holders[0].Workspace.Name+". Update a bookmark to this address.")
		return web.Redirect(w, req.Request, holders[0].URL, "")
	}
	return h.Views.Render(w, req.Request, http.StatusMultipleChoices, "workspace/former",
		&formerPage{Page: web.Page{Title: "Which workspace?", Crumbs: []web.Crumb{{Name: "Which workspace?"}}}, Holders: holders})
}
