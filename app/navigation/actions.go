package navigation

import (
	"net/url"
	"slices"
	"strings"

	"atlas/app/access"
	"atlas/app/web"
)

// Placement is where a drill-down action shows (spec 131).
type Placement string

const (
	RowAction     Placement = "row_action"
	HeaderAction  Placement = "header_action"
	InlineEntry   Placement = "inline_entry"
	GroupedAction Placement = "grouped_action"
)

// InlineLimit is how many actions a list row shows inline; the rest go in its menu.
const InlineLimit = 2

// DrillDownAction is one next step offered on a list row (spec 131).
type DrillDownAction struct {
	Key            string
	Label          string
	URL            string
	Placement      Placement
	Priority       int
	TargetKind     string
	Visible        bool
	DisabledReason string
}

// RowActions are a list row's drill-downs: the highest-priority ones inline, the
// rest grouped in a menu.
type RowActions struct {
	Inline  []DrillDownAction
	Grouped []DrillDownAction
}

// Actions collects a list row's drill-downs of sourceType, each through its rule.
type Actions struct {
	source string
	list   []DrillDownAction
}

// NewActions starts a row's actions.
func NewActions(sourceType string) *Actions { return &Actions{source: sourceType} }

// Add offers key's action; an empty url adds nothing (the row has no such record).
func (a *Actions) Add(key, url string) *Actions {
	if url != "" {
		r := Rule(a.source, ListRow, key)
		a.list = append(a.list, DrillDownAction{Key: key, Label: r.Label, URL: url, Priority: r.Priority, TargetKind: r.TargetType, Visible: true})
	}
	return a
}

// Row places the actions: at most InlineLimit inline, by priority.
func (a *Actions) Row() RowActions {
	list := slices.Clone(a.list)
	slices.SortStableFunc(list, func(x, y DrillDownAction) int { return x.Priority - y.Priority })
	var row RowActions
	for i, act := range list {
		if i < InlineLimit {
			act.Placement = RowAction
			row.Inline = append(row.Inline, act)
		} else {
			act.Placement = GroupedAction
			row.Grouped = append(row.Grouped, act)
		}
	}
	return row
}

// CanonicalNavigationContext is a link to a canonical page (the tenantless
// operations routes) with the context it was opened from (spec 131).
type CanonicalNavigationContext struct {
	WorkspaceID          int64
	WorkspaceSlug        string // the feed's address names its workspace (DESIGN §5)
	RunID                int64  // the run of a detail link
	ManagedEnvironmentID int64  // spec 131's tenant_id (DESIGN §3); 0 for a workspace-level launch
	SourceSurface        string
	CanonicalRouteName   string
	FilterPayload        url.Values
	BackLinkLabel        string
	BackURL              string // where the back link returns, with its filters
}

// Canonical route names and their paths: the one operations route family.
const (
	OperationsFeedRoute   = "operations.feed"
	OperationsDetailRoute = "operations.detail"
)

// Query parameters that carry the way back.
const (
	BackParam      = "back"
	BackLabelParam = "back_label"
)

// FeedLink is the canonical feed of ws filtered by payload, coming back to backURL.
func FeedLink(ws *access.Workspace, environmentID int64, source string, filters url.Values, backLabel, backURL string) CanonicalNavigationContext {
	return CanonicalNavigationContext{WorkspaceID: ws.ID, WorkspaceSlug: ws.Slug, ManagedEnvironmentID: environmentID, SourceSurface: source,
		CanonicalRouteName: OperationsFeedRoute, FilterPayload: filters, BackLinkLabel: backLabel, BackURL: backURL}
}

// RunLink is the canonical page of one run, coming back to backURL.
func RunLink(workspaceID, runID int64, source, backLabel, backURL string) CanonicalNavigationContext {
	return CanonicalNavigationContext{WorkspaceID: workspaceID, RunID: runID, SourceSurface: source, CanonicalRouteName: OperationsDetailRoute,
		BackLinkLabel: backLabel, BackURL: backURL}
}

// URL is the link: always a tenantless operations route (the workspace's feed,
// or the run's own page), the filters and the way back in its query.
func (c CanonicalNavigationContext) URL() string {
	q := url.Values{}
	path := web.WorkspaceURL(c.WorkspaceSlug, "/operations")
	if c.CanonicalRouteName == OperationsDetailRoute {
		path = web.RunURL(c.RunID)
	}
	for k, v := range c.FilterPayload {
		q[k] = v
	}
	if c.BackURL != "" && c.BackLinkLabel != "" {
		q.Set(BackParam, c.BackURL)
		q.Set(BackLabelParam, c.BackLinkLabel)
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// BackLink is the way back a canonical page offers.
type BackLink struct{ Label, URL string }

// BackFrom reads the way back from a canonical page's query. Only a path of this
// site is followed back (never another origin), and only with its label.
func BackFrom(q url.Values) *BackLink {
	back, label := q.Get(BackParam), strings.TrimSpace(q.Get(BackLabelParam))
	if label == "" || !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") || strings.HasPrefix(back, "/\\") {
		return nil
	}
	if len(label) > 120 {
		label = label[:120]
	}
	return &BackLink{Label: label, URL: back}
}
