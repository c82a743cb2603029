package finding

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"atlas/app/db"
	"atlas/app/diff"
)

// CountOpen counts the environment's open and acknowledged findings against a profile.
func CountOpen(ctx context.Context, q db.Querier, environmentID, profileID int64) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM findings
		WHERE managed_environment_id = ? AND baseline_profile_id = ? AND status IN `+openStatuses, environmentID, profileID).Scan(&n)
	return n, err
}

// ListOpen lists the environment's open and acknowledged findings, most severe
// and oldest first (atlas findings).
func ListOpen(ctx context.Context, q db.Querier, environmentID int64) ([]*Finding, error) {
	return queryFindings(ctx, q, `SELECT `+findingColumns+findingFrom+` WHERE f.managed_environment_id = ? AND f.status IN `+openStatuses+`
		ORDER BY `+severityOrder+`, f.first_seen_at, f.id`, environmentID)
}

// Filter is the findings list's query string: severity, status, type and
// profile, and the page. Status "" is what needs attention (open and
// acknowledged); "all" is every status.
type Filter struct {
	Severity string
	Status   string
	Type     string
	Profile  string // a profile's slug
	Page     int
}

// PageSize is how many findings a list page shows.
const PageSize = 50

// FilterFrom reads a filter from the query string; unknown values are dropped.
func FilterFrom(q url.Values) Filter {
	f := Filter{Severity: q.Get("severity"), Status: q.Get("status"), Type: q.Get("type"), Profile: q.Get("profile")}
	if !slices.Contains(Severities, diff.Severity(f.Severity)) {
		f.Severity = ""
	}
	if f.Status != "all" && !slices.Contains(Statuses, Status(f.Status)) {
		f.Status = ""
	}
	if !slices.Contains(Types, Type(f.Type)) {
		f.Type = ""
	}
	f.Page, _ = strconv.Atoi(q.Get("page"))
	f.Page = max(f.Page, 1)
	return f
}

// Query is the filter as a query string, with changes ("key=value") applied
// and the page reset unless a change sets it.
func (f Filter) Query(changes ...string) string {
	v := url.Values{}
	for k, s := range map[string]string{"severity": f.Severity, "status": f.Status, "type": f.Type, "profile": f.Profile} {
		if s != "" {
			v.Set(k, s)
		}
	}
	for _, c := range changes {
		k, s, _ := strings.Cut(c, "=")
		if s == "" {
			v.Del(k)
		} else {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return "?"
	}
	return "?" + v.Encode()
}

func (f Filter) where(environmentID int64) (string, []any) {
	where, args := []string{"f.managed_environment_id = ?"}, []any{environmentID}
	switch f.Status {
	case "":
		where = append(where, "f.status IN "+openStatuses)
	case "all":
	default:
		where, args = append(where, "f.status = ?"), append(args, f.Status)
	}
	if f.Severity != "" {
		where, args = append(where, "f.severity = ?"), append(args, f.Severity)
	}
	if f.Type != "" {
		where, args = append(where, "f.finding_type = ?"), append(args, f.Type)
	}
	if f.Profile != "" {
		where, args = append(where, "p.slug = ?"), append(args, f.Profile)
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// List is one page of findings and how many match in all.
type List struct {
	Findings []*Finding
	Total    int
	Page     int
	Pages    int
}

// ListFindings lists the environment's findings matching f, most severe first,
// then oldest first (spec 058: sort by severity then age).
func ListFindings(ctx context.Context, q db.Querier, environmentID int64, f Filter) (*List, error) {
	where, args := f.where(environmentID)
	l := &List{}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*)`+findingFrom+where, args...).Scan(&l.Total); err != nil {
		return nil, err
	}
	l.Pages = max(1, (l.Total+PageSize-1)/PageSize)
	l.Page = min(f.Page, l.Pages)
	var err error
	l.Findings, err = queryFindings(ctx, q, `SELECT `+findingColumns+findingFrom+where+` ORDER BY `+severityOrder+`, f.first_seen_at, f.id LIMIT ? OFFSET ?`,
		append(args, PageSize, (l.Page-1)*PageSize)...)
	return l, err
}

// Recent lists the environment's n most recently seen findings, any status.
func Recent(ctx context.Context, q db.Querier, environmentID int64, n int) ([]*Finding, error) {
	return queryFindings(ctx, q, `SELECT `+findingColumns+findingFrom+` WHERE f.managed_environment_id = ?
		ORDER BY f.last_seen_at DESC, f.id DESC LIMIT ?`, environmentID, n)
}

// Counts are an environment's findings by status, and the open ones by severity.
type Counts struct {
	Open       map[diff.Severity]int // open and acknowledged, by severity
	OpenTotal  int
	Accepted   int
	Resolved   int
	WorstOpen  diff.Severity // "" when nothing is open
	LastSeenAt time.Time
}

// CountsOf counts an environment's findings for its dashboard and the hub.
func CountsOf(ctx context.Context, q db.Querier, environmentID int64) (Counts, error) {
	c := Counts{Open: map[diff.Severity]int{}}
	rows, err := q.QueryContext(ctx, `SELECT status, severity, COUNT(*) FROM findings WHERE managed_environment_id = ? GROUP BY status, severity`, environmentID)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var status Status
		var sev diff.Severity
		var n int
		if err := rows.Scan(&status, &sev, &n); err != nil {
			return c, err
		}
		switch {
		case status.Unresolved():
			c.Open[sev] += n
			c.OpenTotal += n
			c.WorstOpen = Higher(c.WorstOpen, sev)
		case status == Accepted:
			c.Accepted += n
		case status == Resolved:
			c.Resolved += n
		}
	}
	return c, rows.Err()
}

// Event is one line of a finding's history.
type Event struct {
	At       time.Time
	Action   string
	From, To Status
	UserName string // "" for a compare
	RunID    int64
	Detail   map[string]any
}

// Events lists a finding's history, oldest first.
func Events(ctx context.Context, q db.Querier, findingID int64) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT e.created_at, e.action, COALESCE(e.from_status, ''), e.to_status, COALESCE(u.name, ''),
		COALESCE(e.operation_run_id, 0), e.detail FROM finding_events e LEFT JOIN users u ON u.id = e.user_id
		WHERE e.finding_id = ? ORDER BY e.id`, findingID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Event
	for rows.Next() {
		var e Event
		var at db.Time
		var detail string
		if err := rows.Scan(&at, &e.Action, &e.From, &e.To, &e.UserName, &e.RunID, &detail); err != nil {
			return nil, err
		}
		e.At = at.Time
		if err := json.Unmarshal([]byte(detail), &e.Detail); err != nil {
			return nil, err
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// TrendPoint is the number of open findings at the end of one day.
type TrendPoint struct {
	Day  time.Time
	Open int
}

// Trend is the environment's open (and acknowledged) findings at the end of
// each of the last days days up to now, replayed from the findings' history.
func Trend(ctx context.Context, q db.Querier, environmentID int64, days int, now time.Time) ([]TrendPoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT finding_id, to_status, created_at FROM finding_events
		WHERE managed_environment_id = ? AND created_at <= ? ORDER BY created_at, id`, environmentID, db.Format(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	today := now.UTC().Truncate(24 * time.Hour)
	points := make([]TrendPoint, days)
	for i := range points {
		points[i].Day = today.AddDate(0, 0, i-days+1)
	}
	status := map[int64]Status{}
	open, next := 0, 0
	// closeDays records the count at the end of every day before t.
	closeDays := func(t time.Time) {
		for next < days && !t.Before(points[next].Day.AddDate(0, 0, 1)) {
			points[next].Open = open
			next++
		}
	}
	for rows.Next() {
		var id int64
		var to Status
		var at db.Time
		if err := rows.Scan(&id, &to, &at); err != nil {
			return nil, err
		}
		closeDays(at.Time)
		if status[id].Unresolved() {
			open--
		}
		if to.Unresolved() {
			open++
		}
		status[id] = to
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for ; next < days; next++ {
		points[next].Open = open
	}
	return points, nil
}
