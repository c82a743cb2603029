package access

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strconv"

	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Scope says what a route is about, and so what the resolver must establish first.
type Scope int

const (
	Public           Scope = iota // anyone, signed in or not
	SignedIn                      // any signed-in user
	CurrentWorkspace              // the session's current workspace
	PathWorkspace                 // the workspace named by the {workspace} slug
	PathEnvironment               // the environment named by the {environment} slug, inside the current workspace
	PathRun                       // the operation run {run} of the current workspace (spec 077: visible to every member)
	Site                          // Atlas itself, above workspaces: site administrators (DESIGN §4)
)

// Resolver makes every access decision: 404 for what the user may not know about,
// 403 for what they may see but not do.
type Resolver struct{ DB *db.DB }

// Middleware loads the signed-in user and the current context (spec 279 §5) for
// every request, and builds the header's frame.
func (r *Resolver) Middleware(next bunrouter.HandlerFunc) bunrouter.HandlerFunc {
	return func(w http.ResponseWriter, req bunrouter.Request) error {
		ctx := req.Context()
		sess := web.SessionFrom(ctx)
		if sess.UserID == 0 {
			return next(w, req)
		}
		// The cookie alone is not enough: its session must still be live on the
		// server (not signed out, not ended by a password change or an administrator).
		user, err := auth.SessionUser(ctx, r.DB.Read, sess.UserID, sess.Token)
		if errors.Is(err, auth.ErrNoUser) {
			sess.SignOut()
			return next(w, req)
		}
		if err != nil {
			return err
		}
		ctx = WithUser(ctx, user)
		frame := &web.Frame{UserName: user.Name, UserEmail: user.Email, SiteAdmin: user.SiteAdmin()}
		workspaces, err := r.Workspaces(ctx, user.ID)
		if err != nil {
			return err
		}
		var current *Workspace
		for _, ws := range workspaces {
			if ws.Archived {
				continue
			}
			if ws.ID == sess.WorkspaceID {
				current = ws
			}
			frame.Workspaces = append(frame.Workspaces, web.Choice{Name: ws.Name, Slug: ws.Slug,
				URL: "/admin/workspaces/" + ws.Slug + "/select", Current: ws.ID == sess.WorkspaceID})
		}
		if current == nil && len(frame.Workspaces) == 1 {
			// One workspace: nothing to choose.
			for _, ws := range workspaces {
				if !ws.Archived {
					current = ws
				}
			}
			frame.Workspaces[0].Current = true
		}
		if current == nil {
			sess.SetWorkspace(0)
		} else {
			sess.SetWorkspace(current.ID)
			ctx = withWorkspace(ctx, current)
			frame.Workspace = &web.Choice{Name: current.Name, Slug: current.Slug, URL: "/admin"}
			frame.WorkspaceWhy = whyFunc(current.Role)
			if err := r.frameEnvironments(ctx, frame, current, user.ID, sess); err != nil {
				return err
			}
		}
		return next(w, req.WithContext(web.WithFrame(ctx, frame)))
	}
}

// frameEnvironments lists the selectable environments and validates the session's
// current one: not in this workspace, not entitled or archived clears it (spec 279).
func (r *Resolver) frameEnvironments(ctx context.Context, frame *web.Frame, ws *Workspace, userID int64, sess *web.Session) error {
	envs, err := r.environments(ctx, ws, userID, "")
	if err != nil {
		return err
	}
	var current *Environment
	for _, e := range envs {
		if e.Archived() {
			continue
		}
		frame.Environments = append(frame.Environments, web.Choice{Name: e.Label(), Slug: e.Slug,
			URL: "/admin/t/" + e.Slug, Current: e.ID == sess.EnvironmentID})
		if e.ID == sess.EnvironmentID {
			current = e
		}
	}
	if current == nil {
		sess.SetEnvironment(0, "")
		return nil
	}
	sess.SetEnvironment(current.ID, current.Slug)
	frame.Environment = &web.Choice{Name: current.Label(), Slug: current.Slug, URL: "/admin/t/" + current.Slug}
	frame.EnvironmentWhy = whyFunc(current.Role)
	return nil
}

// whyFunc is role.Why for templates, which name capabilities as strings.
func whyFunc(role Role) func(string) string {
	return func(c string) string { return role.Why(Capability(c)) }
}

// Guard establishes the route's scope and checks the capability it needs.
func (r *Resolver) Guard(scope Scope, need Capability) bunrouter.MiddlewareFunc {
	return func(next bunrouter.HandlerFunc) bunrouter.HandlerFunc {
		return func(w http.ResponseWriter, req bunrouter.Request) error {
			ctx, err := r.decide(req, scope, need)
			if errors.Is(err, errSignInNeeded) && req.Method == http.MethodGet {
				return web.Redirect(w, req.Request, "/login", "")
			}
			if errors.Is(err, errNoWorkspace) && req.Method == http.MethodGet {
				return web.Redirect(w, req.Request, "/admin/workspaces", "")
			}
			if err != nil {
				return err
			}
			return next(w, req.WithContext(ctx))
		}
	}
}

var (
	errSignInNeeded = web.Errorf(web.Unauthorized, "Sign in to continue.")
	errNoWorkspace  = web.Errorf(web.Conflict, "Choose a workspace first.")
)

func (r *Resolver) decide(req bunrouter.Request, scope Scope, need Capability) (context.Context, error) {
	ctx := req.Context()
	if scope == Public {
		return ctx, nil
	}
	user := UserFrom(ctx)
	if user == nil {
		return ctx, errSignInNeeded
	}
	switch scope {
	case SignedIn:
		return ctx, nil
	case Site:
		if why := SiteWhy(user, need); why != "" {
			return ctx, web.Errorf(web.Forbidden, "%s", why)
		}
		return ctx, nil
	case PathWorkspace:
		ws, err := r.WorkspaceBySlug(ctx, user.ID, req.Param("workspace"))
		if err != nil {
			return ctx, err
		}
		return withWorkspace(ctx, ws), Allow(ws.Role, need)
	}
	ws, ok := WorkspaceFrom(ctx)
	if !ok {
		return ctx, errNoWorkspace
	}
	switch scope {
	case CurrentWorkspace:
		return ctx, Allow(ws.Role, need)
	case PathRun:
		return ctx, r.decideRun(ctx, req.Param("run"), ws, user.ID, need)
	}
	envs, err := r.environments(ctx, ws, user.ID, req.Param("environment"))
	if err != nil {
		return ctx, err
	}
	if len(envs) == 0 {
		return ctx, web.ErrNotFound
	}
	env := envs[0]
	if !env.Archived() {
		web.SessionFrom(ctx).SetEnvironment(env.ID, env.Slug)
		if f := web.FrameFrom(ctx); f != nil {
			f.Environment = &web.Choice{Name: env.Label(), Slug: env.Slug, URL: "/admin/t/" + env.Slug}
			f.EnvironmentWhy = whyFunc(env.Role)
			for i := range f.Environments {
				f.Environments[i].Current = f.Environments[i].Slug == env.Slug
			}
		}
	}
	return withEnvironment(ctx, env), Allow(env.Role, need)
}

// decideRun: any member may look at a run of the workspace; acting on it needs
// the capability in the run's environment, and an environment the user is not
// entitled to is not found.
func (r *Resolver) decideRun(ctx context.Context, param string, ws *Workspace, userID int64, need Capability) error {
	id, err := ParseID(param)
	if err != nil {
		return err
	}
	var environmentID sql.NullInt64
	err = r.DB.Read.QueryRowContext(ctx, `SELECT managed_environment_id FROM operation_runs WHERE id = ? AND workspace_id = ?`, id, ws.ID).Scan(&environmentID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return web.ErrNotFound
	case err != nil:
		return err
	case need == View || !environmentID.Valid:
		return Allow(ws.Role, need)
	}
	env, err := r.Environment(ctx, ws, userID, environmentID.Int64)
	if err != nil {
		return err
	}
	if env.Archived() {
		return web.Errorf(web.Conflict, "%s is archived: restore it before running operations in it.", env.Label())
	}
	return Allow(env.Role, need)
}

// SiteWhy is why the user may not do a site-level action, or "" when they may.
func SiteWhy(u *auth.User, need Capability) string {
	switch {
	case !u.SiteAdmin():
		return "Only site administrators may do this: ask the person who runs Atlas to make you one"
	case need == GrantSiteAdmin && !u.IsLocalOwner:
		return "Only the local owner (who runs Atlas on this computer) makes or unmakes site administrators"
	}
	return ""
}

// Allow is the 403 decision: nil when role grants need.
func Allow(role Role, need Capability) error {
	if need == "" || role.Can(need) {
		return nil
	}
	return web.Errorf(web.Forbidden, "%s.", role.Why(need))
}

// Environment resolves an environment by id for a record that references one (an
// operation run, a finding): not in the workspace or not entitled is not found.
func (r *Resolver) Environment(ctx context.Context, ws *Workspace, userID, environmentID int64) (*Environment, error) {
	envs, err := r.environments(ctx, ws, userID, "")
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		if e.ID == environmentID {
			return e, nil
		}
	}
	return nil, web.ErrNotFound
}

// Target resolves another environment an action names by slug (a restore's
// target): not entitled is not found, entitled without need is forbidden, and an
// archived one is a conflict.
func (r *Resolver) Target(ctx context.Context, ws *Workspace, userID int64, slug string, need Capability) (*Environment, error) {
	envs, err := r.environments(ctx, ws, userID, slug)
	if err != nil {
		return nil, err
	}
	if len(envs) == 0 || slug == "" {
		return nil, web.ErrNotFound
	}
	env := envs[0]
	if env.Archived() {
		return nil, web.Errorf(web.Conflict, "%s is archived: restore it before restoring into it.", env.Label())
	}
	if err := Allow(env.Role, need); err != nil {
		return nil, err
	}
	return env, nil
}

// Environments lists the environments of ws the user is entitled to, archived ones included.
func (r *Resolver) Environments(ctx context.Context, ws *Workspace, userID int64) ([]*Environment, error) {
	return r.environments(ctx, ws, userID, "")
}

// WorkspaceBySlug resolves a workspace the user is a member of; otherwise not found.
func (r *Resolver) WorkspaceBySlug(ctx context.Context, userID int64, slug string) (*Workspace, error) {
	row := r.DB.Read.QueryRowContext(ctx, workspaceQuery+` AND w.slug = ?`, userID, slug)
	ws, err := scanWorkspace(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return ws, err
}

const workspaceQuery = `SELECT w.id, w.slug, w.name, w.archived_at IS NOT NULL, m.role
	FROM workspaces w JOIN workspace_memberships m ON m.workspace_id = w.id
	WHERE m.user_id = ?`

func scanWorkspace(row interface{ Scan(...any) error }) (*Workspace, error) {
	var ws Workspace
	err := row.Scan(&ws.ID, &ws.Slug, &ws.Name, &ws.Archived, &ws.Role)
	return &ws, err
}

// Workspaces lists every workspace the user is a member of, archived ones included.
func (r *Resolver) Workspaces(ctx context.Context, userID int64) ([]*Workspace, error) {
	rows, err := r.DB.Read.QueryContext(ctx, workspaceQuery+` ORDER BY w.name COLLATE NOCASE, w.id`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*Workspace
	for rows.Next() {
		ws, err := scanWorkspace(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, ws)
	}
	return list, rows.Err()
}

// environments applies entitlement: owners and managers see every environment of the
// workspace; others only those with a membership, at the lower of the two roles.
func (r *Resolver) environments(ctx context.Context, ws *Workspace, userID int64, slug string) ([]*Environment, error) {
	q := `SELECT e.id, e.workspace_id, e.slug, e.name, COALESCE(e.display_name, ''), e.kind, e.lifecycle_status, COALESCE(em.role, '')
		FROM managed_environments e
		LEFT JOIN managed_environment_memberships em ON em.managed_environment_id = e.id AND em.user_id = ?
		WHERE e.workspace_id = ?`
	args := []any{userID, ws.ID}
	if slug != "" {
		q += ` AND e.slug = ?`
		args = append(args, slug)
	}
	rows, err := r.DB.Read.QueryContext(ctx, q+` ORDER BY e.name COLLATE NOCASE, e.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*Environment
	for rows.Next() {
		var e Environment
		var memberRole string
		if err := rows.Scan(&e.ID, &e.WorkspaceID, &e.Slug, &e.Name, &e.DisplayName, &e.Kind, &e.LifecycleStatus, &memberRole); err != nil {
			return nil, err
		}
		switch {
		case ws.Role.seesAllEnvironments():
			e.Role = ws.Role
		case memberRole != "":
			e.Role = lower(ws.Role, Role(memberRole))
		default:
			continue
		}
		list = append(list, &e)
	}
	return list, rows.Err()
}

// ParseID reads a positive integer route parameter; anything else is not found.
func ParseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, web.ErrNotFound
	}
	return id, nil
}
