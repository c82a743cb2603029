// Package search is the ⌘K palette's one search (issue 12): every workspace,
// environment, policy, baseline profile, finding, backup set and run the user may
// open, across all their workspaces, and nothing else — not even a count.
package search

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve GET /admin/search.
type Handlers struct {
	DB       *db.DB
	Views    *web.Views
	Resolver *access.Resolver
	Engine   *operation.Engine // names run types
}

// kinds are the records search_index holds (schema/0011_search.up.sql), in the
// order the palette lists them: a kind's rows are the rowids code×2^40 + id.
var kinds = []struct {
	code int64
	name string
}{{1, "Workspace"}, {2, "Environment"}, {3, "Policy"}, {4, "Baseline profile"}, {5, "Finding"}, {6, "Backup set"}}

const (
	kindSpan = int64(1) << 40
	perKind  = 5 // results of one kind: the newest first
	minTerm  = 3 // characters: the trigram index finds nothing shorter
)

// Result is one record found, as the palette lists it.
type Result struct {
	Kind  string
	Label string
	Where string // its workspace, and environment when it has one
	URL   string // names the workspace: it opens there whatever is current
}

// matchQuery finds one kind's records by label through the trigram index, keeps
// those in the user's reach, and reads what their links need.
const matchQuery = `SELECT s.label, s.path, w.slug, w.name, COALESCE(e.slug, ''), COALESCE(NULLIF(e.display_name, ''), e.name, '')
	FROM search_index s
	CROSS JOIN workspaces w ON w.id = s.workspace_id
	LEFT JOIN managed_environments e ON e.id = s.managed_environment_id
	WHERE s.label MATCH ? AND s.rowid BETWEEN ? AND ?
	AND s.workspace_id IN (SELECT value FROM json_each(?))
	AND (s.managed_environment_id IS NULL OR s.managed_environment_id IN (SELECT value FROM json_each(?)))
	ORDER BY s.rowid DESC LIMIT ?`

// Find is what q finds for the user; hint says why nothing was searched.
func (h *Handlers) Find(ctx context.Context, userID int64, q string) (results []Result, hint string, err error) {
	workspaces, environments, err := h.Resolver.Reach(ctx, userID)
	if err != nil {
		return nil, "", err
	}
	if run, err := h.run(ctx, q, workspaces, environments); err != nil || run != nil {
		if run != nil {
			results = append(results, *run)
		}
		return results, "", err
	}
	match := matchExpression(q)
	if match == "" {
		return nil, fmt.Sprintf("Type at least %d letters of a name, or a run's number.", minTerm), nil
	}
	workspaceIDs, environmentIDs := []int64{}, []int64{}
	for _, ws := range workspaces {
		workspaceIDs = append(workspaceIDs, ws.ID)
	}
	for _, e := range environments {
		environmentIDs = append(environmentIDs, e.ID)
	}
	inWorkspaces, _ := json.Marshal(workspaceIDs)
	inEnvironments, _ := json.Marshal(environmentIDs)
	for _, k := range kinds {
		rows, err := h.DB.Read.QueryContext(ctx, matchQuery, match, k.code*kindSpan, (k.code+1)*kindSpan-1,
			string(inWorkspaces), string(inEnvironments), perKind)
		if err != nil {
			return nil, "", err
		}
		for rows.Next() {
			r := Result{Kind: k.name}
			var path, workspaceSlug, workspaceName, environmentSlug, environmentName string
			if err := rows.Scan(&r.Label, &path, &workspaceSlug, &workspaceName, &environmentSlug, &environmentName); err != nil {
				rows.Close()
				return nil, "", err
			}
			r.Where = workspaceName
			if environmentSlug == "" {
				// A workspace's own records keep their path before issue 26 in the
				// index (/admin, /admin/baselines/{slug}): the same under the workspace.
				r.URL = web.WorkspaceURL(workspaceSlug, strings.TrimPrefix(path, "/admin"))
			} else {
				r.URL = web.EnvironmentURL(workspaceSlug, environmentSlug, path)
				if k.name != "Environment" {
					r.Where += " · " + environmentName
				}
			}
			results = append(results, r)
		}
		if err := rows.Close(); err != nil {
			return nil, "", err
		}
	}
	return results, "", nil
}

// matchExpression is q as an FTS5 query: each word of at least minTerm characters
// a quoted phrase (so its punctuation is text), all of them required.
func matchExpression(q string) string {
	var phrases []string
	for _, word := range strings.Fields(q) {
		if utf8.RuneCountInString(word) >= minTerm {
			phrases = append(phrases, `"`+strings.ReplaceAll(word, `"`, `""`)+`"`)
		}
	}
	return strings.Join(phrases, " ")
}

// run is the run numbered q ("42" or "#42"), when the user may open it: runs have
// no names, people find them by number.
func (h *Handlers) run(ctx context.Context, q string, workspaces []*access.Workspace, environments []*access.Environment) (*Result, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(q), "#"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil
	}
	var workspaceID int64
	var environmentID sql.NullInt64
	var runType string
	err = h.DB.Read.QueryRowContext(ctx, `SELECT workspace_id, managed_environment_id, type FROM operation_runs WHERE id = ?`, id).
		Scan(&workspaceID, &environmentID, &runType)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	r := &Result{Kind: "Run", Label: fmt.Sprintf("%s #%d", h.Engine.Label(runType), id), URL: web.RunURL(id)}
	for _, ws := range workspaces {
		if ws.ID == workspaceID {
			r.Where = ws.Name
		}
	}
	if r.Where == "" {
		return nil, nil
	}
	if !environmentID.Valid {
		return r, nil
	}
	for _, e := range environments {
		if e.ID == environmentID.Int64 {
			r.Where += " · " + e.Label()
			return r, nil
		}
	}
	return nil, nil
}

type resultsPage struct {
	web.Page
	Query   string
	Results []Result
	Hint    string
}

// Search is GET /admin/search?q=: the palette fetches its results as a fragment;
// the same address is a whole page for a reload or without JavaScript.
func (h *Handlers) Search(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	q := strings.TrimSpace(req.URL.Query().Get("q"))
	page := &resultsPage{Page: web.Page{Title: "Search", Crumbs: []web.Crumb{{Name: "Search"}}}, Query: q}
	if q != "" {
		var err error
		if page.Results, page.Hint, err = h.Find(ctx, access.UserFrom(ctx).ID, q); err != nil {
			return err
		}
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "search/results", page)
}
