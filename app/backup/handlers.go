package backup

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/inventory"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve the backups pages, the layout downloads and restores.
type Handlers struct {
	DB       *db.DB
	Views    *web.Views
	Resolver *access.Resolver // for a restore's target environment
	Engine   *operation.Engine
}

func backupsURL(env *access.Environment) string { return env.URL("/backups") }

func setURL(env *access.Environment, s *Set) string {
	return fmt.Sprintf("%s/%d", backupsURL(env), s.ID)
}

// Actions are a set's drill-downs on the list (spec 131): restore it first.
func (p *listPage) Actions(s *Set) navigation.RowActions {
	a := navigation.NewActions(navigation.BackupSet).Add("restore", setURL(p.Environment, s)+"/restore").Add("artifact", setURL(p.Environment, s)+"/download")
	if s.RunID != 0 {
		a.Add("source_run", navigation.RunLink(s.WorkspaceID, s.RunID, navigation.BackupSet, "", "").URL())
	}
	return a.Row()
}

// createForm is the list page's "Take a backup" form as typed.
type createForm struct {
	Name  string
	Types map[string]bool
	Names string // one policy name a line
}

// selection is what the form asks to capture; each policy name goes through
// web.ParseName, as every name a person types does.
func (f createForm) selection() (Selection, error) {
	var sel Selection
	for t, on := range f.Types {
		if on {
			sel.Types = append(sel.Types, t)
		}
	}
	for _, line := range strings.Split(f.Names, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		n, err := web.ParseName(line)
		if err != nil {
			return sel, err
		}
		sel.Names = append(sel.Names, n)
	}
	return sel, sel.Check()
}

type listPage struct {
	web.Page
	Environment     *access.Environment
	Sets            []*Set
	Types           []inventory.Facet // the environment's present types, for the create form
	Form            createForm
	Retention       Retention
	KeepLast        string
	KeepDays        string
	Errors          web.FieldErrors
	CreateWhy       string // why taking a backup is disabled, "" when it is not
	ManageWhy       string // why retention and pins are disabled
	RetentionNotice string
}

func (h *Handlers) listPage(ctx context.Context) (*listPage, error) {
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	p := &listPage{Page: web.Page{Title: "Backups", Section: "backups", Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Backups"})},
		Environment: env, Form: createForm{Types: map[string]bool{}}, CreateWhy: env.Why(access.RunOperations), ManageWhy: env.Why(access.ManageEnvironments)}
	if env.Archived() {
		p.CreateWhy = env.Label() + " is archived"
	}
	var err error
	if p.Sets, err = Sets(ctx, h.DB.Read, env.ID); err != nil {
		return nil, err
	}
	if p.Types, _, err = inventory.Facets(ctx, h.DB.Read, env.ID); err != nil {
		return nil, err
	}
	if p.Retention, err = RetentionOf(ctx, h.DB.Read, env.ID); err != nil {
		return nil, err
	}
	if p.Retention.KeepLast > 0 {
		p.KeepLast = fmt.Sprint(p.Retention.KeepLast)
	}
	if p.Retention.KeepDays > 0 {
		p.KeepDays = fmt.Sprint(p.Retention.KeepDays)
	}
	return p, nil
}

// List is /admin/w/{workspace}/t/{environment}/backups: the sets with their item counts, run,
// who took them and whether they are kept for good; the create and retention forms.
func (h *Handlers) List(w http.ResponseWriter, req bunrouter.Request) error {
	p, err := h.listPage(req.Context())
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "backup/list", p)
}

// Create starts a backup.create run (form fields name, type, names) and opens it.
func (h *Handlers) Create(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env, user := access.MustWorkspace(ctx), access.MustEnvironment(ctx), access.UserFrom(ctx)
	if env.Archived() {
		return web.Errorf(web.Conflict, "%s is archived: restore it before taking backups of it.", env.Label())
	}
	if err := req.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "The form could not be read.")
	}
	form := createForm{Name: req.PostForm.Get("name"), Types: map[string]bool{}, Names: req.PostForm.Get("names")}
	for _, t := range req.PostForm["type"] {
		form.Types[t] = true
	}
	errs := web.FieldErrors{}
	name, err := web.ParseOptionalName(form.Name)
	if err != nil {
		errs["name"] = err.Error()
	}
	sel, err := form.selection()
	if err != nil {
		errs["names"] = err.Error()
	}
	if errs.Any() {
		p, err := h.listPage(ctx)
		if err != nil {
			return err
		}
		p.Form, p.Errors = createForm{Name: web.Echo(form.Name), Types: form.Types, Names: web.Echo(form.Names)}, errs
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "backup/list", p)
	}
	start := StartRequest(ws.ID, env.ID, user.ID, name, sel)
	if start.StartKey, err = web.FormKey(req.Request); err != nil {
		return err
	}
	run, joined, err := h.Engine.Start(ctx, start)
	if err != nil {
		return err
	}
	return h.Engine.Opened(w, req.Request, run, joined, "Backup started.")
}

// SetRetention stores the environment's retention (keep_last, keep_days) and applies it.
func (h *Handlers) SetRetention(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env, user := access.MustWorkspace(ctx), access.MustEnvironment(ctx), access.UserFrom(ctx)
	keepLast, keepDays := req.PostFormValue("keep_last"), req.PostFormValue("keep_days")
	r, errs := ParseRetention(keepLast, keepDays)
	if errs.Any() {
		p, err := h.listPage(ctx)
		if err != nil {
			return err
		}
		p.KeepLast, p.KeepDays, p.Errors = web.Echo(keepLast), web.Echo(keepDays), errs
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "backup/list", p)
	}
	deleted, err := SetRetention(ctx, h.DB, ws.ID, env.ID, user.ID, r)
	if err != nil {
		return err
	}
	message := "Retention saved. " + r.Describe()
	if deleted > 0 {
		message += fmt.Sprintf(" %d older %s deleted.", deleted, plural(deleted, "backup was", "backups were"))
	}
	return web.Redirect(w, req.Request, backupsURL(env), message)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// setOf is the route's :backup in the route's environment.
func (h *Handlers) setOf(req bunrouter.Request) (*Set, error) {
	id, err := access.ParseID(req.Param("backup"))
	if err != nil {
		return nil, err
	}
	return SetByID(req.Context(), h.DB.Read, access.MustEnvironment(req.Context()).ID, id)
}

// ItemGroup is a set's items of one type.
type ItemGroup struct {
	Type  string
	Items []*Item
}

// Rows are the group's table rows on the set's page. They are written here, not
// in the template: a set holds up to thousands of items, and html/template
// calls about ten escapers through reflection for each row (a 1,000-item set
// took 22 ms of CPU to render, BenchmarkSetPage1000). The markup and the
// escaping are the template's (TestItemRowsReadAsTheTemplate).
func (g ItemGroup) Rows(environmentURL string) template.HTML {
	var b strings.Builder
	b.Grow(256 * len(g.Items)) // a row is about 250 bytes
	for _, it := range g.Items {
		b.WriteString("<tr>\n<td><a href=\"")
		b.WriteString(web.EscapeHTML(environmentURL))
		b.WriteString("/policies/")
		b.WriteString(strconv.FormatInt(it.PolicyID, 10))
		b.WriteString(`">`)
		b.WriteString(web.EscapeHTML(it.DisplayName))
		b.WriteString("</a></td>\n<td>")
		b.WriteString(web.EscapeHTML(it.Platform))
		b.WriteString("</td>\n<td>")
		if it.VersionNumber != 0 {
			b.WriteString(strconv.Itoa(it.VersionNumber))
		} else {
			b.WriteString(`<span class="muted">—</span>`)
		}
		b.WriteString(`</td>` + "\n" + `<td><span class="badge badge-`)
		b.WriteString(web.EscapeHTML(it.Coverage))
		b.WriteString(`">`)
		b.WriteString(web.EscapeHTML(it.Coverage))
		b.WriteString(`</span> <span class="muted">`)
		b.WriteString(web.EscapeHTML(it.CoverageReason))
		b.WriteString("</span></td>\n</tr>")
	}
	return template.HTML(b.String())
}

func groupItems(items []*Item) []ItemGroup {
	var groups []ItemGroup
	for _, it := range items {
		if n := len(groups); n == 0 || groups[n-1].Type != it.Type.Label {
			groups = append(groups, ItemGroup{Type: it.Type.Label})
		}
		g := &groups[len(groups)-1]
		g.Items = append(g.Items, it)
	}
	return groups
}

type detailPage struct {
	web.Page
	Environment *access.Environment
	Set         *Set
	Groups      []ItemGroup
	Related     navigation.RelatedContextSection
	Layouts     []Layout
	Layout      string // the environment's own layout: the download's default
	ManageWhy   string
}

// Detail is /admin/w/{workspace}/t/{environment}/backups/{backup}: the items by type with
// their coverage, the related runs, pin and "Download as zip" in a tool's layout.
func (h *Handlers) Detail(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	s, err := h.setOf(req)
	if err != nil {
		return err
	}
	items, err := Items(ctx, h.DB.Read, s.ID)
	if err != nil {
		return err
	}
	p := &detailPage{Page: web.Page{Title: s.Name, Section: "backups",
		Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Backups", URL: backupsURL(env)}, web.Crumb{Name: s.Name})},
		Environment: env, Set: s, Groups: groupItems(items), Layouts: Layouts, ManageWhy: env.Why(access.ManageEnvironments)}
	if p.Layout, err = EnvironmentLayout(ctx, h.DB.Read, env.ID); err != nil {
		return err
	}
	if p.Related, err = h.related(ctx, env, s, req.URL.RequestURI()); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "backup/detail", p)
}

// related is a set's related context (spec 131): the run that took it, its
// download, and the restores that used it or took it before restoring.
func (h *Handlers) related(ctx context.Context, env *access.Environment, s *Set, here string) (navigation.RelatedContextSection, error) {
	l := navigation.NewEntries(navigation.BackupSet)
	back := navigation.BackLink{Label: "Back to " + s.Name, URL: here}
	scope, err := operation.ViewerScope(ctx, h.Resolver)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	if err := h.Engine.RelateRun(ctx, h.DB.Read, l, "source_run", scope, s.RunID, back); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	l.Link("artifact", "Zip of the whole set", "as "+env.Label()+"'s export tool lays it out", setURL(env, s)+"/download")
	rows, err := h.DB.Read.QueryContext(ctx, `SELECT operation_run_id, backup_set_id = ? FROM restores
		WHERE backup_set_id = ? OR pre_restore_backup_set_id = ? ORDER BY operation_run_id DESC`, s.ID, s.ID, s.ID)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	type restore struct {
		runID        int64
		restoredFrom bool
	}
	var restores []restore
	for rows.Next() {
		var r restore
		if err := rows.Scan(&r.runID, &r.restoredFrom); err != nil {
			rows.Close()
			return navigation.RelatedContextSection{}, err
		}
		restores = append(restores, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	for _, r := range restores {
		key := "restores"
		if !r.restoredFrom {
			key = "taken_before"
		}
		if err := h.Engine.RelateRun(ctx, h.DB.Read, l, key, scope, r.runID, back); err != nil {
			return navigation.RelatedContextSection{}, err
		}
	}
	return l.Section(), nil
}

// Pin pins (pinned=true) or unpins a set.
func (h *Handlers) Pin(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	env, user := access.MustEnvironment(ctx), access.UserFrom(ctx)
	s, err := h.setOf(req)
	if err != nil {
		return err
	}
	pinned := req.PostFormValue("pinned") == "true"
	if err := SetPinned(ctx, h.DB, s, user.ID, pinned); err != nil {
		return err
	}
	message := s.Name + " unpinned: retention may delete it."
	if pinned {
		message = s.Name + " pinned: retention keeps it."
	}
	return web.Redirect(w, req.Request, setURL(env, s), message)
}

// RelatedToRun names on a backup's or a restore's page the set it took or
// restored from (a restore's may be another environment's), and the restore
// it undid.
func RelatedToRun(d *db.DB) func(ctx context.Context, run *operation.Run, env *access.Environment, l *navigation.Entries) error {
	resolver := &access.Resolver{DB: d}
	return func(ctx context.Context, run *operation.Run, env *access.Environment, l *navigation.Entries) error {
		if env == nil {
			return nil
		}
		var setID int64
		var undone *Restore
		if run.Type == RestoreType {
			r, err := RestoreOfRun(ctx, d.Read, run.ID)
			if errors.Is(err, web.ErrNotFound) {
				return nil // a restore refused before it started records none
			}
			if err != nil {
				return err
			}
			setID = r.SetID
			if r.UndoOf != 0 {
				if undone, err = RestoreOfRun(ctx, d.Read, r.UndoOf); err != nil {
					return err
				}
			}
		} else {
			s, err := SetOfRun(ctx, d.Read, run.ID)
			switch {
			case errors.Is(err, web.ErrNotFound):
				if run.Outcome == operation.Succeeded {
					l.Unavailable("backup_set", navigation.ReasonDeleted, "")
				}
				return nil
			case err != nil:
				return err
			}
			setID = s.ID
		}
		s, setEnv, err := setFor(ctx, d.Read, resolver, setID)
		switch {
		case errors.Is(err, web.ErrNotFound):
			l.Unavailable("backup_set", navigation.ReasonDeleted, "")
		case err != nil:
			return err
		case setEnv == nil:
			l.Unavailable("backup_set", navigation.ReasonUnauthorized, "")
		default:
			l.Link("backup_set", s.Name, fmt.Sprintf("backup set #%d · %d policies", s.ID, s.ItemCount), setURL(setEnv, s))
		}
		if undone == nil {
			return nil
		}
		scope, err := operation.ViewerScope(ctx, resolver)
		if err != nil {
			return err
		}
		if !scope.Opens(undone.EnvironmentID) {
			l.Unavailable("restore", navigation.ReasonUnauthorized, "")
			return nil
		}
		l.Link("restore", fmt.Sprintf("Restore #%d", undone.RunID), "undone by this run", web.RunURL(undone.RunID))
		return nil
	}
}
