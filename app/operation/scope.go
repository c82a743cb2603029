package operation

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/web"
)

// Scope is the runs of a workspace one person may open (DESIGN §4): those of
// the environments they are entitled to, and the workspace's own (a run
// without an environment). Every query that lists or counts runs for a person,
// and every link to a run, goes through one: a run they may not open is never
// listed, counted or linked (spec 058: all queries tenant-scoped).
type Scope struct {
	WorkspaceID  int64
	environments []int64 // entitled, archived ones included
	whole        bool    // every environment of the workspace (owners, managers)
}

// ScopeOf is the scope of a person holding ws who is entitled to envs (the resolver's list).
func ScopeOf(ws *access.Workspace, envs []*access.Environment) Scope {
	s := Scope{WorkspaceID: ws.ID, whole: ws.Role.SeesAllEnvironments()}
	for _, e := range envs {
		s.environments = append(s.environments, e.ID)
	}
	return s
}

// ViewerScope is the signed-in person's scope in the route's workspace.
func ViewerScope(ctx context.Context, r *access.Resolver) (Scope, error) {
	ws := access.MustWorkspace(ctx)
	envs, err := r.Environments(ctx, ws, access.UserFrom(ctx).ID)
	return ScopeOf(ws, envs), err
}

// Opens reports whether the person may open a run of environmentID (0: one of
// the workspace's own).
func (s Scope) Opens(environmentID int64) bool {
	return environmentID == 0 || slices.Contains(s.environments, environmentID)
}

// Run loads a run of the scope; one the person may not open is not found, as
// one that does not exist.
func (s Scope) Run(ctx context.Context, q db.Querier, id int64) (*Run, error) {
	run, err := Get(ctx, q, s.WorkspaceID, id)
	if err == nil && !s.Opens(run.EnvironmentID) {
		return nil, web.ErrNotFound
	}
	return run, err
}

// RunLink is run runID of environmentID as a page of sourceType links to it
// from surface under key: its canonical page when the person may open it,
// otherwise an unavailable entry.
func (s Scope) RunLink(sourceType string, surface navigation.SourceSurface, key string, runID, environmentID int64, text string) navigation.Link {
	if !s.Opens(environmentID) {
		return navigation.UnavailableLink(sourceType, surface, key, navigation.ReasonUnauthorized, "")
	}
	return navigation.NewLink(sourceType, surface, key, text, web.RunURL(runID))
}

// arms are the conditions on operation_runs r that select the scope's runs (of
// one environment when environmentID ≠ 0), each served by indexes of its own:
// the workspace's for a person entitled to every environment, otherwise one
// per environment and one for the workspace's own runs. None: the environment
// is not the person's. Ids are written as numbers so that the arms need no
// parameters of their own; the unary + keeps SQLite from walking the whole
// workspace's index for one environment's runs.
func (s Scope) arms(environmentID int64) []string {
	workspace := " AND +r.workspace_id = " + strconv.FormatInt(s.WorkspaceID, 10)
	switch {
	case environmentID != 0 && !s.Opens(environmentID):
		return nil
	case environmentID != 0:
		return []string{"r.managed_environment_id = " + strconv.FormatInt(environmentID, 10) + workspace}
	case s.whole:
		return []string{"r.workspace_id = " + strconv.FormatInt(s.WorkspaceID, 10)}
	}
	arms := []string{"r.managed_environment_id IS NULL" + workspace}
	for _, id := range s.environments {
		arms = append(arms, "r.managed_environment_id = "+strconv.FormatInt(id, 10)+workspace)
	}
	return arms
}

// counted lists the environments of operation_run_days (0: the workspace's
// own runs) whose rows add up to the scope's, of one environment when
// environmentID ≠ 0.
func (s Scope) counted(environmentID int64) string {
	if environmentID != 0 {
		return strconv.FormatInt(environmentID, 10)
	}
	ids := []string{"0"}
	for _, id := range s.environments {
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	return strings.Join(ids, ", ")
}
