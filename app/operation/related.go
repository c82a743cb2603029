package operation

import (
	"context"
	"errors"

	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/web"
)

// RelateRun adds run runID to a page's related context under key: labelled by
// type, number and day ("Inventory sync #8 · 3 Nov"), linked through the
// canonical operations route with the way back to the page. A run no longer
// kept is a missing entry, one of an environment the person may not open an
// unauthorized one that names nothing.
func (e *Engine) RelateRun(ctx context.Context, q db.Querier, l *navigation.Entries, key string, s Scope, runID int64, back navigation.BackLink) error {
	if runID == 0 {
		l.Unavailable(key, navigation.ReasonMissing, "")
		return nil
	}
	run, err := Get(ctx, q, s.WorkspaceID, runID)
	switch {
	case errors.Is(err, web.ErrNotFound):
		l.Unavailable(key, navigation.ReasonMissing, "")
	case err != nil:
		return err
	case !s.Opens(run.EnvironmentID):
		l.Unavailable(key, navigation.ReasonUnauthorized, "")
	default:
		l.Link(key, e.RunLabel(run), run.Badge(), navigation.RunLink(s.WorkspaceID, run.ID, l.SourceType(), back.Label, back.URL).URL())
	}
	return nil
}

// RunLabel names a run for people: its type, number and day.
func (e *Engine) RunLabel(run *Run) string {
	return navigation.RunLabel(e.Label(run.Type), run.ID, run.CreatedAt)
}
