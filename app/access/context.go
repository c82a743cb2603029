package access

import (
	"context"

	"atlas/app/auth"
	"atlas/app/web"
)

// Workspace is a workspace as the signed-in user holds it.
type Workspace struct {
	ID       int64
	Slug     string
	Name     string
	Archived bool
	Role     Role
}

// Can reports whether the user's workspace role grants c.
func (w *Workspace) Can(c Capability) bool { return w.Role.Can(c) }

// Why is the reason an action is disabled, or "".
func (w *Workspace) Why(c Capability) string { return w.Role.Why(c) }

// URL is the address of one of the workspace's pages (rest: "", "/members",
// "/baselines/golden").
func (w *Workspace) URL(rest string) string { return web.WorkspaceURL(w.Slug, rest) }

// Environment is a managed environment the signed-in user is entitled to.
type Environment struct {
	ID              int64
	WorkspaceID     int64
	WorkspaceSlug   string
	Slug            string
	Name            string
	DisplayName     string
	Kind            string
	LifecycleStatus string
	Role            Role // effective role in this environment
}

// Label is the operator-facing name (spec 279: display_name when it differs).
func (e *Environment) Label() string {
	if e.DisplayName != "" {
		return e.DisplayName
	}
	return e.Name
}

// URL is the address of one of the environment's pages (rest: "", "/policies/7",
// "/findings?severity=high"); it names the workspace, so it never lands on another
// customer's environment of the same slug.
func (e *Environment) URL(rest string) string {
	return web.EnvironmentURL(e.WorkspaceSlug, e.Slug, rest)
}

// Archived environments are not selectable as current context (spec 279).
func (e *Environment) Archived() bool { return e.LifecycleStatus == "archived" }

// Can reports whether the user's effective role in the environment grants c.
func (e *Environment) Can(c Capability) bool { return e.Role.Can(c) }

// Why is the reason an action is disabled, or "".
func (e *Environment) Why(c Capability) string { return e.Role.Why(c) }

type (
	userKey        struct{}
	workspaceKey   struct{}
	environmentKey struct{}
)

// UserFrom is the signed-in user, or nil.
func UserFrom(ctx context.Context) *auth.User {
	u, _ := ctx.Value(userKey{}).(*auth.User)
	return u
}

// WorkspaceFrom is the workspace the route names (its path, or its run's), as
// the guard resolved it: never the session's current one, which another tab
// may have changed (issue 26).
func WorkspaceFrom(ctx context.Context) (*Workspace, bool) {
	w, ok := ctx.Value(workspaceKey{}).(*Workspace)
	return w, ok
}

// MustWorkspace is the route's workspace on routes whose guard resolves one.
func MustWorkspace(ctx context.Context) *Workspace {
	w, ok := WorkspaceFrom(ctx)
	if !ok {
		panic("access: no workspace; the route's scope does not resolve one")
	}
	return w
}

// EnvironmentFrom is the environment of an /admin/w/{workspace}/t/{environment} route.
func EnvironmentFrom(ctx context.Context) (*Environment, bool) {
	e, ok := ctx.Value(environmentKey{}).(*Environment)
	return e, ok
}

// MustEnvironment is the environment on routes whose guard resolved one.
func MustEnvironment(ctx context.Context) *Environment {
	e, ok := EnvironmentFrom(ctx)
	if !ok {
		panic("access: no environment; the route's scope does not resolve one")
	}
	return e
}

// WithUser is for tests and the CLI, which act as a user outside a request.
func WithUser(ctx context.Context, u *auth.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

func withWorkspace(ctx context.Context, w *Workspace) context.Context {
	return context.WithValue(ctx, workspaceKey{}, w)
}

func withEnvironment(ctx context.Context, e *Environment) context.Context {
	return context.WithValue(ctx, environmentKey{}, e)
}
