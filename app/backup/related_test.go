package backup_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"atlas/app"
	"atlas/app/apptest"
)

// TestRestoreRunsLinkOnlyWhatTheViewerMayOpen (issue 17): a restore into prod
// from pilot's set names that set for those who may open pilot, and is an
// unauthorized entry (not "deleted") for an operator of prod only; a restore
// of pilot undone by one into prod is never a link that operator cannot follow.
func TestRestoreRunsLinkOnlyWhatTheViewerMayOpen(t *testing.T) {
	s := newSite(t)
	s.env.SyncExport("acme", "pilot", tenantExport(true))
	pilotSet := s.backup(t, "pilot", "Pilot before")
	intoProd, _ := s.restore(t, "prod", app.RestoreOptions{BackupID: pilotSet})
	intoPilot, _ := s.restore(t, "pilot", app.RestoreOptions{BackupID: pilotSet})
	// The restore into prod undid the one into pilot (an undo may choose another target).
	if _, err := s.env.Data.DB.Write.Exec(`UPDATE restores SET undo_of_run_id = ? WHERE operation_run_id = ?`, intoPilot.ID, intoProd.ID); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/admin/operations/%d", intoProd.ID)
	setLink := fmt.Sprintf(`href="/admin/w/acme/t/pilot/backups/%d">Pilot before</a>`, pilotSet)
	undoneLink := fmt.Sprintf(`href="/admin/operations/%d">Restore #%d</a>`, intoPilot.ID, intoPilot.ID)
	s.owner.Get(page).Shows(t, []string{`<dd data-relation="backup_set"><a href="/admin/w/acme/t/pilot/backups/`, setLink, undoneLink,
		`<dd data-relation="restore"><a href="/admin/operations/` + fmt.Sprint(intoPilot.ID)}, []string{"data-unavailable"})
	for name, r := range map[string]*apptest.Response{"operator": s.operator.Get(page), "readonly": s.ro.Get(page)} {
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d", name, r.Status)
		}
		r.Shows(t, []string{`<dd data-relation="backup_set" data-unavailable="unauthorized">`, `<dd data-relation="restore" data-unavailable="unauthorized">`,
			`<dt>Undoes</dt><dd><span class="unavailable" data-unavailable="unauthorized">`},
			[]string{"/admin/w/acme/t/pilot", `data-unavailable="deleted"`, fmt.Sprintf("/admin/operations/%d", intoPilot.ID)})
	}
}

// TestUndoOfARestoreTheViewerMayNotOpenIsNotFound (issue 17): a preview's
// ?undo= naming a restore of an environment the person may not open answers as
// one that does not exist does, naming nothing; one they may open but that
// this set cannot undo is refused, saying why.
func TestUndoOfARestoreTheViewerMayNotOpenIsNotFound(t *testing.T) {
	s := newSite(t)
	s.env.SyncExport("acme", "pilot", tenantExport(true))
	pilotSet := s.backup(t, "pilot", "Pilot before")
	intoPilot, _ := s.restore(t, "pilot", app.RestoreOptions{BackupID: pilotSet})
	preview := setPath("prod", s.backup(t, "prod", "Prod before")) + "/restore?undo="
	named := fmt.Sprintf("Restore #%d", intoPilot.ID)
	for name, c := range map[string]*apptest.Client{"operator": s.operator, "readonly": s.ro} {
		hidden, missing := c.Get(preview+fmt.Sprint(intoPilot.ID)), c.Get(preview+"999999")
		if hidden.Status != http.StatusNotFound || missing.Status != http.StatusNotFound || hidden.Body != missing.Body {
			t.Errorf("%s: a restore of pilot answers %d, a missing one %d: not alike", name, hidden.Status, missing.Status)
		}
		hidden.Shows(t, nil, []string{named})
	}
	if r := s.manager.Get(preview + fmt.Sprint(intoPilot.ID)); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, named) {
		t.Errorf("manager: %d, want 422 naming %s", r.Status, named)
	}
}
