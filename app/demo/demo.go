// Package demo fills an empty database with a deterministic dataset that shows
// every page of Atlas at its best, offline (issue 4): three customers, their
// environments, policies of many types in Graph shape with real changes
// between versions, 90 days of operation runs of every type and outcome, and
// users of every role. Policies and versions are written by the real importer
// from generated exports, never copied from real data.
package demo

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"atlas/app/access"
	"atlas/app/auth"
	"atlas/app/backup"
	"atlas/app/baseline"
	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/operation"
	"atlas/app/web"
	"atlas/app/workspace"
)

// Options say how Load runs.
type Options struct {
	// Force replaces the demo's own workspaces and users (by slug and email)
	// instead of refusing a database that has workspaces; other data stays.
	Force bool
	// Now anchors the 90 days of history: they end shortly before it. The zero
	// time is the current time. It may not be in the future.
	Now time.Time
}

// ErrNotEmpty is Load's refusal of a database that already has workspaces.
var ErrNotEmpty = errors.New("the database already has workspaces: the demo fills an empty one (--force replaces only the demo's own workspaces)")

// Account is how a demo user signs in, and what they may see.
type Account struct {
	Email, Name, Password string
	Roles                 []string // "manager in Contoso Ltd", "operator in Contoso Ltd (prod, pilot)"
}

// Summary is what Load wrote.
type Summary struct {
	Workspaces, Environments, Policies, Versions, Runs int
	Accounts                                           []Account
	Took                                               time.Duration
}

// exportsFolder is where the demo's exports are written under the data folder,
// in Atlas's own exports folder (the only part a sync may read): each
// environment's connection points at its folder, so "Sync now" works in a live demo.
var exportsFolder = filepath.Join(environment.ExportsFolder, "demo")

// Load writes the demo dataset as the local owner (ownerID), with exports
// under dataDir; its inventory syncs run on engine (which must have the
// inventory.sync type registered), as atlas sync runs them. Passwords of the
// demo users are random and only in the returned Summary.
func Load(ctx context.Context, d *db.DB, engine *operation.Engine, dataDir string, ownerID int64, opt Options) (*Summary, error) {
	began := time.Now()
	anchor := opt.Now
	if anchor.IsZero() {
		anchor = began
	}
	if anchor.After(began) {
		return nil, fmt.Errorf("the demo's history cannot end in the future (%s)", anchor.UTC().Format(time.RFC3339))
	}
	// The history is restamped by comparing with the wall clock (see syncStamps),
	// so it must end before the first write; whole hours keep it readable.
	anchor = anchor.UTC().Truncate(time.Hour)

	n, err := countWorkspaces(ctx, d.Read)
	if err != nil {
		return nil, err
	}
	if n > 0 && !opt.Force {
		return nil, ErrNotEmpty
	}
	if err := d.Tx(ctx, func(tx *sql.Tx) error { return removeDemo(ctx, tx) }); err != nil {
		return nil, err
	}
	exports := filepath.Join(dataDir, exportsFolder)
	if err := os.RemoveAll(exports); err != nil {
		return nil, err
	}

	s := &Summary{}
	userIDs, err := createPeople(ctx, d, s)
	if err != nil {
		return nil, err
	}
	owner, err := auth.UserByID(ctx, d.Read, ownerID)
	if err != nil {
		return nil, err
	}
	g := &generator{d: d, engine: engine, anchor: anchor, owner: &actor{id: owner.ID, name: owner.Name, restore: true}, userIDs: userIDs, exports: exports}
	var workspaceIDs []int64
	var history []*run
	for _, c := range customers {
		id, runs, err := g.loadCustomer(ctx, c)
		if err != nil {
			return nil, fmt.Errorf("demo workspace %s: %w", c.slug, err)
		}
		workspaceIDs = append(workspaceIDs, id)
		history = append(history, runs...)
	}
	if err := g.writeHistory(ctx, history); err != nil {
		return nil, err
	}
	if err := totals(ctx, d.Read, workspaceIDs, s); err != nil {
		return nil, err
	}
	s.Took = time.Since(began)
	return s, nil
}

// Print writes the summary and every demo user's sign-in, one per line.
func (s *Summary) Print(w io.Writer) {
	fmt.Fprintf(w, "Demo data loaded in %.1f s: %d workspaces, %d environments, %d policies (%d versions), %d operation runs over 90 days.\n",
		s.Took.Seconds(), s.Workspaces, s.Environments, s.Policies, s.Versions, s.Runs)
	fmt.Fprintln(w, "The local owner signs in through the launch URL that atlas serve prints. The demo users sign in at /login:")
	for _, a := range s.Accounts {
		fmt.Fprintf(w, "  %s  password: %s  (%s: %s)\n", a.Email, a.Password, a.Name, strings.Join(a.Roles, "; "))
	}
}

// generator carries what every workspace of one Load shares.
type generator struct {
	d       *db.DB
	engine  *operation.Engine
	anchor  time.Time
	owner   *actor
	userIDs map[string]int64 // the demo users by email
	exports string
}

// createPeople adds the demo users with fresh random passwords, and lists their
// sign-ins in the summary.
func createPeople(ctx context.Context, d *db.DB, s *Summary) (map[string]int64, error) {
	ids := map[string]int64{}
	accounts := make([]Account, len(people))
	prepared := make([]*auth.NewUser, len(people))
	for i, p := range people {
		accounts[i] = Account{Email: p.email, Name: p.name, Password: password()}
		var err error
		if prepared[i], err = auth.PrepareUser(ctx, p.email, p.name, accounts[i].Password); err != nil {
			return nil, fmt.Errorf("demo user %s: %w", p.email, err)
		}
	}
	return ids, d.Tx(ctx, func(tx *sql.Tx) error {
		for i, p := range people {
			a := accounts[i]
			u, err := prepared[i].Insert(ctx, tx)
			if err != nil {
				return fmt.Errorf("demo user %s: %w", p.email, err)
			}
			ids[p.email] = u.ID
			for _, m := range p.memberships {
				role := fmt.Sprintf("%s in %s", m.role, customerBySlug(m.workspace).name)
				if m.environments != nil {
					role += " (" + strings.Join(m.environments, ", ") + ")"
				}
				a.Roles = append(a.Roles, role)
			}
			s.Accounts = append(s.Accounts, a)
		}
		return nil
	})
}

// password is random: the demo's sign-ins are printed once, never guessable
// from this source (a LAN demo with --allow-host exposes the login page).
func password() string {
	const letters = "abcdefghijkmnpqrstuvwxyz23456789"
	b := make([]byte, 16)
	rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return fmt.Sprintf("%s-%s-%s-%s", b[0:4], b[4:8], b[8:12], b[12:16])
}

func customerBySlug(slug string) customer {
	for _, c := range customers {
		if c.slug == slug {
			return c
		}
	}
	panic("demo: no customer " + slug) // a mistake in the catalogue
}

// loadCustomer creates one workspace with its environments and members, syncs the
// environments' histories and returns the other runs it planned.
func (g *generator) loadCustomer(ctx context.Context, c customer) (int64, []*run, error) {
	var wsID int64
	envIDs := map[string]int64{}
	err := g.d.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if wsID, err = workspace.Create(ctx, tx, c.name, c.slug, g.owner.id); err != nil {
			return err
		}
		for _, s := range c.environments {
			if envIDs[s.slug], err = environment.Create(ctx, tx, wsID, g.owner.id, environment.Fields{Slug: s.slug, Name: s.name, Kind: s.kind}); err != nil {
				return err
			}
		}
		for _, p := range people {
			for _, m := range p.memberships {
				if m.workspace != c.slug {
					continue
				}
				if _, err := workspace.AddMember(ctx, tx, wsID, g.owner.id, p.email, m.role); err != nil {
					return err
				}
				for _, e := range m.environments {
					if err := environment.AddMember(ctx, tx, wsID, envIDs[e], g.owner.id, p.email, m.role); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	profile, err := g.createBaseline(ctx, c, wsID)
	if err != nil {
		return 0, nil, err
	}
	var history []*run
	for _, s := range c.environments { // production first: it is the baseline's source
		t := &tenant{customer: c, site: s}
		env := &access.Environment{ID: envIDs[s.slug], WorkspaceID: wsID, WorkspaceSlug: c.slug, Slug: s.slug, Name: s.name, Kind: s.kind}
		runs, err := g.loadEnvironment(ctx, t, env, profile, g.actors(c, s))
		if err != nil {
			return 0, nil, fmt.Errorf("environment %s: %w", s.slug, err)
		}
		history = append(history, runs...)
	}
	start := g.anchor.AddDate(0, 0, -95)
	return wsID, history, stampSetup(ctx, g.d, start, wsID)
}

// actors are who may start runs in an environment: the owner, the managers,
// and the operators entitled to it.
func (g *generator) actors(c customer, s site) []*actor {
	list := []*actor{g.owner}
	for _, p := range people {
		for _, m := range p.memberships {
			entitled := m.role == access.Manager || (m.role == access.Operator && slices.Contains(m.environments, s.slug))
			if m.workspace == c.slug && entitled {
				list = append(list, &actor{id: g.userIDs[p.email], name: p.name, restore: m.role == access.Manager})
			}
		}
	}
	return list
}

// seed makes each environment's random choices its own, whatever the order
// environments are generated in.
func seed(parts ...string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(strings.Join(parts, "/")))
	return h.Sum64()
}

// loadEnvironment writes one environment's history: its export folder goes
// through every point of its timeline, each synced by the real inventory sync
// (versions appear where policies changed), captured into the baseline and
// compared with it by the real operations; then it plans its other runs.
func (g *generator) loadEnvironment(ctx context.Context, t *tenant, env *access.Environment, profile *baseline.Profile, actors []*actor) ([]*run, error) {
	rnd := mathrand.New(mathrand.NewPCG(seed(t.customer.slug, t.site.slug), 1))
	t.plan(g.anchor, rnd)
	// The other runs are planned first (from their own stream), so that the
	// real ones run between the syncs they fall between.
	planned := t.history(g.anchor, mathrand.New(mathrand.NewPCG(seed(t.customer.slug, t.site.slug), 2)), actors)
	sort.SliceStable(planned, func(i, j int) bool { return planned[i].created.Before(planned[j].created) })
	for _, r := range planned {
		r.workspaceID, r.environmentID = env.WorkspaceID, env.ID
	}
	dir := filepath.Join(g.exports, t.customer.slug, t.site.slug)
	identity := environment.Identity{Domain: t.customer.domain + ".onmicrosoft.com"}
	var conn *environment.Connection
	var history []*run
	held := fstest.MapFS{} // what the folder holds
	for i := range syncs {
		fsys := t.export(i)
		if err := check(fsys); err != nil {
			return nil, err
		}
		var later []*run // incidents' runs
		for _, inc := range incidents {
			if inc.customer == t.customer.slug && inc.site == t.site.slug && inc.sync == i {
				later = append(later, inc.apply(t, i, fsys, actors)...)
			}
		}
		if err := mirror(dir, held, fsys); err != nil {
			return nil, err
		}
		held = fsys
		// Connected once the folder holds its first export, and again after the
		// last, so the page's verdict counts the files it holds now.
		if i == 0 || i == syncs-1 {
			var err error
			if conn, err = environment.ConnectFolder(ctx, g.d, env, g.owner.id, dir, identity); err != nil {
				return nil, err
			}
		}
		for _, r := range later {
			r.workspaceID, r.environmentID, r.context = env.WorkspaceID, env.ID, syncContext(conn, r.initiator)
			history = append(history, r)
		}
		r := &run{workspaceID: env.WorkspaceID, environmentID: env.ID, typ: inventory.OperationType,
			created: t.syncAt[i].Add(-3 * time.Second), started: t.syncAt[i]}
		if rnd.IntN(5) == 0 {
			r.initiator = pickActor(rnd, actors, false)
		}
		r.completed = r.started.Add(time.Duration(3+len(fsys)/4+rnd.IntN(15))*time.Second + time.Duration(rnd.IntN(1000))*time.Millisecond)
		if err := g.sync(ctx, r, syncContext(conn, r.initiator)); err != nil {
			return nil, fmt.Errorf("sync %d: %w", i, err)
		}
		if err := g.afterSync(ctx, t, env, profile, i, actors); err != nil {
			return nil, err
		}
		until := g.anchor
		if i+1 < syncs {
			until = t.syncAt[i+1].Add(-3 * time.Second)
		}
		if err := g.runReal(ctx, t, planned, r.completed, until); err != nil {
			return nil, err
		}
	}
	// What could not run for real did not succeed: a backup before the first
	// sync found nothing to back up; a restore without a backup yet never started.
	for _, r := range planned {
		switch {
		case !routineOf(r.typ).real || r.outcome != "succeeded" || r.executed:
			history = append(history, r)
		case r.typ == backup.CreateType:
			r.outcome = "failed"
			history = append(history, r)
		}
	}
	return history, nil
}

// runReal executes the planned succeeded runs of real routines created between
// from and until on the engine, as the environment stands then, and dates them
// to their planned times: backups of the whole environment, restores of a few
// policies of its latest weekly backup into it.
func (g *generator) runReal(ctx context.Context, t *tenant, planned []*run, from, until time.Time) error {
	for _, r := range planned {
		if !routineOf(r.typ).real || r.outcome != "succeeded" || r.created.Before(from) || !r.created.Before(until) {
			continue
		}
		t.finish(r) // the planned timeline
		var userID int64
		if r.initiator != nil {
			userID = r.initiator.id
		}
		since := db.Now()
		var done *operation.Run
		var err error
		switch r.typ {
		case backup.CreateType:
			done, _, err = g.engine.Execute(ctx, backup.StartRequest(r.workspaceID, r.environmentID, userID, t.backupName(r.created), backup.Selection{}))
		case backup.RestoreType:
			var set *backup.Set
			if set, err = latestWeekly(ctx, g.d.Read, r.workspaceID, r.environmentID); errors.Is(err, web.ErrNotFound) {
				continue // nothing to restore yet: it stays a planned run
			}
			if err != nil {
				return err
			}
			var items []*backup.Item
			if items, err = backup.Items(ctx, g.d.Read, set.ID); err != nil {
				return err
			}
			rnd := mathrand.New(mathrand.NewPCG(r.seed, 1))
			var names []string
			for _, k := range rnd.Perm(len(items))[:min(len(items), 1+rnd.IntN(4))] {
				names = append(names, items[k].DisplayName)
			}
			done, _, err = backup.StartRestore(ctx, g.d, g.engine, backup.RestoreStart{WorkspaceID: r.workspaceID, TargetID: r.environmentID,
				UserID: userID, Set: set, Choice: backup.Choice{Names: names}, Layout: "intunemanagement"}, true)
		}
		switch {
		case err != nil:
			return fmt.Errorf("%s: %w", r.typ, err)
		case done.Outcome != operation.Succeeded:
			return fmt.Errorf("%s #%d %s: %+v", r.typ, done.ID, done.Outcome, done.Failure)
		}
		if err := restampRun(ctx, g.d, done.ID, r, since); err != nil {
			return err
		}
		r.executed = true
	}
	return nil
}

// syncContext is a sync run's context: spec 058's selection and its hash, the
// files it expects, and who started it.
func syncContext(conn *environment.Connection, by *actor) obj {
	rc := inventory.ContextFor(inventory.SelectionOf(conn), intune.DetectLayout(os.DirFS(conn.SourcePath)))
	trigger := "schedule"
	if by != nil {
		trigger = "manual"
	}
	return obj{"selection": rc.Selection, "selection_hash": rc.SelectionHash, "expected_files": rc.ExpectedFiles, "trigger": trigger}
}

// sync runs the inventory sync of the environment's folder on the engine, in
// this process, then dates the run and what it wrote to r's planned times.
func (g *generator) sync(ctx context.Context, r *run, context obj) error {
	var userID int64
	if r.initiator != nil {
		userID = r.initiator.id
	}
	since := db.Now()
	done, active, err := g.engine.Execute(ctx, operation.StartRequest{WorkspaceID: r.workspaceID, EnvironmentID: r.environmentID,
		Type: inventory.OperationType, Context: context, UserID: userID})
	switch {
	case err != nil:
		return err
	case active:
		return fmt.Errorf("a sync of this environment is already %s (run #%d)", done.Status, done.ID)
	case done.Outcome == operation.Failed:
		return fmt.Errorf("the sync failed: %s", done.Failure.Message)
	}
	return restamp(ctx, g.d, done.ID, r, since, syncStamps)
}

// plan spreads the environment's syncs over the 90 days: roughly weekly, the
// last one a few hours before the anchor.
func (t *tenant) plan(anchor time.Time, rnd *mathrand.Rand) {
	first := anchor.Add(-89 * 24 * time.Hour)
	step := anchor.Sub(first) / syncs
	for i := range t.syncAt {
		jitter := time.Duration(rnd.IntN(12*60)-6*60) * time.Minute
		t.syncAt[i] = first.Add(time.Duration(i)*step + jitter).Truncate(time.Second)
	}
	t.syncAt[0] = first.Add(time.Duration(rnd.IntN(6*60)) * time.Minute)
	t.syncAt[syncs-1] = anchor.Add(-time.Duration(60+rnd.IntN(180)) * time.Minute)
}

// writeHistory gives every planned run its outcome's details and writes them
// all in one transaction, oldest first.
func (g *generator) writeHistory(ctx context.Context, history []*run) error {
	coverOutcomes(history)
	sort.SliceStable(history, func(i, j int) bool { return history[i].created.Before(history[j].created) })
	return g.d.Tx(ctx, func(tx *sql.Tx) error {
		for _, r := range history {
			if r.executed {
				continue
			}
			if r.of != nil {
				r.of.finish(r)
			}
			if err := insertRun(ctx, tx, r); err != nil {
				return err
			}
		}
		return nil
	})
}
