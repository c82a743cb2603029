package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"atlas/app/db"
	"atlas/app/intune"
	"atlas/app/web"
)

// Policy is one configuration object of an environment, as the pages show it.
type Policy struct {
	ID             int64
	ExternalID     string
	Type           intune.TypeInfo
	GraphType      string
	TypeSource     string // intune.TypeFromOData, TypeFromLayout, TypeFromShape; "" for Other or not synced since issue 9
	DisplayName    string
	Platform       string
	ContentHash    string
	VersionCount   int
	FirstSeenAt    db.Time
	LastSeenAt     db.Time
	RemovedAt      db.Time
	Coverage       string // "" when removed: only present objects are inventory items
	CoverageReason string
	SourcePath     string
}

// Removed reports whether a complete sync no longer found the policy.
func (p *Policy) Removed() bool { return !p.RemovedAt.IsZero() }

// typeSourceWords say how a type was known, as the pages put it.
var typeSourceWords = map[string]string{
	intune.TypeFromOData:  "@odata.type",
	intune.TypeFromLayout: "folder",
	intune.TypeFromShape:  "shape",
}

// TypedBy says how the last sync knew the policy's type.
func (p *Policy) TypedBy() string {
	switch {
	case p.TypeSource == intune.TypeFromLayout:
		return "its folder or file name, as its export tool wrote them (no @odata.type)"
	case p.TypeSource == intune.TypeFromShape:
		return "its shape: its properties are this type's (no @odata.type, no type folder)"
	case p.TypeSource != "":
		return "its " + typeSourceWords[p.TypeSource]
	case p.Type.Key == intune.Other.Key:
		return "not recognised: no known @odata.type, folder or shape"
	}
	return "not recorded yet: the next sync records it"
}

// typeOf is the registry's type for a stored key; a key the registry no longer
// knows keeps its name.
func typeOf(key string) intune.TypeInfo {
	if t, ok := intune.TypeByKey(key); ok {
		return t
	}
	return intune.TypeInfo{Key: key, Label: key}
}

const policyColumns = `p.id, COALESCE(p.external_id, ''), p.policy_type, COALESCE(p.graph_type, ''), COALESCE(p.type_source, ''), p.display_name, p.platform,
	p.content_hash, p.version_count, p.first_seen_at, p.last_seen_at, p.removed_at,
	COALESCE(i.coverage, ''), COALESCE(i.coverage_reason, ''), COALESCE(i.source_path, '')`

func scanPolicy(row interface{ Scan(...any) error }) (*Policy, error) {
	var p Policy
	var typeKey string
	err := row.Scan(&p.ID, &p.ExternalID, &typeKey, &p.GraphType, &p.TypeSource, &p.DisplayName, &p.Platform, &p.ContentHash, &p.VersionCount,
		&p.FirstSeenAt, &p.LastSeenAt, &p.RemovedAt, &p.Coverage, &p.CoverageReason, &p.SourcePath)
	p.Type = typeOf(typeKey)
	return &p, err
}

// PolicyByID finds a policy of the environment; another environment's id is not found.
func PolicyByID(ctx context.Context, q db.Querier, environmentID, id int64) (*Policy, error) {
	p, err := scanPolicy(q.QueryRowContext(ctx, `SELECT `+policyColumns+` FROM policies p
		LEFT JOIN inventory_items i ON i.policy_id = p.id
		WHERE p.managed_environment_id = ? AND p.id = ?`, environmentID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return p, err
}

// Version is one captured state of a policy.
type Version struct {
	ID          int64
	Number      int
	CapturedAt  db.Time
	ContentHash string
	RunID       int64
	SourcePath  string
	ModifiedAt  db.Time
	Summary     string // what changed since the version before; "" for the first, or not computed yet
	RunLabel    string // "Inventory sync #8 · 3 Nov", on the policy page; "" when the run is no longer kept
}

const versionColumns = `id, version_number, captured_at, content_hash, COALESCE(operation_run_id, 0), source_path, modified_at, COALESCE(change_summary, '')`

func (v *Version) fields() []any {
	return []any{&v.ID, &v.Number, &v.CapturedAt, &v.ContentHash, &v.RunID, &v.SourcePath, &v.ModifiedAt, &v.Summary}
}

// Versions lists a policy's versions, newest first.
func Versions(ctx context.Context, q db.Querier, environmentID, policyID int64) ([]Version, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+versionColumns+`
		FROM policy_versions WHERE managed_environment_id = ? AND policy_id = ? ORDER BY version_number DESC`, environmentID, policyID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Version
	for rows.Next() {
		var v Version
		if err := rows.Scan(v.fields()...); err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, rows.Err()
}

// Payload is the canonical JSON stored under a content hash.
func Payload(ctx context.Context, q db.Querier, hash string) ([]byte, error) {
	var b []byte
	err := q.QueryRowContext(ctx, `SELECT canonical FROM policy_payloads WHERE content_hash = ?`, hash).Scan(&b)
	return b, err
}

// Filter is the policies list's query string: every field optional.
type Filter struct {
	Type     string // type key
	Platform string
	Coverage string
	State    string // "" present, "removed", "all"
	Search   string // part of the name
	Sort     string // name, type, platform, versions, seen
	Desc     bool
	Page     int // from 1
}

// PageSize is the policies list's rows per page (UI.md: 50).
const PageSize = 50

// sorts map a sort name to its ORDER BY, each served by an index on
// (managed_environment_id, ...).
var sorts = map[string]string{
	"name":     `p.display_name COLLATE NOCASE %[1]s, p.id %[1]s`,
	"type":     `p.policy_type %[1]s, p.display_name COLLATE NOCASE %[1]s, p.id %[1]s`,
	"platform": `p.platform %[1]s, p.display_name COLLATE NOCASE %[1]s, p.id %[1]s`,
	"versions": `p.version_count %[1]s, p.display_name COLLATE NOCASE %[1]s, p.id %[1]s`,
	"seen":     `p.last_seen_at %[1]s, p.id %[1]s`,
}

// States of the list's state filter.
var States = []string{"", "removed", "all"}

// clean drops values the list does not know, so a hand-edited URL still shows a page.
func (f *Filter) clean() {
	f.Search = strings.TrimSpace(f.Search)
	if _, ok := sorts[f.Sort]; !ok {
		f.Sort = "name"
	}
	if !slices.Contains(States, f.State) {
		f.State = ""
	}
	if f.Page < 1 {
		f.Page = 1
	}
}

// where builds the list's conditions; every one is scoped to the environment.
func (f Filter) where(environmentID int64) (string, []any) {
	conds := []string{"p.managed_environment_id = ?"}
	args := []any{environmentID}
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	switch f.State {
	case "":
		conds = append(conds, "p.removed_at IS NULL")
	case "removed":
		conds = append(conds, "p.removed_at IS NOT NULL")
	}
	if f.Type != "" {
		add("p.policy_type = ?", f.Type)
	}
	if f.Platform != "" {
		add("p.platform = ?", f.Platform)
	}
	if f.Coverage != "" {
		add("EXISTS (SELECT 1 FROM inventory_items i WHERE i.policy_id = p.id AND i.coverage = ?)", f.Coverage)
	}
	if f.Search != "" {
		add(`p.display_name LIKE ? ESCAPE '\'`, "%"+likeEscaper.Replace(f.Search)+"%")
	}
	return strings.Join(conds, " AND "), args
}

// listQueries are the list's count and page queries (the page takes LIMIT and
// OFFSET after args). The page's ids are picked on the sort's index alone, then
// joined: skipping to page 400 of 20,000 policies reads index entries, not rows.
func listQueries(environmentID int64, f Filter) (count, page string, args []any) {
	where, args := f.where(environmentID)
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	order := fmt.Sprintf(sorts[f.Sort], dir)
	count = `SELECT count(*) FROM policies p WHERE ` + where
	if f.Coverage == "" && f.Search == "" {
		// Filtered by state, type and platform only: the counters (schema 0012) hold the total.
		count = `SELECT COALESCE(sum(p.policies), 0) FROM ` + policyCounts + ` p WHERE ` + where
	}
	page = `WITH page AS MATERIALIZED (SELECT p.id FROM policies p WHERE ` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?)
		SELECT ` + policyColumns + ` FROM page JOIN policies p ON p.id = page.id LEFT JOIN inventory_items i ON i.policy_id = p.id ORDER BY ` + order
	return count, page, args
}

// policyCounts are the counters (schema 0012) with the columns the list's
// conditions name: removed_at is NULL for the present policies' rows.
const policyCounts = `(SELECT managed_environment_id, policy_type, platform, CASE WHEN present THEN NULL ELSE '' END AS removed_at, policies
	FROM policy_counts)`

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// PolicyList is one page of the policies list.
type PolicyList struct {
	Policies []*Policy
	Total    int // policies that match the filter
	Page     int // the page listed: the one asked for, or the last one when it asked past the end
}

// ListPolicies returns one page of the environment's policies and how many
// match. A page past the end lists the last page.
func ListPolicies(ctx context.Context, q db.Querier, environmentID int64, f Filter) (*PolicyList, error) {
	f.clean()
	count, page, args := listQueries(environmentID, f)
	list := &PolicyList{}
	if err := q.QueryRowContext(ctx, count, args...).Scan(&list.Total); err != nil {
		return nil, err
	}
	list.Page = min(f.Page, max(1, (list.Total+PageSize-1)/PageSize))
	rows, err := q.QueryContext(ctx, page, append(args, PageSize, (list.Page-1)*PageSize)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPolicy(rows)
		if err != nil {
			return nil, err
		}
		list.Policies = append(list.Policies, p)
	}
	return list, rows.Err()
}

// Facet is one value of a filter with how many present policies have it.
type Facet struct {
	Value string
	Label string
	Count int
}

// Facets counts the environment's present policies by type and by platform,
// for the filters and the hub.
func Facets(ctx context.Context, q db.Querier, environmentID int64) (types, platforms []Facet, err error) {
	for _, g := range []struct {
		column string
		dst    *[]Facet
	}{{"policy_type", &types}, {"platform", &platforms}} {
		rows, err := q.QueryContext(ctx, facetQuery(g.column), environmentID)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var f Facet
			if err := rows.Scan(&f.Value, &f.Count); err != nil {
				rows.Close()
				return nil, nil, err
			}
			f.Label = f.Value
			if g.column == "policy_type" {
				f.Label = typeOf(f.Value).Label
			}
			*g.dst = append(*g.dst, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
	}
	return types, platforms, nil
}

// facetQuery counts the present policies by column from the counters (schema 0012).
func facetQuery(column string) string {
	return `SELECT ` + column + `, sum(policies) FROM policy_counts WHERE managed_environment_id = ? AND present = 1
		GROUP BY ` + column + ` HAVING sum(policies) > 0 ORDER BY sum(policies) DESC, ` + column
}

// TypeSources says how the types of the environment's present policies were
// known, for the inventory hub: "80 typed by @odata.type, 12 by folder, 3 by
// shape"; "" when no policy has it recorded.
func TypeSources(ctx context.Context, q db.Querier, environmentID int64) (string, error) {
	rows, err := q.QueryContext(ctx, typeSourcesQuery, environmentID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var source string
		var n int
		if err := rows.Scan(&source, &n); err != nil {
			return "", err
		}
		counts[source] = n
	}
	var parts []string
	for _, source := range []string{intune.TypeFromOData, intune.TypeFromLayout, intune.TypeFromShape} {
		if n := counts[source]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d by %s", n, typeSourceWords[source]))
		}
	}
	if len(parts) == 0 {
		return "", rows.Err()
	}
	parts[0] = strings.Replace(parts[0], " by ", " typed by ", 1)
	return strings.Join(parts, ", "), rows.Err()
}

// typeSourcesQuery counts the present policies by type source from the
// counters (schema 0012), where an empty source is none recorded.
const typeSourcesQuery = `SELECT type_source, sum(policies) FROM policy_counts
	WHERE managed_environment_id = ? AND present = 1 AND type_source <> '' GROUP BY type_source`
