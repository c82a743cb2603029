package demo

import (
	"context"
	"database/sql"
	"fmt"
	mathrand "math/rand/v2"
	"testing/fstest"
	"time"

	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/intune"
	"atlas/app/inventory"
)

// A chain is the successive revisions of one policy of the catalogue in one
// workspace: revision r is its body with its first r-1 changes (and, past the
// catalogue's changes, later reviews). Environments of a workspace hold the
// same chains, so their versions share payloads as real tenants' do; one in 20
// of their policies are adjusted locally and get a chain of their own.
type chainKey struct {
	workspace int
	template  int // index in policies
	copy      int // the nth policy of the template in an environment: its name gets " (n+1)"
	variant   int // the environment that adjusted it, or -1
}

type chain struct {
	object *intune.Object // the first revision, with its canonical form dropped: type, name, platform, file
	revs   []revision
	stored int // revisions whose payloads are written
}

type revision struct {
	hash      string
	summary   string // against the revision before: the version's change summary
	canonical string // the payload, until it is written
}

// scalePolicy is a policy written to an environment, as baselines, findings
// and backups refer to it.
type scalePolicy struct {
	id, lastVersion int64
	key             chainKey
	versions        int
	object          *intune.Object
	hash            string
}

// revisionOf builds revision rev (from 1) of a chain as its workspace's
// tenant exports it, and reads it as a sync does.
func (g *scaleGen) revisionOf(k chainKey, rev int) (*intune.Object, error) {
	p := policies[k.template]
	if k.copy > 0 {
		p.name = fmt.Sprintf("%s (%d)", p.name, k.copy+1)
	}
	s := &state{p: p.body(), targets: p.targets}
	for i, c := range p.changes {
		if i < rev-1 {
			c.edit(s)
		}
	}
	description := ""
	if later := rev - 1 - len(p.changes); later > 0 {
		description = fmt.Sprintf("Reviewed %d times since it was first deployed.", later)
	}
	if k.variant >= 0 {
		description += " Adjusted for " + g.envs[k.variant].name + "."
	}
	if description != "" {
		s.p["description"] = description
	}
	t := g.workspaces[k.workspace].tenant
	at := g.anchor.AddDate(0, 0, -scaleDays)
	fsys := fstest.MapFS{t.filePath(&p): file(t.document(&p, s, at, at), at)}
	var obj *intune.Object
	err := intune.Read(fsys, func(e intune.Entry) error {
		if e.Object == nil {
			return fmt.Errorf("demo policy %s: not a configuration object: %v%s", p.name, e.Err, e.Skipped)
		}
		obj = e.Object
		return nil
	})
	return obj, err
}

// chainOf is chain k, created empty the first time.
func (g *scaleGen) chainOf(k chainKey) *chain {
	c := g.payloads[k]
	if c == nil {
		c = &chain{}
		g.payloads[k] = c
	}
	return c
}

// extend builds chain k's revisions up to n, with their payloads and change
// summaries. It touches nothing but c: chains are extended in parallel.
func (g *scaleGen) extend(k chainKey, c *chain, n int) error {
	if len(c.revs) >= n {
		return nil
	}
	var before any
	if len(c.revs) > 0 {
		prev, err := g.revisionOf(k, len(c.revs))
		if err != nil {
			return err
		}
		if before, err = inventory.DecodePayload(prev.Canonical); err != nil {
			return err
		}
	}
	for rev := len(c.revs) + 1; rev <= n; rev++ {
		o, err := g.revisionOf(k, rev)
		if err != nil {
			return err
		}
		after, err := inventory.DecodePayload(o.Canonical)
		if err != nil {
			return err
		}
		r := revision{hash: o.Hash, canonical: string(o.Canonical)}
		if before != nil {
			r.summary = diff.Summary(diff.Compare(before, after))
		}
		if c.object == nil {
			o.Canonical, o.Payload = nil, nil
			c.object = o
		}
		c.revs = append(c.revs, r)
		before = after
	}
	return nil
}

// store writes the payloads of c's first n revisions not written yet.
func (g *scaleGen) store(ctx context.Context, stmt *sql.Stmt, c *chain, n int) error {
	for ; c.stored < n; c.stored++ {
		r := &c.revs[c.stored]
		res, err := stmt.ExecContext(ctx, r.hash, r.canonical, db.Format(g.anchor.AddDate(0, 0, -scaleDays)), intune.CanonicalForm)
		if err != nil {
			return err
		}
		if added, _ := res.RowsAffected(); added > 0 {
			g.sum.Payloads++
		}
		r.canonical = ""
	}
	return nil
}

// versionCounts draws how many versions each policy of each environment has:
// one in a hundred has 50 (the policy detail's long timeline), the others 1
// to 8; then the total is brought to the scale's exactly.
func (g *scaleGen) versionCounts() [][]int {
	counts := make([][]int, len(g.envs))
	total, global := 0, 0
	for _, e := range g.envs {
		rnd := mathrand.New(mathrand.NewPCG(seed(g.sc.Name, "versions", e.ws.slug, e.slug), 1))
		counts[e.index] = make([]int, e.policies)
		for i := range counts[e.index] {
			n := 1 + rnd.IntN(8)
			if global%100 == 7 {
				n = 50
			}
			counts[e.index][i] = min(n, len(e.syncs))
			total += counts[e.index][i]
			global++
		}
	}
	for pass := 0; total != g.sc.Versions && pass < 50; pass++ {
		for _, e := range g.envs {
			for i, n := range counts[e.index] {
				switch {
				case total < g.sc.Versions && n < 8 && n < len(e.syncs):
					counts[e.index][i]++
					total++
				case total > g.sc.Versions && n > 1 && n < 50:
					counts[e.index][i]--
					total--
				}
				if total == g.sc.Versions {
					return counts
				}
			}
		}
	}
	return counts
}

// plannedPolicy is a policy of an environment before it is written: its
// chain, how many versions it has, and its own random source for the rest.
type plannedPolicy struct {
	env   *scaleEnv
	index int // in its environment
	key   chainKey
	chain *chain
	n     int
	rnd   *mathrand.Rand
}

// writeInventory writes every environment's policies, their versions (each
// captured by one of the environment's syncs) and the inventory items of
// those not removed, one transaction per workspace.
func (g *scaleGen) writeInventory(ctx context.Context) error {
	counts := g.versionCounts()
	for w, ws := range g.workspaces {
		var planned []plannedPolicy
		for _, e := range ws.envs {
			if e.policies > 0 && len(e.syncs) == 0 {
				return fmt.Errorf("environment %s/%s: no succeeded sync to capture its policies: too few runs for the scale", ws.slug, e.slug)
			}
			for i, n := range counts[e.index] {
				rnd := mathrand.New(mathrand.NewPCG(seed(g.sc.Name, "policy", e.ws.slug, e.slug), uint64(i)))
				k := chainKey{workspace: w, template: i % len(policies), copy: i / len(policies), variant: -1}
				if rnd.IntN(20) == 0 {
					k.variant = e.index
				}
				planned = append(planned, plannedPolicy{env: e, index: i, key: k, chain: g.chainOf(k), n: n, rnd: rnd})
			}
		}
		err := g.d.Tx(ctx, func(tx *sql.Tx) error {
			st, err := prepare(ctx, tx,
				`INSERT INTO policy_payloads (content_hash, canonical, created_at, canonical_form) VALUES (?, ?, ?, ?) ON CONFLICT (content_hash) DO NOTHING`,
				`INSERT INTO policies (workspace_id, managed_environment_id, identity_key, external_id, policy_type, graph_type,
					type_source, display_name, platform, content_hash, version_count, first_seen_at, last_seen_at, removed_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				`INSERT INTO policy_versions (workspace_id, managed_environment_id, policy_id, version_number, captured_at,
					content_hash, operation_run_id, source_path, modified_at, change_summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				`INSERT INTO inventory_items (workspace_id, managed_environment_id, policy_id, coverage, coverage_reason,
					source_path, size_bytes, observed_at, operation_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer st.close()
			return g.buildChains(ctx, len(planned), func(i int) (chainKey, int) { return planned[i].key, planned[i].n },
				func(i int) error {
					if err := g.writePolicy(ctx, st, &planned[i]); err != nil {
						return fmt.Errorf("environment %s/%s: %w", ws.slug, planned[i].env.slug, err)
					}
					return nil
				})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// buildChains builds on every core the revisions n items need (item i: chain
// k up to revision n; none for n = 0), chain by chain in the order the items
// first use them, and calls write for each item in order as soon as the
// chains it uses are built.
func (g *scaleGen) buildChains(ctx context.Context, n int, need func(i int) (k chainKey, revisions int), write func(i int) error) error {
	var keys []chainKey
	var chains []*chain
	uses := []int{0} // where each chain is first used, then n: items from there are written once it is built
	needs := map[chainKey]int{}
	for i := range n {
		k, r := need(i)
		if r == 0 {
			continue
		}
		if _, used := needs[k]; !used {
			keys, chains = append(keys, k), append(chains, g.chainOf(k))
			if len(keys) > 1 {
				uses = append(uses, i)
			}
		}
		needs[k] = max(needs[k], r)
	}
	uses = append(uses, n)
	build := func(j int) (struct{}, error) { return struct{}{}, g.extend(keys[j], chains[j], needs[keys[j]]) }
	writeUpTo := func(j int, _ struct{}) error {
		for i := uses[j]; i < uses[j+1]; i++ {
			if err := write(i); err != nil {
				return err
			}
		}
		return nil
	}
	if len(keys) == 0 {
		return writeUpTo(0, struct{}{})
	}
	return inParallel(ctx, len(keys), build, writeUpTo)
}

func (g *scaleGen) writePolicy(ctx context.Context, st statements, p *plannedPolicy) error {
	payload, insertPolicy, insertVersion, insertItem := st[0], st[1], st[2], st[3]
	e, c, n, rnd := p.env, p.chain, p.n, p.rnd
	last := e.syncs[len(e.syncs)-1]
	if err := g.store(ctx, payload, c, n); err != nil {
		return err
	}
	// The versions' syncs: spread over the history from a random start.
	s := len(e.syncs)
	first := rnd.IntN(max(1, s-n+1))
	at := func(j int) scaleRunRef {
		if n == 1 {
			return e.syncs[first]
		}
		return e.syncs[first+j*(s-1-first)/(n-1)]
	}
	seen := last
	var removed any
	if lastIdx := first + (n-1)*(s-1-first)/max(1, n-1); rnd.IntN(33) == 0 && lastIdx < s-1 {
		gone := lastIdx + 1 + rnd.IntN(s-1-lastIdx)
		seen, removed = e.syncs[gone-1], db.Format(e.syncs[gone].at)
	}
	o := c.object
	external := guid(e.ws.slug, e.slug, "policy", fmt.Sprint(p.index))
	hash := c.revs[n-1].hash
	res, err := insertPolicy.ExecContext(ctx, e.workspaceID, e.id, "id:"+o.Type.Key+":"+external, external, o.Type.Key,
		db.NullString(o.GraphType), db.NullString(o.TypeSource), o.DisplayName, o.Platform, hash, n,
		db.Format(at(0).at), db.Format(seen.at), removed)
	if err != nil {
		return err
	}
	id, _ := res.LastInsertId()
	var versionID int64
	for j := range n {
		captured := at(j)
		var summary any
		if j > 0 {
			summary = c.revs[j].summary
		}
		res, err := insertVersion.ExecContext(ctx, e.workspaceID, e.id, id, j+1, db.Format(captured.at), c.revs[j].hash, captured.id,
			o.SourcePath, db.Format(captured.at.Add(-3*time.Hour)), summary)
		if err != nil {
			return err
		}
		versionID, _ = res.LastInsertId()
	}
	g.sum.Policies++
	g.sum.Versions += n
	if removed != nil {
		return nil
	}
	if _, err := insertItem.ExecContext(ctx, e.workspaceID, e.id, id, string(o.Type.Coverage), o.Type.CoverageReason,
		o.SourcePath, o.Size, db.Format(last.at), last.id); err != nil {
		return err
	}
	e.present = append(e.present, scalePolicy{id: id, lastVersion: versionID, key: p.key, versions: n, object: o, hash: hash})
	return nil
}

// statements are prepared once per transaction.
type statements []*sql.Stmt

func prepare(ctx context.Context, tx *sql.Tx, queries ...string) (statements, error) {
	var st statements
	for _, q := range queries {
		s, err := tx.PrepareContext(ctx, q)
		if err != nil {
			st.close()
			return nil, err
		}
		st = append(st, s)
	}
	return st, nil
}

func (st statements) close() {
	for _, s := range st {
		s.Close()
	}
}
