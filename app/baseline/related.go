package baseline

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"
)

// openFindingsIn counts, per environment the viewer is entitled to, the open
// findings of a profile (of one snapshot when snapshotID ≠ 0) and adds each as a
// link to that environment's findings list filtered by the profile. Environments
// the viewer may not see are left out: not even their counts (spec 131).
func (h *Handlers) openFindingsIn(ctx context.Context, l *navigation.Entries, envs []*access.Environment, prof *Profile, snapshotID int64) error {
	q, args := openFindingsQuery(prof.ID, snapshotID)
	rows, err := h.DB.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	open := map[int64]int{}
	for rows.Next() {
		var envID int64
		var n int
		if err := rows.Scan(&envID, &n); err != nil {
			return err
		}
		open[envID] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range envs {
		if n := open[e.ID]; n > 0 {
			l.Link("findings", "Open findings in "+e.Label(), fmt.Sprintf("%d open", n),
				e.URL("/findings?"+url.Values{"profile": {prof.Slug}}.Encode()))
		}
	}
	return nil
}

// openFindingsQuery counts a profile's open findings (of one snapshot when
// snapshotID ≠ 0) per environment, in one query on the (profile, snapshot,
// status, environment) index: not a query per environment reading its findings.
func openFindingsQuery(profileID, snapshotID int64) (string, []any) {
	q := `SELECT managed_environment_id, count(*) FROM findings WHERE baseline_profile_id = ? AND status IN ('open', 'acknowledged')`
	args := []any{profileID}
	if snapshotID != 0 {
		q += ` AND baseline_snapshot_id = ?`
		args = append(args, snapshotID)
	}
	return q + ` GROUP BY managed_environment_id`, args
}

// snapshotRelated: the snapshot's profile, the run that captured it, the
// environment it was captured from, and the open findings compared against it.
func (h *Handlers) snapshotRelated(ctx context.Context, ws *access.Workspace, envs []*access.Environment, prof *Profile, snap *Snapshot, here string) (navigation.RelatedContextSection, error) {
	l := navigation.NewEntries(navigation.BaselineSnapshot)
	l.Link("baseline_profile", prof.Name, "", web.ProfileURL(ws.Slug, prof.Slug))
	back := navigation.BackLink{Label: fmt.Sprintf("Back to snapshot #%d of %s", snap.ID, prof.Name), URL: here}
	if err := h.Engine.RelateRun(ctx, h.DB.Read, l, "source_run", operation.ScopeOf(ws, envs), snap.RunID, back); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	if snap.SourceEnvironmentID != 0 {
		if e := entitled(envs, snap.SourceEnvironmentID); e != nil {
			l.Link("source_environment", e.Label(), "its current versions then", e.URL(""))
		} else {
			l.Unavailable("source_environment", navigation.ReasonUnauthorized, "")
		}
	}
	if err := h.openFindingsIn(ctx, l, envs, prof, snap.ID); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	return l.Section(), nil
}

// profileRelated: the latest snapshot, the open findings against the profile,
// and its compares in the canonical operations feed.
func (h *Handlers) profileRelated(ctx context.Context, ws *access.Workspace, envs []*access.Environment, prof *Profile, snapshots []*Snapshot, here string) (navigation.RelatedContextSection, error) {
	l := navigation.NewEntries(navigation.BaselineProfile)
	if len(snapshots) > 0 {
		s := snapshots[0]
		l.Link("latest_snapshot", "Snapshot of "+s.CapturedAt.UTC().Format("2 Jan 2006"), fmt.Sprintf("snapshot #%d", s.ID),
			web.SnapshotURL(ws.Slug, prof.Slug, s.ID))
	}
	if err := h.openFindingsIn(ctx, l, envs, prof, 0); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	feed := navigation.FeedLink(ws, 0, navigation.BaselineProfile, url.Values{"environment": {"all"}, "type": {CompareType}},
		"Back to "+prof.Name, here)
	l.Link("compare_runs", "Drift compares", "every environment", feed.URL())
	return l.Section(), nil
}

// entitled is the viewer's environment of id, or nil when they may not see it.
func entitled(envs []*access.Environment, id int64) *access.Environment {
	for _, e := range envs {
		if e.ID == id {
			return e
		}
	}
	return nil
}

// RelatedToRun names on a capture's or a compare's page its baseline, the
// snapshot it wrote or compared against, and (a compare) the findings it left open.
func RelatedToRun(d *db.DB) func(ctx context.Context, run *operation.Run, env *access.Environment, l *navigation.Entries) error {
	return func(ctx context.Context, run *operation.Run, env *access.Environment, l *navigation.Entries) error {
		var c CompareContext // a capture's context has its profile_id too
		if err := run.DecodeContext(&c); err != nil {
			return err
		}
		prof, err := ProfileByID(ctx, d.Read, run.WorkspaceID, c.ProfileID)
		switch {
		case errors.Is(err, web.ErrNotFound):
			l.Unavailable("baseline_profile", navigation.ReasonDeleted, "")
			return nil
		case err != nil:
			return err
		}
		ws := access.MustWorkspace(ctx) // the run's
		l.Link("baseline_profile", prof.Name, "", web.ProfileURL(ws.Slug, prof.Slug))
		var snap *Snapshot
		if run.Type == CaptureType {
			snap, err = SnapshotOfRun(ctx, d.Read, run.ID)
		} else {
			snap, err = SnapshotByID(ctx, d.Read, prof.ID, c.SnapshotID)
		}
		switch {
		case errors.Is(err, web.ErrNotFound):
			if run.Outcome == operation.Succeeded {
				l.Unavailable("baseline_snapshot", navigation.ReasonDeleted, "")
			}
		case err != nil:
			return err
		default:
			l.Link("baseline_snapshot", "Snapshot of "+snap.CapturedAt.UTC().Format("2 Jan 2006"), fmt.Sprintf("snapshot #%d", snap.ID),
				web.SnapshotURL(ws.Slug, prof.Slug, snap.ID))
		}
		if run.Type != CompareType || env == nil {
			return nil
		}
		var open int
		if err := d.Read.QueryRowContext(ctx, `SELECT count(*) FROM findings WHERE managed_environment_id = ? AND baseline_profile_id = ?
			AND status IN ('open', 'acknowledged') AND current_operation_run_id = ?`, env.ID, prof.ID, run.ID).Scan(&open); err != nil {
			return err
		}
		l.Link("findings", "Open findings of "+prof.Name, fmt.Sprintf("%d still open from this compare", open),
			env.URL("/findings?"+url.Values{"profile": {prof.Slug}}.Encode()))
		return nil
	}
}
