package app

import (
	"atlas/app/access"
	"atlas/app/backup"
	"atlas/app/baseline"
	"atlas/app/inventory"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Route is one line of the site map: who may call it is decided by Scope and Need,
// in the resolver, before the handler runs.
type Route struct {
	Method  string
	Path    string
	Scope   access.Scope
	Need    access.Capability
	Handler bunrouter.HandlerFunc
}

// operationNeeds is what starting each operation type needs, on the run's
// environment (DESIGN §6). The routes below that start one name it; Retry and
// Cancel of a run, and the generic start form, check it (access.NeedOfType).
// newEngine refuses to register a type that is not here.
var operationNeeds = map[string]access.Capability{
	operation.DemoCount.Name: access.RunOperations,
	inventory.OperationType:  access.RunOperations,
	backup.CreateType:        access.RunOperations,
	baseline.CompareType:     access.RunOperations,
	baseline.CaptureType:     access.ManageBaselines, // a new snapshot changes what every compare finds
	backup.RestoreType:       access.RunRestore,
}

// routes is every route of Atlas, on one screen. The authorization-matrix test walks it.
func (s *Server) routes() []Route {
	a, st, ws, env, au, cx, inv, op := s.auth, s.site, s.workspaces, s.environments, s.audit, s.connections, s.inventory, s.operations
	bl, fnd, bk, srch := s.baselines, s.findings, s.backups, s.search
	return []Route{
		{"GET", "/", access.Public, "", redirectTo(web.HomeURL)},
		{"GET", "/static/*path", access.Public, "", s.static},
		{"GET", "/auth/launch", access.Public, "", a.Launch},
		{"GET", "/login", access.Public, "", a.LoginForm},
		{"POST", "/login", access.Public, "", a.Login},
		{"POST", "/logout", access.SignedIn, "", a.Logout},
		{"GET", "/account", access.SignedIn, "", st.Account},
		{"POST", "/account/password", access.SignedIn, "", st.ChangePassword},
		{"POST", "/account/sign-out", access.SignedIn, "", st.SignOutOthers},

		{"GET", "/admin/users", access.Site, access.ManageSite, st.Users},
		{"POST", "/admin/users", access.Site, access.ManageSite, st.CreateUser},
		{"POST", "/admin/users/:user/site-admin", access.Site, access.GrantSiteAdmin, st.SetSiteAdmin},
		{"POST", "/admin/users/:user/sign-out", access.Site, access.ManageSite, st.SignOut},
		{"POST", "/admin/users/:user/remove", access.Site, access.ManageSite, st.RemoveUser},
		{"POST", "/admin/export-roots", access.Site, access.ManageSite, st.AddRoot},
		{"POST", "/admin/export-roots/:root/remove", access.Site, access.ManageSite, st.RemoveRoot},

		{"GET", "/admin/workspaces", access.SignedIn, "", ws.Chooser},
		{"GET", "/admin/search", access.SignedIn, "", srch.Search}, // across every workspace the user is in
		{"POST", "/admin/workspaces", access.Site, access.ManageSite, ws.Create},
		{"POST", "/admin/workspaces/:workspace/select", access.ChooserWorkspace, access.View, ws.Select},
		{"POST", "/admin/workspaces/:workspace/restore", access.ChooserWorkspace, access.ManageWorkspace, ws.Restore},
		{"GET", "/admin", access.CurrentWorkspace, access.View, ws.Home},

		// DESIGN §5: every workspace-scoped address names its workspace (issue 26).
		{"GET", "/admin/w/:workspace", access.PathWorkspace, access.View, ws.Hub},
		{"GET", "/admin/w/:workspace/settings", access.PathWorkspace, access.ManageWorkspace, ws.Settings},
		{"POST", "/admin/w/:workspace/settings", access.PathWorkspace, access.ManageWorkspace, ws.Rename},
		{"POST", "/admin/w/:workspace/archive", access.PathWorkspace, access.ManageWorkspace, ws.Archive},
		{"GET", "/admin/w/:workspace/members", access.PathWorkspace, access.ManageMembers, ws.Members},
		{"POST", "/admin/w/:workspace/members", access.PathWorkspace, access.ManageMembers, ws.AddMember},
		{"POST", "/admin/w/:workspace/members/:user/role", access.PathWorkspace, access.ManageMembers, ws.ChangeRole},
		{"POST", "/admin/w/:workspace/members/:user/remove", access.PathWorkspace, access.ManageMembers, ws.RemoveMember},
		{"GET", "/admin/w/:workspace/audit", access.PathWorkspace, access.ViewAudit, au.List},

		{"GET", "/admin/w/:workspace/operations", access.PathWorkspace, access.View, op.Feed},
		{"GET", "/admin/operations/:run", access.PathRun, access.View, op.Detail},
		{"POST", "/admin/operations/:run/cancel", access.PathRun, access.NeedOfType, op.Cancel},
		{"POST", "/admin/operations/:run/retry", access.PathRun, access.NeedOfType, op.Retry},
		{"POST", "/admin/w/:workspace/t/:environment/operations", access.PathEnvironment, access.NeedOfType, op.Start},

		{"GET", "/admin/w/:workspace/environments", access.PathWorkspace, access.View, env.List},
		{"GET", "/admin/w/:workspace/environments/new", access.PathWorkspace, access.ManageEnvironments, env.New},
		{"POST", "/admin/w/:workspace/environments", access.PathWorkspace, access.ManageEnvironments, env.Create},
		{"GET", "/admin/w/:workspace/t/:environment", access.PathEnvironment, access.View, fnd.Dashboard},
		{"GET", "/admin/w/:workspace/t/:environment/settings", access.PathEnvironment, access.ManageEnvironments, env.Settings},
		{"POST", "/admin/w/:workspace/t/:environment/settings", access.PathEnvironment, access.ManageEnvironments, env.Update},
		{"POST", "/admin/w/:workspace/t/:environment/archive", access.PathEnvironment, access.ManageEnvironments, env.Archive},
		{"POST", "/admin/w/:workspace/t/:environment/restore", access.PathEnvironment, access.ManageEnvironments, env.Restore},
		{"GET", "/admin/w/:workspace/t/:environment/members", access.PathEnvironment, access.ManageEnvironments, env.Members},
		{"POST", "/admin/w/:workspace/t/:environment/members", access.PathEnvironment, access.ManageEnvironments, env.AddMember},
		{"POST", "/admin/w/:workspace/t/:environment/members/:user/remove", access.PathEnvironment, access.ManageEnvironments, env.RemoveMember},
		{"GET", "/admin/w/:workspace/t/:environment/connection", access.PathEnvironment, access.View, cx.Connection},
		{"POST", "/admin/w/:workspace/t/:environment/connection", access.PathEnvironment, access.ManageEnvironments, cx.ConnectFolder},
		{"POST", "/admin/w/:workspace/t/:environment/connection/upload", access.PathEnvironment, access.ManageEnvironments, cx.Upload},

		{"GET", "/admin/w/:workspace/t/:environment/inventory", access.PathEnvironment, access.View, inv.Hub},
		{"POST", "/admin/w/:workspace/t/:environment/inventory/sync", access.PathEnvironment, operationNeeds[inventory.OperationType], inv.SyncNow},
		{"GET", "/admin/w/:workspace/t/:environment/policies", access.PathEnvironment, access.View, inv.Policies},
		{"GET", "/admin/w/:workspace/t/:environment/policies/:policy", access.PathEnvironment, access.View, inv.Policy},
		{"GET", "/admin/w/:workspace/t/:environment/policies/:policy/diff", access.PathEnvironment, access.View, inv.Diff},
		{"GET", "/admin/w/:workspace/t/:environment/policies/:policy/compare", access.PathEnvironment, access.View, inv.ComparePolicy},
		{"GET", "/admin/w/:workspace/t/:environment/policies/:policy/versions/:version", access.PathEnvironment, access.View, inv.Version},
		{"GET", "/admin/w/:workspace/t/:environment/policies/:policy/versions/:version/download", access.PathEnvironment, access.View, inv.DownloadVersion},

		// spec 131: baselines are workspace-authorized; findings environment-authorized.
		{"GET", "/admin/w/:workspace/baselines", access.PathWorkspace, access.View, bl.List},
		{"POST", "/admin/w/:workspace/baselines", access.PathWorkspace, access.ManageBaselines, bl.Create},
		{"GET", "/admin/w/:workspace/baselines/:profile", access.PathWorkspace, access.View, bl.Detail},
		{"POST", "/admin/w/:workspace/baselines/:profile", access.PathWorkspace, access.ManageBaselines, bl.Update},
		{"POST", "/admin/w/:workspace/baselines/:profile/capture", access.PathWorkspace, operationNeeds[baseline.CaptureType], bl.Capture},
		{"GET", "/admin/w/:workspace/baselines/:profile/snapshots/:snapshot", access.PathWorkspace, access.View, bl.Snapshot},
		{"POST", "/admin/w/:workspace/t/:environment/compare", access.PathEnvironment, operationNeeds[baseline.CompareType], bl.Compare},
		{"GET", "/admin/w/:workspace/t/:environment/findings", access.PathEnvironment, access.View, fnd.List},
		{"POST", "/admin/w/:workspace/t/:environment/findings/acknowledge", access.PathEnvironment, access.TriageFindings, fnd.Acknowledge},
		{"POST", "/admin/w/:workspace/t/:environment/findings/accept", access.PathEnvironment, access.AcceptExceptions, fnd.Accept},
		{"GET", "/admin/w/:workspace/t/:environment/findings/:finding", access.PathEnvironment, access.View, fnd.Detail},
		{"POST", "/admin/w/:workspace/t/:environment/findings/:finding/pin", access.PathEnvironment, access.ManageBaselines, fnd.Pin},
		{"POST", "/admin/w/:workspace/t/:environment/findings/:finding/unpin", access.PathEnvironment, access.ManageBaselines, fnd.Unpin},
		{"GET", "/admin/w/:workspace/t/:environment/backups", access.PathEnvironment, access.View, bk.List},
		{"POST", "/admin/w/:workspace/t/:environment/backups", access.PathEnvironment, operationNeeds[backup.CreateType], bk.Create},
		{"POST", "/admin/w/:workspace/t/:environment/backups/retention", access.PathEnvironment, access.ManageEnvironments, bk.SetRetention},
		{"GET", "/admin/w/:workspace/t/:environment/backups/:backup", access.PathEnvironment, access.View, bk.Detail},
		{"POST", "/admin/w/:workspace/t/:environment/backups/:backup/pin", access.PathEnvironment, access.ManageEnvironments, bk.Pin},
		{"GET", "/admin/w/:workspace/t/:environment/backups/:backup/download", access.PathEnvironment, access.View, bk.Download},
		{"GET", "/admin/w/:workspace/t/:environment/backups/:backup/restore", access.PathEnvironment, access.View, bk.Preview},
		{"POST", "/admin/w/:workspace/t/:environment/backups/:backup/restore", access.PathEnvironment, operationNeeds[backup.RestoreType], bk.Apply},
		{"GET", "/admin/w/:workspace/t/:environment/restores/:restore/items/:item", access.PathEnvironment, access.View, bk.ItemDiff},

		// The family before issue 26 named no workspace (DESIGN §5): a GET leads to the
		// user's workspace that holds its record, or offers the choice; a POST is refused.
		{"GET", "/admin/t/*path", access.FormerPath, "", ws.Former},
		{"POST", "/admin/t/*path", access.FormerPath, "", ws.Former},
		{"GET", "/admin/baselines", access.FormerPath, "", ws.Former},
		{"POST", "/admin/baselines", access.FormerPath, "", ws.Former},
		{"GET", "/admin/baselines/*path", access.FormerPath, "", ws.Former},
		{"POST", "/admin/baselines/*path", access.FormerPath, "", ws.Former},
		{"GET", "/admin/settings", access.FormerPath, "", ws.Former},
		{"POST", "/admin/settings", access.FormerPath, "", ws.Former},
		{"POST", "/admin/archive", access.FormerPath, "", ws.Former},
		{"GET", "/admin/members", access.FormerPath, "", ws.Former},
		{"POST", "/admin/members", access.FormerPath, "", ws.Former},
		{"POST", "/admin/members/*path", access.FormerPath, "", ws.Former},
		{"GET", "/admin/audit", access.FormerPath, "", ws.Former},
		{"GET", "/admin/environments", access.FormerPath, "", ws.Former},
		{"GET", "/admin/environments/new", access.FormerPath, "", ws.Former},
		{"POST", "/admin/environments", access.FormerPath, "", ws.Former},
		{"GET", "/admin/operations", access.FormerPath, "", ws.Former},
	}
}
