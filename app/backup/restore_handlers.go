package backup

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"atlas/app/access"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Limits of the preview page: beyond them it counts rather than lists.
const (
	previewRows     = 500  // steps listed
	previewDiffs    = 100  // steps whose changes are shown
	pickerItemLimit = 2000 // sets larger than this are picked by type only
)

// choiceFrom reads a restore's choice from a form or query: type and item
// (repeatable; none of either is every item), assign (repeatable item ids, or
// "all").
func choiceFrom(v url.Values) (Choice, error) {
	c := Choice{Types: v["type"]}
	for _, t := range c.Types {
		if _, ok := intune.TypeByKey(t); !ok {
			return c, fmt.Errorf("there is no policy type %q", web.Truncate(t, 100))
		}
	}
	ids := func(values []string) ([]int64, error) {
		var out []int64
		for _, s := range values {
			if s == "all" {
				c.AllAssignments = true
				continue
			}
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return nil, fmt.Errorf("%q is not an item of this backup", web.Truncate(s, 40))
			}
			out = append(out, id)
		}
		return out, nil
	}
	var err error
	if c.Items, err = ids(v["item"]); err != nil {
		return c, err
	}
	c.Assign, err = ids(v["assign"])
	return c, err
}

// values is the choice as form fields, for the apply form and links.
func (c Choice) values() url.Values {
	v := url.Values{"type": c.Types}
	for _, id := range c.Items {
		v.Add("item", strconv.FormatInt(id, 10))
	}
	for _, id := range c.Assign {
		v.Add("assign", strconv.FormatInt(id, 10))
	}
	if c.AllAssignments {
		v.Add("assign", "all")
	}
	return v
}

// TypeOption is a type of the set in the preview's picker.
type TypeOption struct {
	Key, Label string
	Count      int
	Chosen     bool
}

// PreviewStep is a step as the preview lists it: its changes laid out like the
// diff pages (for the first previewDiffs steps).
type PreviewStep struct {
	*Step
	Comparison *inventory.Comparison
}

// Field is one hidden field of the apply form.
type Field struct{ Name, Value string }

type previewPage struct {
	web.Page
	Environment *access.Environment // the set's
	Set         *Set
	Types       []TypeOption
	Groups      []ItemGroup // the picker's items, when the set is small enough
	Chosen      map[int64]bool
	Assigned    map[int64]bool
	AllAssigned bool
	Targets     []*access.Environment
	Target      *access.Environment
	Layouts     []Layout
	Layout      string
	Problem     string
	Steps       []PreviewStep
	Counts      map[string]int
	Total       int
	Unlisted    int // steps counted but not listed
	Warnings    []Warning
	Fields      []Field // the apply form's hidden fields
	ApplyWhy    string  // why Apply is disabled, "" when it is not
	Undo        *Restore
	UndoCreated []string // policies the undone restore created: no import removes them
	Confirm     string   // the typed confirmation, echoed
	Errors      web.FieldErrors
}

// Preview is GET /admin/w/{workspace}/t/{environment}/backups/{backup}/restore: choose items,
// a target and a layout, and see per item what a restore would do and change,
// with warnings. It writes nothing.
func (h *Handlers) Preview(w http.ResponseWriter, req bunrouter.Request) error {
	p, status, err := h.preview(req, req.URL.Query())
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, status, "backup/restore", p)
}

// preview builds the page for the choice in v; status is 422 when the choice
// cannot be planned (the page says why).
func (h *Handlers) preview(req bunrouter.Request, v url.Values) (*previewPage, int, error) {
	ctx := req.Context()
	ws, env, user := access.MustWorkspace(ctx), access.MustEnvironment(ctx), access.UserFrom(ctx)
	s, err := h.setOf(req)
	if err != nil {
		return nil, 0, err
	}
	p := &previewPage{Page: web.Page{Title: "Restore · " + s.Name, Section: "backups",
		Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Backups", URL: backupsURL(env)}, web.Crumb{Name: s.Name, URL: setURL(env, s)}, web.Crumb{Name: "Restore"})},
		Environment: env, Set: s, Layouts: Layouts, Chosen: map[int64]bool{}, Assigned: map[int64]bool{}, Counts: map[string]int{}}
	if p.Undo, err = h.undoOf(ctx, v, s); err != nil {
		return nil, 0, err
	}
	if p.Undo != nil {
		p.Title = fmt.Sprintf("Undo restore #%d", p.Undo.RunID)
		if p.UndoCreated, err = createdBy(ctx, h.DB.Read, p.Undo.RunID); err != nil {
			return nil, 0, err
		}
	}
	targetSlug := v.Get("target")
	if targetSlug == "" {
		targetSlug = env.Slug
	}
	// A target the user may not see is not found, as everywhere.
	if p.Target, err = h.Resolver.Target(ctx, ws, user.ID, targetSlug, access.View); err != nil {
		return nil, 0, err
	}
	p.ApplyWhy = p.Target.Why(access.RunRestore)
	envs, err := h.Resolver.Environments(ctx, ws, user.ID)
	if err != nil {
		return nil, 0, err
	}
	for _, e := range envs {
		if !e.Archived() {
			p.Targets = append(p.Targets, e)
		}
	}
	if p.Layout = v.Get("layout"); p.Layout == "" {
		if p.Layout, err = EnvironmentLayout(ctx, h.DB.Read, p.Target.ID); err != nil {
			return nil, 0, err
		}
	}
	items, err := Items(ctx, h.DB.Read, s.ID)
	if err != nil {
		return nil, 0, err
	}
	choice, problem := choiceFrom(v)
	for _, id := range choice.Items {
		p.Chosen[id] = true
	}
	for _, id := range choice.Assign {
		p.Assigned[id] = true
	}
	p.AllAssigned = choice.AllAssignments
	counts := map[string]int{}
	for _, it := range items {
		counts[it.Type.Key]++
	}
	for _, it := range items {
		if n := len(p.Types); n == 0 || p.Types[n-1].Key != it.Type.Key {
			p.Types = append(p.Types, TypeOption{Key: it.Type.Key, Label: it.Type.Label, Count: counts[it.Type.Key],
				Chosen: slices.Contains(choice.Types, it.Type.Key)})
		}
	}
	if len(items) <= pickerItemLimit {
		p.Groups = groupItems(items)
	}
	if _, ok := LayoutOf(p.Layout); !ok {
		problem = fmt.Errorf("there is no export layout %q", web.Truncate(p.Layout, 50))
	}
	if problem != nil {
		p.Problem = web.Title(problem.Error()) + "."
		return p, http.StatusUnprocessableEntity, nil
	}
	err = Plan(ctx, h.DB.Read, Request{Set: s, Target: Target{ID: p.Target.ID, Label: p.Target.Label()}, Choice: choice, Layout: p.Layout, Date: time.Now()},
		func(st *Step, warnings []Warning) error {
			p.Total++
			p.Counts[st.Action]++
			p.Warnings = append(p.Warnings, warnings...)
			if len(p.Steps) >= previewRows {
				p.Unlisted++
				return nil
			}
			ps := PreviewStep{Step: st}
			if st.Action != Skip && len(p.Steps) < previewDiffs {
				var err error
				if ps.Comparison, err = inventory.Compare(inventory.Side{Heading: p.Target.Label() + " now"}, inventory.Side{Heading: "Restored"}, st.Before, st.After, nil); err != nil {
					return err
				}
			}
			p.Steps = append(p.Steps, ps)
			return nil
		})
	if err != nil {
		return nil, 0, err
	}
	if p.Total == 0 {
		p.Problem = "No item of this backup matches the choice: pick types or items."
		return p, http.StatusUnprocessableEntity, nil
	}
	fields := choice.values()
	fields.Set("target", p.Target.Slug)
	fields.Set("layout", p.Layout)
	if p.Undo != nil {
		fields.Set("undo", strconv.FormatInt(p.Undo.RunID, 10))
	}
	for _, k := range []string{"target", "layout", "type", "item", "assign", "undo"} {
		for _, val := range fields[k] {
			p.Fields = append(p.Fields, Field{k, val})
		}
	}
	return p, http.StatusOK, nil
}

// Summary is the preview's one line of counts by action.
func (p *previewPage) Summary() string {
	var parts []string
	for _, a := range []string{Update, Recreate, Copy, Skip} {
		if n := p.Counts[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, a))
		}
	}
	return strings.Join(parts, ", ")
}

// Apply is POST /admin/w/{workspace}/t/{environment}/backups/{backup}/restore: with the
// target's name typed to confirm, it starts the restore.apply run the preview
// showed and opens it. Restoring needs the restore capability in the target
// too: a target the user may not see is not found, one they may not restore
// into is forbidden.
func (h *Handlers) Apply(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, user := access.MustWorkspace(ctx), access.UserFrom(ctx)
	s, err := h.setOf(req)
	if err != nil {
		return err
	}
	if err := req.ParseForm(); err != nil {
		return web.Errorf(web.Invalid, "The form could not be read.")
	}
	target, err := h.Resolver.Target(ctx, ws, user.ID, req.PostForm.Get("target"), access.RunRestore)
	if err != nil {
		return err
	}
	choice, problem := choiceFrom(req.PostForm)
	layout := req.PostForm.Get("layout")
	confirm := strings.TrimSpace(req.PostForm.Get("confirm"))
	if _, ok := LayoutOf(layout); problem != nil || !ok || (confirm != target.Label() && confirm != target.Name) {
		p, status, err := h.preview(req, req.PostForm)
		if err != nil {
			return err
		}
		if status == http.StatusOK {
			p.Confirm, p.Errors = web.Echo(confirm), web.FieldErrors{"confirm": fmt.Sprintf("Type %s exactly, to confirm the environment you restore into.", target.Label())}
		}
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "backup/restore", p)
	}
	undo, err := h.undoOf(ctx, req.PostForm, s)
	if err != nil {
		return err
	}
	key, err := web.FormKey(req.Request)
	if err != nil {
		return err
	}
	start := RestoreStart{WorkspaceID: ws.ID, TargetID: target.ID, UserID: user.ID, Set: s, Choice: choice, Layout: layout, StartKey: key}
	if undo != nil {
		start.UndoOf = undo.RunID
	}
	run, joined, err := StartRestore(ctx, h.DB, h.Engine, start, false)
	if err != nil {
		return err
	}
	return h.Engine.Opened(w, req.Request, run, joined, fmt.Sprintf("Restore into %s started: Atlas backs %s up first.", target.Label(), target.Label()))
}

// undoOf is the restore named by the form's undo field, which must have taken
// set before it restored (undo restores that set); nil without the field. A
// restore whose run the person may not open is not found, as a missing one.
func (h *Handlers) undoOf(ctx context.Context, v url.Values, set *Set) (*Restore, error) {
	if v.Get("undo") == "" {
		return nil, nil
	}
	id, err := access.ParseID(v.Get("undo"))
	if err != nil {
		return nil, err
	}
	scope, err := operation.ViewerScope(ctx, h.Resolver)
	if err != nil {
		return nil, err
	}
	if _, err := scope.Run(ctx, h.DB.Read, id); err != nil {
		return nil, err
	}
	r, err := RestoreOfRun(ctx, h.DB.Read, id)
	if err != nil {
		return nil, err
	}
	if r.BeforeSetID != set.ID {
		return nil, web.Errorf(web.Invalid, "Restore #%d is undone by restoring the set it took first, not %s.", r.RunID, set.Name)
	}
	return r, nil
}

type itemDiffPage struct {
	web.Page
	Environment *access.Environment
	RunID       int64
	Item        *RestoreItem
	Comparison  *inventory.Comparison
}

// ItemDiff is /admin/w/{workspace}/t/{environment}/restores/{restore}/items/{item}: what a
// restore wrote for an item against what the sync that verified it found.
func (h *Handlers) ItemDiff(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	runID, err := access.ParseID(req.Param("restore"))
	if err != nil {
		return err
	}
	itemID, err := access.ParseID(req.Param("item"))
	if err != nil {
		return err
	}
	r, err := RestoreOfRun(ctx, h.DB.Read, runID)
	if err != nil {
		return err
	}
	if r.WorkspaceID != ws.ID || r.EnvironmentID != env.ID {
		return web.ErrNotFound
	}
	items, err := RestoreItems(ctx, h.DB.Read, runID)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(items, func(it *RestoreItem) bool { return it.ID == itemID })
	if i < 0 || items[i].VerifiedHash == "" {
		return web.ErrNotFound
	}
	it := items[i]
	written, err := inventory.Payload(ctx, h.DB.Read, it.Hash)
	if err != nil {
		return err
	}
	found, err := inventory.Payload(ctx, h.DB.Read, it.VerifiedHash)
	if err != nil {
		return err
	}
	p := &itemDiffPage{Page: web.Page{Title: "Restored · " + it.Name, Section: "backups",
		Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: fmt.Sprintf("Restore #%d", runID), URL: web.RunURL(runID)}, web.Crumb{Name: it.Name})},
		Environment: env, RunID: runID, Item: it}
	if p.Comparison, err = inventory.Compare(inventory.Side{Heading: "Restored"},
		inventory.Side{Heading: fmt.Sprintf("%s at sync #%d", env.Label(), it.VerifiedByRun)}, written, found, nil); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "backup/item_diff", p)
}
