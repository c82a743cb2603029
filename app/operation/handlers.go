package operation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve the operations feed, run detail, and starting, cancelling and retrying runs.
type Handlers struct {
	DB       *db.DB
	Views    *web.Views
	Resolver *access.Resolver
	Engine   *Engine
}

const feedPageSize = 50

// Row is a run as a page shows it, with its environment when it has one.
type Row struct {
	*Run
	Label       string
	Environment EnvironmentRef
}

// EnvironmentRef is a run's environment.
type EnvironmentRef struct {
	Name string // "" for a workspace-level run
	URL  string
}

// URL is the run's canonical, tenantless address (spec 131).
func (r Row) URL() string { return web.RunURL(r.ID) }

// viewer is the signed-in person's view of the workspace's environments, and
// so of its runs.
type viewer struct {
	ws       *access.Workspace
	userID   int64
	entitled map[int64]*access.Environment
	envs     []*access.Environment
	scope    Scope
}

func (h *Handlers) viewer(ctx context.Context) (*viewer, error) {
	ws, user := access.MustWorkspace(ctx), access.UserFrom(ctx)
	envs, err := h.Resolver.Environments(ctx, ws, user.ID)
	if err != nil {
		return nil, err
	}
	v := &viewer{ws: ws, userID: user.ID, entitled: map[int64]*access.Environment{}, envs: envs, scope: ScopeOf(ws, envs)}
	for _, e := range envs {
		v.entitled[e.ID] = e
	}
	return v, nil
}

func (h *Handlers) row(v *viewer, r *Run) Row {
	row := Row{Run: r, Label: h.Engine.Label(r.Type)}
	if env, ok := v.entitled[r.EnvironmentID]; ok {
		row.Environment = EnvironmentRef{Name: env.Label(), URL: env.URL("")}
	}
	return row
}

func (h *Handlers) rows(v *viewer, runs []*Run) []Row {
	rows := make([]Row, len(runs))
	for i, r := range runs {
		rows[i] = h.row(v, r)
	}
	return rows
}

func anyActive(rows []Row) bool {
	return slices.ContainsFunc(rows, func(r Row) bool { return r.Active() })
}

// Link is a labelled URL of the feed's filter bar, KPI tiles and pager.
type Link struct {
	Label string
	URL   string
}

// Option is one choice of a filter select.
type Option struct {
	Value, Label string
	Selected     bool
}

// Table is a list of runs; the feed's has a sortable Created column.
type Table struct {
	Rows      []Row
	Sort      *Link
	SortClass string
}

type feedPage struct {
	web.Page
	Workspace    *access.Workspace
	KPIs         KPIs
	KPILinks     map[string]string
	Table        Table
	Environments []Option
	Types        []Option
	Statuses     []Option
	Outcomes     []Option
	Periods      []Option
	Chips        []Link // active filters, each with the URL that removes it
	Next, Prev   string
	PollURL      string // set while a listed run is active
	Filtered     bool
	Back         *navigation.BackLink // the page that opened the feed, with its filters (spec 131)
}

var periods = []struct {
	value, label string
	span         time.Duration
}{{"24h", "Last 24 hours", 24 * time.Hour}, {"7d", "Last 7 days", 7 * 24 * time.Hour},
	{"30d", "Last 30 days", 30 * 24 * time.Hour}, {"90d", "Last 90 days", 90 * 24 * time.Hour}}

// feedQuery is the feed's query string, kept to build links that change one
// part of it, and its workspace.
type feedQuery struct {
	ws     *access.Workspace
	values url.Values
}

func (q feedQuery) with(key string, values ...string) string {
	next := url.Values{}
	for k, v := range q.values {
		if k != "after" && k != "before" && k != key {
			next[k] = v
		}
	}
	if len(values) > 0 {
		next[key] = values
	}
	if len(next) == 0 {
		return q.ws.URL("/operations")
	}
	return q.ws.URL("/operations?" + next.Encode())
}

// Feed is /admin/w/{workspace}/operations: the KPI header of spec 058 and every
// run of the workspace, filtered by the query string (environment=all, or none,
// is every environment).
func (h *Handlers) Feed(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	v, err := h.viewer(ctx)
	if err != nil {
		return err
	}
	raw := req.URL.Query()
	q := feedQuery{ws: v.ws, values: raw}
	now := h.Engine.Now()
	page := &feedPage{Page: web.Page{Title: "Operations", Section: "operations",
		Crumbs: []web.Crumb{{Name: v.ws.Name, URL: v.ws.URL("")}, {Name: "Operations"}}}, Workspace: v.ws, Back: navigation.BackFrom(raw)}

	var f Filter
	envSlug := raw.Get("environment")
	page.Environments = []Option{{Value: "all", Label: "All environments", Selected: true}}
	for _, e := range v.envs {
		selected := e.Slug == envSlug
		page.Environments = append(page.Environments, Option{Value: e.Slug, Label: e.Label(), Selected: selected})
		if selected {
			f.EnvironmentID = e.ID
			page.Environments[0].Selected = false
			page.Chips = append(page.Chips, Link{Label: "Environment: " + e.Label(), URL: q.with("environment", "all")})
		}
	}
	runTypes, err := RunTypes(ctx, h.DB.Read, v.scope)
	if err != nil {
		return err
	}
	f.Type = raw.Get("type")
	typeChip := Link{Label: "Unknown type: " + web.Truncate(f.Type, 100), URL: q.with("type")}
	page.Types = []Option{{Value: "", Label: "All types"}}
	for _, t := range h.Engine.KnownTypes(runTypes) {
		page.Types = append(page.Types, Option{Value: t.Name, Label: t.Label, Selected: t.Name == f.Type})
		if t.Name == f.Type {
			typeChip.Label = "Type: " + t.Label
		}
	}
	// An unknown type still filters (to nothing), and says so: never silently everything.
	if f.Type != "" {
		page.Chips = append(page.Chips, typeChip)
	}
	page.Statuses, f.Statuses = choose(q, "status", "Any status", []Status{Queued, Running, Completed}, &page.Chips)
	page.Outcomes, f.Outcomes = choose(q, "outcome", "Any outcome", []Outcome{Succeeded, Partial, Failed, Cancelled}, &page.Chips)
	page.Periods = []Option{{Value: "", Label: "Any time"}}
	for _, p := range periods {
		on := raw.Get("period") == p.value
		page.Periods = append(page.Periods, Option{Value: p.value, Label: p.label, Selected: on})
		if on {
			f.Since = now.Add(-p.span)
			page.Chips = append(page.Chips, Link{Label: p.label, URL: q.with("period")})
		}
	}
	page.Filtered = len(page.Chips) > 0

	win := Window{Limit: feedPageSize, OldestFirst: raw.Get("sort") == "oldest"}
	if c, ok := ParseCursor(raw.Get("after")); ok {
		win.After = &c
	} else if c, ok := ParseCursor(raw.Get("before")); ok {
		win.Before = &c
	}
	page.Table.Sort, page.Table.SortClass = &Link{Label: "Created", URL: q.with("sort", "oldest")}, "sort sort-desc"
	if win.OldestFirst {
		page.Table.Sort.URL, page.Table.SortClass = q.with("sort"), "sort sort-asc"
	}
	list, err := List(ctx, h.DB.Read, v.scope, f, win)
	if err != nil {
		return err
	}
	page.Table.Rows = h.rows(v, list.Runs)
	if list.Next != nil {
		page.Next = q.with("after", list.Next.String())
	}
	if list.Prev != nil {
		page.Prev = q.with("before", list.Prev.String())
	}
	if page.KPIs, err = LoadKPIs(ctx, h.DB.Read, v.scope, f.EnvironmentID, now); err != nil {
		return err
	}
	scope := "all"
	if f.EnvironmentID != 0 {
		scope = envSlug
	}
	kpiLink := func(filter url.Values) string {
		filter.Set("environment", scope)
		return v.ws.URL("/operations?" + filter.Encode())
	}
	page.KPILinks = map[string]string{
		"runs":   kpiLink(url.Values{"period": {"30d"}}),
		"active": kpiLink(url.Values{"status": {"queued", "running"}}),
		"failed": kpiLink(url.Values{"outcome": {"failed", "partial"}, "period": {"7d"}}),
		"timed":  kpiLink(url.Values{"status": {"completed"}, "period": {"7d"}}),
	}
	if anyActive(page.Table.Rows) || page.KPIs.Active > 0 {
		page.PollURL = req.URL.RequestURI()
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "operation/feed", page)
}

// choose reads a filter that may take several values (status=queued&status=running):
// the select's options, the values chosen, and a chip that removes them.
func choose[S ~string](q feedQuery, key, anyLabel string, all []S, chips *[]Link) ([]Option, []S) {
	options := []Option{{Value: "", Label: anyLabel}}
	var chosen []S
	var names []string
	for _, v := range all {
		on := slices.Contains(q.values[key], string(v))
		options = append(options, Option{Value: string(v), Label: web.Title(string(v)), Selected: on})
		if on {
			chosen, names = append(chosen, v), append(names, string(v))
		}
	}
	if len(chosen) > 0 {
		*chips = append(*chips, Link{Label: web.Title(key) + ": " + strings.Join(names, " or "), URL: q.with(key)})
	}
	return options, chosen
}

// Prop is one readable line of a run's context or counts.
type Prop struct {
	Name  string
	Value string
}

type detailPage struct {
	web.Page
	Run          Row
	Props        []Prop // context, readable
	ContextJSON  string
	Counts       []Prop
	FailureItems []ItemError
	CancelWhy    string
	RetryWhy     string
	Related      navigation.RelatedContextSection
	Back         *navigation.BackLink // the page the run was opened from, with its filters
	PollURL      string               // set while the run is active
	Finished     string               // toast text when a watched run has just finished
	Panel        template.HTML
}

func (h *Handlers) load(ctx context.Context, req bunrouter.Request) (*viewer, *Run, error) {
	id, err := access.ParseID(req.Param("run"))
	if err != nil {
		return nil, nil, err
	}
	v, err := h.viewer(ctx)
	if err != nil {
		return nil, nil, err
	}
	run, err := v.scope.Run(ctx, h.DB.Read, id)
	return v, run, err
}

// whyNot is why the viewer may not cancel or retry the run, as a disabled
// button's reason: acting on a run needs what starting its type needs (DESIGN §6).
func (h *Handlers) whyNot(v *viewer, run *Run) string {
	need, ok := h.Engine.Need(run.Type)
	if !ok {
		return "This Atlas does not run operations of this type"
	}
	if run.EnvironmentID == 0 {
		return v.ws.Why(need)
	}
	env, ok := v.entitled[run.EnvironmentID]
	switch {
	case !ok:
		return "You have no access to this run's environment"
	case env.Archived():
		return "The environment is archived"
	}
	return env.Why(need)
}

// Detail is /admin/operations/{run}. While the run is active its content polls
// itself (?live=1); the first answer after it finished carries a toast.
func (h *Handlers) Detail(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	v, run, err := h.load(ctx, req)
	if err != nil {
		return err
	}
	row := h.row(v, run)
	page := &detailPage{Page: web.Page{Title: fmt.Sprintf("%s #%d", row.Label, run.ID), Section: "operations",
		Crumbs: runCrumbs(v, run, h.Engine.RunLabel(run))},
		Run: row, CancelWhy: h.whyNot(v, run), RetryWhy: h.whyNot(v, run)}
	if run.Active() {
		page.PollURL = row.URL() + "?live=1"
	} else if req.URL.Query().Get("live") == "1" {
		page.Finished = fmt.Sprintf("%s #%d %s.", row.Label, run.ID, run.Outcome)
	}
	page.Props, page.ContextJSON = readable(run.Context)
	if run.Failure != nil {
		page.FailureItems = run.Failure.Items
	}
	page.Counts = countProps(run.Counts)
	if t, ok := h.Engine.Type(run.Type); ok && t.Panel != nil {
		panel, err := t.Panel(ctx, run)
		if err != nil {
			return err
		}
		if panel != nil {
			if page.Panel, err = h.Views.HTML("operation/detail", panel.Template, panel.Data); err != nil {
				return err
			}
		}
	}
	if page.Related, err = h.related(ctx, v, run, row); err != nil {
		return err
	}
	page.Back = navigation.BackFrom(req.URL.Query())
	return h.Views.Render(w, req.Request, http.StatusOK, "operation/detail", page)
}

// runCrumbs lead from the workspace through the run's environment, when the
// viewer may see it, to the operations of that environment and the run.
func runCrumbs(v *viewer, run *Run, label string) []web.Crumb {
	env, feed := v.entitled[run.EnvironmentID], v.ws.URL("/operations?environment=all")
	if env != nil {
		feed = v.ws.URL("/operations?environment=" + url.QueryEscape(env.Slug))
	}
	return navigation.Crumbs(v.ws, env, web.Crumb{Name: "Operations", URL: feed}, web.Crumb{Name: label})
}

// related is the run's related context (spec 131): its environment, the
// records its context names (through its type), and the runs it retried or
// was retried as. Entitlement to the environment decides what may be named.
func (h *Handlers) related(ctx context.Context, v *viewer, run *Run, row Row) (navigation.RelatedContextSection, error) {
	l := navigation.NewEntries(navigation.OperationRun)
	if row.Environment.Name != "" {
		l.Link("environment", row.Environment.Name, "", row.Environment.URL)
	}
	if t, ok := h.Engine.Type(run.Type); ok && t.Related != nil {
		if err := t.Related(ctx, run, v.entitled[run.EnvironmentID], l); err != nil {
			return navigation.RelatedContextSection{}, err
		}
	}
	if run.RetryOf != 0 {
		old, err := v.scope.Run(ctx, h.DB.Read, run.RetryOf)
		switch {
		case errors.Is(err, web.ErrNotFound):
			l.Unavailable("retry_of", navigation.ReasonMissing, "")
		case err != nil:
			return navigation.RelatedContextSection{}, err
		default:
			l.Link("retry_of", h.Engine.RunLabel(old), old.Badge(), h.row(v, old).URL())
		}
	}
	retries, err := RetriedBy(ctx, h.DB.Read, v.ws.ID, run.ID)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	for _, r := range retries {
		l.Link("retried_as", h.Engine.RunLabel(r), r.Badge(), h.row(v, r).URL())
	}
	section := l.Section()
	section.EmptyMessage = "This run touched no other records."
	return section, nil
}

// readable turns a run's context into sorted, labelled lines (UI.md: never raw JSON
// first) and an indented copy of the JSON for the curious. A nested object (a
// sync's selection) becomes lines of its own, named after it: "Selection › Source".
func readable(raw json.RawMessage) ([]Prop, string) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, ""
	}
	props := describe("", m)
	sort.SliceStable(props, func(i, j int) bool { return props[i].Name < props[j].Name })
	pretty, _ := json.MarshalIndent(m, "", "  ")
	return props, string(pretty)
}

// describe lists an object's values in words, prefixing each name with the path to it.
func describe(prefix string, m map[string]any) []Prop {
	var props []Prop
	for k, val := range m {
		name := prefix + humanise(k)
		if nested, ok := val.(map[string]any); ok {
			props = append(props, describe(name+" › ", nested)...)
			continue
		}
		props = append(props, Prop{Name: name, Value: words(val)})
	}
	return props
}

// words is one context value as a person reads it: numbers grouped, yes or no,
// lists joined; an object inside a list is counted, not dumped.
func words(val any) string {
	switch x := val.(type) {
	case string:
		return x
	case float64:
		if x != float64(int(x)) {
			return strconv.FormatFloat(x, 'f', -1, 64)
		}
		return web.Number(int(x))
	case bool:
		return map[bool]string{true: "yes", false: "no"}[x]
	case nil:
		return "—"
	case []any:
		if len(x) == 0 {
			return "none"
		}
		parts := make([]string, len(x))
		for i, v := range x {
			if _, ok := v.(map[string]any); ok {
				return fmt.Sprintf("%d entries", len(x))
			}
			parts[i] = words(v)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(val)
}

func humanise(key string) string {
	return web.Title(strings.ReplaceAll(key, "_", " "))
}

// countProps lists summary counts: the standard ones first, then the type's own.
func countProps(c Counts) []Prop {
	standard := []string{"total", "processed", "succeeded", "failed", "skipped"}
	var props []Prop
	for _, k := range standard {
		if n, ok := c[k]; ok {
			props = append(props, Prop{Name: web.Title(k), Value: web.Number(n)})
		}
	}
	var rest []string
	for k := range c {
		if !slices.Contains(standard, k) {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		props = append(props, Prop{Name: humanise(k), Value: web.Number(c[k])})
	}
	return props
}

// Start is POST /admin/w/{workspace}/t/{environment}/operations: form field type names a
// registered type with a start form; its other fields are the type's to read.
// The resolver has checked what starting that type needs. Starting a type that
// is already running opens the active run instead.
func (h *Handlers) Start(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env, user := access.MustWorkspace(ctx), access.MustEnvironment(ctx), access.UserFrom(ctx)
	if env.Archived() {
		return web.Errorf(web.Conflict, "%s is archived: restore it before running operations in it.", env.Label())
	}
	if err := req.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "The form could not be read.")
	}
	t, ok := h.Engine.Type(req.PostForm.Get("type"))
	if !ok || t.Form == nil {
		return web.Errorf(web.Invalid, "There is no operation %q to start here.", web.Truncate(req.PostForm.Get("type"), 100))
	}
	c, err := t.Form(req.PostForm)
	if err != nil {
		return web.Errorf(web.Invalid, "%s: %s.", t.Label, err.Error())
	}
	key, err := web.FormKey(req.Request)
	if err != nil {
		return err
	}
	run, joined, err := h.Engine.Start(ctx, StartRequest{WorkspaceID: ws.ID, EnvironmentID: env.ID, Type: t.Name, Context: c, UserID: user.ID, StartKey: key})
	if err != nil {
		return err
	}
	return h.Engine.Opened(w, req.Request, run, joined, t.Label+" started.")
}

// Opened answers a start with the run's page: with started as the notice when
// the start made the run, otherwise saying which run it joined.
func (e *Engine) Opened(w http.ResponseWriter, req *http.Request, run *Run, joined bool, started string) error {
	to := web.RunURL(run.ID)
	switch {
	case !joined:
		return web.Redirect(w, req, to, started)
	case run.Active():
		web.SessionFrom(req.Context()).AddFlash("info", fmt.Sprintf("%s is already %s here: this is that run.", e.Label(run.Type), run.Status))
	default:
		web.SessionFrom(req.Context()).AddFlash("info", fmt.Sprintf("This form already started %s #%d: this is that run. Reload the page to start another.", e.Label(run.Type), run.ID))
	}
	return web.Redirect(w, req, to, "")
}

// Cancel is POST /admin/operations/{run}/cancel.
func (h *Handlers) Cancel(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	v, run, err := h.load(ctx, req)
	if err != nil {
		return err
	}
	run, err = h.Engine.Cancel(ctx, v.ws.ID, run.ID, v.userID)
	if err != nil {
		return err
	}
	message := "Run cancelled."
	if run.Active() {
		message = "Cancel requested: the run stops after its current item."
	}
	return web.Redirect(w, req.Request, h.row(v, run).URL(), message)
}

// Retry is POST /admin/operations/{run}/retry: a new run of the same type and
// environment whose context references this one.
func (h *Handlers) Retry(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	v, run, err := h.load(ctx, req)
	if err != nil {
		return err
	}
	key, err := web.FormKey(req.Request)
	if err != nil {
		return err
	}
	next, joined, err := h.Engine.Retry(ctx, v.ws.ID, run.ID, v.userID, key)
	if err != nil {
		return err
	}
	return h.Engine.Opened(w, req.Request, next, joined, fmt.Sprintf("Retry of #%d started.", run.ID))
}

// RecentRuns is the "Operations" panel of the hub and an environment dashboard
// (spec 058): active runs and the latest ten, polling while any is active.
type RecentRuns struct {
	Active  Table
	Latest  Table
	FeedURL string
	PollURL string
}

// Recent builds the panel for the workspace, or for one environment
// (environmentID ≠ 0); pageURL is the page that shows it, which it polls.
func (h *Handlers) Recent(ctx context.Context, environmentID int64, pageURL string) (*RecentRuns, error) {
	v, err := h.viewer(ctx)
	if err != nil {
		return nil, err
	}
	active, latest, err := Recent(ctx, h.DB.Read, v.scope, environmentID)
	if err != nil {
		return nil, err
	}
	r := &RecentRuns{Active: Table{Rows: h.rows(v, active)}, Latest: Table{Rows: h.rows(v, latest)}, FeedURL: v.ws.URL("/operations?environment=all")}
	if env, ok := v.entitled[environmentID]; ok {
		r.FeedURL = v.ws.URL("/operations?environment=" + url.QueryEscape(env.Slug))
	}
	if len(r.Active.Rows) > 0 {
		r.PollURL = pageURL
	}
	return r, nil
}

// parseTime reads a stored timestamp for display; a malformed one shows as missing.
func parseTime(s string) time.Time {
	t, _ := time.Parse(db.TimeFormat, s)
	return t
}

// LastSeen is when an interrupted run's process was last seen, for the template.
func (f *FailureSummary) LastSeen() time.Time { return parseTime(f.LastSeenAt) }

// ReasonText is the failure reason in words.
func (f *FailureSummary) ReasonText() string {
	switch f.Reason {
	case ReasonInterrupted:
		return "Interrupted"
	case ReasonPanic:
		return "Crashed"
	case ReasonCancelled:
		return "Cancelled"
	case ReasonItemsFailed:
		return "Some items failed"
	case ReasonUnknownType:
		return "Unknown operation type"
	case ReasonWarnings:
		return "Warnings"
	}
	return "Failed"
}
