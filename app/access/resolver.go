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
	CurrentWorkspace              // the session's current workspace: only where /admin lands (DESIGN §5)
	PathWorkspace                 // the workspace named by the {workspace} slug, not archived
	PathEnvironment               // the environment named by the {environment} slug, inside the {workspace} one
	PathRun                       // the operation run {run}, in whichever of the user's workspaces owns it (spec 077)
	ChooserWorkspace              // the workspace {workspace} the chooser's forms name, archived ones included
	FormerPath                    // an address of the family before issue 26, which named no workspace (former.go)
	Site                          // Atlas itself, above workspaces: site administrators (DESIGN §4)
)

// Resolver makes every access decision: 404 for what the user may not know about,
// 403 for what they may see but not do.
type Resolver struct {
	DB *db.DB
	// OperationNeed is what starting an operation type needs, as the type
	// declares it (DESIGN §6), for routes whose need is NeedOfType; false for a
	// type this Atlas does not run.
	OperationNeed func(operationType string) (Capability, bool)
}

// reach is the signed-in user's workspaces, as the middleware read them, and
// the session's current one among them (nil when there is none to show).
type reach struct {
	workspaces []*Workspace
	current    *Workspace
}

type reachKey struct{}

// named is the user's workspace with this slug, archived or not; nil when
// they are not a member of one.
func (r *reach) named(slug string) *Workspace {
	for _, ws := range r.workspaces {
		if ws.Slug == slug {
			return ws
		}
	}
	return nil
}

// Middleware loads the signed-in user, their workspaces and the session's
// current one (spec 279 §5) for every request, and starts the header's frame.
// The guard then enters the workspace the route names, or the current one for
// a page that names none: the current workspace decides nothing else.
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
		rc := &reach{workspaces: workspaces}
		var only *Workspace
		for _, ws := range workspaces {
			if ws.Archived {
				continue
			}
			if ws.ID == sess.WorkspaceID {
				rc.current = ws
			}
			only = ws
			frame.Workspaces = append(frame.Workspaces, web.Choice{Name: ws.Name, Slug: ws.Slug, URL: web.ChooserFormURL(ws.Slug, "select")})
		}
		if rc.current == nil && len(frame.Workspaces) == 1 {
			rc.current = only // one workspace: nothing to choose
		}
		if rc.current == nil {
			sess.SetWorkspace(0)
		}
		ctx = context.WithValue(web.WithFrame(ctx, frame), reachKey{}, rc)
		return next(w, req.WithContext(ctx))
	}
}

// enter shows ws in the header's frame (highlighted in the switcher, its
// environments in the other) and keeps its entitled environments, envs, in the
// context: the handlers that list them again read them from there. Unless only
// the frame is asked for, ws becomes the route's workspace; and, unless the
// request is a fragment (a poll, a filter) of a page already open, the session's
// current one, as opening any page makes its workspace current (a change of
// workspace clears the environment, spec 279).
func enter(ctx context.Context, ws *Workspace, envs []*Environment, userID int64, frameOnly bool, req *http.Request) context.Context {
	sess := web.SessionFrom(ctx)
	makeCurrent := !frameOnly && !web.WantsFragment(req)
	if makeCurrent {
		sess.SetWorkspace(ws.ID)
	}
	frame := web.FrameFrom(ctx)
	frame.Workspace = &web.Choice{Name: ws.Name, Slug: ws.Slug, URL: ws.URL("")}
	frame.WorkspaceWhy = whyFunc(ws.Role)
	for i := range frame.Workspaces {
		frame.Workspaces[i].Current = frame.Workspaces[i].Slug == ws.Slug
	}
	frame.Environment, frame.Environments = nil, nil
	var current *Environment
	for _, e := range envs {
		if e.Archived() {
			continue
		}
		frame.Environments = append(frame.Environments, web.Choice{Name: e.Label(), Slug: e.Slug, URL: e.URL("")})
		if e.ID == sess.EnvironmentID && sess.WorkspaceID == ws.ID {
			current = e
		}
	}
	// spec 279: an environment not in this workspace, not entitled or archived is not current.
	switch {
	case current != nil:
		setEnvironment(frame, current)
	case sess.WorkspaceID == ws.ID:
		sess.SetEnvironment(0, "")
	}
	ctx = context.WithValue(ctx, entitledKey{}, &entitled{workspaceID: ws.ID, userID: userID, list: envs})
	if frameOnly {
		return ctx
	}
	return withWorkspace(ctx, ws)
}

// entitled is a workspace's environments the user is entitled to, as the guard
// read them: one query a request, not one per question.
type entitled struct {
	workspaceID, userID int64
	list                []*Environment
}

type entitledKey struct{}

// setEnvironment shows env as the current environment in the frame; the frame's
// URL is the base the sidebar appends its sections to.
func setEnvironment(frame *web.Frame, env *Environment) {
	frame.Environment = &web.Choice{Name: env.Label(), Slug: env.Slug, URL: env.URL("")}
	frame.EnvironmentWhy = whyFunc(env.Role)
	for i := range frame.Environments {
		frame.Environments[i].Current = frame.Environments[i].Slug == env.Slug
	}
}

// openEnvironment makes env, which the page opened names, the current
// environment (unless archived, spec 279, or the request is a fragment).
func openEnvironment(ctx context.Context, env *Environment, req *http.Request) {
	if env.Archived() || web.WantsFragment(req) {
		return
	}
	web.SessionFrom(ctx).SetEnvironment(env.ID, env.Slug)
	setEnvironment(web.FrameFrom(ctx), env)
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
				return web.Redirect(w, req.Request, web.ChooserURL, "")
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
	rc := ctx.Value(reachKey{}).(*reach)
	switch scope {
	case SignedIn, Site, FormerPath:
		// A page of no workspace shows the current one in its header.
		if rc.current != nil {
			envs, err := r.environments(ctx, rc.current, user.ID, "")
			if err != nil {
				return ctx, err
			}
			ctx = enter(ctx, rc.current, envs, user.ID, true, req.Request)
		}
		switch {
		case scope == FormerPath:
			return r.decideFormer(ctx, req, rc, user.ID)
		case scope == Site:
			if why := SiteWhy(user, need); why != "" {
				return ctx, web.Errorf(web.Forbidden, "%s", why)
			}
		}
		return ctx, nil
	case CurrentWorkspace:
		if rc.current == nil {
			return ctx, errNoWorkspace
		}
		return withWorkspace(ctx, rc.current), Allow(rc.current.Role, need)
	case ChooserWorkspace:
		ws := rc.named(req.Param("workspace"))
		if ws == nil {
			return ctx, web.ErrNotFound
		}
		return withWorkspace(ctx, ws), Allow(ws.Role, need)
	case PathRun:
		return r.decideRun(ctx, req, rc, user.ID, need)
	}
	ws, err := pathWorkspace(rc, req)
	if err != nil {
		return ctx, err
	}
	envs, err := r.environments(ctx, ws, user.ID, "")
	if err != nil {
		return ctx, err
	}
	if scope == PathWorkspace {
		return enter(ctx, ws, envs, user.ID, false, req.Request), Allow(ws.Role, need)
	}
	var env *Environment
	for _, e := range envs {
		if e.Slug == req.Param("environment") {
			env = e
		}
	}
	if env == nil {
		return ctx, web.ErrNotFound
	}
	ctx = enter(ctx, ws, envs, user.ID, false, req.Request)
	openEnvironment(ctx, env, req.Request)
	ctx = withEnvironment(ctx, env)
	if need == NeedOfType { // a start form names the type it starts
		typ := req.PostFormValue("type")
		var known bool
		if need, known = r.operationNeed(typ); !known {
			return ctx, web.Errorf(web.Invalid, "There is no operation %q to start here.", web.Truncate(typ, 100))
		}
	}
	return ctx, Allow(env.Role, need)
}

// pathWorkspace is the workspace the route's path names: not a member is not
// found; an archived one is closed until restored.
func pathWorkspace(rc *reach, req bunrouter.Request) (*Workspace, error) {
	ws := rc.named(req.Param("workspace"))
	switch {
	case ws == nil:
		return nil, web.ErrNotFound
	case ws.Archived:
		return nil, web.Errorf(web.Conflict, "Workspace %s is archived: restore it on the workspaces page before working in it.", ws.Name)
	}
	return ws, nil
}

// operationNeed is what starting an operation of type typ needs.
func (r *Resolver) operationNeed(typ string) (Capability, bool) {
	if r.OperationNeed == nil {
		return "", false
	}
	return r.OperationNeed(typ)
}

// decideRun (spec 077): a run is the business of its own workspace's members, and
// of those entitled to its environment; whatever workspace is current. Opening one
// of another of the user's workspaces makes that workspace current, with a notice;
// a run page's own polling (a fragment) reads it there without switching.
func (r *Resolver) decideRun(ctx context.Context, req bunrouter.Request, rc *reach, userID int64, need Capability) (context.Context, error) {
	id, err := ParseID(req.Param("run"))
	if err != nil {
		return ctx, err
	}
	var workspaceID int64
	var environmentID sql.NullInt64
	var typ string
	err = r.DB.Read.QueryRowContext(ctx, `SELECT workspace_id, managed_environment_id, type FROM operation_runs WHERE id = ?`, id).Scan(&workspaceID, &environmentID, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return ctx, web.ErrNotFound
	}
	if err != nil {
		return ctx, err
	}
	var ws *Workspace
	for _, w := range rc.workspaces {
		if w.ID == workspaceID && !w.Archived {
			ws = w
		}
	}
	if ws == nil {
		return ctx, web.ErrNotFound
	}
	envs, err := r.environments(ctx, ws, userID, "")
	if err != nil {
		return ctx, err
	}
	var env *Environment
	if environmentID.Valid {
		if env = find(envs, environmentID.Int64); env == nil {
			return ctx, web.ErrNotFound
		}
	}
	switched := (rc.current == nil || rc.current.ID != ws.ID) && !web.WantsFragment(req.Request)
	ctx = enter(ctx, ws, envs, userID, false, req.Request)
	if switched {
		if env != nil {
			openEnvironment(ctx, env, req.Request)
		}
		web.SessionFrom(ctx).AddFlash("info", "Switched to "+ws.Name+" to show this run.")
	}
	if need == NeedOfType { // acting on a run needs what starting its type needs
		var known bool
		if need, known = r.operationNeed(typ); !known {
			return ctx, web.Errorf(web.Conflict, "This Atlas does not run operations of type %q: there is nothing to do with this run.", web.Truncate(typ, 100))
		}
	}
	switch {
	case env == nil:
		return ctx, Allow(ws.Role, need)
	case need != View && env.Archived():
		return ctx, web.Errorf(web.Conflict, "%s is archived: restore it before running operations in it.", env.Label())
	}
	return ctx, Allow(env.Role, need)
}

// find is the environment of envs with this id, or nil.
func find(envs []*Environment, id int64) *Environment {
	for _, e := range envs {
		if e.ID == id {
			return e
		}
	}
	return nil
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
	if e := find(envs, environmentID); e != nil {
		return e, nil
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

const workspaceQuery = `SELECT w.id, w.slug, w.name, w.archived_at IS NOT NULL, m.role
	FROM workspaces w JOIN workspace_memberships m ON m.workspace_id = w.id
	WHERE m.user_id = ?`

func scanWorkspace(row db.Row) (*Workspace, error) {
	var ws Workspace
	err := row.Scan(&ws.ID, &ws.Slug, &ws.Name, &ws.Archived, &ws.Role)
	return &ws, err
}

// Workspaces lists every workspace the user is a member of, archived ones included.
func (r *Resolver) Workspaces(ctx context.Context, userID int64) ([]*Workspace, error) {
	return db.Collect(ctx, r.DB.Read, scanWorkspace, workspaceQuery+` ORDER BY w.name COLLATE NOCASE, w.id`, userID)
}

// Reach is everything the user may open, across workspaces: each workspace they
// are a member of (archived ones excepted) and the environments they are
// entitled to in it.
func (r *Resolver) Reach(ctx context.Context, userID int64) ([]*Workspace, []*Environment, error) {
	all, err := r.Workspaces(ctx, userID)
	if err != nil {
		return nil, nil, err
	}
	var workspaces []*Workspace
	var environments []*Environment
	for _, ws := range all {
		if ws.Archived {
			continue
		}
		envs, err := r.environments(ctx, ws, userID, "")
		if err != nil {
			return nil, nil, err
		}
		workspaces, environments = append(workspaces, ws), append(environments, envs...)
	}
	return workspaces, environments, nil
}

// environments applies entitlement: owners and managers see every environment of the
// workspace; others only those with a membership, at the lower of the two roles.
func (r *Resolver) environments(ctx context.Context, ws *Workspace, userID int64, slug string) ([]*Environment, error) {
	if e, ok := ctx.Value(entitledKey{}).(*entitled); ok && e.workspaceID == ws.ID && e.userID == userID {
		var list []*Environment
		for _, env := range e.list {
			if slug == "" || env.Slug == slug {
				list = append(list, env)
			}
		}
		return list, nil
	}
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
		e := Environment{WorkspaceSlug: ws.Slug}
		var memberRole string
		if err := rows.Scan(&e.ID, &e.WorkspaceID, &e.Slug, &e.Name, &e.DisplayName, &e.Kind, &e.LifecycleStatus, &memberRole); err != nil {
			return nil, err
		}
		switch {
		case ws.Role.SeesAllEnvironments():
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
