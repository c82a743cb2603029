package web

import (
	"net/url"
	"strconv"
)

// The addresses of Atlas's pages (DESIGN §5) are written here and nowhere else.
// Every workspace-scoped address names its workspace, and an environment's page
// its workspace and environment: environment and baseline slugs repeat across
// workspaces, so a link or a form made for one customer never lands on another's,
// whichever workspace another tab has made current since (issue 26).

// Addresses that name no workspace.
const (
	HomeURL    = "/admin"            // the current workspace's hub, or the chooser
	ChooserURL = "/admin/workspaces" // every workspace of the user
	UsersURL   = "/admin/users"      // the site administrators' page
)

// WorkspaceURL is the address of one of a workspace's pages (rest: "",
// "/members", "/baselines/golden", "/operations?type=drift.compare").
func WorkspaceURL(workspaceSlug, rest string) string {
	return "/admin/w/" + url.PathEscape(workspaceSlug) + rest
}

// EnvironmentURL is the address of one of an environment's pages (rest: "",
// "/policies/7", "/findings?severity=high").
func EnvironmentURL(workspaceSlug, environmentSlug, rest string) string {
	return WorkspaceURL(workspaceSlug, "/t/"+url.PathEscape(environmentSlug)+rest)
}

// RunURL is a run's canonical, tenantless address (spec 131): the run names its
// own workspace.
func RunURL(runID int64) string { return "/admin/operations/" + strconv.FormatInt(runID, 10) }

// ChooserFormURL is the address of the chooser's form that acts on a
// workspace: "select" (make it current) or "restore" (an archived one).
func ChooserFormURL(workspaceSlug, action string) string {
	return ChooserURL + "/" + url.PathEscape(workspaceSlug) + "/" + action
}

// ProfileURL is a baseline profile's page.
func ProfileURL(workspaceSlug, profileSlug string) string {
	return WorkspaceURL(workspaceSlug, "/baselines/"+url.PathEscape(profileSlug))
}

// SnapshotURL is the page of one snapshot of a baseline profile.
func SnapshotURL(workspaceSlug, profileSlug string, snapshotID int64) string {
	return ProfileURL(workspaceSlug, profileSlug) + "/snapshots/" + strconv.FormatInt(snapshotID, 10)
}
