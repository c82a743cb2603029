package baseline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/intune"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve the workspace's baselines (spec 131: workspace-authorized),
// start captures and compares.
type Handlers struct {
	DB       *db.DB
	Views    *web.Views
	Resolver *access.Resolver
	Engine   *operation.Engine
}

func crumbs(ws *access.Workspace, trail ...web.Crumb) []web.Crumb {
	return append([]web.Crumb{{Name: ws.Name, URL: ws.URL("")}, {Name: "Baselines", URL: ws.URL("/baselines")}}, trail...)
}

// ProfileRow is a profile in the list, with its latest snapshot.
type ProfileRow struct {
	*Profile
	Latest    *Snapshot // nil: never captured
	Snapshots int
}

type listPage struct {
	web.Page
	Workspace *access.Workspace
	Profiles  []ProfileRow
	Form      Settings
	Errors    web.FieldErrors
}

// Actions are a profile's drill-downs on the list (spec 131): its latest
// snapshot, its compares in the canonical feed.
func (p *listPage) Actions(row ProfileRow) navigation.RowActions {
	a := navigation.NewActions(navigation.BaselineProfile)
	if row.Latest != nil {
		a.Add("latest_snapshot", web.SnapshotURL(p.Workspace.Slug, row.Slug, row.Latest.ID))
	}
	feed := navigation.FeedLink(p.Workspace, 0, navigation.BaselineProfile, url.Values{"environment": {"all"}, "type": {CompareType}}, "Back to baselines", p.Workspace.URL("/baselines"))
	return a.Add("compare_runs", feed.URL()).Row()
}

func (h *Handlers) listPage(ctx context.Context) (*listPage, error) {
	ws := access.MustWorkspace(ctx)
	p := &listPage{Page: web.Page{Title: "Baselines", Section: "baselines", Crumbs: []web.Crumb{{Name: ws.Name, URL: ws.URL("")}, {Name: "Baselines"}}}, Workspace: ws}
	profiles, err := Profiles(ctx, h.DB.Read, ws.ID)
	if err != nil {
		return nil, err
	}
	envs, err := h.Resolver.Environments(ctx, ws, access.UserFrom(ctx).ID)
	if err != nil {
		return nil, err
	}
	for _, prof := range profiles {
		row := ProfileRow{Profile: prof}
		if row.Latest, err = LatestSnapshot(ctx, h.DB.Read, prof.ID); err != nil && !errors.Is(err, ErrNoSnapshot) {
			return nil, err
		}
		if row.Latest != nil {
			hideSources([]*Snapshot{row.Latest}, envs)
		}
		if err := h.DB.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM baseline_snapshots WHERE baseline_profile_id = ?`, prof.ID).Scan(&row.Snapshots); err != nil {
			return nil, err
		}
		p.Profiles = append(p.Profiles, row)
	}
	return p, nil
}

// List shows the workspace's baselines, and to managers a form to add one.
func (h *Handlers) List(w http.ResponseWriter, req bunrouter.Request) error {
	p, err := h.listPage(req.Context())
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "baseline/list", p)
}

// Create adds a baseline profile (active, capturing every type) and opens it.
func (h *Handlers) Create(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	s := Settings{Name: req.PostFormValue("name"), Slug: req.PostFormValue("slug"), Status: Active, CaptureMode: CaptureFull}
	var prof *Profile
	err := h.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		prof, err = CreateProfile(ctx, tx, ws.ID, access.UserFrom(ctx).ID, s)
		return err
	})
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		p, err := h.listPage(ctx)
		if err != nil {
			return err
		}
		p.Form, p.Errors = Settings{Name: web.Echo(s.Name), Slug: web.Echo(s.Slug)}, fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "baseline/list", p)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, web.ProfileURL(ws.Slug, prof.Slug), "Baseline "+prof.Name+" created: capture its first snapshot.")
}

// TypeChoice is a policy type on the profile form.
type TypeChoice struct {
	Key, Label string
	Selected   bool
}

// Choice is an environment a capture may read.
type Choice struct{ Slug, Name string }

type detailPage struct {
	web.Page
	Workspace    *access.Workspace
	Profile      *Profile
	Snapshots    []*Snapshot
	Form         Settings
	Overrides    string // the overrides as the form shows them
	Types        []TypeChoice
	Statuses     []string
	Environments []Choice
	Errors       web.FieldErrors
	EditWhy      string
	Related      navigation.RelatedContextSection
	scope        operation.Scope
}

// CapturedBy is the snapshots table's link to the run that captured s: it ran
// in the environment s was captured from, which the viewer may not open.
func (p *detailPage) CapturedBy(s *Snapshot) navigation.Link {
	return p.scope.RunLink(navigation.BaselineSnapshot, navigation.ListRow, "source_run", s.RunID, s.SourceEnvironmentID, fmt.Sprintf("#%d", s.RunID))
}

func (h *Handlers) profileOf(req bunrouter.Request) (*Profile, error) {
	return ProfileBySlug(req.Context(), h.DB.Read, access.MustWorkspace(req.Context()).ID, req.Param("profile"))
}

func (h *Handlers) detailPage(ctx context.Context, prof *Profile, form Settings) (*detailPage, error) {
	ws := access.MustWorkspace(ctx)
	p := &detailPage{Page: web.Page{Title: prof.Name, Section: "baselines", Crumbs: crumbs(ws, web.Crumb{Name: prof.Name})},
		Workspace: ws, Profile: prof, Form: form, Overrides: formatOverrides(form.Overrides), Statuses: Statuses, EditWhy: ws.Why(access.ManageBaselines)}
	for _, t := range intune.Types() {
		p.Types = append(p.Types, TypeChoice{Key: t.Key, Label: t.Label, Selected: slices.Contains(form.SelectedTypes, t.Key)})
	}
	var err error
	if p.Snapshots, err = Snapshots(ctx, h.DB.Read, prof.ID); err != nil {
		return nil, err
	}
	envs, err := h.Resolver.Environments(ctx, ws, access.UserFrom(ctx).ID)
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		if !e.Archived() {
			p.Environments = append(p.Environments, Choice{Slug: e.Slug, Name: e.Label()})
		}
	}
	hideSources(p.Snapshots, envs)
	p.scope = operation.ScopeOf(ws, envs)
	if p.Related, err = h.profileRelated(ctx, ws, envs, prof, p.Snapshots, web.ProfileURL(ws.Slug, prof.Slug)); err != nil {
		return nil, err
	}
	return p, nil
}

// hideSources blanks the source name of snapshots captured from an environment
// the viewer may not see: its name is not theirs to read (spec 131).
func hideSources(snapshots []*Snapshot, envs []*access.Environment) {
	for _, s := range snapshots {
		if s.SourceEnvironmentID != 0 && entitled(envs, s.SourceEnvironmentID) == nil {
			s.SourceName = ""
		}
	}
}

func settingsOf(p *Profile) Settings {
	return Settings{Name: p.Name, Slug: p.Slug, Status: p.Status, CaptureMode: p.CaptureMode, SelectedTypes: p.SelectedTypes,
		ReportUnexpected: p.ReportUnexpected, Overrides: p.Overrides}
}

// Detail shows a baseline: its settings, its snapshots and the capture form.
func (h *Handlers) Detail(w http.ResponseWriter, req bunrouter.Request) error {
	prof, err := h.profileOf(req)
	if err != nil {
		return err
	}
	p, err := h.detailPage(req.Context(), prof, settingsOf(prof))
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "baseline/detail", p)
}

// Update saves a baseline's settings; invalid ones show the form again (422).
func (h *Handlers) Update(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	prof, err := h.profileOf(req)
	if err != nil {
		return err
	}
	if err := req.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "The form could not be read.")
	}
	f := req.PostForm
	s := Settings{Name: f.Get("name"), Slug: f.Get("slug"), Status: f.Get("status"), CaptureMode: f.Get("capture_mode"),
		SelectedTypes: f["types"], ReportUnexpected: f.Get("report_unexpected") == "on"}
	overrides, problem := parseOverrides(f.Get("overrides"))
	s.Overrides = overrides
	err = h.DB.Tx(ctx, func(tx *sql.Tx) error {
		if problem != "" {
			return web.FieldErrors{"overrides": problem}
		}
		return UpdateProfile(ctx, tx, prof, access.UserFrom(ctx).ID, s)
	})
	var fields web.FieldErrors
	if errors.As(err, &fields) {
		p, err := h.detailPage(ctx, prof, s)
		if err != nil {
			return err
		}
		p.Form.Name, p.Form.Slug, p.Overrides, p.Errors = web.Echo(s.Name), web.Echo(s.Slug), web.Echo(f.Get("overrides")), fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "baseline/detail", p)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, req.Request, web.ProfileURL(access.MustWorkspace(ctx).Slug, strings.TrimSpace(s.Slug)), "Baseline saved.")
}

// formatOverrides writes overrides one a line: "low settings[…" or "high type:settingsCatalog".
func formatOverrides(list []Override) string {
	var lines []string
	for _, o := range list {
		if o.PolicyType != "" {
			lines = append(lines, fmt.Sprintf("%s type:%s", o.Severity, o.PolicyType))
		} else {
			lines = append(lines, fmt.Sprintf("%s %s", o.Severity, o.Path))
		}
	}
	return strings.Join(lines, "\n")
}

// parseOverrides reads formatOverrides' lines; it says what is wrong with the first bad one.
func parseOverrides(text string) ([]Override, string) {
	var list []Override
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		sev, target, ok := strings.Cut(line, " ")
		target = strings.TrimSpace(target)
		if !ok || target == "" {
			return nil, fmt.Sprintf("Line %d: write a severity, a space, then a setting path or type:KEY.", n+1)
		}
		o := Override{Severity: diff.Severity(strings.ToLower(sev))}
		if key, isType := strings.CutPrefix(target, "type:"); isType {
			o.PolicyType = key
		} else {
			o.Path = target
		}
		list = append(list, o)
	}
	return list, ""
}

// Capture starts a capture of an environment's current versions into the
// baseline and opens the run. The environment is resolved for the person
// like any other: one they may not see is not found.
func (h *Handlers) Capture(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	prof, err := h.profileOf(req)
	if err != nil {
		return err
	}
	env, err := h.environment(ctx, ws, req.PostFormValue("environment"))
	if err != nil {
		return err
	}
	if env.Archived() {
		return web.Errorf(web.Conflict, "%s is archived: restore it before capturing from it.", env.Label())
	}
	key, err := web.FormKey(req.Request)
	if err != nil {
		return err
	}
	run, joined, err := StartCapture(ctx, h.Engine, Capture{WorkspaceID: ws.ID, Profile: prof, EnvironmentID: env.ID, UserID: access.UserFrom(ctx).ID, StartKey: key})
	if err != nil {
		return err
	}
	return h.Engine.Opened(w, req.Request, run, joined, "Capture of "+env.Label()+" into "+prof.Name+" started.")
}

// environment is the environment slug of the workspace, as the person may see it.
func (h *Handlers) environment(ctx context.Context, ws *access.Workspace, slug string) (*access.Environment, error) {
	envs, err := h.Resolver.Environments(ctx, ws, access.UserFrom(ctx).ID)
	if err != nil {
		return nil, err
	}
	for _, e := range envs {
		if e.Slug == slug {
			return e, nil
		}
	}
	return nil, web.ErrNotFound
}

// Compare starts a drift compare of the route's environment against a
// baseline and opens the run (or the compare already running against it).
func (h *Handlers) Compare(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	if env.Archived() {
		return web.Errorf(web.Conflict, "%s is archived: restore it before comparing it.", env.Label())
	}
	prof, err := ProfileBySlug(ctx, h.DB.Read, ws.ID, req.PostFormValue("profile"))
	if err != nil {
		return web.Errorf(web.Invalid, "Choose a baseline to compare %s with.", env.Label())
	}
	key, err := web.FormKey(req.Request)
	if err != nil {
		return err
	}
	run, joined, err := StartCompare(ctx, h.Engine, Compare{WorkspaceID: ws.ID, Profile: prof, EnvironmentID: env.ID, UserID: access.UserFrom(ctx).ID, StartKey: key})
	if err != nil {
		return err
	}
	return h.Engine.Opened(w, req.Request, run, joined, "Compare with "+prof.Name+" started.")
}

// SnapshotItems are a snapshot's policies of one type.
type SnapshotItems struct {
	Label string
	Items []*Item
}

// CompareRun is a compare made against a snapshot, as its page lists it.
type CompareRun struct {
	*operation.Run
	Link        navigation.Link
	Environment string
}

type snapshotPage struct {
	web.Page
	Profile  *Profile
	Snapshot *Snapshot
	Types    []SnapshotItems
	Compares []CompareRun
	Related  navigation.RelatedContextSection
}

// Snapshot shows what a snapshot holds by type, where it came from, and the
// compares made against it.
func (h *Handlers) Snapshot(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws := access.MustWorkspace(ctx)
	prof, err := h.profileOf(req)
	if err != nil {
		return err
	}
	id, err := access.ParseID(req.Param("snapshot"))
	if err != nil {
		return err
	}
	snap, err := SnapshotByID(ctx, h.DB.Read, prof.ID, id)
	if err != nil {
		return err
	}
	p := &snapshotPage{Page: web.Page{Title: fmt.Sprintf("Snapshot #%d · %s", snap.ID, prof.Name), Section: "baselines",
		Crumbs: crumbs(ws, web.Crumb{Name: prof.Name, URL: web.ProfileURL(ws.Slug, prof.Slug)}, web.Crumb{Name: fmt.Sprintf("Snapshot #%d", snap.ID)})},
		Profile: prof, Snapshot: snap}
	items, err := Items(ctx, h.DB.Read, snap.ID)
	if err != nil {
		return err
	}
	for _, it := range items {
		label := typeInfo(it.PolicyType).Label
		if n := len(p.Types); n == 0 || p.Types[n-1].Label != label {
			p.Types = append(p.Types, SnapshotItems{Label: label})
		}
		p.Types[len(p.Types)-1].Items = append(p.Types[len(p.Types)-1].Items, it)
	}
	envs, err := h.Resolver.Environments(ctx, ws, access.UserFrom(ctx).ID)
	if err != nil {
		return err
	}
	if p.Compares, err = h.comparesAgainst(ctx, operation.ScopeOf(ws, envs), envs, snap); err != nil {
		return err
	}
	hideSources([]*Snapshot{snap}, envs)
	if p.Related, err = h.snapshotRelated(ctx, ws, envs, prof, snap, req.URL.RequestURI()); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "baseline/snapshot", p)
}

// comparesAgainst lists the latest compares (up to 100, of the latest 2,000)
// whose context names the snapshot, of the environments the viewer may open:
// they are read newest first, a page at a time, their context decoded here (no
// JSON functions in SQL, DESIGN §10).
func (h *Handlers) comparesAgainst(ctx context.Context, scope operation.Scope, envs []*access.Environment, snap *Snapshot) ([]CompareRun, error) {
	var list []CompareRun
	w := operation.Window{Limit: 200}
	for read := 0; read < 2000 && len(list) < 100; read += w.Limit {
		page, err := operation.List(ctx, h.DB.Read, scope, operation.Filter{Type: CompareType, Since: snap.CapturedAt}, w)
		if err != nil {
			return nil, err
		}
		for _, run := range page.Runs {
			var c CompareContext
			if run.DecodeContext(&c) != nil || c.SnapshotID != snap.ID || len(list) == 100 {
				continue
			}
			r := CompareRun{Run: run, Link: scope.RunLink(navigation.BaselineSnapshot, navigation.DetailSection, "compares", run.ID, run.EnvironmentID, fmt.Sprintf("#%d", run.ID))}
			if e := entitled(envs, run.EnvironmentID); e != nil {
				r.Environment = e.Label()
			}
			list = append(list, r)
		}
		if page.Next == nil {
			break
		}
		w.After = page.Next
	}
	return list, nil
}
