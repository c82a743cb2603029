package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/environment"
	"atlas/app/intune"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve the inventory hub (with Sync now), the policies list, the
// policy detail with its version history, and the compare pages.
type Handlers struct {
	DB         *db.DB
	Views      *web.Views
	Resolver   *access.Resolver // for the other environment of a cross-environment compare
	Engine     *operation.Engine
	Operations *operation.Handlers
	Folders    *environment.ExportFolders // where a sync may read, and the names a page reads from the export
}

type hubPage struct {
	web.Page
	Environment *access.Environment
	Coverage    Coverage
	Types       []Facet
	TypeSources string                  // how the types were known: "80 typed by @odata.type, 3 by shape"
	LastSync    *Run                    // nil before the first sync
	Connection  *environment.Connection // nil before a source is connected
	Operations  *operation.RecentRuns
	SyncWhy     string // why Sync now is disabled, "" when it is not
	ActiveRuns  int    // the environment's queued or running runs, of every type
	ActiveSyncs int    // … of them inventory syncs
	// The feed filtered to this environment: its active runs, its active syncs, its syncs.
	ActiveRunsURL, ActiveSyncsURL, SyncRunsURL string
}

// Hub is the inventory hub (spec 058): total items, coverage, chips per class,
// last sync and active operations (from the operations panel).
func (h *Handlers) Hub(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	p := &hubPage{Page: web.Page{Title: "Inventory", Section: "inventory", Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Inventory"})}, Environment: env}
	var err error
	if p.Coverage, err = CoverageOf(ctx, h.DB.Read, env.ID); err != nil {
		return err
	}
	if p.Types, _, err = Facets(ctx, h.DB.Read, env.ID); err != nil {
		return err
	}
	if p.TypeSources, err = TypeSources(ctx, h.DB.Read, env.ID); err != nil {
		return err
	}
	if p.LastSync, err = LastSync(ctx, h.DB.Read, env.ID); err != nil && !errors.Is(err, ErrNoSync) {
		return err
	}
	if p.Connection, err = environment.ConnectionOf(ctx, h.DB.Read, env.ID); err != nil && !errors.Is(err, environment.ErrNoConnection) {
		return err
	}
	if p.Operations, err = h.Operations.Recent(ctx, env.ID, req.URL.RequestURI()); err != nil {
		return err
	}
	scope, err := operation.ViewerScope(ctx, h.Resolver)
	if err != nil {
		return err
	}
	if p.ActiveRuns, p.ActiveSyncs, err = operation.ActiveCounts(ctx, h.DB.Read, scope, env.ID, OperationType); err != nil {
		return err
	}
	feed := func(filter url.Values) string {
		filter.Set("environment", env.Slug)
		return ws.URL("/operations?" + filter.Encode())
	}
	active := []string{string(operation.Queued), string(operation.Running)}
	p.ActiveRunsURL = feed(url.Values{"status": active})
	p.ActiveSyncsURL = feed(url.Values{"status": active, "type": {OperationType}})
	p.SyncRunsURL = feed(url.Values{"type": {OperationType}})
	switch {
	case env.Archived():
		p.SyncWhy = env.Label() + " is archived"
	case p.Connection == nil:
		p.SyncWhy = "Connect an export source first"
	default:
		p.SyncWhy = env.Why(access.RunOperations)
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "inventory/hub", p)
}

// SyncNow starts an inventory sync of the environment's export source and opens
// the run, or the sync already running.
func (h *Handlers) SyncNow(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	if env.Archived() {
		return web.Errorf(web.Conflict, "%s is archived: restore it before syncing it.", env.Label())
	}
	key, err := web.FormKey(req.Request)
	if err != nil {
		return err
	}
	run, joined, err := StartSync(ctx, h.DB, h.Engine, h.Folders, ws.ID, env.ID, access.UserFrom(ctx).ID, key)
	if errors.Is(err, ErrNoSource) {
		return web.Errorf(web.Conflict, "There is nothing to sync yet: %s.", err)
	}
	if err != nil {
		return err
	}
	return h.Engine.Opened(w, req.Request, run, joined, "Inventory sync started.")
}

type listPage struct {
	web.Page
	Environment *access.Environment
	Filter      Filter
	Policies    []*Policy
	Total       int
	From, To    int
	Types       []Facet
	Platforms   []Facet
	Coverages   []intune.Coverage
	Prev, Next  string // page links, "" at the ends
	Filtered    bool
	Problem     string // why the list cannot be shown (a search too long); the page is a 422 then
}

// Actions are a policy row's drill-downs (spec 131): its latest version first.
func (p *listPage) Actions(pol *Policy) navigation.RowActions {
	base := policyURL(p.Environment, pol)
	a := navigation.NewActions(navigation.Policy)
	if pol.VersionCount > 0 {
		a.Add("latest_version", VersionURL(p.Environment, pol.ID, pol.VersionCount))
	}
	if pol.VersionCount > 1 {
		a.Add("diff", base+"/diff")
	}
	return a.Add("compare", base+"/compare").Row()
}

// FilterFrom reads the list's query string. A page that is not a number is
// page 1; one past the end is the last page (ListPolicies).
func FilterFrom(q url.Values) Filter {
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil {
		page = 1
	}
	f := Filter{Type: q.Get("type"), Platform: q.Get("platform"), Coverage: q.Get("coverage"), State: q.Get("state"),
		Search: q.Get("q"), Sort: q.Get("sort"), Desc: q.Get("dir") == "desc", Page: page}
	f.clean()
	return f
}

// Query is the filter as a query string, with changes applied (key, value pairs;
// an empty value drops the key). Changing anything but the page restarts at page 1.
func (f Filter) Query(changes ...string) string {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("type", f.Type)
	set("platform", f.Platform)
	set("coverage", f.Coverage)
	set("state", f.State)
	set("q", f.Search)
	if f.Sort != "name" {
		set("sort", f.Sort)
	}
	if f.Desc {
		q.Set("dir", "desc")
	}
	if f.Page > 1 {
		q.Set("page", strconv.Itoa(f.Page))
	}
	for i := 0; i+1 < len(changes); i += 2 {
		if changes[i] != "page" {
			q.Del("page")
		}
		q.Del(changes[i])
		set(changes[i], changes[i+1])
	}
	if len(q) == 0 {
		return "?"
	}
	return "?" + q.Encode()
}

// SortQuery is the link of a column header: sort by it, or flip its direction.
func (f Filter) SortQuery(column string) string {
	dir := ""
	if f.Sort == column && !f.Desc {
		dir = "desc"
	}
	return f.Query("sort", column, "dir", dir)
}

// SortClass marks the column the list is sorted by.
func (f Filter) SortClass(column string) string {
	switch {
	case f.Sort != column:
		return "sort"
	case f.Desc:
		return "sort sort-desc"
	}
	return "sort sort-asc"
}

// Policies lists the environment's policies: filters, search, sort and pages in
// the query string.
func (h *Handlers) Policies(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	f := FilterFrom(req.URL.Query())
	types, platforms, err := Facets(ctx, h.DB.Read, env.ID)
	if err != nil {
		return err
	}
	p := &listPage{Page: web.Page{Title: "Policies", Section: "policies", Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Policies"})},
		Environment: env, Filter: f, Types: types, Platforms: platforms, Coverages: CoverageClasses,
		Filtered: f.Type != "" || f.Platform != "" || f.Coverage != "" || f.State != "" || f.Search != ""}
	if err := web.ValidateSearch(f.Search); err != nil {
		p.Filter.Search, p.Problem = web.Echo(f.Search), err.Error()
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "inventory/policies", p)
	}
	list, err := ListPolicies(ctx, h.DB.Read, env.ID, f)
	if err != nil {
		return err
	}
	f.Page = list.Page
	p.Filter, p.Policies, p.Total = f, list.Policies, list.Total
	if len(list.Policies) > 0 {
		p.From, p.To = (f.Page-1)*PageSize+1, (f.Page-1)*PageSize+len(list.Policies)
	}
	if f.Page > 1 {
		p.Prev = f.Query("page", strconv.Itoa(f.Page-1))
	}
	if p.To < list.Total {
		p.Next = f.Query("page", strconv.Itoa(f.Page+1))
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "inventory/policies", p)
}

type detailPage struct {
	web.Page
	Environment *access.Environment
	Policy      *Policy
	Coverage    intune.TypeInfo // the type's coverage, for a removed policy (it has no inventory item)
	Sections    []SettingSection
	Assignments []diff.Setting
	Versions    []Version
	Related     navigation.RelatedContextSection
	JSON        string
}

// Policy shows one policy: what it is, its settings, assignments and versions.
func (h *Handlers) Policy(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	id, err := access.ParseID(req.Param("policy"))
	if err != nil {
		return err
	}
	pol, err := PolicyByID(ctx, h.DB.Read, env.ID, id)
	if err != nil {
		return err
	}
	canonical, err := Payload(ctx, h.DB.Read, pol.ContentHash)
	if err != nil {
		return err
	}
	payload, err := DecodePayload(canonical)
	if err != nil {
		return err
	}
	versions, err := Versions(ctx, h.DB.Read, env.ID, pol.ID)
	if err != nil {
		return err
	}
	if err := fillSummaries(ctx, h.DB, versions); err != nil {
		return err
	}
	names, err := h.objectNames(ctx, env.ID)
	if err != nil {
		return err
	}
	if err := h.labelRuns(ctx, ws.ID, env.ID, pol.ID, versions); err != nil {
		return err
	}
	settings, assignments := sections(payload, names)
	p := &detailPage{Page: web.Page{Title: pol.DisplayName, Section: "policies",
		Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Policies", URL: env.URL("/policies")}, web.Crumb{Name: pol.DisplayName})},
		Environment: env, Policy: pol, Coverage: pol.Type, Sections: settings, Assignments: assignments,
		Versions: versions, JSON: IndentJSON(canonical)}
	if p.Related, err = h.policyRelated(ctx, ws, env, pol, versions, req.URL.RequestURI()); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "inventory/policy", p)
}

// versionRunsQuery goes from a policy's versions to their runs by id (CROSS
// JOIN keeps that order): never through the workspace's runs, a million of them
// at scale.
const versionRunsQuery = `SELECT r.id, r.type, r.created_at FROM policy_versions v
	CROSS JOIN operation_runs r ON r.id = v.operation_run_id
	WHERE v.managed_environment_id = ? AND v.policy_id = ? AND r.workspace_id = ?`

// labelRuns names each version's run by type, number and day, reading the
// policy's runs in one query (not one per version); a run no longer kept keeps
// no label.
func (h *Handlers) labelRuns(ctx context.Context, workspaceID, environmentID, policyID int64, versions []Version) error {
	rows, err := h.DB.Read.QueryContext(ctx, versionRunsQuery, environmentID, policyID, workspaceID)
	if err != nil {
		return err
	}
	defer rows.Close()
	labels := map[int64]string{}
	for rows.Next() {
		var id int64
		var runType string
		var created db.Time
		if err := rows.Scan(&id, &runType, &created); err != nil {
			return err
		}
		labels[id] = navigation.RunLabel(h.Engine.Label(runType), id, created.Time)
	}
	for i := range versions {
		versions[i].RunLabel = labels[versions[i].RunID]
	}
	return rows.Err()
}

// policyFindingsLimit caps the open findings a policy's related context lists.
const policyFindingsLimit = 5

// policyFindingsQuery reads a policy's open findings through the (environment,
// policy, status) index, not every open finding of its environment.
const policyFindingsQuery = `SELECT id, finding_type, severity FROM findings
	WHERE managed_environment_id = ? AND policy_id = ? AND status IN ('open', 'acknowledged')
	ORDER BY CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, id LIMIT ?`

// policyRelated: the latest version and the run that captured it, and the open
// findings about the policy (spec 131).
func (h *Handlers) policyRelated(ctx context.Context, ws *access.Workspace, env *access.Environment, pol *Policy, versions []Version, here string) (navigation.RelatedContextSection, error) {
	l := navigation.NewEntries(navigation.Policy)
	if len(versions) > 0 {
		latest := versions[0]
		l.Link("latest_version", fmt.Sprintf("Version %d", latest.Number), latest.CapturedAt.Time.UTC().Format("2 Jan 2006"), VersionURL(env, pol.ID, latest.Number))
		scope, err := operation.ViewerScope(ctx, h.Resolver)
		if err != nil {
			return navigation.RelatedContextSection{}, err
		}
		if err := h.Engine.RelateRun(ctx, h.DB.Read, l, "source_run", scope, latest.RunID, navigation.BackLink{Label: "Back to " + pol.DisplayName, URL: here}); err != nil {
			return navigation.RelatedContextSection{}, err
		}
	}
	// Findings are read here, not through app/finding, which builds on this package.
	rows, err := h.DB.Read.QueryContext(ctx, policyFindingsQuery, env.ID, pol.ID, policyFindingsLimit)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, severity string
		if err := rows.Scan(&id, &kind, &severity); err != nil {
			return navigation.RelatedContextSection{}, err
		}
		l.Link("findings", web.Title(strings.ReplaceAll(kind, "_", " ")), fmt.Sprintf("%s · finding #%d", severity, id), env.URL(fmt.Sprintf("/findings/%d", id)))
	}
	if err := rows.Err(); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	return l.Section(), nil
}
