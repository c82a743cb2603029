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
	count, page, args := f.listQueries(environmentID)
	l := &List{}
	if err := q.QueryRowContext(ctx, count, args...).Scan(&l.Total); err != nil {
		return nil, err
	}
	l.Pages = max(1, (l.Total+PageSize-1)/PageSize)
	l.Page = min(f.Page, l.Pages)
	var err error
	l.Findings, err = queryFindings(ctx, q, page, append(args, PageSize, (l.Page-1)*PageSize)...)
	return l, err
}

// listQueries are the list's count and page queries (the page takes LIMIT and
// OFFSET after args).
func (f Filter) listQueries(environmentID int64) (count, page string, args []any) {
	where, args := f.where(environmentID)
	count = `SELECT COUNT(*)` + findingFrom + where
	if f.Type == "" && f.Profile == "" {
		// Filtered by status and severity only: the counters (schema 0012) hold the total.
		count = `SELECT COALESCE(sum(f.findings), 0) FROM finding_counts f` + where
	}
	order := severityOrder + `, f.first_seen_at, f.id`
	if f.Severity != "" {
		// One severity, the same order: for one status the (environment, status,
		// severity, first seen) index walks it, where the CASE made SQLite sort every match.
		order = `f.first_seen_at, f.id`
	}
	return count, `SELECT ` + listColumns + findingFrom + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`, args
}

// Recent lists the environment's n most recently seen findings, any status.
func Recent(ctx context.Context, q db.Querier, environmentID int64, n int) ([]*Finding, error) {
	return queryFindings(ctx, q, recentQuery, environmentID, n)
}

// recentQuery walks the (environment, last seen) index (schema 0012): sorting
// every finding of the environment took tens of milliseconds at scale.
var recentQuery = `SELECT ` + listColumns + findingFrom + ` WHERE f.managed_environment_id = ?
	ORDER BY f.last_seen_at DESC, f.id DESC LIMIT ?`

// Counts are an environment's findings by status, and the open ones by severity.
type Counts struct {
	Open       map[diff.Severity]int // open and acknowledged, by severity
	OpenTotal  int
	Accepted   int
	Resolved   int
	WorstOpen  diff.Severity // "" when nothing is open
	LastSeenAt time.Time
}

// CountsOf counts an environment's findings for its dashboard.
func CountsOf(ctx context.Context, q db.Querier, environmentID int64) (Counts, error) {
	counts, err := CountsByEnvironment(ctx, q, []int64{environmentID})
	return counts[environmentID], err
}

// CountsByEnvironment counts the findings of each environment in one read of
// the counters (schema 0012), however many findings they hold (the hub).
// Every environment asked for has its Counts, zero when it has no finding.
func CountsByEnvironment(ctx context.Context, q db.Querier, environmentIDs []int64) (map[int64]Counts, error) {
	all := map[int64]Counts{}
	for _, id := range environmentIDs {
		all[id] = Counts{Open: map[diff.Severity]int{}}
	}
	ids, _ := json.Marshal(environmentIDs)
	rows, err := q.QueryContext(ctx, countsQuery, string(ids))
	if err != nil {
		return all, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status Status
		var sev diff.Severity
		var n int
		if err := rows.Scan(&id, &status, &sev, &n); err != nil {
			return all, err
		}
		c := all[id]
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
		all[id] = c
	}
	return all, rows.Err()
}

// countsQuery reads the counters of a JSON array of environment ids; a
// counter back to 0 is no finding.
const countsQuery = `SELECT managed_environment_id, status, severity, findings FROM finding_counts
	WHERE managed_environment_id IN (SELECT value FROM json_each(?)) AND findings > 0`

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
// each of the last days days up to now. The days before today are sums of the
// per-day counters (schema 0012: what each day's transitions opened minus what
// they closed), everything before the first day folded into it; today's
// transitions up to now are read from the history itself.
func Trend(ctx context.Context, q db.Querier, environmentID int64, days int, now time.Time) ([]TrendPoint, error) {
	today := now.UTC().Truncate(24 * time.Hour)
	points := make([]TrendPoint, days)
	for i := range points {
		points[i].Day = today.AddDate(0, 0, i-days+1)
	}
	rows, err := q.QueryContext(ctx, trendQuery, environmentID, points[0].Day.Format(time.DateOnly), today.Format(time.DateOnly), db.Format(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	opened := map[string]int{}
	for rows.Next() {
		var day string
		var n int
		if err := rows.Scan(&day, &n); err != nil {
			return nil, err
		}
		opened[day] += n // the first day may be today
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	open := 0
	for i := range points {
		open += opened[points[i].Day.Format(time.DateOnly)]
		points[i].Open = open
	}
	return points, nil
}

// trendQuery is what each day opened (?2: the first day, earlier days added
// to it; ?3: today, up to ?4: now). An event takes its finding from
// from_status to to_status, so its share is what it leaves open minus what it
// found open.
const trendQuery = `SELECT max(day, ?2), sum(opened) FROM finding_open_days
	WHERE managed_environment_id = ?1 AND day < ?3 GROUP BY max(day, ?2)
	UNION ALL
	SELECT ?3, COALESCE(sum((to_status IN ` + openStatuses + `) - (COALESCE(from_status, '') IN ` + openStatuses + `)), 0) FROM finding_events
	WHERE managed_environment_id = ?1 AND created_at >= ?3 AND created_at <= ?4`
