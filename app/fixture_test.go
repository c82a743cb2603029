package app_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"atlas/app/apptest"
	"atlas/app/operation"
)

// Actors of the authorization matrix, in its column order.
const (
	owner = iota
	manager
	operator
	readonly
	outsider   // member of another workspace only
	unentitled // operator of acme without a membership in its environments
	// The effective role in an environment is the lower of the workspace role and
	// the environment membership's: both of these are readonly in prod.
	operatorReadonlyInProd // workspace operator, readonly membership in prod
	readonlyOperatorInProd // workspace readonly, operator membership in prod
	siteAdmin              // a site administrator (atlas user add --admin), readonly in prod
	anonymous
	actorCount
)

var actorNames = [actorCount]string{"owner", "manager", "operator", "readonly", "outsider", "unentitled",
	"operator readonly in prod", "readonly operator in prod", "site administrator", "anonymous"}

const password = "correct horse battery"

// fixture is workspace acme (environments prod and pilot) with a person of every
// role, and workspace other whose owner is the outsider.
type fixture struct {
	env       *apptest.Env
	clients   [actorCount]*apptest.Client
	victimID  int64 // a readonly member of acme, for member routes
	policyID  int64 // a policy of acme's prod, for policy routes
	runID     int64 // a finished run in acme's prod, for operation routes
	rootID    int64 // an export root, for its routes
	backupID  int64 // a backup set of acme's prod, for backup routes
	restoreID int64 // a restore into prod, and its verified item, for restore routes
	itemID    int64
	// baseline golden of acme: a snapshot, and a finding in prod
	snapshotID, findingID int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	e := apptest.New(t)
	ctx := context.Background()
	d := e.Data
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.AddWorkspace(ctx, "acme", "Acme Corp"))
	must(d.AddEnvironment(ctx, "acme", "prod", "Production"))
	must(d.AddEnvironment(ctx, "acme", "pilot", "Pilot"))
	for _, email := range []string{"manager@acme.test", "operator@acme.test", "readonly@acme.test", "outsider@other.test", "unentitled@acme.test",
		"victim@acme.test", "operator-readonly@acme.test", "readonly-operator@acme.test"} {
		must(d.AddUser(ctx, email, email, password, false))
	}
	must(d.AddMember(ctx, "acme", "manager@acme.test", "manager", ""))
	must(d.AddMember(ctx, "acme", "operator@acme.test", "operator", "prod"))
	must(d.AddMember(ctx, "acme", "readonly@acme.test", "readonly", "prod"))
	must(d.AddMember(ctx, "acme", "unentitled@acme.test", "operator", ""))
	must(d.AddMember(ctx, "acme", "victim@acme.test", "readonly", "prod"))
	// Adding a member again changes the workspace role only: the prod membership keeps the first.
	must(d.AddMember(ctx, "acme", "operator-readonly@acme.test", "readonly", "prod"))
	must(d.AddMember(ctx, "acme", "operator-readonly@acme.test", "operator", ""))
	must(d.AddMember(ctx, "acme", "readonly-operator@acme.test", "operator", "prod"))
	must(d.AddMember(ctx, "acme", "readonly-operator@acme.test", "readonly", ""))
	must(d.AddUser(ctx, "admin@acme.test", "admin@acme.test", password, true))
	must(d.AddMember(ctx, "acme", "admin@acme.test", "readonly", "prod"))
	for email, want := range map[string]string{"operator-readonly@acme.test": "operator/readonly", "readonly-operator@acme.test": "readonly/operator"} {
		var roles string
		d.DB.Read.QueryRow(`SELECT m.role || '/' || em.role FROM users u JOIN workspace_memberships m ON m.user_id = u.id
			JOIN managed_environment_memberships em ON em.user_id = u.id WHERE u.email = ?`, email).Scan(&roles)
		if roles != want {
			t.Fatalf("%s: workspace/prod roles %q, want %q", email, roles, want)
		}
	}
	must(d.AddWorkspace(ctx, "other", "Other Inc"))
	must(d.AddMember(ctx, "other", "outsider@other.test", "owner", ""))

	f := &fixture{env: e}
	d.DB.Read.QueryRow(`SELECT id FROM users WHERE email = 'victim@acme.test'`).Scan(&f.victimID)
	var acmeID, prodID int64
	d.DB.Read.QueryRow(`SELECT w.id, e.id FROM workspaces w JOIN managed_environments e ON e.workspace_id = w.id WHERE w.slug = 'acme' AND e.slug = 'prod'`).Scan(&acmeID, &prodID)
	run, _, err := d.Engine.Execute(ctx, operation.StartRequest{WorkspaceID: acmeID, EnvironmentID: prodID, Type: "demo.count",
		Context: map[string]any{"count": 3, "delay_ms": 0, "fail_every": 2}, UserID: d.Owner.ID})
	must(err)
	f.runID = run.ID
	f.clients[owner] = e.Owner()
	for actor, email := range map[int]string{manager: "manager@acme.test", operator: "operator@acme.test",
		readonly: "readonly@acme.test", outsider: "outsider@other.test", unentitled: "unentitled@acme.test",
		operatorReadonlyInProd: "operator-readonly@acme.test", readonlyOperatorInProd: "readonly-operator@acme.test", siteAdmin: "admin@acme.test"} {
		f.clients[actor] = e.SignIn(email, password)
	}
	f.clients[anonymous] = e.Anonymous()
	f.policyID = seedPolicy(t, e, "acme", "prod")
	f.snapshotID, f.findingID = seedFindings(t, e, "acme", "prod")
	_, set, err := d.CreateBackup(ctx, "acme", "prod", "Fixture", nil)
	must(err)
	f.backupID = set.ID
	f.restoreID, f.itemID = seedRestore(t, e, f.backupID)
	if r := f.clients[owner].Post("/admin/export-roots", url.Values{"root": {t.TempDir()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add an export root: %d", r.Status)
	}
	d.DB.Read.QueryRow(`SELECT id FROM export_roots`).Scan(&f.rootID)
	for actor, slug := range map[int]string{owner: "acme", outsider: "other"} {
		if r := f.clients[actor].Post("/admin/workspaces/"+slug+"/select", nil); r.Status != http.StatusSeeOther {
			t.Fatalf("%s selects %s: %d", actorNames[actor], slug, r.Status)
		}
	}
	return f
}
