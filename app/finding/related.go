package finding

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"
)

// related is a finding's related context (spec 131): the environment's policy
// and the version compared, the baseline's snapshot and profile, the policy's
// type in the inventory, and the runs that captured the baseline and last
// compared. here is the finding's page, where a run's page links back to.
func (h *Handlers) related(ctx context.Context, ws *access.Workspace, env *access.Environment, f *Finding, here string) (navigation.RelatedContextSection, error) {
	l := navigation.NewEntries(navigation.Finding)
	q := h.DB.Read
	pol, err := inventory.PolicyByID(ctx, q, env.ID, f.PolicyID)
	switch {
	case err == nil:
		secondary := pol.Type.Label
		if pol.Removed() {
			secondary += " · removed"
		}
		l.Link("policy", pol.DisplayName, secondary, env.URL(fmt.Sprintf("/policies/%d", pol.ID)))
	case !errors.Is(err, web.ErrNotFound):
		return navigation.RelatedContextSection{}, err
	case f.Type == MissingPolicy:
		l.UnavailableState(navigation.UnavailableRelationState{RelationKey: "policy", Reason: navigation.ReasonMissing,
			ReferenceValue: f.SubjectName, ShowReference: true, Message: "Not in " + env.Label() + ": that is what this finding is about."})
	default:
		l.Unavailable("policy", navigation.ReasonDeleted, f.SubjectName)
	}
	if c := f.Evidence.Current; c != nil {
		v, err := inventory.VersionWithHash(ctx, q, env.ID, c.PolicyID, c.ContentHash)
		switch {
		case errors.Is(err, web.ErrNotFound):
			l.Unavailable("policy_version", navigation.ReasonUnresolved, "")
		case err != nil:
			return navigation.RelatedContextSection{}, err
		default:
			l.Link("policy_version", fmt.Sprintf("Version %d", v.Number), "captured "+v.CapturedAt.Time.UTC().Format("2 Jan 2006"),
				inventory.VersionURL(env, c.PolicyID, v.Number))
		}
	}
	var snapshotAt db.Time
	err = q.QueryRowContext(ctx, `SELECT captured_at FROM baseline_snapshots WHERE id = ? AND workspace_id = ?`, f.SnapshotID, ws.ID).Scan(&snapshotAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		l.Unavailable("baseline_snapshot", navigation.ReasonMissing, "")
	case err != nil:
		return navigation.RelatedContextSection{}, err
	default:
		l.Link("baseline_snapshot", "Snapshot of "+snapshotAt.Time.UTC().Format("2 Jan 2006"), fmt.Sprintf("snapshot #%d", f.SnapshotID),
			web.SnapshotURL(ws.Slug, f.ProfileSlug, f.SnapshotID))
	}
	l.Link("baseline_profile", f.ProfileName, "", web.ProfileURL(ws.Slug, f.ProfileSlug))
	if t, ok := intune.TypeByKey(f.PolicyType); ok {
		l.Link("inventory_item", t.Label, "every policy of this type", env.URL("/policies?"+url.Values{"type": {t.Key}}.Encode()))
	}
	back := navigation.BackLink{Label: "Back to " + f.SubjectName, URL: here}
	scope, err := operation.ViewerScope(ctx, h.Operations.Resolver)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	if err := h.Operations.Engine.RelateRun(ctx, q, l, "baseline_run", scope, f.BaselineRunID, back); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	if err := h.Operations.Engine.RelateRun(ctx, q, l, "current_run", scope, f.CurrentRunID, back); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	return l.Section(), nil
}

// dashboardRelated is an environment's related context: its runs and its
// inventory syncs in the canonical operations feed (coming back here), and its
// backups.
func dashboardRelated(ws *access.Workspace, env *access.Environment) navigation.RelatedContextSection {
	l := navigation.NewEntries(navigation.Environment)
	here, back := env.URL(""), "Back to "+env.Label()
	all := navigation.FeedLink(ws, env.ID, navigation.Environment, url.Values{"environment": {env.Slug}}, back, here)
	syncs := navigation.FeedLink(ws, env.ID, navigation.Environment, url.Values{"environment": {env.Slug}, "type": {inventory.OperationType}}, back, here)
	l.Link("operations", "Operations in "+env.Label(), "every run", all.URL())
	l.Link("sync_runs", "Inventory syncs of "+env.Label(), inventory.OperationType, syncs.URL())
	l.Link("backup_sets", "Backups of "+env.Label(), "", env.URL("/backups"))
	return l.Section()
}
