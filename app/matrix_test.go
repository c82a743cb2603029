package app_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"atlas/app"
	"atlas/app/access"
	"atlas/app/apptest"
)

// Expected outcomes: ok is any answer that let the request through (2xx, 3xx, 409,
// 422), login is the anonymous answer (303 to /login for GET, 401 otherwise).
const (
	ok    = "ok"
	no    = "403"
	hide  = "404"
	login = "login"
	gone  = "410"
)

// matrix lists, for every route, what each actor gets: owner, manager, operator,
// readonly, outsider, unentitled, operator readonly in prod, readonly operator in
// prod, site administrator, anonymous. A route without a row fails the test.
var matrix = map[string][actorCount]string{
	"GET /":                  {ok, ok, ok, ok, ok, ok, ok, ok, ok, ok},
	"GET /static/*path":      {ok, ok, ok, ok, ok, ok, ok, ok, ok, ok},
	"GET /auth/launch":       {no, no, no, no, no, no, no, no, no, no}, // no token: refused for everyone
	"GET /login":             {ok, ok, ok, ok, ok, ok, ok, ok, ok, ok},
	"POST /login":            {ok, ok, ok, ok, ok, ok, ok, ok, ok, ok},
	"POST /logout":           {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"GET /admin/workspaces":  {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"GET /admin/search":      {ok, ok, ok, ok, ok, ok, ok, ok, ok, login}, // finds only what each may open
	"GET /account":           {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"POST /account/password": {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"POST /account/sign-out": {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},

	// Above workspaces: site administrators only; only the local owner makes them.
	"POST /admin/workspaces":                {ok, no, no, no, no, no, no, no, ok, login},
	"GET /admin/users":                      {ok, no, no, no, no, no, no, no, ok, login},
	"POST /admin/users":                     {ok, no, no, no, no, no, no, no, ok, login},
	"POST /admin/users/:user/site-admin":    {ok, no, no, no, no, no, no, no, no, login},
	"POST /admin/users/:user/sign-out":      {ok, no, no, no, no, no, no, no, ok, login},
	"POST /admin/users/:user/remove":        {ok, no, no, no, no, no, no, no, ok, login},
	"POST /admin/export-roots":              {ok, no, no, no, no, no, no, no, ok, login},
	"POST /admin/export-roots/:root/remove": {ok, no, no, no, no, no, no, no, ok, login},

	"POST /admin/workspaces/:workspace/select":  {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"POST /admin/workspaces/:workspace/restore": {ok, no, no, no, hide, no, no, no, no, login},

	"GET /admin": {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},

	// DESIGN §5: the workspace-first family (issue 26); the outsider is no member of acme.
	"GET /admin/w/:workspace":                                                            {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"GET /admin/w/:workspace/settings":                                                   {ok, no, no, no, hide, no, no, no, no, login},
	"POST /admin/w/:workspace/settings":                                                  {ok, no, no, no, hide, no, no, no, no, login},
	"POST /admin/w/:workspace/archive":                                                   {ok, no, no, no, hide, no, no, no, no, login},
	"GET /admin/w/:workspace/members":                                                    {ok, no, no, no, hide, no, no, no, no, login},
	"POST /admin/w/:workspace/members":                                                   {ok, no, no, no, hide, no, no, no, no, login},
	"POST /admin/w/:workspace/members/:user/role":                                        {ok, no, no, no, hide, no, no, no, no, login},
	"POST /admin/w/:workspace/members/:user/remove":                                      {ok, no, no, no, hide, no, no, no, no, login},
	"GET /admin/w/:workspace/audit":                                                      {ok, ok, no, no, hide, no, no, no, no, login},
	"GET /admin/w/:workspace/environments":                                               {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"GET /admin/w/:workspace/environments/new":                                           {ok, ok, no, no, hide, no, no, no, no, login},
	"POST /admin/w/:workspace/environments":                                              {ok, ok, no, no, hide, no, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment":                                             {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/settings":                                    {ok, ok, no, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/settings":                                   {ok, ok, no, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/archive":                                    {ok, ok, no, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/restore":                                    {ok, ok, no, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/members":                                     {ok, ok, no, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/members":                                    {ok, ok, no, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/members/:user/remove":                       {ok, ok, no, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/connection":                                  {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/connection":                                 {ok, ok, no, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/connection/upload":                          {ok, ok, no, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/inventory":                                   {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/inventory/sync":                             {ok, ok, ok, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/policies":                                    {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/policies/:policy":                            {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/policies/:policy/diff":                       {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/policies/:policy/compare":                    {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/policies/:policy/versions/:version":          {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/policies/:policy/versions/:version/download": {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/backups":                                     {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/backups":                                    {ok, ok, ok, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/backups/retention":                          {ok, ok, no, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/backups/:backup":                             {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/backups/:backup/pin":                        {ok, ok, no, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/backups/:backup/download":                    {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/t/:environment/backups/:backup/restore":                     {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/backups/:backup/restore":                    {ok, ok, no, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/restores/:restore/items/:item":               {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"GET /admin/w/:workspace/operations":                                                 {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"GET /admin/w/:workspace/baselines":                                                  {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"POST /admin/w/:workspace/baselines":                                                 {ok, ok, no, no, hide, no, no, no, no, login},
	"GET /admin/w/:workspace/baselines/:profile":                                         {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"POST /admin/w/:workspace/baselines/:profile":                                        {ok, ok, no, no, hide, no, no, no, no, login},
	"POST /admin/w/:workspace/baselines/:profile/capture":                                {ok, ok, no, no, hide, no, no, no, no, login},
	"GET /admin/w/:workspace/baselines/:profile/snapshots/:snapshot":                     {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/compare":                                    {ok, ok, ok, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/findings":                                    {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/findings/acknowledge":                       {ok, ok, ok, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/findings/accept":                            {ok, ok, no, no, hide, hide, no, no, no, login},
	"GET /admin/w/:workspace/t/:environment/findings/:finding":                           {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/w/:workspace/t/:environment/findings/:finding/pin":                      {ok, ok, no, no, hide, hide, no, no, no, login},
	"POST /admin/w/:workspace/t/:environment/findings/:finding/unpin":                    {ok, ok, no, no, hide, hide, no, no, no, login},

	// The family before issue 26 (DESIGN §5): a GET leads to the workspaces that hold
	// its record (acme's prod and golden; every workspace has the others), a POST is gone.
	"GET /admin/t/*path":          {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},
	"POST /admin/t/*path":         {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"GET /admin/baselines":        {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"POST /admin/baselines":       {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"GET /admin/baselines/*path":  {ok, ok, ok, ok, hide, ok, ok, ok, ok, login},
	"POST /admin/baselines/*path": {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"GET /admin/settings":         {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"POST /admin/settings":        {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"POST /admin/archive":         {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"GET /admin/members":          {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"POST /admin/members":         {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"POST /admin/members/*path":   {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"GET /admin/audit":            {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"GET /admin/environments":     {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"GET /admin/environments/new": {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},
	"POST /admin/environments":    {gone, gone, gone, gone, gone, gone, gone, gone, gone, login},
	"GET /admin/operations":       {ok, ok, ok, ok, ok, ok, ok, ok, ok, login},

	// spec 077: a run is its workspace's members', and those entitled to its environment (404);
	// acting on it (cancel, retry) needs what starting its type needs: see byType.
	"GET /admin/operations/:run": {ok, ok, ok, ok, hide, hide, ok, ok, ok, login},

	// spec 131: members see the workspace's baselines, managers and owners edit them (the
	// outsider reaches its own workspace, where acme's baseline is not found).
	// Findings are the environment's: operators compare and acknowledge; accepting and pinning need a manager.
}

// forms gives routes that need fields a valid submission, so "ok" means the work was done.
var forms = map[string]url.Values{
	"POST /admin/workspaces":                                          {"name": {"New Co"}, "slug": {"new-co"}},
	"POST /admin/users":                                               {"email": {"new@acme.test"}, "name": {"New"}, "password": {password}},
	"POST /admin/users/:user/site-admin":                              {"site_admin": {"true"}},
	"POST /admin/users/:user/remove":                                  {"confirm": {"victim@acme.test"}},
	"POST /admin/export-roots":                                        {"root": {"exports"}}, // 422 for who may
	"POST /account/password":                                          {"current_password": {password}, "new_password": {"another horse battery"}, "confirm_password": {"another horse battery"}},
	"POST /admin/w/:workspace/settings":                               {"name": {"Renamed"}},
	"POST /admin/w/:workspace/members":                                {"email": {"victim@acme.test"}, "role": {"operator"}},
	"POST /admin/w/:workspace/members/:user/role":                     {"role": {"operator"}},
	"POST /admin/w/:workspace/environments":                           {"slug": {"test"}, "name": {"Test"}},
	"POST /admin/w/:workspace/t/:environment/settings":                {"slug": {"prod"}, "name": {"Production 2"}, "kind": {"production"}},
	"POST /admin/w/:workspace/t/:environment/members":                 {"email": {"victim@acme.test"}, "role": {"readonly"}},
	"POST /admin/w/:workspace/t/:environment/operations":              {"count": {"2"}, "delay_ms": {"0"}},
	"POST /admin/w/:workspace/baselines":                              {"name": {"Pilot baseline"}, "slug": {"pilot-baseline"}},
	"POST /admin/w/:workspace/baselines/:profile":                     {"name": {"Golden"}, "slug": {"golden"}, "status": {"active"}, "capture_mode": {"full"}},
	"POST /admin/w/:workspace/baselines/:profile/capture":             {"environment": {"prod"}},
	"POST /admin/w/:workspace/t/:environment/compare":                 {"profile": {"golden"}},
	"POST /admin/w/:workspace/t/:environment/findings/accept":         {"reason": {"Pilot devices"}, "expires": {time.Now().AddDate(0, 1, 0).Format("2006-01-02")}},
	"POST /admin/w/:workspace/t/:environment/backups":                 {"name": {"Matrix"}},
	"POST /admin/w/:workspace/t/:environment/backups/retention":       {"keep_last": {"5"}},
	"POST /admin/w/:workspace/t/:environment/backups/:backup/pin":     {"pinned": {"true"}},
	"POST /admin/w/:workspace/t/:environment/backups/:backup/restore": {"target": {"pilot"}, "layout": {"intunemanagement"}, "confirm": {"Pilot"}},
}

// form is the route's form, with the fixture's records where it names them.
func (f *fixture) form(key string) url.Values {
	form := url.Values{}
	for k, v := range forms[key] {
		form[k] = v
	}
	switch key {
	case "POST /admin/w/:workspace/t/:environment/findings/acknowledge", "POST /admin/w/:workspace/t/:environment/findings/accept":
		form.Set("finding", strconv.FormatInt(f.findingID, 10))
	case "POST /admin/w/:workspace/t/:environment/findings/:finding/pin":
		form.Set("policy", strconv.FormatInt(f.policyID, 10))
	}
	if len(form) == 0 && forms[key] == nil {
		return nil
	}
	return form
}

// wildcard is what a route's wildcard stands for, by the segment before it: a
// static file, or a record of an address of the family before issue 26.
var wildcard = map[string]string{"static": "robots.txt", "t": "prod", "baselines": "golden", "members": "1/role"}

func (f *fixture) path(t *testing.T, pattern string) string {
	var parts []string
	for _, seg := range strings.Split(pattern, "/") {
		switch seg {
		case ":workspace":
			seg = "acme"
		case ":environment":
			seg = "prod"
		case ":user":
			seg = strconv.FormatInt(f.victimID, 10)
		case ":policy":
			seg = strconv.FormatInt(f.policyID, 10)
		case ":version":
			seg = "1"
		case ":backup":
			seg = strconv.FormatInt(f.backupID, 10)
		case ":restore":
			seg = strconv.FormatInt(f.restoreID, 10)
		case ":item":
			seg = strconv.FormatInt(f.itemID, 10)
		case ":run":
			seg = strconv.FormatInt(f.runID, 10)
		case ":root":
			seg = strconv.FormatInt(f.rootID, 10)
		case ":profile":
			seg = "golden"
		case ":snapshot":
			seg = strconv.FormatInt(f.snapshotID, 10)
		case ":finding":
			seg = strconv.FormatInt(f.findingID, 10)
		case "*path":
			seg = wildcard[parts[len(parts)-1]]
		default:
			if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
				t.Fatalf("matrix test has no value for parameter %s of %s", seg, pattern)
			}
		}
		parts = append(parts, seg)
	}
	return strings.Join(parts, "/")
}

func outcome(method string, r int, location string) string {
	switch {
	case r == http.StatusForbidden:
		return no
	case r == http.StatusNotFound:
		return hide
	case r == http.StatusUnauthorized, method == http.MethodGet && r == http.StatusSeeOther && location == "/login":
		return login
	case r < 400, r == http.StatusConflict, r == http.StatusUnprocessableEntity:
		return ok
	}
	return strconv.Itoa(r)
}

// expect checks what actor gets for method path with form, on target.
func (f *fixture) expect(t *testing.T, actor int, target *apptest.Env, method, path string, form url.Values, want string) {
	t.Helper()
	c := f.clients[actor].On(target)
	r := c.Do(c.Request(method, path, form))
	if got := outcome(method, r.Status, r.Header.Get("Location")); got != want {
		t.Errorf("%s: got %s (status %d), want %s", actorNames[actor], got, r.Status, want)
	}
}

func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t)
	routes := app.Routes(f.env.Server)
	seen := map[string]bool{}
	reads := f.env.Clone(t)
	for _, rt := range routes {
		if rt.Need == access.NeedOfType {
			continue // what each type needs: TestRetryNeedsTheCapabilityOfTheType
		}
		key := rt.Method + " " + rt.Path
		seen[key] = true
		want, found := matrix[key]
		if !found {
			t.Errorf("route %s has no row in the authorization matrix", key)
			continue
		}
		t.Run(key, func(t *testing.T) {
			// Routes run side by side: each request has its own cookie jar (On), and
			// each state-changing request that should go through gets its own copy of
			// the data; reads, and requests that should be refused, share one.
			t.Parallel()
			shared := reads
			if rt.Method != http.MethodGet {
				shared = f.env.Clone(t)
			}
			for actor := range actorCount {
				target := shared
				if rt.Method != http.MethodGet && want[actor] == ok {
					target = f.env.Clone(t)
				}
				f.expect(t, actor, target, rt.Method, f.path(t, rt.Path), f.form(key), want[actor])
			}
		})
	}
	for key := range matrix {
		if !seen[key] {
			t.Errorf("matrix row %s matches no route", key)
		}
	}
}

// byType lists, for every operation type, what each actor gets (the matrix's
// columns) for each route whose need is the type's (access.NeedOfType): cancel
// and retry of a finished run of it in prod, and starting it in prod through the
// generic start form (a type without a form there is a 422: let through).
var byType = map[string][actorCount]string{
	"demo.count":       {ok, ok, ok, no, hide, hide, no, no, no, login},
	"inventory.sync":   {ok, ok, ok, no, hide, hide, no, no, no, login},
	"backup.create":    {ok, ok, ok, no, hide, hide, no, no, no, login},
	"drift.compare":    {ok, ok, ok, no, hide, hide, no, no, no, login},
	"baseline.capture": {ok, ok, no, no, hide, hide, no, no, no, login}, // issue 17: an operator made a new latest snapshot
	"restore.apply":    {ok, ok, no, no, hide, hide, no, no, no, login}, // issue 17: an operator wrote a restore folder
}

// TestRetryNeedsTheCapabilityOfTheType walks byType for every registered type
// (each declares its need, or newEngine refuses it) and checks that the run
// page's Retry is disabled, with the reason, exactly for an operator refused.
func TestRetryNeedsTheCapabilityOfTheType(t *testing.T) {
	f := newFixture(t)
	if _, err := f.env.Data.CaptureBaseline(t.Context(), "acme", "golden", "prod", ""); err != nil {
		t.Fatal(err)
	}
	needs := app.OperationNeeds()
	if len(needs) != len(byType) {
		t.Errorf("%d operation types declare a need, byType has %d rows", len(needs), len(byType))
	}
	for typ, want := range byType {
		if _, registered := f.env.Data.Engine.Type(typ); !registered {
			t.Errorf("byType row %s is no registered type", typ)
			continue
		}
		var runID int64
		f.env.Data.DB.Read.QueryRow(`SELECT max(r.id) FROM operation_runs r JOIN managed_environments e ON e.id = r.managed_environment_id
			WHERE e.slug = 'prod' AND r.type = ? AND r.status = 'completed'`, typ).Scan(&runID)
		if runID == 0 {
			t.Fatalf("the fixture has no finished %s run in prod", typ)
		}
		run := "/admin/operations/" + strconv.FormatInt(runID, 10)
		for _, rt := range app.Routes(f.env.Server) {
			if rt.Need != access.NeedOfType {
				continue
			}
			t.Run(rt.Method+" "+rt.Path+" "+typ, func(t *testing.T) {
				t.Parallel()
				path := strings.NewReplacer("/admin/operations/:run", run, ":workspace", "acme", ":environment", "prod").Replace(rt.Path)
				form := f.form(rt.Method + " " + rt.Path)
				if form != nil {
					form.Set("type", typ)
				}
				for actor := range actorCount {
					f.expect(t, actor, f.env, rt.Method, path, form, want[actor])
				}
			})
		}
		t.Run("retry button of "+typ, func(t *testing.T) {
			t.Parallel()
			retry := `<button type="submit" class="btn">Retry</button>`
			if want[operator] == no {
				retry = `<button type="submit" class="btn" disabled title="Needs the manager role (you are operator)">Retry</button>`
			}
			f.clients[operator].Get(run).Shows(t, []string{retry}, nil)
		})
	}
}
