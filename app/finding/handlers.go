package finding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/environment"
	"atlas/app/inventory"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve the environment dashboard, the findings list and a finding's
// page, and take triage decisions and pins.
type Handlers struct {
	DB         *db.DB
	Views      *web.Views
	Operations *operation.Handlers
}

// StaleAfter is how old the last compare may be before the dashboard warns (spec 058).
const StaleAfter = 7 * 24 * time.Hour

// TrendDays is how far back the dashboard's trend of open findings goes.
const TrendDays = 30

// Drift is an environment's drift at a glance: its findings' counts, and how
// recent its last compare is.
type Drift struct {
	Counts
	LastCompare time.Time // the last succeeded compare; zero: none
	Stale       bool      // no compare, or the last older than StaleAfter
}

// DriftOf is an environment's drift at now.
func DriftOf(ctx context.Context, q db.Querier, environmentID int64, now time.Time) (Drift, error) {
	drift, err := DriftByEnvironment(ctx, q, []int64{environmentID}, now)
	return drift[environmentID], err
}

// DriftByEnvironment is the drift of each environment at now in two queries,
// however many environments and findings (the hub).
func DriftByEnvironment(ctx context.Context, q db.Querier, environmentIDs []int64, now time.Time) (map[int64]Drift, error) {
	counts, err := CountsByEnvironment(ctx, q, environmentIDs)
	if err != nil {
		return nil, err
	}
	drift := map[int64]Drift{}
	for id, c := range counts {
		drift[id] = Drift{Counts: c, Stale: true}
	}
	ids, _ := json.Marshal(environmentIDs)
	rows, err := q.QueryContext(ctx, lastCompareQuery, string(ids), CompareType)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var last db.Time
		if err := rows.Scan(&id, &last); err != nil {
			return nil, err
		}
		d := drift[id]
		d.LastCompare, d.Stale = last.Time, last.IsZero() || now.Sub(last.Time) > StaleAfter
		drift[id] = d
	}
	return drift, rows.Err()
}

// lastCompareQuery is the last compare of each environment of a JSON array
// (NULL: none): it reads an environment's compares newest first and stops at
// the first that succeeded (MAX(completed_at) read every compare the
// environment ever ran: seconds on the hub at a consultancy's scale). One run of
// a type is active at a time, so the newest created is the last completed.
const lastCompareQuery = `SELECT e.value, (SELECT completed_at FROM operation_runs
		WHERE managed_environment_id = e.value AND type = ?2 AND outcome = 'succeeded' ORDER BY created_at DESC, id DESC LIMIT 1)
	FROM json_each(?1) e`

// ProfileChoice is a baseline an environment may be compared against.
type ProfileChoice struct{ Slug, Name string }

// profileChoices lists the workspace's baselines that are not archived.
func profileChoices(ctx context.Context, q db.Querier, workspaceID int64) ([]ProfileChoice, error) {
	rows, err := q.QueryContext(ctx, `SELECT slug, name FROM baseline_profiles WHERE workspace_id = ? AND status <> 'archived'
		ORDER BY name COLLATE NOCASE, id`, workspaceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []ProfileChoice
	for rows.Next() {
		var p ProfileChoice
		if err := rows.Scan(&p.Slug, &p.Name); err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

// CompareForm is the "compare with a baseline" form of the dashboard and the findings list.
type CompareForm struct {
	Action    string
	Profiles  []ProfileChoice
	Why       string // why the person may not run it, or ""
	Baselines string // where to define one when there is none
}

func (h *Handlers) compareForm(ctx context.Context, ws *access.Workspace, env *access.Environment) (CompareForm, error) {
	profiles, err := profileChoices(ctx, h.DB.Read, ws.ID)
	f := CompareForm{Action: env.URL("/compare"), Profiles: profiles, Why: env.Why(access.RunOperations), Baselines: ws.URL("/baselines")}
	if env.Archived() {
		f.Why = env.Label() + " is archived"
	}
	return f, err
}

// Rows are findings as a table shows them; Select adds the triage checkboxes.
type Rows struct {
	Environment *access.Environment
	Findings    []*Finding
	Select      bool
	Back        *navigation.BackLink // the list with its filters, where a finding's page leads back to
}

// Link is a finding's page, carrying the way back to the list it was opened from.
func (r Rows) Link(f *Finding) string {
	link := r.Environment.URL(fmt.Sprintf("/findings/%d", f.ID))
	if r.Back != nil {
		link += "?" + url.Values{navigation.BackParam: {r.Back.URL}, navigation.BackLabelParam: {r.Back.Label}}.Encode()
	}
	return link
}

// Actions are a finding row's drill-downs (spec 131): the policy, the
// baseline's snapshot, the compare that last saw it.
func (r Rows) Actions(f *Finding) navigation.RowActions {
	a := navigation.NewActions(navigation.Finding)
	if f.PolicyID != 0 {
		a.Add("policy", r.Environment.URL(fmt.Sprintf("/policies/%d", f.PolicyID)))
	}
	if f.SnapshotID != 0 {
		a.Add("baseline_snapshot", web.SnapshotURL(r.Environment.WorkspaceSlug, f.ProfileSlug, f.SnapshotID))
	}
	if f.CurrentRunID != 0 {
		a.Add("current_run", navigation.RunLink(f.WorkspaceID, f.CurrentRunID, navigation.Finding, "", "").URL())
	}
	return a.Row()
}

type dashboardPage struct {
	web.Page
	Workspace   *access.Workspace
	Environment *access.Environment
	Connection  *environment.Connection // nil until an export source is connected
	Drift       Drift
	Health      operation.KPIs
	Latest      Rows
	Trend       *Chart
	Compare     CompareForm
	Operations  *operation.RecentRuns
	Severities  []diff.Severity
	Related     navigation.RelatedContextSection
}

// Dashboard is the environment's home (spec 058): open findings by severity
// and whether the last compare is stale, operations health, the latest
// findings and runs, and the trend of open findings. It lives here, with the
// findings it is mostly about.
func (h *Handlers) Dashboard(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	now := time.Now()
	p := &dashboardPage{Page: web.Page{Title: env.Label(), Section: "dashboard", Crumbs: navigation.Crumbs(ws, env)},
		Workspace: ws, Environment: env, Severities: Severities, Related: dashboardRelated(ws, env)}
	var err error
	if p.Connection, err = environment.ConnectionOf(ctx, h.DB.Read, env.ID); errors.Is(err, environment.ErrNoConnection) {
		err = nil
	}
	if err != nil {
		return err
	}
	if p.Drift, err = DriftOf(ctx, h.DB.Read, env.ID, now); err != nil {
		return err
	}
	scope, err := operation.ViewerScope(ctx, h.Operations.Resolver)
	if err != nil {
		return err
	}
	if p.Health, err = operation.LoadKPIs(ctx, h.DB.Read, scope, env.ID, now); err != nil {
		return err
	}
	p.Latest.Environment = env
	if p.Latest.Findings, err = Recent(ctx, h.DB.Read, env.ID, 10); err != nil {
		return err
	}
	trend, err := Trend(ctx, h.DB.Read, env.ID, TrendDays, now)
	if err != nil {
		return err
	}
	p.Trend = chart(trend)
	if p.Compare, err = h.compareForm(ctx, ws, env); err != nil {
		return err
	}
	if p.Operations, err = h.Operations.Recent(ctx, env.ID, req.URL.RequestURI()); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "finding/dashboard", p)
}

// TriageForm is what a page offers to decide on findings, and why not when it may not.
type TriageForm struct {
	Action         string // the environment's findings address: its acknowledge and accept are below
	Next           string // where to come back to
	AcknowledgeWhy string
	AcceptWhy      string
	Reason         string // as typed, on a form shown again
	Expires        string
	MinExpires     string // tomorrow
	MaxExpires     string // a year ahead
	Errors         web.FieldErrors
}

func triageForm(env *access.Environment, next string, now time.Time) TriageForm {
	return TriageForm{Action: env.URL("/findings"), Next: next, AcknowledgeWhy: env.Why(access.TriageFindings), AcceptWhy: env.Why(access.AcceptExceptions),
		MinExpires: now.AddDate(0, 0, 1).Format(DateFormat), MaxExpires: now.AddDate(1, 0, 0).Format(DateFormat)}
}

type listPage struct {
	web.Page
	Environment *access.Environment
	Filter      Filter
	List        *List
	Rows        Rows
	Profiles    []ProfileChoice
	Severities  []diff.Severity
	Statuses    []Status
	Types       []Type
	Compare     CompareForm
	Triage      TriageForm
	Now         time.Time
}

// URL is the list's address.
func (p *listPage) URL() string { return p.Environment.URL("/findings") }

// Prev and Next are the neighbouring pages' query strings, "" at either end.
func (p *listPage) Prev() string {
	if p.List.Page <= 1 {
		return ""
	}
	return p.Filter.Query("page=" + strconv.Itoa(p.List.Page-1))
}

func (p *listPage) Next() string {
	if p.List.Page >= p.List.Pages {
		return ""
	}
	return p.Filter.Query("page=" + strconv.Itoa(p.List.Page+1))
}

func (h *Handlers) listPage(req bunrouter.Request, f Filter) (*listPage, error) {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	now := time.Now()
	p := &listPage{Page: web.Page{Title: "Findings · " + env.Label(), Section: "findings", Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Findings"})},
		Environment: env, Filter: f, Severities: Severities, Statuses: Statuses, Types: Types, Triage: triageForm(env, env.URL("/findings"+f.Query("page="+strconv.Itoa(f.Page))), now), Now: now}
	var err error
	if p.List, err = ListFindings(ctx, h.DB.Read, env.ID, f); err != nil {
		return nil, err
	}
	p.Rows = Rows{Environment: env, Findings: p.List.Findings, Select: true, Back: &navigation.BackLink{Label: "Back to findings", URL: p.Triage.Next}}
	if p.Profiles, err = profileChoices(ctx, h.DB.Read, ws.ID); err != nil {
		return nil, err
	}
	p.Compare, err = h.compareForm(ctx, ws, env)
	return p, err
}

// List shows the environment's findings: filtered by severity, status, type
// and profile in the query string, most severe then oldest first, with bulk
// acknowledge and accept.
func (h *Handlers) List(w http.ResponseWriter, req bunrouter.Request) error {
	p, err := h.listPage(req, FilterFrom(req.URL.Query()))
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "finding/list", p)
}

type detailPage struct {
	web.Page
	Environment *access.Environment
	Finding     *Finding
	Comparison  *inventory.Comparison
	Events      []Event
	Pin         *Pin
	Policies    []PolicyChoice // the environment's policies of the finding's type, to pin
	Selected    int64          // the one offered first: the proposed or current match
	PinWhy      string
	Triage      TriageForm
	Related     navigation.RelatedContextSection
	Back        *navigation.BackLink // the list the finding was opened from, with its filters
	Now         time.Time
}

// PolicyChoice is a policy a finding's subject may be pinned to.
type PolicyChoice struct {
	ID   int64
	Name string
}

// PolicyOptions are the pin picker's options, written here rather than in the
// template: an environment holds up to a thousand policies of a type, and
// html/template makes four reflective calls an option. The markup and the
// escaping are the template's (TestPolicyOptionsReadAsTheTemplate).
func (p *detailPage) PolicyOptions() template.HTML {
	var b strings.Builder
	b.Grow(64 * len(p.Policies))
	for _, c := range p.Policies {
		b.WriteString(`<option value="`)
		b.WriteString(strconv.FormatInt(c.ID, 10))
		b.WriteString(`"`)
		if c.ID == p.Selected {
			b.WriteString(" selected")
		}
		b.WriteString(">")
		b.WriteString(web.EscapeHTML(c.Name))
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

func (h *Handlers) findingOf(req bunrouter.Request) (*Finding, error) {
	id, err := access.ParseID(req.Param("finding"))
	if err != nil {
		return nil, err
	}
	return Get(req.Context(), h.DB.Read, access.MustEnvironment(req.Context()).ID, id)
}

func (h *Handlers) detailPage(req bunrouter.Request, f *Finding) (*detailPage, error) {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	now := time.Now()
	p := &detailPage{Page: web.Page{Title: f.SubjectName + " · " + f.Type.Label(), Section: "findings",
		Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Findings", URL: env.URL("/findings")}, web.Crumb{Name: f.SubjectName})},
		Environment: env, Finding: f, PinWhy: env.Why(access.ManageBaselines),
		Triage: triageForm(env, env.URL(fmt.Sprintf("/findings/%d", f.ID)), now), Now: now}
	var err error
	if p.Comparison, err = h.evidence(ctx, env, f); err != nil {
		return nil, err
	}
	if p.Related, err = h.related(ctx, ws, env, f, req.URL.RequestURI()); err != nil {
		return nil, err
	}
	p.Back = navigation.BackFrom(req.URL.Query())
	if p.Events, err = Events(ctx, h.DB.Read, f.ID); err != nil {
		return nil, err
	}
	if f.Pinnable() {
		pins, err := Pins(ctx, h.DB.Read, env.ID, f.ProfileID)
		if err != nil {
			return nil, err
		}
		if pin, ok := pins[f.SubjectKey]; ok {
			p.Pin = &pin
		}
		if p.Policies, err = policyChoices(ctx, h.DB.Read, env.ID, f.PolicyType); err != nil {
			return nil, err
		}
		switch {
		case f.Evidence.Candidate != nil:
			p.Selected = f.Evidence.Candidate.PolicyID
		case f.Evidence.Current != nil:
			p.Selected = f.Evidence.Current.PolicyID
		}
	}
	return p, nil
}

// evidence lays a finding's change rows out as the compare pages do: the
// baseline's policy on the left, the environment's on the right.
func (h *Handlers) evidence(ctx context.Context, env *access.Environment, f *Finding) (*inventory.Comparison, error) {
	left, right := inventory.Side{Heading: "Baseline"}, inventory.Side{Heading: env.Label()}
	var settings []diff.Setting
	if b := f.Evidence.Baseline; b != nil {
		canonical, err := inventory.Payload(ctx, h.DB.Read, b.ContentHash)
		if err != nil {
			return nil, err
		}
		left.JSON = inventory.IndentJSON(canonical)
	}
	if c := f.Evidence.Current; c != nil {
		canonical, err := inventory.Payload(ctx, h.DB.Read, c.ContentHash)
		if err != nil {
			return nil, err
		}
		right.JSON = inventory.IndentJSON(canonical)
		payload, err := inventory.DecodePayload(canonical)
		if err != nil {
			return nil, err
		}
		settings = diff.Settings(payload)
	}
	return inventory.Layout(left, right, f.Evidence.Changes, settings), nil
}

func policyChoices(ctx context.Context, q db.Querier, environmentID int64, policyType string) ([]PolicyChoice, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, display_name FROM policies WHERE managed_environment_id = ? AND policy_type = ? AND removed_at IS NULL
		ORDER BY display_name COLLATE NOCASE, id LIMIT 1000`, environmentID, policyType)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []PolicyChoice
	for rows.Next() {
		var p PolicyChoice
		if err := rows.Scan(&p.ID, &p.Name); err != nil {
			return nil, err
		}
		list = append(list, p)
	}
	return list, rows.Err()
}

// Detail shows a finding: its evidence rendered like the diff pages, the
// match it was based on, triage and pins, and its history.
func (h *Handlers) Detail(w http.ResponseWriter, req bunrouter.Request) error {
	f, err := h.findingOf(req)
	if err != nil {
		return err
	}
	p, err := h.detailPage(req, f)
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "finding/detail", p)
}

// triageRequest is a triage form: the chosen findings and where to go back to.
type triageRequest struct {
	Triage
	next string // the page the form was on: the list (with its filters) or a finding
}

func readTriage(req bunrouter.Request) (*triageRequest, error) {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	if err := req.ParseForm(); err != nil {
		return nil, web.Errorf(web.Invalid, "The form could not be read.")
	}
	t := &triageRequest{Triage: Triage{WorkspaceID: ws.ID, EnvironmentID: env.ID, UserID: access.UserFrom(ctx).ID, Now: time.Now()}}
	for _, s := range req.PostForm["finding"] {
		id, err := access.ParseID(s)
		if err != nil {
			return nil, err
		}
		t.IDs = append(t.IDs, id)
	}
	base := env.URL("/findings")
	t.next = req.PostFormValue("next")
	if t.next != base && !strings.HasPrefix(t.next, base+"?") && !strings.HasPrefix(t.next, base+"/") {
		t.next = base
	}
	if len(t.IDs) == 0 {
		return t, web.Errorf(web.Invalid, "Choose at least one finding.")
	}
	return t, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Acknowledge marks the chosen open findings acknowledged.
func (h *Handlers) Acknowledge(w http.ResponseWriter, req bunrouter.Request) error {
	t, err := readTriage(req)
	if err != nil {
		return err
	}
	n, err := Acknowledge(req.Context(), h.DB, t.Triage)
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, t.next, plural(n, "finding", "findings")+" acknowledged.")
}

// Accept makes the chosen findings exceptions, with one reason and expiry.
// Invalid input shows the page the form was on again, with what was typed.
func (h *Handlers) Accept(w http.ResponseWriter, req bunrouter.Request) error {
	t, err := readTriage(req)
	if err != nil {
		return err
	}
	var errs web.FieldErrors
	t.Exception, errs = ParseException(req.PostFormValue("reason"), req.PostFormValue("expires"), t.Now)
	if errs != nil {
		return h.triageAgain(w, req, t, errs)
	}
	n, err := Accept(req.Context(), h.DB, t.Triage)
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, t.next, fmt.Sprintf("%s accepted as exceptions until %s.", plural(n, "finding", "findings"), t.Exception.ExpiresAt.Format(DateFormat)))
}

// triageAgain renders the page an invalid accept came from, 422, with the field errors.
func (h *Handlers) triageAgain(w http.ResponseWriter, req bunrouter.Request, t *triageRequest, errs web.FieldErrors) error {
	form := func(tf *TriageForm) {
		tf.Errors, tf.Reason, tf.Expires = errs, web.Echo(req.PostFormValue("reason")), web.Echo(req.PostFormValue("expires"))
	}
	base := access.MustEnvironment(req.Context()).URL("/findings/")
	if id, ok := strings.CutPrefix(t.next, base); ok && len(t.IDs) == 1 && id == strconv.FormatInt(t.IDs[0], 10) {
		f, err := Get(req.Context(), h.DB.Read, t.EnvironmentID, t.IDs[0])
		if err != nil {
			return err
		}
		p, err := h.detailPage(req, f)
		if err != nil {
			return err
		}
		form(&p.Triage)
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "finding/detail", p)
	}
	filter := Filter{Page: 1}
	if _, query, ok := strings.Cut(t.next, "?"); ok {
		if q, err := url.ParseQuery(query); err == nil {
			filter = FilterFrom(q)
		}
	}
	p, err := h.listPage(req, filter)
	if err != nil {
		return err
	}
	form(&p.Triage)
	return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "finding/list", p)
}

// Pin pins the finding's baseline subject to a policy of the environment.
func (h *Handlers) Pin(w http.ResponseWriter, req bunrouter.Request) error {
	f, err := h.findingOf(req)
	if err != nil {
		return err
	}
	ctx := req.Context()
	policyID, err := strconv.ParseInt(req.PostFormValue("policy"), 10, 64)
	if err == nil {
		err = PinMatch(ctx, h.DB, f, access.UserFrom(ctx).ID, policyID, time.Now())
	} else {
		err = web.FieldErrors{"policy": "Choose a policy to pin this finding's baseline policy to."}
	}
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		return web.Errorf(web.Invalid, "%s", fields["policy"])
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, req.URL.Path[:strings.LastIndex(req.URL.Path, "/")], "Match pinned: the next compare uses it.")
}

// Unpin removes the finding's pin.
func (h *Handlers) Unpin(w http.ResponseWriter, req bunrouter.Request) error {
	f, err := h.findingOf(req)
	if err != nil {
		return err
	}
	ctx := req.Context()
	if err := Unpin(ctx, h.DB, f, access.UserFrom(ctx).ID, time.Now()); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, req.URL.Path[:strings.LastIndex(req.URL.Path, "/")], "Match unpinned: the next compare matches by name again.")
}
