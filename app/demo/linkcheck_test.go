package demo_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/demo"
)

// The crawl's bounds: the demo has hundreds of policies, versions and runs, so a
// crawl opens at most perShape pages of each shape of address (path with its ids
// and environment slug taken out, and the names of its query keys), and at most
// maxPages in all. For people entitled to some environments only, every other
// link those pages show is requested too (a table's rows, a related context's
// entries): one row's link may lead into an environment they may not open
// where the row above it does not.
const (
	perShape = 1
	maxPages = 250
)

var (
	linkRe        = regexp.MustCompile(`<a\b[^>]*>`)
	hrefRe        = regexp.MustCompile(`\bhref="([^"]*)"`)
	unavailableRe = regexp.MustCompile(`\bdata-unavailable="([^"]*)"`)
	disabledRe    = regexp.MustCompile(`<[a-z]+\b[^>]*\baria-disabled="true"[^>]*>`)
	titleRe       = regexp.MustCompile(`\btitle="[^"]+"`)
	currentWsRe   = regexp.MustCompile(`<details class="switcher">\s*<summary>([^<]*)</summary>`)
	idSegment     = regexp.MustCompile(`^\d+$`)
)

// checkLinks is the link checker of issues 12 and 17: it crawls the demo from
// the hub as each role and asserts that no link shown as clickable answers 403,
// 404 or 500 (for operators and readonly members, no link at all that a page
// they read shows: tables' included),
// that every unavailable entry says which of spec 131's four reasons it is, that
// every disabled action says why, and that no page names a workspace or
// environment the viewer may not see. It runs on TestLoad's dataset, so the
// suite generates the demo once.
func checkLinks(t *testing.T, e *apptest.Env, s *demo.Summary) {
	// The demo names environments "Production" in every workspace: give each a
	// label of its own, so that a leaked one is found by its text.
	if _, err := e.Data.DB.Write.Exec(`UPDATE managed_environments SET display_name =
		(SELECT w.name FROM workspaces w WHERE w.id = workspace_id) || ' · ' || name`); err != nil {
		t.Fatal(err)
	}
	password := map[string]string{}
	for _, a := range s.Accounts {
		password[a.Email] = a.Password
	}
	const (
		manager  = "priya.shah@atlas-demo.example"  // manager of the three customers
		operator = "tom.becker@atlas-demo.example"  // operator in Contoso (prod, pilot) and Fabrikam (test, dev)
		readonly = "lena.okafor@atlas-demo.example" // readonly in Contoso (prod) and Northwind (prod, test)
	)
	roles := []struct {
		name, email, workspace string
		everyLink              bool   // entitled to some environments only: request every link shown
		switchTo               string // another workspace of theirs, with the same environment slugs (issue 26)
		c                      *apptest.Client
	}{
		{name: "owner", workspace: "contoso", c: e.Owner()},
		{name: "manager", email: manager, workspace: "fabrikam", switchTo: "contoso"},
		{name: "operator", email: operator, workspace: "contoso", everyLink: true},
		// Fabrikam's baseline is captured from prod, which Tom may not open: its
		// snapshots, and his environments' findings, name that capture's run.
		{name: "operator without the baseline's environment", email: operator, workspace: "fabrikam", everyLink: true},
		{name: "readonly", email: readonly, workspace: "contoso", everyLink: true},
		// Lena belongs to Contoso and Northwind: a crawl of the second, then its
		// links opened while the first is current.
		{name: "member of two workspaces", email: readonly, workspace: "northwind", switchTo: "contoso"},
	}
	// Sign-ins first, one at a time: password hashing is throttled.
	for i := range roles {
		if roles[i].c == nil {
			roles[i].c = e.SignIn(roles[i].email, password[roles[i].email])
		}
		selectWorkspace(t, roles[i].c, roles[i].workspace)
	}
	for _, role := range roles {
		t.Run(role.name, func(t *testing.T) {
			t.Parallel()
			cr := newCrawl(t, role.c, forbiddenNames(t, e, role.email))
			cr.run("/admin")
			if role.everyLink {
				cr.requestEveryLink()
			}
			t.Logf("%s in %s: %d pages crawled, %d links followed, %d distinct links shown, %d shapes of address, %d names it may not see",
				role.name, role.workspace, len(cr.pages), cr.links, len(cr.seen), len(cr.shapes), len(cr.forbidden))
			if role.switchTo != "" {
				t.Run("every link opens the same page after a switch to "+role.switchTo, func(t *testing.T) {
					checkSamePageAfterSwitch(t, role.c, cr, role.switchTo)
				})
			}
		})
	}
}

// crawl is one signed-in person's walk over the pages reachable from a start page.
type crawl struct {
	t         *testing.T
	c         *apptest.Client
	forbidden []string            // names the viewer may not see
	seen      map[string]bool     // every address queued
	shapes    map[string]int      // pages opened per shape
	from      map[string]string   // the page that first showed an address
	pages     []string            // pages opened and read
	links     int                 // links followed (requests made)
	shown     map[string][]string // the same-origin links each page showed
}

func newCrawl(t *testing.T, c *apptest.Client, forbidden []string) *crawl {
	return &crawl{t: t, c: c, forbidden: forbidden, seen: map[string]bool{}, shapes: map[string]int{},
		from: map[string]string{}, shown: map[string][]string{}}
}

func (cr *crawl) run(start string) {
	queue := []string{start}
	cr.seen[start] = true
	for len(queue) > 0 && len(cr.pages) < maxPages {
		addr := queue[0]
		queue = queue[1:]
		if cr.shapes[shape(addr)] >= perShape {
			continue
		}
		cr.shapes[shape(addr)]++
		r := cr.c.Get(addr)
		cr.links++
		switch {
		case r.Status == http.StatusForbidden || r.Status == http.StatusNotFound || r.Status >= 500:
			cr.t.Errorf("%s (linked from %s) answers %d", addr, cr.from[addr], r.Status)
			continue
		case r.Status >= 300 && r.Status < 400:
			if next, ok := sameOrigin(r.Header.Get("Location")); ok && !cr.seen[next] {
				cr.seen[next], cr.from[next] = true, addr
				queue = append(queue, next)
			}
			continue
		case !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html"):
			continue
		}
		cr.pages = append(cr.pages, addr)
		cr.check(addr, r.Body)
		for _, next := range links(r.Body) {
			cr.shown[addr] = append(cr.shown[addr], next)
			if !cr.seen[next] {
				cr.seen[next], cr.from[next] = true, addr
				queue = append(queue, next)
			}
		}
	}
}

// requestEveryLink requests each link the crawled pages showed that the crawl
// did not open (it opens one of each shape): none may answer 403, 404 or 500.
func (cr *crawl) requestEveryLink() {
	opened := map[string]bool{}
	for _, page := range cr.pages {
		opened[page] = true
	}
	for _, page := range cr.pages {
		for _, addr := range cr.shown[page] {
			if opened[addr] {
				continue
			}
			opened[addr] = true
			r := cr.c.Get(addr)
			cr.links++
			if r.Status == http.StatusForbidden || r.Status == http.StatusNotFound || r.Status >= 500 {
				cr.t.Errorf("%s (shown on %s) answers %d", addr, page, r.Status)
			}
		}
	}
}

// check reads one page: unavailable entries name their reason, disabled actions
// say why and are no links, and no forbidden name shows.
func (cr *crawl) check(addr, body string) {
	for _, m := range unavailableRe.FindAllStringSubmatch(body, -1) {
		if !slices.Contains([]string{"missing", "deleted", "unauthorized", "unresolved"}, m[1]) {
			cr.t.Errorf("%s: unavailable entry with reason %q", addr, m[1])
		}
	}
	for _, tag := range disabledRe.FindAllString(body, -1) {
		if !titleRe.MatchString(tag) || hrefRe.MatchString(tag) {
			cr.t.Errorf("%s: a disabled action without its reason, or still a link: %s", addr, tag)
		}
	}
	text := html.UnescapeString(body)
	for _, name := range cr.forbidden {
		if strings.Contains(text, name) {
			cr.t.Errorf("%s names %q, which the viewer may not see", addr, name)
		}
	}
}

// checkSamePageAfterSwitch is issue 26's check: every link a crawl of one
// workspace collected, opened after the person switched to another workspace
// (in another tab: one session), opens the same page of the crawled workspace.
// Only the addresses that name no workspace (/admin, the chooser, the
// account, search) follow the current workspace, by design. A page is the
// same when its content is, but for notices and the keys that tell one
// rendering of a form from another.
func checkSamePageAfterSwitch(t *testing.T, c *apptest.Client, cr *crawl, other string) {
	opened, checked := map[string]bool{}, 0
	for _, page := range cr.pages {
		for _, addr := range cr.shown[page] {
			if opened[addr] || namesNoWorkspace(addr) {
				continue
			}
			opened[addr] = true
			here := c.Get(addr) // the crawled workspace is current: the last address opened named it
			selectWorkspace(t, c, other)
			there := c.Get(addr)
			checked++
			switch {
			case there.Status != here.Status || there.Header.Get("Location") != here.Header.Get("Location"):
				t.Errorf("%s (shown on %s): %d → %q after the switch, %d → %q before", addr, page,
					there.Status, there.Header.Get("Location"), here.Status, here.Header.Get("Location"))
			case currentWorkspaceOf(there.Body) != currentWorkspaceOf(here.Body):
				t.Errorf("%s (shown on %s) opened in %s after the switch, in %s before", addr, page,
					currentWorkspaceOf(there.Body), currentWorkspaceOf(here.Body))
			case content(there.Body) != content(here.Body):
				t.Errorf("%s (shown on %s) shows another page after the switch", addr, page)
			}
		}
	}
	t.Logf("%d links opened before and after a switch to %s", checked, other)
}

var (
	mainRe    = regexp.MustCompile(`(?s)<main\b[^>]*>.*</main>`)
	noticeRe  = regexp.MustCompile(`<div class="flash flash-[a-z]+" role="status">[^<]*<button type="button" class="close" aria-label="Dismiss">×</button></div>`)
	formKeyRe = regexp.MustCompile(`<input type="hidden" name="form_key" value="[A-Z2-7]+">`)
)

// content is a page's main content without its notices and form keys.
func content(body string) string {
	return formKeyRe.ReplaceAllString(noticeRe.ReplaceAllString(mainRe.FindString(body), ""), "")
}

// currentWorkspaceOf is the workspace a page's header shows as current.
func currentWorkspaceOf(body string) string {
	if m := currentWsRe.FindStringSubmatch(body); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// namesNoWorkspace reports whether addr is one of the addresses that follow
// the current workspace: /admin, the chooser, the account, search.
func namesNoWorkspace(addr string) bool {
	u, _ := url.Parse(addr)
	return u.Path == "/admin" || u.Path == "/admin/workspaces" || u.Path == "/account" || u.Path == "/admin/search"
}

// links lists the same-origin GET addresses a page shows as clickable: hrefs of
// <a> elements, without static files, downloads or fragments.
func links(body string) []string {
	var list []string
	for _, tag := range linkRe.FindAllString(body, -1) {
		m := hrefRe.FindStringSubmatch(tag)
		if m == nil {
			continue
		}
		if addr, ok := sameOrigin(html.UnescapeString(m[1])); ok {
			list = append(list, addr)
		}
	}
	return list
}

func sameOrigin(href string) (string, bool) {
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "/static/") || strings.HasSuffix(u.Path, "/download") {
		return "", false
	}
	u.Fragment = ""
	return u.String(), true
}

// shape is an address without what varies between records: ids, the
// workspace's and the environment's slugs, query values (the names of the
// query keys stay).
func shape(addr string) string {
	u, _ := url.Parse(addr)
	parts := strings.Split(u.Path, "/")
	for i, p := range parts {
		if idSegment.MatchString(p) || i == 3 && parts[2] == "w" || i == 5 && parts[4] == "t" {
			parts[i] = "*"
		}
	}
	keys := make([]string, 0, len(u.Query()))
	for k := range u.Query() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(parts, "/") + "?" + strings.Join(keys, "&")
}

// selectWorkspace makes slug the client's current workspace, as the switcher does.
func selectWorkspace(t *testing.T, c *apptest.Client, slug string) {
	t.Helper()
	if r := c.Post("/admin/workspaces/"+slug+"/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select %s: %d", slug, r.Status)
	}
}

// forbiddenNames are the names of the workspaces the user is not a member of,
// and of the environments (labels) they are not entitled to; "" is the local owner.
func forbiddenNames(t *testing.T, e *apptest.Env, email string) []string {
	t.Helper()
	if email == "" {
		return nil
	}
	rows, err := e.Data.DB.Read.Query(`SELECT w.name FROM workspaces w WHERE NOT EXISTS (SELECT 1 FROM workspace_memberships m
			JOIN users u ON u.id = m.user_id WHERE m.workspace_id = w.id AND u.email = ?1)
		UNION ALL
		SELECT e.display_name FROM managed_environments e WHERE NOT EXISTS (SELECT 1 FROM workspace_memberships m JOIN users u ON u.id = m.user_id
			WHERE m.workspace_id = e.workspace_id AND u.email = ?1 AND (m.role IN ('owner', 'manager')
				OR EXISTS (SELECT 1 FROM managed_environment_memberships em WHERE em.managed_environment_id = e.id AND em.user_id = u.id)))`, email)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}
