package demo

import (
	"context"
	"database/sql"
	"fmt"
	mathrand "math/rand/v2"
	"sort"
	"sync"
	"time"

	"atlas/app/baseline"
	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/finding"
	"atlas/app/intune"
	"atlas/app/inventory"
)

// writeBaselines gives every workspace one profile captured from its second
// environment by that environment's latest capture runs.
func (g *scaleGen) writeBaselines(ctx context.Context) error {
	return g.d.Tx(ctx, func(tx *sql.Tx) error {
		st, err := prepare(ctx, tx,
			`INSERT INTO baseline_profiles (workspace_id, name, slug, status, capture_mode, report_unexpected, created_by_user_id, created_at, updated_at)
				VALUES (?, 'Security baseline', 'security-baseline', 'active', 'full', 1, ?, ?, ?)`,
			`INSERT INTO baseline_snapshots (workspace_id, baseline_profile_id, captured_at, summary_jsonb, operation_run_id,
				source_environment_id, source_name, item_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			`INSERT INTO baseline_snapshot_items (baseline_snapshot_id, policy_type, graph_type, display_name, match_name, platform,
				content_hash, policy_version_id, source_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer st.close()
		for _, ws := range g.workspaces {
			source := ws.envs[1]
			if len(source.captures) == 0 {
				return fmt.Errorf("workspace %s: no capture run for its baseline: too few runs for the scale", ws.slug)
			}
			created := db.Format(source.captures[0].at.Add(-time.Hour))
			res, err := st[0].ExecContext(ctx, ws.id, g.owner, created, created)
			if err != nil {
				return err
			}
			ws.profile, _ = res.LastInsertId()
			summary := snapshotSummary(source)
			captures := source.captures[max(0, len(source.captures)-g.sc.SnapshotsPerProfile):]
			for _, run := range captures {
				res, err := st[1].ExecContext(ctx, ws.id, ws.profile, db.Format(run.at), summary, run.id, source.id, source.name, len(source.present))
				if err != nil {
					return err
				}
				ws.snapshot, _ = res.LastInsertId()
				ws.snapshotRun = run.id
				g.sum.Snapshots++
				for _, p := range source.present {
					o := p.object
					if _, err := st[2].ExecContext(ctx, ws.snapshot, o.Type.Key, db.NullString(o.GraphType), o.DisplayName,
						baseline.MatchName(o.DisplayName), o.Platform, p.hash, p.lastVersion, o.SourcePath); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

func snapshotSummary(source *scaleEnv) string {
	count := map[string]int{}
	for _, p := range source.present {
		count[p.object.Type.Key]++
	}
	s := baseline.Summary{Source: "environment", Name: source.name}
	for key, n := range count {
		info, _ := intune.TypeByKey(key)
		s.Types = append(s.Types, baseline.TypeCount{Key: key, Label: info.Label, Count: n})
	}
	sort.Slice(s.Types, func(i, j int) bool { return s.Types[i].Key < s.Types[j].Key })
	return jsonText(s)
}

// writeFindings spreads the findings over the environments by their present
// policies: of every five, three drifted policies, one missing and one
// unexpected; in every status. Evidence is the diff engine's, as a compare
// writes it. Per workspace, the baseline's payloads are written first, then
// the findings, their evidence computed on every core.
func (g *scaleGen) writeFindings(ctx context.Context) error {
	present := 0
	for _, e := range g.envs {
		present += len(e.present)
	}
	changes := &changeCache{pairs: map[[2]string][]diff.Change{}}
	for w, ws := range g.workspaces {
		var planned []plannedFinding
		for _, e := range ws.envs {
			n := g.sc.Findings * len(e.present) / present
			if e == g.envs[len(g.envs)-1] {
				n = g.sc.Findings - g.sum.Findings - len(planned)
			}
			list, err := g.planFindings(w, e, n)
			if err != nil {
				return fmt.Errorf("environment %s/%s: %w", ws.slug, e.slug, err)
			}
			planned = append(planned, list...)
		}
		err := g.d.Tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO policy_payloads (content_hash, canonical, created_at, canonical_form) VALUES (?, ?, ?, ?)
				ON CONFLICT (content_hash) DO NOTHING`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			return g.buildChains(ctx, len(planned), func(i int) (chainKey, int) { return planned[i].base, planned[i].revisions },
				func(i int) error {
					if planned[i].revisions == 0 {
						return nil
					}
					return g.store(ctx, stmt, planned[i].chain, planned[i].revisions)
				})
		})
		if err != nil {
			return err
		}
		err = g.d.Tx(ctx, func(tx *sql.Tx) error {
			st, err := prepare(ctx, tx,
				`INSERT INTO findings (workspace_id, managed_environment_id, baseline_profile_id, baseline_snapshot_id, finding_type, scope_key,
					subject_key, subject_display_name, policy_type, policy_id, severity, severity_rule, status, baseline_operation_run_id,
					current_operation_run_id, resolved_operation_run_id, evidence_jsonb, exception_reason, exception_expires_at,
					first_seen_at, last_seen_at, resolved_at, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				`INSERT INTO finding_events (finding_id, managed_environment_id, action, from_status, to_status, user_id, operation_run_id, detail, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
			if err != nil {
				return err
			}
			defer st.close()
			build := func(i int) (*findingRow, error) { return g.findingOf(ctx, &planned[i], changes) }
			write := func(i int, f *findingRow) error {
				res, err := st[0].ExecContext(ctx, f.args...)
				if err != nil {
					return err
				}
				id, _ := res.LastInsertId()
				for _, ev := range f.events {
					if _, err := st[1].ExecContext(ctx, id, planned[i].env.id, ev.action, db.NullString(string(ev.from)), ev.to, db.NullID(ev.user),
						db.NullID(ev.run), ev.detail, db.Format(ev.at)); err != nil {
						return err
					}
				}
				g.sum.Findings++
				return nil
			}
			return inParallel(ctx, len(planned), build, write)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// plannedFinding is finding k of an environment before its evidence: its
// type, the present policy it is about, and the baseline chain it compares
// with and how many revisions of it (none for an unexpected policy).
type plannedFinding struct {
	env       *scaleEnv
	k         int
	typ       finding.Type
	policy    *scalePolicy
	base      chainKey
	chain     *chain
	revisions int
}

func (g *scaleGen) planFindings(w int, e *scaleEnv, n int) ([]plannedFinding, error) {
	if n > 0 && len(e.compares) == 0 {
		return nil, fmt.Errorf("no compare run for its findings: too few runs for the scale")
	}
	planned := make([]plannedFinding, 0, n)
	next := 0 // the next present policy a finding is about
	for k := range n {
		f := plannedFinding{env: e, k: k}
		switch {
		case k%5 == 3 || next >= len(e.present):
			f.typ, f.base, f.revisions = finding.MissingPolicy, chainKey{workspace: w, template: k % len(policies), variant: -1}, 1
		case k%5 == 4:
			f.typ, f.policy = finding.UnexpectedPolicy, &e.present[next]
			next++
		default:
			// The baseline holds the workspace's own revision one review ahead.
			p := &e.present[next]
			next++
			f.typ, f.policy = finding.SettingDrift, p
			f.base, f.revisions = chainKey{workspace: w, template: p.key.template, copy: p.key.copy, variant: -1}, p.versions+1
		}
		if f.revisions > 0 {
			f.chain = g.chainOf(f.base)
		}
		planned = append(planned, f)
	}
	return planned, nil
}

// findingEvent is one row of a finding's history.
type findingEvent struct {
	action   string
	from, to finding.Status
	user     int64
	run      int64
	detail   string
	at       time.Time
}

// findingRow is a finding ready to write: its columns, and its events.
type findingRow struct {
	args   []any
	events []findingEvent
}

// changeCache holds the diff of two stored payloads ("" for none), computed
// once per pair by whichever worker needs it first.
type changeCache struct {
	mu    sync.Mutex
	pairs map[[2]string][]diff.Change
}

func (g *scaleGen) changesBetween(ctx context.Context, cache *changeCache, old, new string) ([]diff.Change, error) {
	cache.mu.Lock()
	c, ok := cache.pairs[[2]string{old, new}]
	cache.mu.Unlock()
	if ok {
		return c, nil
	}
	var sides [2]any
	for i, hash := range []string{old, new} {
		if hash == "" {
			continue
		}
		b, err := inventory.Payload(ctx, g.d.Read, hash)
		if err != nil {
			return nil, err
		}
		if sides[i], err = inventory.DecodePayload(b); err != nil {
			return nil, err
		}
	}
	c = diff.Compare(sides[0], sides[1])
	cache.mu.Lock()
	cache.pairs[[2]string{old, new}] = c
	cache.mu.Unlock()
	return c, nil
}

// findingOf builds a planned finding's row and events. It writes nothing: it
// runs on every core, its payloads read from what is committed.
func (g *scaleGen) findingOf(ctx context.Context, f *plannedFinding, cache *changeCache) (*findingRow, error) {
	e, k := f.env, f.k
	ws := e.ws
	profile := &baseline.Profile{}
	rnd := mathrand.New(mathrand.NewPCG(seed(g.sc.Name, "finding", ws.slug, e.slug), uint64(k)))
	var subject, name, policyType string
	var policyID int64
	var changes []diff.Change
	var evidence finding.Evidence
	var err error
	switch f.typ {
	case finding.MissingPolicy:
		c := f.chain
		policyType, name = c.object.Type.Key, fmt.Sprintf("%s - required %d", policies[k%len(policies)].name, k)
		subject = policyType + "/" + baseline.MatchName(name)
		if changes, err = g.changesBetween(ctx, cache, c.revs[0].hash, ""); err != nil {
			return nil, err
		}
		evidence = finding.Evidence{Baseline: &finding.Side{DisplayName: name, ContentHash: c.revs[0].hash}, Changes: changes}
	case finding.UnexpectedPolicy:
		p := f.policy
		policyType, name, policyID = p.object.Type.Key, p.object.DisplayName, p.id
		subject = fmt.Sprintf("policy/%d", p.id)
		if changes, err = g.changesBetween(ctx, cache, "", p.hash); err != nil {
			return nil, err
		}
		evidence = finding.Evidence{Current: &finding.Side{DisplayName: name, ContentHash: p.hash, PolicyID: p.id, SyncRunID: e.syncs[len(e.syncs)-1].id}, Changes: changes}
	default:
		p := f.policy
		policyType, name, policyID = p.object.Type.Key, p.object.DisplayName, p.id
		subject = policyType + "/" + baseline.MatchName(name)
		base := f.chain.revs[p.versions].hash
		if changes, err = g.changesBetween(ctx, cache, base, p.hash); err != nil {
			return nil, err
		}
		evidence = finding.Evidence{Baseline: &finding.Side{DisplayName: name, ContentHash: base},
			Current: &finding.Side{DisplayName: name, ContentHash: p.hash, PolicyID: p.id, SyncRunID: e.syncs[len(e.syncs)-1].id},
			Match:   &finding.Match{By: "name"}, Changes: changes}
	}
	severity, rule := profile.Judge(policyType, changes, f.typ == finding.MissingPolicy)
	// Seen first by a compare in the last half of the history, last by the latest one.
	half := len(e.compares) / 2
	firstRun := e.compares[half+rnd.IntN(len(e.compares)-half)]
	lastRun := e.compares[len(e.compares)-1]
	status := []finding.Status{finding.Open, finding.Open, finding.Open, finding.Open, finding.Acknowledged, finding.Acknowledged,
		finding.Accepted, finding.Resolved, finding.Resolved, finding.Resolved}[rnd.IntN(10)]
	var reason, expires, resolvedAt any
	var resolvedRun int64
	updated := lastRun.at
	switch status {
	case finding.Accepted:
		reason, expires = "Agreed with the customer's security lead until the next hardware refresh.", db.Format(g.anchor.AddDate(0, 2, 0))
	case finding.Resolved:
		resolvedRun = lastRun.id
		resolvedAt = db.Format(lastRun.at)
	}
	at := db.Format(firstRun.at)
	row := &findingRow{args: []any{ws.id, e.id, ws.profile, ws.snapshot, f.typ, finding.ScopeKey(e.id, ws.profile, f.typ, subject),
		subject, name, policyType, db.NullID(policyID), severity, rule, status, ws.snapshotRun, lastRun.id, db.NullID(resolvedRun),
		jsonText(evidence), reason, expires, at, db.Format(lastRun.at), resolvedAt, at, db.Format(updated)}}
	row.events = []findingEvent{{"opened", "", finding.Open, 0, firstRun.id, jsonText(map[string]any{"severity": severity}), firstRun.at}}
	triaged := firstRun.at.Add(26 * time.Hour)
	switch status {
	case finding.Acknowledged:
		row.events = append(row.events, findingEvent{"acknowledged", finding.Open, status, g.owner, 0, jsonText(map[string]any{}), triaged})
	case finding.Accepted:
		row.events = append(row.events, findingEvent{"accepted", finding.Open, status, g.owner, 0,
			jsonText(map[string]any{"reason": reason, "expires": g.anchor.AddDate(0, 2, 0).Format(finding.DateFormat)}), triaged})
	case finding.Resolved:
		row.events = append(row.events, findingEvent{"resolved", finding.Open, status, 0, lastRun.id, jsonText(map[string]any{}), lastRun.at})
	}
	return row, nil
}
