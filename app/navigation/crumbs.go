package navigation

import (
	"atlas/app/access"
	"atlas/app/web"
)

// Crumbs lead from the workspace to the environment, then through trail to the
// record; the last crumb is the page itself and has no link.
func Crumbs(ws *access.Workspace, env *access.Environment, trail ...web.Crumb) []web.Crumb {
	crumbs := []web.Crumb{{Name: ws.Name, URL: ws.URL("")}}
	if env != nil {
		crumbs = append(crumbs, web.Crumb{Name: env.Label(), URL: env.URL("")})
	}
	crumbs = append(crumbs, trail...)
	crumbs[len(crumbs)-1].URL = ""
	return crumbs
}
