package backup_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"atlas/app/backup"
)

// TestTakeBackup: a set holds one item per present policy, pointing at the
// policy's current version and payload; it adds rows, never payloads.
func TestTakeBackup(t *testing.T) {
	s := newSite(t)
	payloads := s.count(t, `SELECT count(*) FROM policy_payloads`)
	id := s.backup(t, "prod", "Before the change")
	if got := s.count(t, `SELECT count(*) FROM policy_payloads`); got != payloads {
		t.Errorf("policy_payloads: %d rows after the backup, %d before: a backup must not copy payloads", got, payloads)
	}
	if n := s.count(t, `SELECT item_count FROM backup_sets WHERE id = ?`, id); n != 4 {
		t.Errorf("item_count %d, want 4", n)
	}
	if n := s.count(t, `SELECT count(*) FROM backup_items b JOIN policies p ON p.id = b.policy_id
		JOIN policy_versions v ON v.id = b.policy_version_id AND v.version_number = p.version_count AND v.content_hash = b.content_hash
		WHERE b.backup_set_id = ?`, id); n != 4 {
		t.Errorf("%d items point at their policy's current version and payload, want 4", n)
	}

	// The next sync changes two policies: the set keeps the versions it took.
	s.env.SyncExport("acme", "prod", tenantExport(true))
	if n := s.count(t, `SELECT count(*) FROM backup_items b JOIN policies p ON p.id = b.policy_id
		WHERE b.backup_set_id = ? AND b.content_hash <> p.content_hash`, id); n != 2 {
		t.Errorf("%d items differ from the policies' new versions, want 2", n)
	}

	only := s.backup(t, "prod", "", "settingsCatalog", "powershellScript")
	var name string
	s.env.Data.DB.Read.QueryRow(`SELECT name FROM backup_sets WHERE id = ?`, only).Scan(&name)
	if n := s.count(t, `SELECT count(*) FROM backup_items WHERE backup_set_id = ?`, only); n != 2 || !strings.HasPrefix(name, "Backup 20") {
		t.Errorf("a backup of two types: %d items named %q, want 2 named after the date", n, name)
	}

	// Nothing to back up is a failed run, not an empty set.
	run, set, err := s.env.Data.CreateBackup(context.Background(), "acme", "pilot", "", nil)
	if err != nil || set != nil || run.Outcome != "failed" || !strings.Contains(run.Failure.Message, "nothing to back up") {
		t.Errorf("backup of an empty environment: set %v, run %+v, err %v; want a failed run saying there is nothing to back up", set, run, err)
	}
}

// TestRetention: keep the last N and/or N days; a pinned set and a set a
// restore refers to are never deleted.
func TestRetention(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	d := s.env.Data.DB
	var ids []int64
	for _, name := range []string{"one", "two", "three", "four"} {
		ids = append(ids, s.backup(t, "prod", name))
	}
	// Spread them over the past: one is 40 days old, two 20, three 10, four 6.
	for i, age := range []int{40, 20, 10, 6} {
		if _, err := d.Write.Exec(`UPDATE backup_sets SET created_at = ? WHERE id = ?`, time.Now().AddDate(0, 0, -age).UTC().Format("2006-01-02T15:04:05.000Z"), ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	s.env.SyncExport("acme", "pilot", tenantExport(false))
	s.backup(t, "pilot", "not mine") // another environment's set is never touched
	if err := backup.SetPinned(ctx, d, &backup.Set{ID: ids[0], WorkspaceID: s.acmeID, Name: "one"}, 0, true); err != nil {
		t.Fatal(err)
	}
	// A restore refers to two.
	if _, err := d.Write.Exec(`INSERT INTO restores (operation_run_id, workspace_id, managed_environment_id, backup_set_id, layout, created_at)
		SELECT operation_run_id, workspace_id, managed_environment_id, id, 'intunemanagement', created_at FROM backup_sets WHERE id = ?`, ids[1]); err != nil {
		t.Fatal(err)
	}
	left := func() string {
		rows, err := d.Read.Query(`SELECT name FROM backup_sets ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		return strings.Join(names, ",")
	}
	if deleted, err := backup.SetRetention(ctx, d, s.acmeID, s.prodID, 0, backup.Retention{KeepDays: 7}); err != nil || deleted != 1 || left() != "one,two,four,not mine" {
		t.Errorf("keep 7 days: deleted %d (%v), left %s; want three deleted only", deleted, err, left())
	}
	// Both rules: a set either keeps stays; a new set applies the rule.
	if _, err := backup.SetRetention(ctx, d, s.acmeID, s.prodID, 0, backup.Retention{KeepLast: 1, KeepDays: 5}); err != nil {
		t.Fatal(err)
	}
	s.backup(t, "prod", "five")
	if got := left(); got != "one,two,not mine,five" {
		t.Errorf("keep the last 1 and 5 days after a new set: left %s, want one (pinned), two (restored), not mine, five", got)
	}
	if _, err := d.Write.Exec(`DELETE FROM backup_sets WHERE id = ?`, ids[1]); err == nil {
		t.Error("a set a restore refers to could be deleted")
	}
}

// TestBackupPages: the list shows item counts, the run, who and what is kept;
// the create form starts a run; the detail page lists items by type with their
// coverage; pin and retention forms work and refuse bad input.
func TestBackupPages(t *testing.T) {
	s := newSite(t)
	id := s.backup(t, "prod", "Monday")

	r := s.operator.Post("/admin/w/acme/t/prod/backups", url.Values{"name": {"Before the change"}, "type": {"compliancePolicy"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/admin/operations/") {
		t.Fatalf("take a backup: %d %s", r.Status, r.Header.Get("Location"))
	}
	waitForSet(t, s, "Before the change")
	page := s.operator.Get("/admin/w/acme/t/prod/backups")
	for _, want := range []string{"Monday", "Before the change", ">4<", ">1<", "Otto Operator", "command line", "/admin/operations/"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("backups page lacks %q", want)
		}
	}

	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"unknown type", url.Values{"type": {"nonsense"}}, "There is no policy type"},
		{"name with a line break", url.Values{"name": {"a\nb"}}, "one line of text"},
	} {
		if r := s.operator.Post("/admin/w/acme/t/prod/backups", tt.form); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, r.Status, tt.want)
		}
	}

	detail := s.ro.Get(setPath("prod", id))
	for _, want := range []string{"Monday", "Settings catalog", "Compliance policy", "Defender baseline", "Windows compliance", "Wi-Fi",
		"badge-restorable", "badge-dependencies", "Taken by", "Backup #"} {
		if !strings.Contains(detail.Body, want) {
			t.Errorf("backup page lacks %q", want)
		}
	}
	if !strings.Contains(detail.Body, `disabled title="Needs the manager role`) {
		t.Error("readonly: Pin is not disabled with its reason")
	}

	if r := s.manager.Post(setPath("prod", id)+"/pin", url.Values{"pinned": {"true"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("pin: %d", r.Status)
	}
	if n := s.count(t, `SELECT pinned FROM backup_sets WHERE id = ?`, id); n != 1 {
		t.Error("pin did not pin")
	}
	if !strings.Contains(s.manager.Get("/admin/w/acme/t/prod/backups").Body, "badge-pinned\">pinned") {
		t.Error("the list does not show the pinned set as kept")
	}
	if r := s.manager.Post(setPath("prod", id)+"/pin", url.Values{"pinned": {"false"}}); r.Status != http.StatusSeeOther || s.count(t, `SELECT pinned FROM backup_sets WHERE id = ?`, id) != 0 {
		t.Error("unpin did not unpin")
	}

	if r := s.manager.Post("/admin/w/acme/t/prod/backups/retention", url.Values{"keep_last": {"zero"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "whole number") {
		t.Errorf("retention with a bad number: %d", r.Status)
	}
	if r := s.manager.Post("/admin/w/acme/t/prod/backups/retention", url.Values{"keep_last": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("retention: %d", r.Status)
	}
	if n := s.count(t, `SELECT count(*) FROM backup_sets WHERE managed_environment_id = ?`, s.prodID); n != 1 {
		t.Errorf("keep the last 1: %d sets left, want 1", n)
	}
	if !strings.Contains(s.manager.Get("/admin/w/acme/t/prod/backups").Body, "Keeps the last 1") {
		t.Error("the page does not say the retention rule")
	}

	// A set is found only through its own environment.
	var kept int64
	s.env.Data.DB.Read.QueryRow(`SELECT id FROM backup_sets WHERE managed_environment_id = ?`, s.prodID).Scan(&kept)
	if r := s.owner.Get(setPath("pilot", kept)); r.Status != http.StatusNotFound {
		t.Errorf("prod's set through pilot: %d, want 404", r.Status)
	}
}

// waitForSet waits (up to a minute: the machine may be busy) for a set named name.
func waitForSet(t *testing.T, s *site, name string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s.count(t, `SELECT count(*) FROM backup_sets WHERE name = ?`, name) > 0 {
			return
		}
	}
	t.Fatalf("no set %q after a minute", name)
}
