//go:build unix

package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"atlas/app"
	"atlas/app/intune/intunetest"
	"atlas/app/shareddata"
)

// TestCrashCycles kills atlas serve, and an atlas sync beside it, with SIGKILL at
// random moments while both write: syncs of a 2,000-file export, and requests
// that create, rename and add members and start syncs. After each restart the
// database must be intact, with a clean schema version, no run of a killed
// process still running, and every write the server acknowledged (303) present.
// ATLAS_CRASH_CYCLES sets the number of cycles (10 here, 50 in make crash);
// ATLAS_CRASH_SEED repeats a run's kill moments and requests.
func TestCrashCycles(t *testing.T) {
	cycles := envInt(t, "ATLAS_CRASH_CYCLES", 10)
	seed := uint64(envInt(t, "ATLAS_CRASH_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("%d cycles, seed %d (ATLAS_CRASH_SEED=%d repeats them)", cycles, seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	started := time.Now()

	export := t.TempDir()
	size := intunetest.LargeExport(t, shareddata.Dir(t, "intune", "OpenIntuneBaseline"), export, 2000)
	t.Logf("export: 2,000 files, %d MB, written in %s", size>>20, time.Since(started).Round(100*time.Millisecond))
	dataDir := filepath.Join(t.TempDir(), "data")
	ctx := context.Background()
	setup, err := app.OpenData(ctx, dataDir, "owner")
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{setup.AddWorkspace(ctx, "acme", "Acme"), setup.AddEnvironment(ctx, "acme", "cli", "Synced by atlas sync"),
		setup.AddEnvironment(ctx, "acme", "web", "Synced from the page"),
		setup.AddUser(ctx, "ana@example.test", "Ana", "ana-password", false), setup.AddUser(ctx, "ben@example.test", "Ben", "ben-password", false)} {
		if step != nil {
			t.Fatal(step)
		}
	}
	setup.Close()
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "atlas.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Each check on a fresh connection: FTS5's part of integrity_check trusts the
	// index structure a connection cached before another process wrote to it, and
	// reports a "checksum mismatch" that is not there.
	conn.SetMaxIdleConns(0)

	j := &crashJournal{renames: map[string]*renameHistory{}}
	state := &writerState{envs: map[string][]string{"acme": {"cli", "web"}}, members: map[string]bool{}, workspaces: []string{"acme"}}
	var interrupted []int64
	var cli *cliSync
	for cycle := range cycles {
		server, base, client := atlasServe(t, dataDir)
		checkAfterRestart(t, conn, j, interrupted)
		// An atlas sync lives across several server kills (killed in one cycle
		// out of three), so that it gets far enough to commit batches.
		if !cli.alive() && rng.IntN(2) == 0 {
			cli = startCLISync(t, dataDir, export)
		}
		w := &crashWriter{t: t, client: client, base: base, j: j, s: state, cycle: cycle, rng: rand.New(rand.NewPCG(seed, uint64(cycle+1)))}
		if cycle == 0 && w.use("acme") {
			if acked, _, _ := w.post("/admin/w/acme/t/web/connection", url.Values{"path": {export}}); acked {
				j.exists("connection", "of web to "+export, `SELECT count(*) FROM provider_connections c
					JOIN managed_environments e ON e.id = c.managed_environment_id WHERE e.slug = 'web' AND c.source_path = ?`, export)
			}
		}
		stopped := make(chan struct{})
		go func() { defer close(stopped); w.run() }()

		time.Sleep(time.Duration(200+rng.IntN(2800)) * time.Millisecond)
		server.Process.Signal(syscall.SIGKILL)
		if cli.alive() && (rng.IntN(3) == 0 || cycle == cycles-1) {
			cli.kill()
		}
		server.Wait()
		<-stopped
		interrupted = runningRuns(t, conn, cli.pid())
		j.interrupted += len(interrupted)
	}

	server, _, _ := atlasServe(t, dataDir)
	checkAfterRestart(t, conn, j, interrupted)
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := server.Wait(); err != nil {
		t.Errorf("atlas serve after SIGTERM: %v", err)
	}
	if running := runningRuns(t, conn, 0); len(running) > 0 {
		t.Errorf("runs still running after a clean stop: %v", running)
	}
	var policies, syncs int
	conn.QueryRow(`SELECT count(*) FROM policies`).Scan(&policies)
	conn.QueryRow(`SELECT count(*) FROM operation_runs WHERE type = 'inventory.sync'`).Scan(&syncs)
	t.Logf("%d cycles in %s: %d acknowledged writes checked after the kill that followed them (%s); %d runs interrupted by kills and recovered; "+
		"%d requests cut off; %d syncs wrote %d policies",
		cycles, time.Since(started).Round(time.Second), j.checked, j.kinds(), j.interrupted, j.cutOff, syncs, policies)
}

func envInt(t *testing.T, name string, fallback int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return fallback
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q is not a count", name, v)
	}
	return n
}

// cliSync is an atlas sync running beside the server; nil is none.
type cliSync struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func startCLISync(t *testing.T, dataDir, export string) *cliSync {
	t.Helper()
	cmd := exec.Command(os.Args[0], "sync", "--workspace", "acme", "--environment", "cli", "--data", dataDir, export)
	cmd.Env = append(os.Environ(), "ATLAS_TEST_MAIN=1")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &cliSync{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); close(c.done) }()
	return c
}

func (c *cliSync) alive() bool {
	if c == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

func (c *cliSync) kill() {
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// pid is the live atlas sync's process id, 0 when none runs.
func (c *cliSync) pid() int {
	if !c.alive() {
		return 0
	}
	return c.cmd.Process.Pid
}

// runningRuns lists the runs marked running but those of the live process
// alivePID: the ones the next start must recover.
func runningRuns(t *testing.T, conn *sql.DB, alivePID int) []int64 {
	t.Helper()
	rows, err := conn.Query(`SELECT id FROM operation_runs WHERE status = 'running' AND COALESCE(owner_pid, 0) <> ?`, alivePID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	return ids
}

// checkAfterRestart runs once the new atlas serve has printed its URL, that is
// after its start-up recovery.
func checkAfterRestart(t *testing.T, conn *sql.DB, j *crashJournal, interrupted []int64) {
	t.Helper()
	var integrity string
	if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check: %q %v", integrity, err)
	}
	var version, dirty int
	if err := conn.QueryRow(`SELECT version, dirty FROM schema_migrations`).Scan(&version, &dirty); err != nil || dirty != 0 {
		t.Fatalf("schema version %d dirty %d (%v)", version, dirty, err)
	}
	for _, id := range interrupted {
		var status, outcome string
		conn.QueryRow(`SELECT status, COALESCE(outcome, '') FROM operation_runs WHERE id = ?`, id).Scan(&status, &outcome)
		if status != "completed" || outcome != "failed" {
			t.Errorf("run %d of a killed process is %s %s after the restart", id, status, outcome)
		}
	}
	j.verify(t, conn)
}

// crashJournal notes what the server acknowledged: rows that must exist, and
// each renamed record's names in the order they were sent.
type crashJournal struct {
	mu          sync.Mutex
	present     []presence
	renames     map[string]*renameHistory
	checked     int
	byKind      map[string]int
	interrupted int
	cutOff      int // requests the kill cut off before their answer
}

type presence struct {
	what  string
	query string
	args  []any
}

// renameHistory holds the names sent for one record; after a crash it must
// carry the last acknowledged name or one sent after it.
type renameHistory struct {
	query     string
	args      []any
	names     []string
	lastAcked int
}

// exists notes an acknowledged record of kind, named what, that query counts.
func (j *crashJournal) exists(kind, what, query string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.present = append(j.present, presence{kind + " " + what, query, args})
	j.count(kind)
}

func (j *crashJournal) count(kind string) {
	if j.byKind == nil {
		j.byKind = map[string]int{}
	}
	j.byKind[kind]++
}

func (j *crashJournal) kinds() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	var parts []string
	for _, k := range []string{"workspace", "environment", "rename", "member", "run", "connection"} {
		if n := j.byKind[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}

// renameSent notes a name about to be sent for record key (its query reads the
// current name); renameAcked marks it acknowledged.
func (j *crashJournal) renameSent(key, name, query string, args ...any) {
	j.mu.Lock()
	defer j.mu.Unlock()
	h := j.renames[key]
	if h == nil {
		h = &renameHistory{query: query, args: args, lastAcked: -1}
		j.renames[key] = h
	}
	h.names = append(h.names, name)
}

func (j *crashJournal) renameAcked(key string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	h := j.renames[key]
	h.lastAcked = len(h.names) - 1
	j.count("rename")
}

func (j *crashJournal) verify(t *testing.T, conn *sql.DB) {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, p := range j.present {
		var n int
		if err := conn.QueryRow(p.query, p.args...).Scan(&n); err != nil || n == 0 {
			t.Errorf("acknowledged, then lost: %s %v (%v)", p.what, p.args, err)
		}
	}
	for key, h := range j.renames {
		if h.lastAcked < 0 {
			continue
		}
		var name string
		conn.QueryRow(h.query, h.args...).Scan(&name)
		if i := slices.Index(h.names, name); i < h.lastAcked {
			t.Errorf("%s is named %q, neither the acknowledged %q nor a name sent after it (sent: %v)", key, name, h.names[h.lastAcked], h.names)
		}
	}
	j.checked = len(j.present)
	for _, h := range j.renames {
		if h.lastAcked >= 0 {
			j.checked++
		}
	}
}

// writerState is what the writer knows exists: only acknowledged records.
type writerState struct {
	workspaces []string
	envs       map[string][]string // by workspace slug
	members    map[string]bool     // workspace slug + " " + email
}

// crashWriter sends data-changing requests one after another, as the local
// owner, until the kill cuts one off.
type crashWriter struct {
	t       *testing.T
	client  *http.Client
	base    string
	j       *crashJournal
	s       *writerState
	rng     *rand.Rand
	cycle   int
	n       int
	current string // the session's current workspace
}

func (w *crashWriter) run() {
	for {
		w.n++
		var alive bool
		switch r := w.rng.IntN(100); {
		case r < 20:
			alive = w.createWorkspace()
		case r < 40:
			alive = w.createEnvironment()
		case r < 55:
			alive = w.renameWorkspace()
		case r < 70:
			alive = w.renameEnvironment()
		case r < 80:
			alive = w.addMember()
		default:
			alive = w.startSync()
		}
		if !alive {
			return
		}
	}
}

// post sends a form, then follows its redirect; acked is a 303, alive false when
// the kill cut the request off. Any other answer than 303 or one of also is an error.
func (w *crashWriter) post(path string, form url.Values, also ...int) (acked, alive bool, location string) {
	resp, err := w.client.PostForm(w.base+path, form)
	if err != nil {
		w.j.mu.Lock()
		w.j.cutOff++
		w.j.mu.Unlock()
		return false, false, ""
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && !slices.Contains(also, resp.StatusCode) {
		w.t.Errorf("POST %s: status %d", path, resp.StatusCode)
		return false, false, ""
	}
	if resp.StatusCode != http.StatusSeeOther {
		return false, true, ""
	}
	// As a browser does: the page shows (and so takes) the flash message.
	location = resp.Header.Get("Location")
	if page, err := w.client.Get(w.base + location); err == nil {
		page.Body.Close()
	}
	return true, true, location
}

// use makes slug the session's current workspace.
func (w *crashWriter) use(slug string) bool {
	if w.current == slug {
		return true
	}
	acked, alive, _ := w.post("/admin/workspaces/"+slug+"/select", nil)
	if acked {
		w.current = slug
	}
	return alive
}

func (w *crashWriter) pick(list []string) string { return list[w.rng.IntN(len(list))] }

func (w *crashWriter) createWorkspace() bool {
	slug := fmt.Sprintf("c%d-w%d", w.cycle, w.n)
	acked, alive, _ := w.post("/admin/workspaces", url.Values{"name": {"Workspace " + slug}, "slug": {slug}})
	if acked {
		w.j.exists("workspace", slug, `SELECT count(*) FROM workspaces WHERE slug = ?`, slug)
		w.s.workspaces = append(w.s.workspaces, slug)
		w.current = slug
	}
	return alive
}

func (w *crashWriter) createEnvironment() bool {
	ws := w.pick(w.s.workspaces)
	if !w.use(ws) {
		return false
	}
	slug := fmt.Sprintf("c%d-e%d", w.cycle, w.n)
	acked, alive, _ := w.post("/admin/w/"+ws+"/environments", url.Values{"name": {"Environment " + slug}, "slug": {slug}, "kind": {"pilot"}})
	if acked {
		w.j.exists("environment", ws+"/"+slug, `SELECT count(*) FROM managed_environments e JOIN workspaces w ON w.id = e.workspace_id
			WHERE w.slug = ? AND e.slug = ?`, ws, slug)
		w.s.envs[ws] = append(w.s.envs[ws], slug)
	}
	return alive
}

func (w *crashWriter) renameWorkspace() bool {
	ws := w.pick(w.s.workspaces)
	if !w.use(ws) {
		return false
	}
	name := fmt.Sprintf("Renamed %d.%d", w.cycle, w.n)
	w.j.renameSent("workspace "+ws, name, `SELECT name FROM workspaces WHERE slug = ?`, ws)
	acked, alive, _ := w.post("/admin/w/"+ws+"/settings", url.Values{"name": {name}})
	if acked {
		w.j.renameAcked("workspace " + ws)
	}
	return alive
}

func (w *crashWriter) renameEnvironment() bool {
	ws := w.pick(w.s.workspaces)
	if len(w.s.envs[ws]) == 0 {
		return w.createEnvironment()
	}
	env := w.pick(w.s.envs[ws])
	if !w.use(ws) {
		return false
	}
	name := fmt.Sprintf("Renamed %d.%d", w.cycle, w.n)
	key := "environment " + ws + "/" + env
	w.j.renameSent(key, name, `SELECT e.name FROM managed_environments e JOIN workspaces w ON w.id = e.workspace_id
		WHERE w.slug = ? AND e.slug = ?`, ws, env)
	acked, alive, _ := w.post("/admin/w/"+ws+"/t/"+env+"/settings", url.Values{"slug": {env}, "name": {name}, "kind": {"test"}})
	if acked {
		w.j.renameAcked(key)
	}
	return alive
}

func (w *crashWriter) addMember() bool {
	ws, email := w.pick(w.s.workspaces), w.pick([]string{"ana@example.test", "ben@example.test"})
	if w.s.members[ws+" "+email] {
		return w.renameWorkspace()
	}
	if !w.use(ws) {
		return false
	}
	// 422: an earlier add whose answer the kill cut off did commit.
	acked, alive, _ := w.post("/admin/w/"+ws+"/members", url.Values{"email": {email}, "role": {"operator"}}, http.StatusUnprocessableEntity)
	if acked {
		w.j.exists("member", email+" of "+ws, `SELECT count(*) FROM workspace_memberships m JOIN workspaces w ON w.id = m.workspace_id
			JOIN users u ON u.id = m.user_id WHERE w.slug = ? AND u.email = ? AND m.role = 'operator'`, ws, email)
		w.s.members[ws+" "+email] = true
	}
	return alive
}

var runLocation = regexp.MustCompile(`^/admin/operations/(\d+)$`)

func (w *crashWriter) startSync() bool {
	if !w.use("acme") {
		return false
	}
	acked, alive, location := w.post("/admin/w/acme/t/web/inventory/sync", nil)
	if acked {
		m := runLocation.FindStringSubmatch(location)
		if m == nil {
			w.t.Errorf("sync started, but redirected to %q", location)
			return false
		}
		w.j.exists("run", m[1], `SELECT count(*) FROM operation_runs WHERE id = ?`, m[1])
	}
	return alive
}
