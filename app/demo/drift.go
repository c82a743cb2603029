package demo

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"atlas/app/access"
	"atlas/app/baseline"
	"atlas/app/db"
	"atlas/app/finding"
	"atlas/app/operation"
)

// Each customer's baseline is its production environment, captured by the real
// baseline.capture after prod's second sync and again, refreshed, after its
// change window at sync 10; every environment is compared with it by the real
// drift.compare every other sync and after its last. So findings open as
// policies change, update, resolve when the refreshed baseline or a later
// change agrees again, and reopen — as they would in use.
var (
	captureAt = []int{1, 10}
	compareAt = []int{2, 4, 6, 8, 10, 12, syncs - 1}
)

// baselineSlug is every demo customer's one baseline profile.
const baselineSlug = "production-baseline"

// createBaseline adds the customer's baseline profile; compares report the
// policies it lacks too.
func (g *generator) createBaseline(ctx context.Context, c customer, workspaceID int64) (*baseline.Profile, error) {
	var p *baseline.Profile
	err := g.d.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		p, err = baseline.CreateProfile(ctx, tx, workspaceID, g.owner.id, baseline.Settings{Name: c.name + " production baseline",
			Slug: baselineSlug, Status: baseline.Active, CaptureMode: baseline.CaptureFull, ReportUnexpected: true})
		return err
	})
	return p, err
}

// afterSync captures and compares what the plan asks for after sync i of the
// environment, each dated in the hours after the sync.
func (g *generator) afterSync(ctx context.Context, t *tenant, env *access.Environment, profile *baseline.Profile, i int, actors []*actor) error {
	if t.site.kind == "production" && slices.Contains(captureAt, i) {
		manager := managerOf(actors)
		at := t.syncAt[i].Add(2 * time.Hour)
		r := &run{workspaceID: env.WorkspaceID, environmentID: env.ID, created: at, started: at.Add(time.Second), completed: at.Add(14 * time.Second), initiator: manager}
		since := db.Now()
		done, err := baseline.CaptureNow(ctx, g.engine, baseline.Capture{WorkspaceID: env.WorkspaceID, Profile: profile, EnvironmentID: env.ID, UserID: manager.id})
		if err != nil {
			return fmt.Errorf("capture after sync %d: %w", i, err)
		}
		if err := restamp(ctx, g.d, done.ID, r, since, captureStamps); err != nil {
			return err
		}
	}
	stale := t.site.compareStaleDays > 0 && t.syncAt[i].After(g.anchor.AddDate(0, 0, -t.site.compareStaleDays))
	if !slices.Contains(compareAt, i) || stale {
		return nil
	}
	at := t.syncAt[i].Add(20 * time.Minute)
	r := &run{workspaceID: env.WorkspaceID, environmentID: env.ID, created: at, started: at.Add(time.Second), completed: at.Add(6 * time.Second)}
	since := db.Now()
	done, err := baseline.CompareNow(ctx, g.engine, baseline.Compare{WorkspaceID: env.WorkspaceID, Profile: profile, EnvironmentID: env.ID})
	if err != nil {
		return fmt.Errorf("compare after sync %d: %w", i, err)
	}
	if done.Outcome != operation.Succeeded {
		return fmt.Errorf("compare after sync %d: %s", i, done.Outcome)
	}
	if err := restamp(ctx, g.d, done.ID, r, since, compareStamps); err != nil {
		return err
	}
	return g.triage(ctx, t, env, i, actors)
}

func managerOf(actors []*actor) *actor {
	for _, a := range actors[1:] {
		if a.restore {
			return a
		}
	}
	return actors[0]
}

// triage is what the consultants decided on findings, in the story: in
// Contoso's production an operator acknowledges the most severe open finding
// and a manager accepts the next until six weeks after the demo's end; in
// Fabrikam's production a manager accepts one for ten days mid-way, and the
// compare after it expired reopens it.
func (g *generator) triage(ctx context.Context, t *tenant, env *access.Environment, i int, actors []*actor) error {
	if t.site.kind != "production" {
		return nil
	}
	manager := managerOf(actors)
	at := t.syncAt[i].Add(30 * time.Minute) // after the compare; the last sync is at least an hour before the demo's end
	switch {
	case t.customer.slug == "contoso" && i == syncs-1:
		open, err := finding.ListOpen(ctx, g.d.Read, env.ID)
		if err != nil || len(open) < 2 {
			return fmt.Errorf("contoso production: %d open findings to triage (%v)", len(open), err)
		}
		operator := actors[len(actors)-1]
		if err := g.decide(ctx, finding.Acknowledge, finding.Triage{WorkspaceID: env.WorkspaceID, EnvironmentID: env.ID,
			UserID: operator.id, IDs: []int64{open[0].ID}, Now: at}); err != nil {
			return err
		}
		return g.decide(ctx, finding.Accept, finding.Triage{WorkspaceID: env.WorkspaceID, EnvironmentID: env.ID, UserID: manager.id,
			IDs: []int64{open[1].ID}, Now: at.Add(5 * time.Minute), Exception: finding.Exception{
				Reason: "Kiosk devices keep this until the new readers arrive in the spring", ExpiresAt: g.anchor.AddDate(0, 0, 42).Truncate(24 * time.Hour)}})
	case t.customer.slug == "fabrikam" && i == 6:
		open, err := finding.ListOpen(ctx, g.d.Read, env.ID)
		if err != nil || len(open) == 0 {
			return fmt.Errorf("fabrikam production: no open finding to accept (%v)", err)
		}
		return g.decide(ctx, finding.Accept, finding.Triage{WorkspaceID: env.WorkspaceID, EnvironmentID: env.ID, UserID: manager.id,
			IDs: []int64{open[0].ID}, Now: at, Exception: finding.Exception{
				Reason: "Accepted for the pilot fortnight", ExpiresAt: at.AddDate(0, 0, 10).Truncate(24 * time.Hour)}})
	}
	return nil
}

// decide takes a triage decision, dating its audit events to the decision's time.
func (g *generator) decide(ctx context.Context, take func(context.Context, *db.DB, finding.Triage) (int, error), tr finding.Triage) error {
	since := db.Now()
	if _, err := take(ctx, g.d, tr); err != nil {
		return err
	}
	_, err := g.d.Write.ExecContext(ctx, `UPDATE audit_events SET created_at = ? WHERE record_type = 'finding' AND created_at >= ?`,
		db.Format(tr.Now), since)
	return err
}
