package finding

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/diff"
)

// scope is a workspace, an environment and a baseline profile to compare.
func scope(t *testing.T, d *db.DB) Compare {
	t.Helper()
	now := db.Now()
	var c Compare
	if err := d.Write.QueryRow(`INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES ('Acme', 'acme', ?, ?) RETURNING id`, now, now).Scan(&c.WorkspaceID); err != nil {
		t.Fatal(err)
	}
	if err := d.Write.QueryRow(`INSERT INTO managed_environments (workspace_id, slug, name, created_at, updated_at) VALUES (?, 'prod', 'Production', ?, ?) RETURNING id`,
		c.WorkspaceID, now, now).Scan(&c.EnvironmentID); err != nil {
		t.Fatal(err)
	}
	if err := d.Write.QueryRow(`INSERT INTO baseline_profiles (workspace_id, name, slug, created_at, updated_at) VALUES (?, 'OIB', 'oib', ?, ?) RETURNING id`,
		c.WorkspaceID, now, now).Scan(&c.ProfileID); err != nil {
		t.Fatal(err)
	}
	c.Complete, c.Now = true, time.Now()
	return c
}

func observations(n int) []Observation {
	obs := make([]Observation, n)
	for i := range obs {
		obs[i] = Observation{Type: SettingDrift, SubjectKey: fmt.Sprintf("settingsCatalog/policy %03d", i), SubjectName: fmt.Sprintf("Policy %03d", i),
			PolicyType: "settingsCatalog", Severity: diff.Medium, SeverityRule: "anything else"}
	}
	return obs
}

// TestApplyConcurrently: compares applying the same deviations at once (more
// than one batch each) leave one finding per scope_key, opened exactly once.
func TestApplyConcurrently(t *testing.T) {
	d := dbtest.Open(t)
	c := scope(t, d)
	obs := observations(600)
	tallies := make([]Tally, 4)
	var wg sync.WaitGroup
	for i := range tallies {
		wg.Go(func() {
			var err error
			if tallies[i], err = Apply(context.Background(), d, c, obs); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	opened, updated := 0, 0
	for _, tl := range tallies {
		opened, updated = opened+tl.Opened, updated+tl.Updated
	}
	if opened != 600 || updated != 3*600 {
		t.Errorf("opened %d, updated %d; want 600 and 1,800", opened, updated)
	}
	var rows, keys, events int
	d.Read.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT scope_key) FROM findings`).Scan(&rows, &keys)
	d.Read.QueryRow(`SELECT COUNT(*) FROM finding_events WHERE action = 'opened'`).Scan(&events)
	if rows != 600 || keys != 600 || events != 600 {
		t.Errorf("%d findings, %d scope keys, %d opened events; want 600 of each", rows, keys, events)
	}
}

// TestApplyIncomplete: an incomplete compare resolves nothing; a complete one
// resolves what it no longer observes.
func TestApplyIncomplete(t *testing.T) {
	d := dbtest.Open(t)
	c := scope(t, d)
	ctx := context.Background()
	if _, err := Apply(ctx, d, c, observations(3)); err != nil {
		t.Fatal(err)
	}
	c.Complete = false
	if tl, err := Apply(ctx, d, c, observations(1)); err != nil || tl.Resolved != 0 || tl.Updated != 1 {
		t.Fatalf("incomplete compare: %+v, %v", tl, err)
	}
	c.Complete = true
	if tl, err := Apply(ctx, d, c, observations(1)); err != nil || tl.Resolved != 2 {
		t.Fatalf("complete compare: %+v, %v", tl, err)
	}
	n, _ := CountOpen(ctx, d.Read, c.EnvironmentID, c.ProfileID)
	if n != 1 {
		t.Errorf("%d open, want 1", n)
	}
}

func TestParseException(t *testing.T) {
	now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		reason, expires string
		field           string // the field in error, "" none
	}{
		{"Pilot devices", "2026-03-11", ""},
		{"Pilot devices", "2027-03-10", ""},
		{"Pilot devices", "2027-03-11", "expires"}, // more than a year
		{"Pilot devices", "2026-03-10", "expires"}, // today
		{"Pilot devices", "2026-02-01", "expires"},
		{"Pilot devices", "next week", "expires"},
		{"Pilot devices", "", "expires"},
		{"  ", "2026-04-01", "reason"},
	} {
		e, errs := ParseException(tt.reason, tt.expires, now)
		switch {
		case tt.field == "" && errs != nil:
			t.Errorf("%q until %q: %v", tt.reason, tt.expires, errs)
		case tt.field != "" && errs[tt.field] == "":
			t.Errorf("%q until %q: no error on %s (%v)", tt.reason, tt.expires, tt.field, errs)
		case tt.field == "" && e.ExpiresAt.Format(DateFormat) != tt.expires:
			t.Errorf("%q: expires %v", tt.expires, e.ExpiresAt)
		}
	}
}

// TestTrend: the open count at the end of each day, replayed from the history.
func TestTrend(t *testing.T) {
	d := dbtest.Open(t)
	c := scope(t, d)
	ctx := context.Background()
	now := time.Now().UTC()
	day := func(n int) time.Time { return now.Truncate(24*time.Hour).AddDate(0, 0, -n).Add(time.Hour) }
	c.Now = day(5)
	Apply(ctx, d, c, observations(3)) // 3 open from 5 days ago
	c.Now = day(2)
	Apply(ctx, d, c, observations(1)) // 2 resolved 2 days ago
	points, err := Trend(ctx, d.Read, c.EnvironmentID, 7, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range points {
		got = append(got, p.Open)
	}
	want := []int{0, 3, 3, 3, 1, 1, 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("trend %v, want %v", got, want)
	}
}
