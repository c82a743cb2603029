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
	PathRun                       // the operation run {run}, in whichever of the user's workspaces owns it (spec 077)
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

// Middleware loads the signed-in user and the current context (spec 279 §5) for
// every request, and builds the header's frame. A link naming its workspace
// (?workspace=slug) makes that workspace current first, so an environment slug
// binds inside the customer the link was made for.
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
		var current, only *Workspace
		for _, ws := range workspaces {
			if ws.Archived {
				continue
			}
			if ws.ID == sess.WorkspaceID {
				current = ws
			}
			only = ws
			frame.Workspaces = append(frame.Workspaces, web.Choice{Name: ws.Name, Slug: ws.Slug,
				URL: "/admin/workspaces/" + ws.Slug + "/select"})
		}
		if current == nil && len(frame.Workspaces) == 1 {
			current = only // one workspace: nothing to choose
		}
		if slug := req.URL.Query().Get(web.WorkspaceParam); slug != "" {
			named := selectable(workspaces, slug)
			switch {
			case named == nil:
				ctx = context.WithValue(ctx, unknownWorkspaceKey{}, true)
			case current == nil || named.ID != current.ID:
				sess.AddFlash("info", "Switched to "+named.Name+".")
				current = named
			}
		}
		ctx = web.WithFrame(ctx, frame)
		if current == nil {
			sess.SetWorkspace(0)
			return next(w, req.WithContext(ctx))
		}
		if ctx, err = r.enter(ctx, current, user.ID); err != nil {
			return err
		}
		return next(w, req.WithContext(ctx))
	}
}

// unknownWorkspaceKey marks a request whose ?workspace= names no workspace the user
// may open: the guard answers it as not found.
type unknownWorkspaceKey struct{}

// selectable is the user's workspace with this slug, unless archived.
func selectable(workspaces []*Workspace, slug string) *Workspace {
	for _, ws := range workspaces {
		if ws.Slug == slug && !ws.Archived {
			return ws
		}
	}
	return nil
}

// enter makes ws the current workspace: in the session, the context and the
// header's frame (a change of workspace clears the environment, spec 279).
// The environments it reads for the frame stay in the context: the guard and
// the handlers that list them again read them from there.
func (r *Resolver) enter(ctx context.Context, ws *Workspace, userID int64) (context.Context, error) {
	sess := web.SessionFrom(ctx)
	sess.SetWorkspace(ws.ID)
	frame := web.FrameFrom(ctx)
	frame.Workspace = &web.Choice{Name: ws.Name, Slug: ws.Slug, URL: "/admin"}
	frame.WorkspaceWhy = whyFunc(ws.Role)
	for i := range frame.Workspaces {
		frame.Workspaces[i].Current = frame.Workspaces[i].Slug == ws.Slug
	}
	envs, err := r.environments(ctx, ws, userID, "")
	if err != nil {
		return ctx, err
	}
	frameEnvironments(frame, envs, sess)
	ctx = context.WithValue(ctx, entitledKey{}, &entitled{workspaceID: ws.ID, userID: userID, list: envs})
	return withWorkspace(ctx, ws), nil
}

// entitled is the current workspace's environments the user is entitled to, as
// the middleware read them: one query a request, not one per question.
type entitled struct {
	workspaceID, userID int64
	list                []*Environment
}

type entitledKey struct{}

// frameEnvironments lists the selectable environments and validates the session's
// current one: not in this workspace, not entitled or archived clears it (spec 279).
func frameEnvironments(frame *web.Frame, envs []*Environment, sess *web.Session) {
	frame.Environment, frame.Environments = nil, nil
	var current *Environment
	for _, e := range envs {
		if e.Archived() {
			continue
		}
		frame.Environments = append(frame.Environments, web.Choice{Name: e.Label(), Slug: e.Slug,
			URL: e.URL(""), Current: e.ID == sess.EnvironmentID})
		if e.ID == sess.EnvironmentID {
			current = e
		}
	}
	if current == nil {
		sess.SetEnvironment(0, "")
		return
	}
	setEnvironment(sess, frame, current)
}

// setEnvironment makes env the current environment, in the session and the frame.
// The frame's URL is the base the sidebar appends its sections to.
func setEnvironment(sess *web.Session, frame *web.Frame, env *Environment) {
	sess.SetEnvironment(env.ID, env.Slug)
	frame.Environment = &web.Choice{Name: env.Label(), Slug: env.Slug, URL: "/admin/t/" + env.Slug}
	frame.EnvironmentWhy = whyFunc(env.Role)
	for i := range frame.Environments {
		frame.Environments[i].Current = frame.Environments[i].Slug == env.Slug
	}
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
	if ctx.Value(unknownWorkspaceKey{}) != nil {
		return ctx, web.ErrNotFound
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
	case PathRun:
		return r.decideRun(ctx, req, user.ID, need)
	}
	ws, ok := WorkspaceFrom(ctx)
	if !ok {
		return ctx, errNoWorkspace
	}
	if scope == CurrentWorkspace {
		return ctx, Allow(ws.Role, need)
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
		setEnvironment(web.SessionFrom(ctx), web.FrameFrom(ctx), env)
	}
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
func (r *Resolver) decideRun(ctx context.Context, req bunrouter.Request, userID int64, need Capability) (context.Context, error) {
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
	ws, err := r.workspaceByID(ctx, userID, workspaceID)
	if err != nil {
		return ctx, err
	}
	var env *Environment
	if environmentID.Valid {
		if env, err = r.Environment(ctx, ws, userID, environmentID.Int64); err != nil {
			return ctx, err
		}
	}
	current, ok := WorkspaceFrom(ctx)
	switch {
	case ok && current.ID == ws.ID: // nothing to switch
	case web.WantsFragment(req.Request):
		ctx = withWorkspace(ctx, ws)
	default:
		if ctx, err = r.enter(ctx, ws, userID); err != nil {
			return ctx, err
		}
		if env != nil && !env.Archived() {
			setEnvironment(web.SessionFrom(ctx), web.FrameFrom(ctx), env)
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

// workspaceByID resolves a workspace the user may open (a member, not archived); otherwise not found.
func (r *Resolver) workspaceByID(ctx context.Context, userID, id int64) (*Workspace, error) {
	row := r.DB.Read.QueryRowContext(ctx, workspaceQuery+` AND w.id = ? AND w.archived_at IS NULL`, userID, id)
	ws, err := scanWorkspace(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return ws, err
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
