package finding

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/diff"
)

// TestCountersMatchTheFindings: after random inserts, status and severity
// changes, history rewrites and deletes (cascades included), the counters of
// schema 0012 give exactly what counting the findings and replaying their
// history give: the hub's and dashboard's counts, the list's totals, the trend.
func TestCountersMatchTheFindings(t *testing.T) {
	d := dbtest.Open(t)
	c := scope(t, d)
	ctx := context.Background()
	var other int64
	if err := d.Write.QueryRow(`INSERT INTO managed_environments (workspace_id, slug, name, created_at, updated_at) VALUES (?, 'test', 'Test', ?, ?) RETURNING id`,
		c.WorkspaceID, db.Now(), db.Now()).Scan(&other); err != nil {
		t.Fatal(err)
	}
	envs := []int64{c.EnvironmentID, other}
	rng := rand.New(rand.NewPCG(13, 1))
	now := time.Date(2026, 3, 10, 15, 30, 0, 0, time.UTC)
	pick := func(list []Status) Status { return list[rng.IntN(len(list))] }
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := d.Write.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	setStatus := func(id int64, s Status) {
		var expires any
		if s == Accepted {
			expires = db.Format(now.AddDate(0, 1, 0))
		}
		exec(`UPDATE findings SET status = ?, exception_expires_at = ? WHERE id = ?`, s, expires, id)
	}
	var ids []int64
	for i := range 300 {
		env := envs[rng.IntN(2)]
		var id int64
		if err := d.Write.QueryRow(`INSERT INTO findings (workspace_id, managed_environment_id, baseline_profile_id, finding_type, scope_key, subject_key,
			policy_type, severity, severity_rule, status, evidence_jsonb, first_seen_at, last_seen_at, created_at, updated_at)
			VALUES (?, ?, ?, 'setting_drift', ?, ?, 'settingsCatalog', ?, 'rule', 'open', '{}', ?, ?, ?, ?) RETURNING id`,
			c.WorkspaceID, env, c.ProfileID, fmt.Sprint(i), fmt.Sprint(i), Severities[rng.IntN(3)], db.Now(), db.Now(), db.Now(), db.Now()).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		// A history as the lifecycle writes it: each event leaves the finding
		// from the status the one before left, later in time; some today, a few after now.
		at, from := now.Add(-time.Duration(rng.IntN(60*24))*time.Hour), Status("")
		for range 1 + rng.IntN(5) {
			to := pick(Statuses)
			if from == "" {
				to = Open
			}
			exec(`INSERT INTO finding_events (finding_id, managed_environment_id, action, from_status, to_status, created_at) VALUES (?, ?, 'x', ?, ?, ?)`,
				id, env, db.NullString(string(from)), to, db.Format(at))
			from, at = to, at.Add(time.Duration(1+rng.IntN(5*24*60))*time.Minute)
		}
		setStatus(id, from)
	}
	for range 200 {
		id := ids[rng.IntN(len(ids))]
		switch rng.IntN(4) {
		case 0:
			setStatus(id, pick(Statuses))
		case 1:
			exec(`UPDATE findings SET severity = ? WHERE id = ?`, Severities[rng.IntN(3)], id)
		case 2: // the demo's restamp: the whole history moved, its order kept
			exec(`UPDATE finding_events SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at, ?) WHERE finding_id = ?`,
				fmt.Sprintf("%+d hours", rng.IntN(97)-48), id)
		case 3:
			exec(`DELETE FROM findings WHERE id = ?`, id)
		}
	}

	for _, env := range envs {
		want := Counts{Open: map[diff.Severity]int{}}
		rows, err := d.Read.Query(`SELECT status, severity, COUNT(*) FROM findings WHERE managed_environment_id = ? GROUP BY status, severity`, env)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var status Status
			var sev diff.Severity
			var n int
			rows.Scan(&status, &sev, &n)
			switch {
			case status.Unresolved():
				want.Open[sev] += n
				want.OpenTotal += n
				want.WorstOpen = Higher(want.WorstOpen, sev)
			case status == Accepted:
				want.Accepted += n
			case status == Resolved:
				want.Resolved += n
			}
		}
		rows.Close()
		got, err := CountsOf(ctx, d.Read, env)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("environment %d: counts %+v, %v; counting the findings gives %+v", env, got, err, want)
		}
		for _, f := range []Filter{{}, {Status: "all"}, {Status: "open", Severity: "high"}, {Status: "accepted"}, {Severity: "low"}, {Status: "resolved", Severity: "medium"}} {
			f.Page = 1
			list, err := ListFindings(ctx, d.Read, env, f)
			where, args := f.where(env)
			var total int
			d.Read.QueryRow(`SELECT COUNT(*)`+findingFrom+where, args...).Scan(&total)
			if err != nil || list.Total != total {
				t.Errorf("environment %d, %+v: total %d, %v; counting gives %d", env, f, list.Total, err, total)
			}
		}
		for _, at := range []time.Time{now, now.Add(-36 * time.Hour), now.AddDate(0, 0, -45), now.AddDate(0, 0, 3)} {
			for _, days := range []int{1, 7, 30} {
				got, err := Trend(ctx, d.Read, env, days, at)
				if want := replayTrend(t, d, env, days, at); err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("environment %d, %d days to %v: trend %v, %v; replaying the history gives %v", env, days, at, got, err, want)
				}
			}
		}
	}
}

// replayTrend is the trend's definition: every transition up to now replayed
// in time order, the open count taken at the end of each day.
func replayTrend(t *testing.T, d *db.DB, environmentID int64, days int, now time.Time) []TrendPoint {
	rows, err := d.Read.Query(`SELECT finding_id, to_status, created_at FROM finding_events
		WHERE managed_environment_id = ? AND created_at <= ? ORDER BY created_at, id`, environmentID, db.Format(now))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	today := now.UTC().Truncate(24 * time.Hour)
	points := make([]TrendPoint, days)
	for i := range points {
		points[i].Day = today.AddDate(0, 0, i-days+1)
	}
	status := map[int64]Status{}
	open, next := 0, 0
	for rows.Next() {
		var id int64
		var to Status
		var at db.Time
		rows.Scan(&id, &to, &at)
		for next < days && !at.Time.Before(points[next].Day.AddDate(0, 0, 1)) {
			points[next].Open = open
			next++
		}
		if status[id].Unresolved() {
			open--
		}
		if to.Unresolved() {
			open++
		}
		status[id] = to
	}
	for ; next < days; next++ {
		points[next].Open = open
	}
	return points
}
