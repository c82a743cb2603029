package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"atlas/app/access"
	"atlas/app/navigation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// policyOf is the route's :policy in the route's environment.
func (h *Handlers) policyOf(req bunrouter.Request) (*Policy, error) {
	id, err := access.ParseID(req.Param("policy"))
	if err != nil {
		return nil, err
	}
	return PolicyByID(req.Context(), h.DB.Read, access.MustEnvironment(req.Context()).ID, id)
}

// versionOf is the version of pol the URL's {version} names, with its stored payload.
func (h *Handlers) versionOf(req bunrouter.Request, env *access.Environment, pol *Policy) (*Version, []byte, error) {
	n, err := strconv.Atoi(req.Param("version"))
	if err != nil {
		return nil, nil, web.ErrNotFound
	}
	v, err := VersionByNumber(req.Context(), h.DB.Read, env.ID, pol.ID, n)
	if err != nil {
		return nil, nil, err
	}
	canonical, err := Payload(req.Context(), h.DB.Read, v.ContentHash)
	return v, canonical, err
}

func policyURL(env *access.Environment, p *Policy) string {
	return env.URL(fmt.Sprintf("/policies/%d", p.ID))
}

func downloadURL(env *access.Environment, p *Policy, version int) string {
	return fmt.Sprintf("%s/versions/%d/download", policyURL(env, p), version)
}

// policyCrumbs lead from the environment to a policy and one of its pages.
func policyCrumbs(ws *access.Workspace, env *access.Environment, p *Policy, page string) []web.Crumb {
	return navigation.Crumbs(ws, env, web.Crumb{Name: "Policies", URL: env.URL("/policies")},
		web.Crumb{Name: p.DisplayName, URL: policyURL(env, p)}, web.Crumb{Name: page})
}

type diffPage struct {
	web.Page
	Environment *access.Environment
	Policy      *Policy
	Versions    []Version // newest first, for the pickers
	From, To    string    // the versions picked (or typed, when they are no version numbers)
	Problem     string    // why the picked versions cannot be compared; the page is a 422 then
	Comparison  *Comparison
}

// Diff compares two versions of a policy (issue 5): ?from=N&to=M, by default
// the latest version against the one before it.
func (h *Handlers) Diff(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	pol, err := h.policyOf(req)
	if err != nil {
		return err
	}
	versions, err := Versions(ctx, h.DB.Read, env.ID, pol.ID)
	if err != nil {
		return err
	}
	p := &diffPage{Page: web.Page{Title: "Compare versions · " + pol.DisplayName, Section: "policies",
		Crumbs: policyCrumbs(ws, env, pol, "Compare versions")}, Environment: env, Policy: pol, Versions: versions}
	q := req.URL.Query()
	from, to, problem := pickVersions(q.Get("from"), q.Get("to"), pol.VersionCount)
	p.From, p.To = web.Echo(q.Get("from")), web.Echo(q.Get("to"))
	if from > 0 {
		p.From, p.To = strconv.Itoa(from), strconv.Itoa(to)
	}
	if problem != "" {
		p.Problem = problem
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "inventory/compare", p)
	}
	if from == 0 { // one version: nothing to compare it with yet
		return h.Views.Render(w, req.Request, http.StatusOK, "inventory/compare", p)
	}
	old, err := VersionByNumber(ctx, h.DB.Read, env.ID, pol.ID, from)
	if err != nil {
		return err
	}
	new, err := VersionByNumber(ctx, h.DB.Read, env.ID, pol.ID, to)
	if err != nil {
		return err
	}
	side := func(v *Version) Side {
		return Side{Heading: fmt.Sprintf("Version %d", v.Number), At: v.CapturedAt, Download: downloadURL(env, pol, v.Number)}
	}
	if p.Comparison, err = h.comparePayloads(ctx, side(old), side(new), old.ContentHash, new.ContentHash, env.ID); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "inventory/compare", p)
}

// pickVersions reads the from and to of a version diff. Missing, to is the
// latest version and from the one before to; from is 0 when there is only one
// version. A problem is a choice that cannot be compared; a number the policy
// never had is left for the lookup to find missing (404).
func pickVersions(fromText, toText string, latest int) (from, to int, problem string) {
	number := func(s string, def int) (int, string) {
		if s == "" {
			return def, ""
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return 0, fmt.Sprintf("Versions are numbered 1, 2, 3…: %q is not a version number.", web.Truncate(s, 20))
		}
		return n, ""
	}
	to, problem = number(toText, latest)
	if problem != "" {
		return 0, 0, problem
	}
	if from, problem = number(fromText, to-1); problem != "" {
		return 0, 0, problem
	}
	switch {
	case from == 0 && latest > 1:
		return 0, 0, fmt.Sprintf("Version %d is the first version: choose a version to compare it with.", to)
	case from == to:
		return 0, 0, fmt.Sprintf("Version %d against itself has no changes: choose two different versions.", to)
	}
	return from, to, ""
}

// DownloadVersion sends a version's canonical JSON as a file.
func (h *Handlers) DownloadVersion(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	env := access.MustEnvironment(ctx)
	pol, err := h.policyOf(req)
	if err != nil {
		return err
	}
	v, canonical, err := h.versionOf(req, env, pol)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", web.AttachmentDisposition(fmt.Sprintf("%s v%d.json", pol.DisplayName, v.Number)))
	_, err = w.Write(canonical)
	return err
}

// Candidate is a policy the compare picker offers.
type Candidate struct {
	ID          int64
	DisplayName string
	Removed     bool
	SameName    bool // named like the policy being compared: the likely counterpart
}

// CandidateGroup is one environment's candidates.
type CandidateGroup struct {
	Environment *access.Environment
	Policies    []Candidate
}

type comparePolicyPage struct {
	web.Page
	Environment *access.Environment
	Policy      *Policy
	Candidates  []CandidateGroup
	With        string // the picked policy's id, as asked
	Problem     string // why the picked policy cannot be compared; the page is a 422 then
	Other       *Policy
	OtherEnv    *access.Environment
	Comparison  *Comparison
}

// ComparePolicy compares a policy with another of the same type, in this or
// another environment of the workspace the user is entitled to (?with=<id>):
// the cross-tenant compare. Without ?with it offers the candidates.
func (h *Handlers) ComparePolicy(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env, user := access.MustWorkspace(ctx), access.MustEnvironment(ctx), access.UserFrom(ctx)
	pol, err := h.policyOf(req)
	if err != nil {
		return err
	}
	p := &comparePolicyPage{Page: web.Page{Title: "Compare with another policy · " + pol.DisplayName, Section: "policies",
		Crumbs: policyCrumbs(ws, env, pol, "Compare with another policy")}, Environment: env, Policy: pol, With: web.Echo(req.URL.Query().Get("with"))}
	if p.Candidates, err = h.candidates(ctx, ws, user.ID, env, pol); err != nil {
		return err
	}
	if p.With == "" {
		return h.Views.Render(w, req.Request, http.StatusOK, "inventory/compare_policy", p)
	}
	id, err := strconv.ParseInt(p.With, 10, 64)
	if err != nil {
		p.Problem = fmt.Sprintf("Choose a policy from the list: %q is not a policy.", p.With)
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "inventory/compare_policy", p)
	}
	if p.Other, p.OtherEnv, err = h.otherPolicy(ctx, ws, user.ID, id); err != nil {
		return err
	}
	switch {
	case p.Other.ID == pol.ID:
		p.Problem = "A policy against itself has no changes: choose another policy, or compare its versions."
	case p.Other.Type.Key != pol.Type.Key:
		p.Problem = fmt.Sprintf("%s is a %s policy and %s a %s one: only policies of the same type compare.",
			p.Other.DisplayName, p.Other.Type.Label, pol.DisplayName, pol.Type.Label)
	}
	if p.Problem != "" {
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "inventory/compare_policy", p)
	}
	// Columns are named by environment; within one environment, by policy.
	side := func(e *access.Environment, x *Policy) Side {
		s := Side{Heading: e.Label(), Detail: fmt.Sprintf("%s, version %d", x.DisplayName, x.VersionCount),
			At: x.LastSeenAt, URL: policyURL(e, x), Download: downloadURL(e, x, x.VersionCount)}
		if p.OtherEnv.ID == env.ID {
			s.Heading = x.DisplayName
		}
		return s
	}
	if p.Comparison, err = h.comparePayloads(ctx, side(env, pol), side(p.OtherEnv, p.Other), pol.ContentHash, p.Other.ContentHash, env.ID, p.OtherEnv.ID); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "inventory/compare_policy", p)
}

// otherPolicy finds a policy of the route's workspace by id, in an environment
// the resolver says the user is entitled to; anything else is not found.
func (h *Handlers) otherPolicy(ctx context.Context, ws *access.Workspace, userID, id int64) (*Policy, *access.Environment, error) {
	var envID int64
	err := h.DB.Read.QueryRowContext(ctx, `SELECT managed_environment_id FROM policies WHERE workspace_id = ? AND id = ?`, ws.ID, id).Scan(&envID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, web.ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	env, err := h.Resolver.Environment(ctx, ws, userID, envID)
	if err != nil {
		return nil, nil, err
	}
	p, err := PolicyByID(ctx, h.DB.Read, env.ID, id)
	return p, env, err
}

// candidates lists the policies of pol's type in the environments the user is
// entitled to, the current environment first, the others by name.
func (h *Handlers) candidates(ctx context.Context, ws *access.Workspace, userID int64, current *access.Environment, pol *Policy) ([]CandidateGroup, error) {
	envs, err := h.Resolver.Environments(ctx, ws, userID)
	if err != nil {
		return nil, err
	}
	groups := []CandidateGroup{{Environment: current}}
	at := map[int64]int{current.ID: 0}
	args := []any{ws.ID, pol.Type.Key, pol.ID, current.ID}
	for _, e := range envs {
		if e.ID != current.ID {
			at[e.ID] = len(groups)
			groups = append(groups, CandidateGroup{Environment: e})
			args = append(args, e.ID)
		}
	}
	rows, err := h.DB.Read.QueryContext(ctx, `SELECT id, managed_environment_id, display_name, removed_at IS NOT NULL FROM policies
		WHERE workspace_id = ? AND policy_type = ? AND id <> ? AND managed_environment_id IN (?`+strings.Repeat(", ?", len(groups)-1)+`)
		ORDER BY display_name COLLATE NOCASE, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var c Candidate
		var envID int64
		if err := rows.Scan(&c.ID, &envID, &c.DisplayName, &c.Removed); err != nil {
			return nil, err
		}
		c.SameName = strings.EqualFold(c.DisplayName, pol.DisplayName)
		g := &groups[at[envID]]
		g.Policies = append(g.Policies, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	kept := groups[:0]
	for _, g := range groups {
		if len(g.Policies) > 0 {
			kept = append(kept, g)
		}
	}
	return kept, nil
}
