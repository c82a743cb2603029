package access

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"strings"

	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Holder is one of the user's workspaces that holds the record an address of
// the family before issue 26 names, and that address in the workspace.
type Holder struct {
	Workspace *Workspace
	URL       string
}

type holdersKey struct{}

// HoldersFrom is the workspaces the guard found for a former address (GET).
func HoldersFrom(ctx context.Context) []Holder {
	h, _ := ctx.Value(holdersKey{}).([]Holder)
	return h
}

// formerRecords are the records a former environment address names by id
// (/admin/t/{environment}/{collection}/{id}/…), each with the query that finds
// one in an environment.
var formerRecords = map[string]string{
	"policies": `SELECT 1 FROM policies WHERE id = ? AND managed_environment_id = ?`,
	"findings": `SELECT 1 FROM findings WHERE id = ? AND managed_environment_id = ?`,
	"backups":  `SELECT 1 FROM backup_sets WHERE id = ? AND managed_environment_id = ?`,
	"restores": `SELECT 1 FROM restores WHERE operation_run_id = ? AND managed_environment_id = ?`,
}

// decideFormer (issue 26): the addresses before issue 26 took their workspace
// from the session (/admin/t/{environment}/…, /admin/baselines/…,
// /admin/settings…), and the same environment and baseline slugs exist in
// several workspaces. A GET finds the user's open workspaces that hold the
// record it names — each the same address under /admin/w/{workspace} — and
// none is not found. A form posted to one is its handler's to refuse.
func (r *Resolver) decideFormer(ctx context.Context, req bunrouter.Request, rc *reach, userID int64) (context.Context, error) {
	if req.Method != http.MethodGet {
		return ctx, nil
	}
	rest := strings.TrimPrefix(req.URL.Path, "/admin")
	query := req.URL.Query()
	named := query.Get("workspace") // links of issue 17 named their workspace so
	query.Del("workspace")
	var holders []Holder
	for _, ws := range rc.workspaces {
		if ws.Archived || named != "" && ws.Slug != named {
			continue
		}
		held, err := r.holds(ctx, ws, userID, rest)
		if err != nil {
			return ctx, err
		}
		if held {
			to := ws.URL(rest)
			if len(query) > 0 {
				to += "?" + query.Encode()
			}
			holders = append(holders, Holder{Workspace: ws, URL: to})
		}
	}
	if len(holders) == 0 {
		return ctx, web.ErrNotFound
	}
	return context.WithValue(ctx, holdersKey{}, holders), nil
}

// holds reports whether ws holds, for the user, the record that rest (a former
// address after /admin) names: its environment, as the user is entitled to it,
// and that environment's record; its baseline profile and snapshot; or a page
// every workspace has (/settings, /members…).
func (r *Resolver) holds(ctx context.Context, ws *Workspace, userID int64, rest string) (bool, error) {
	s := append(strings.Split(strings.Trim(rest, "/"), "/"), "", "", "") // a missing segment reads as ""
	switch s[0] {
	case "t":
		if s[1] == "" {
			return false, nil
		}
		envs, err := r.environments(ctx, ws, userID, s[1])
		if err != nil || len(envs) == 0 {
			return false, err
		}
		if query, byID := formerRecords[s[2]]; byID && s[3] != "" {
			return r.exists(ctx, query, s[3], envs[0].ID)
		}
		return true, nil
	case "baselines":
		if s[1] == "" {
			return s[2] == "", nil // the list
		}
		var profileID int64
		err := r.DB.Read.QueryRowContext(ctx, `SELECT id FROM baseline_profiles WHERE workspace_id = ? AND slug = ?`, ws.ID, s[1]).Scan(&profileID)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil || s[2] != "snapshots" || s[3] == "" {
			return err == nil, err
		}
		return r.exists(ctx, `SELECT 1 FROM baseline_snapshots WHERE id = ? AND baseline_profile_id = ?`, s[3], profileID)
	}
	return true, nil
}

// exists reports whether query finds the record numbered id (a path segment)
// of owner.
func (r *Resolver) exists(ctx context.Context, query, id string, owner int64) (bool, error) {
	n, err := ParseID(id)
	if err != nil {
		return false, nil
	}
	var one int
	err = r.DB.Read.QueryRowContext(ctx, query, n, owner).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
