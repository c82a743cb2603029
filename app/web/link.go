package web

import (
	"net/url"
	"strings"
)

// WorkspaceParam names the workspace a link is for (?workspace=slug): the resolver
// makes it current before it binds anything else the link names.
const WorkspaceParam = "workspace"

// EnvironmentURL is the one way Atlas writes a link to an environment's page
// (/admin/t/{environment}{rest}): the slug is unique only inside a workspace, so
// the link carries its workspace and never lands on another customer's record.
func EnvironmentURL(workspaceSlug, environmentSlug, rest string) string {
	return WorkspaceURL(workspaceSlug, "/admin/t/"+url.PathEscape(environmentSlug)+rest)
}

// WorkspaceURL is path (which may have a query) as a link for workspaceSlug.
func WorkspaceURL(workspaceSlug, path string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + WorkspaceParam + "=" + url.QueryEscape(workspaceSlug)
}
