package demo

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"slices"
	"time"

	"atlas/app/backup"
	"atlas/app/baseline"
	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/finding"
	"atlas/app/inventory"
	"atlas/app/operation"
	"atlas/app/workspace"
)

// Scale is the size of a dataset LoadScale writes (issue 13): a consultancy's
// years of history, written by bulk SQL rather than the real operations.
type Scale struct {
	Name                     string
	Workspaces               int
	EnvironmentsPerWorkspace int
	Policies                 int
	// HeavyPolicies is the heavy workspace's first environment: enough for page
	// 500 of the policies list at large scale.
	HeavyPolicies int
	// ThousandPolicies is the heavy workspace's second environment: its backups
	// and its baseline's snapshots are 1,000-row pages.
	ThousandPolicies    int
	Versions            int
	Runs                int // half of them in the heavy workspace
	Findings            int
	BackupSets          int
	SnapshotsPerProfile int
}

// Scales are the sizes atlas demo --scale knows.
var Scales = map[string]Scale{
	"large": {Name: "large", Workspaces: 20, EnvironmentsPerWorkspace: 20, Policies: 100_000, HeavyPolicies: 25_050, ThousandPolicies: 1000,
		Versions: 500_000, Runs: 1_000_000, Findings: 100_000, BackupSets: 5000, SnapshotsPerProfile: 5},
	"medium": {Name: "medium", Workspaces: 20, EnvironmentsPerWorkspace: 2, Policies: 10_000, HeavyPolicies: 2505, ThousandPolicies: 1000,
		Versions: 50_000, Runs: 100_000, Findings: 10_000, BackupSets: 500, SnapshotsPerProfile: 5},
}

// ScaleSummary is what LoadScale wrote.
type ScaleSummary struct {
	Scale                                                  Scale
	Workspaces, Environments, Policies, Versions, Payloads int
	Runs, Findings, BackupSets, BackupItems, Snapshots     int
	Took                                                   time.Duration
}

// Print writes the summary in one line.
func (s *ScaleSummary) Print(w io.Writer) {
	fmt.Fprintf(w, "Demo data (%s) loaded in %.1f s: %d workspaces, %d environments, %d policies (%d versions, %d distinct payloads), "+
		"%d operation runs over 2 years, %d findings, %d baseline snapshots, %d backup sets (%d items).\n",
		s.Scale.Name, s.Took.Seconds(), s.Workspaces, s.Environments, s.Policies, s.Versions, s.Payloads,
		s.Runs, s.Findings, s.Snapshots, s.BackupSets, s.BackupItems)
}

// scaleDays is how far back the history goes: two years.
const scaleDays = 730

// LoadScale fills an empty database with a dataset of size sc whose history
// ends at anchor, as the local owner (ownerID), who owns every workspace. The
// same scale and anchor write the same rows. The heavy workspace is the first.
func LoadScale(ctx context.Context, d *db.DB, ownerID int64, sc Scale, anchor time.Time) (*ScaleSummary, error) {
	began := time.Now()
	n, err := countWorkspaces(ctx, d.Read)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, ErrNotEmpty
	}
	g := &scaleGen{d: d, sc: sc, owner: ownerID, anchor: anchor.UTC().Truncate(time.Second), payloads: map[chainKey]*chain{}, runDays: runDays{}}
	g.runSource = mathrand.NewPCG(0, 0)
	g.runRand = mathrand.New(g.runSource)
	steps := []bulkStep{
		{write: g.createWorkspaces},
		{write: g.writeRuns, tables: []string{"operation_runs"}, triggers: []deferredTrigger{{"operation_run_days_insert", g.runDays.write}}},
		{write: g.writeInventory, tables: []string{"policies", "policy_versions", "inventory_items"}, triggers: []deferredTrigger{rebuildPolicySearch}},
		{write: g.writeBaselines, tables: []string{"baseline_snapshot_items"}},
		{write: g.writeFindings, tables: []string{"findings", "finding_events"}, triggers: []deferredTrigger{rebuildFindingSearch}},
		{write: g.writeBackups, tables: []string{"backup_items"}, triggers: []deferredTrigger{rebuildBackupSearch}},
	}
	err = bulkLoad(ctx, d, func(ctx context.Context) error {
		for _, step := range steps {
			if err := step.run(ctx, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.sum.Scale, g.sum.Took = sc, time.Since(began)
	return &g.sum, nil
}

// scaleGen carries one LoadScale.
type scaleGen struct {
	d      *db.DB
	sc     Scale
	owner  int64
	anchor time.Time
	sum    ScaleSummary

	runSource *mathrand.PCG // reseeded per run: its details are its own whatever the order
	runRand   *mathrand.Rand

	workspaces []*scaleWorkspace
	envs       []*scaleEnv
	payloads   map[chainKey]*chain
	runDays    runDays
}

type scaleWorkspace struct {
	id      int64
	slug    string
	tenant  *tenant // whose group ids the exports carry: payloads are shared by its environments
	envs    []*scaleEnv
	profile int64
	// the latest snapshot and the capture run that took it
	snapshot, snapshotRun int64
}

type scaleEnv struct {
	id, workspaceID int64
	ws              *scaleWorkspace
	index           int // in the whole dataset
	slug, name      string
	policies        int
	runs            int
	// runs of the environment by type, oldest first (ids), succeeded or partial only
	syncs, captures, compares, backups []scaleRunRef
	present                            []scalePolicy // policies not removed, in insertion order
}

type scaleRunRef struct {
	id int64
	at time.Time
}

// The heavy workspace's name leads; the others are Microsoft's sample companies.
var scaleCustomers = []string{"Woodgrove Bank", "Adatum", "Alpine Ski House", "Bellows College", "Coho Winery", "Consolidated Messenger",
	"Fourth Coffee", "Graphic Design Institute", "Humongous Insurance", "Lamna Healthcare", "Litware", "Lucerne Publishing",
	"Margie's Travel", "Proseware", "Relecloud", "Southridge Video", "Tailspin Toys", "Trey Research", "Wide World Importers", "Wingtip Toys"}

var scaleSites = []site{{"prod", "Production", "production", 0}, {"pilot", "Pilot", "pilot", 0}, {"test", "Test", "test", 0}, {"dev", "Development", "development", 0}}

// createWorkspaces adds the workspaces and environments through their domains
// (memberships and audit as the pages expect them) and spreads policies and
// runs over the environments.
func (g *scaleGen) createWorkspaces(ctx context.Context) error {
	sc := g.sc
	envCount := sc.Workspaces * sc.EnvironmentsPerWorkspace
	if sc.Workspaces > len(scaleCustomers) || sc.EnvironmentsPerWorkspace < 2 || sc.HeavyPolicies+sc.ThousandPolicies > sc.Policies {
		return fmt.Errorf("demo scale %s: unsupported shape", sc.Name)
	}
	err := g.d.Tx(ctx, func(tx *sql.Tx) error {
		for w := range sc.Workspaces {
			name := scaleCustomers[w]
			slug := fmt.Sprintf("%s-%02d", slugOf(name), w+1)
			id, err := workspace.Create(ctx, tx, name, slug, g.owner)
			if err != nil {
				return err
			}
			ws := &scaleWorkspace{id: id, slug: slug, tenant: &tenant{customer: customer{slug: slug}, site: site{slug: "shared"}}}
			g.workspaces = append(g.workspaces, ws)
			for e := range sc.EnvironmentsPerWorkspace {
				s := site{fmt.Sprintf("branch-%02d", e+1), fmt.Sprintf("Branch %02d", e+1), scaleSites[e%len(scaleSites)].kind, 0}
				if e < len(scaleSites) {
					s = scaleSites[e]
				}
				envID, err := environment.Create(ctx, tx, id, g.owner, environment.Fields{Slug: s.slug, Name: s.name, Kind: s.kind})
				if err != nil {
					return err
				}
				env := &scaleEnv{id: envID, workspaceID: id, ws: ws, index: len(g.envs), slug: s.slug, name: s.name}
				ws.envs = append(ws.envs, env)
				g.envs = append(g.envs, env)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Policies: the heavy two, the rest evenly; runs: half in the heavy workspace.
	heavy := g.workspaces[0].envs
	heavy[0].policies, heavy[1].policies = sc.HeavyPolicies, sc.ThousandPolicies
	share(g.envs[2:], sc.Policies-sc.HeavyPolicies-sc.ThousandPolicies, func(e *scaleEnv, n int) { e.policies = n })
	share(heavy, sc.Runs/2, func(e *scaleEnv, n int) { e.runs = n })
	share(g.envs[len(heavy):], sc.Runs-sc.Runs/2, func(e *scaleEnv, n int) { e.runs = n })
	g.sum.Workspaces, g.sum.Environments = sc.Workspaces, envCount
	return nil
}

// share gives total out evenly over envs, the first ones one more.
func share(envs []*scaleEnv, total int, set func(*scaleEnv, int)) {
	for i, e := range envs {
		n := total / len(envs)
		if i < total%len(envs) {
			n++
		}
		set(e, n)
	}
}

func slugOf(name string) string {
	b := make([]byte, 0, len(name))
	for _, r := range name {
		switch {
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r-'A'+'a'))
		case r >= 'a' && r <= 'z':
			b = append(b, byte(r))
		case r == ' ' && len(b) > 0 && b[len(b)-1] != '-':
			b = append(b, '-')
		}
	}
	return string(b)
}

// scaleRun is one planned operation run, kept small: a million of them are
// sorted in memory so that ids grow with time, as they do in a real database.
type scaleRun struct {
	created int64 // unix milliseconds
	env     int32 // index in g.envs
	typ     uint8 // index in scaleTypes
	outcome uint8 // index in outcomes
	seed    uint32
}

// scaleTypes are the run types, with their share of an environment's runs and
// how long they take (seconds).
var scaleTypes = []struct {
	name    string
	weight  int
	seconds [2]int
}{
	{inventory.OperationType, 40, [2]int{20, 240}},
	{finding.CompareType, 25, [2]int{5, 90}},
	{backup.CreateType, 20, [2]int{40, 200}},
	{baseline.CaptureType, 10, [2]int{10, 60}},
	{backup.RestoreType, 5, [2]int{60, 360}},
}

func pickType(rnd *mathrand.Rand) uint8 {
	n := rnd.IntN(100)
	for i, t := range scaleTypes {
		if n < t.weight {
			return uint8(i)
		}
		n -= t.weight
	}
	return 0
}

// writeRuns plans every environment's runs over two years and writes them
// oldest first with one prepared statement. All are completed: a queued or
// running run would not survive the next start (the engine runs or recovers it).
func (g *scaleGen) writeRuns(ctx context.Context) error {
	start := g.anchor.AddDate(0, 0, -scaleDays).UnixMilli()
	span := g.anchor.Add(-10*time.Minute).UnixMilli() - start
	runs := make([]scaleRun, 0, g.sc.Runs)
	for _, e := range g.envs {
		rnd := mathrand.New(mathrand.NewPCG(seed(g.sc.Name, "runs", e.ws.slug, e.slug), 1))
		for range e.runs {
			r := scaleRun{created: start + rnd.Int64N(span), env: int32(e.index), typ: pickType(rnd), seed: rnd.Uint32()}
			r.outcome = uint8(slices.Index(outcomes, pickOutcome(rnd)))
			if scaleTypes[r.typ].name == backup.CreateType && outcomes[r.outcome] == "partial" {
				r.outcome = 0 // a backup is taken whole or not at all
			}
			runs = append(runs, r)
		}
	}
	// Every type shows every outcome it can end with, whatever the scale.
	for k := range outcomes {
		for t := range scaleTypes {
			if scaleTypes[t].name == backup.CreateType && outcomes[k] == "partial" {
				continue
			}
			i := (k*len(scaleTypes) + t) * 7
			runs[i%len(runs)].typ, runs[i%len(runs)].outcome = uint8(t), uint8(k)
		}
	}
	slices.SortStableFunc(runs, func(a, b scaleRun) int { return int(a.created - b.created) })
	err := g.d.Tx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO operation_runs (id, workspace_id, managed_environment_id, type, status, outcome,
			created_at, started_at, completed_at, context, summary_counts, failure_summary, initiated_by_user_id, heartbeat_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i := range runs {
			if err := g.insertRun(ctx, stmt, int64(i+1), &runs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	g.sum.Runs = len(runs)
	return err
}

// insertRun writes run id, as the engine would have left it, and remembers the
// environment's runs that later rows refer to.
func (g *scaleGen) insertRun(ctx context.Context, stmt *sql.Stmt, id int64, r *scaleRun) error {
	e := g.envs[r.env]
	g.runSource.Seed(uint64(r.seed), uint64(id))
	rnd := g.runRand
	typ := scaleTypes[r.typ]
	created := time.UnixMilli(r.created).UTC()
	started := created.Add(time.Duration(1+rnd.IntN(4)) * time.Second)
	var initiator int64
	ctxJSON := `{"trigger":"schedule"}`
	if rnd.IntN(8) == 0 || typ.name == backup.RestoreType {
		initiator, ctxJSON = g.owner, `{"trigger":"manual"}`
	}
	outcome := outcomes[r.outcome]
	seconds := typ.seconds[0] + rnd.IntN(typ.seconds[1]-typ.seconds[0]+1)
	switch outcome {
	case "failed":
		seconds = 1 + rnd.IntN(8)
	case "cancelled":
		seconds = max(1, seconds/2)
	}
	completed := started.Add(time.Duration(seconds)*time.Second + time.Duration(rnd.IntN(1000))*time.Millisecond)
	total := 20 + rnd.IntN(300)
	done, failed := total, 0
	var failure *operation.FailureSummary
	switch outcome {
	case "partial":
		done, failed = total-1, 1
		failure = itemsFailed([]operation.ItemError{{Item: fmt.Sprintf("policy %d", rnd.IntN(total)), Reason: "the file could not be read: unexpected end of JSON input"}}, total)
	case "failed":
		done = 0
		failure = runError("The data folder is full: database or disk is full.")
		if rnd.IntN(4) == 0 {
			failure = &operation.FailureSummary{Reason: operation.ReasonInterrupted, LastSeenAt: db.Format(completed),
				Message: fmt.Sprintf("The Atlas process running it (pid %d) stopped before it finished.", 1000+rnd.IntN(60000))}
		}
	case "cancelled":
		done = rnd.IntN(total)
		failure = &operation.FailureSummary{Reason: operation.ReasonCancelled, Message: "Cancelled while running."}
	}
	// summary_counts as the engine writes them, formatted here: a million runs.
	counts := fmt.Sprintf(`{"failed":%d,"processed":%d,"skipped":0,"succeeded":%d,"total":%d}`, failed, done+failed, done, total)
	if typ.name == inventory.OperationType {
		counts = fmt.Sprintf(`{"changed":%d,"created":0,"failed":%d,"files":%d,"removed":0,"seen":%d,"skipped":0,"unchanged":%d}`,
			done/10, failed, done+failed, done, done-done/10)
	}
	_, err := stmt.ExecContext(ctx, id, e.workspaceID, e.id, typ.name, "completed", outcome, db.Format(created), db.Format(started),
		db.Format(completed), ctxJSON, counts, failureText(failure), db.NullID(initiator), db.Format(completed))
	if err != nil {
		return err
	}
	g.runDays.add(e.workspaceID, e.id, created, started, completed, outcome)
	if outcome == "succeeded" || (outcome == "partial" && typ.name == inventory.OperationType) {
		ref := scaleRunRef{id: id, at: completed}
		switch typ.name {
		case inventory.OperationType:
			e.syncs = append(e.syncs, ref)
		case baseline.CaptureType:
			e.captures = append(e.captures, ref)
		case finding.CompareType:
			e.compares = append(e.compares, ref)
		case backup.CreateType:
			e.backups = append(e.backups, ref)
		}
	}
	return nil
}
