package baseline

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/finding"
	"atlas/app/inventory"
	"atlas/app/operation"
)

// CompareType is the operation run type of a drift compare.
const CompareType = finding.CompareType

// CompareContext is a drift.compare run's context: the profile, and the
// snapshot compared against (the profile's latest when the compare was asked for).
type CompareContext struct {
	ProfileID   int64  `json:"profile_id"`
	ProfileName string `json:"baseline_profile"`
	SnapshotID  int64  `json:"snapshot_id"`
}

// CompareOperation is the drift.compare operation type: the run's environment
// against a profile's snapshot.
func CompareOperation(d *db.DB) operation.Type {
	return operation.Type{Name: CompareType, Label: "Drift compare",
		Handler: func(ctx context.Context, run *operation.Run, p *operation.Progress) error {
			var c CompareContext
			if err := run.DecodeContext(&c); err != nil {
				return fmt.Errorf("read the run's context: %w", err)
			}
			return compareRun(ctx, d, run, c, p)
		}}
}

func compareRun(ctx context.Context, d *db.DB, run *operation.Run, c CompareContext, p *operation.Progress) error {
	profile, err := ProfileByID(ctx, d.Read, run.WorkspaceID, c.ProfileID)
	if err != nil {
		return fmt.Errorf("the run's baseline profile: %w", err)
	}
	if profile.Status == Archived {
		return fmt.Errorf("the baseline %s is archived: restore it before comparing against it", profile.Name)
	}
	snapshot, err := SnapshotByID(ctx, d.Read, profile.ID, c.SnapshotID)
	if err != nil {
		return err
	}
	sync, err := inventory.LastSync(ctx, d.Read, run.EnvironmentID)
	if errors.Is(err, inventory.ErrNoSync) {
		return errors.New("the environment has never been synced: sync it before comparing it with a baseline")
	}
	if err != nil {
		return err
	}
	// Both sides are read at once, on two connections of the read pool: with
	// 10,000 policies a side that is a tenth of a compare (issue 13).
	var items []*Item
	var itemsErr error
	itemsRead := make(chan struct{})
	go func() {
		defer close(itemsRead)
		items, itemsErr = Items(ctx, d.Read, snapshot.ID)
	}()
	policies, err := currentPolicies(ctx, d.Read, run.EnvironmentID)
	<-itemsRead
	if err := errors.Join(itemsErr, err); err != nil {
		return err
	}
	pins, err := finding.Pins(ctx, d.Read, run.EnvironmentID, profile.ID)
	if err != nil {
		return err
	}
	p.SetTotal(len(items))
	// Group ids are the tenant's own: comparable only against a snapshot of this environment.
	m := &matcher{profile: profile, payloads: newPayloads(d.Read), progress: p, crossTenant: snapshot.SourceEnvironmentID != run.EnvironmentID}
	if err := m.run(ctx, items, policies, pins); err != nil {
		return err
	}
	// spec: a compare whose input is incomplete may open or update findings but resolves none.
	complete := sync.Status == string(operation.Completed) && sync.Outcome == string(operation.Succeeded)
	tally, err := finding.Apply(ctx, d, finding.Compare{WorkspaceID: run.WorkspaceID, EnvironmentID: run.EnvironmentID,
		ProfileID: profile.ID, SnapshotID: snapshot.ID, BaselineRunID: snapshot.RunID, RunID: run.ID, UserID: run.InitiatedBy,
		Complete: complete, Now: time.Now()}, m.observations)
	for k, n := range map[string]int{"opened": tally.Opened, "updated": tally.Updated, "resolved": tally.Resolved, "reopened": tally.Reopened} {
		p.Add(k, n)
	}
	if err != nil {
		return err
	}
	if !complete {
		p.Warn(fmt.Sprintf("inventory sync #%d", sync.ID), fmt.Sprintf("the environment's latest sync is %s, not succeeded: findings were opened or updated, none was resolved", sync.Badge()))
	}
	return nil
}

// current is one of the environment's present policies.
type current struct {
	id                                          int64
	policyType, graphType, displayName, matched string
	hash                                        string
	syncRunID                                   int64
}

func currentPolicies(ctx context.Context, q db.Querier, environmentID int64) ([]*current, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.policy_type, COALESCE(p.graph_type, ''), p.display_name, p.content_hash, COALESCE(i.operation_run_id, 0)
		FROM policies p LEFT JOIN inventory_items i ON i.policy_id = p.id
		WHERE p.managed_environment_id = ? AND p.removed_at IS NULL ORDER BY p.policy_type, p.display_name, p.id`, environmentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*current
	for rows.Next() {
		var c current
		if err := rows.Scan(&c.id, &c.policyType, &c.graphType, &c.displayName, &c.hash, &c.syncRunID); err != nil {
			return nil, err
		}
		c.matched = MatchName(c.displayName)
		list = append(list, &c)
	}
	return list, rows.Err()
}

// pair is a baseline item and the environment's policy it matched.
type pair struct {
	item   *Item
	policy *current
	match  finding.Match
}

// pairUp matches a snapshot's items with the environment's policies: pins
// first, then type and match name (the same Graph type preferred among
// namesakes). What is left is missing on one side or unexpected on the other.
func pairUp(items []*Item, policies []*current, pins map[string]finding.Pin) (pairs []pair, missing []*Item, unmatched []*current) {
	byID := make(map[int64]*current, len(policies))
	byName := make(map[string][]*current, len(policies))
	for _, pol := range policies {
		byID[pol.id] = pol
		key := subjectKey(pol.policyType, pol.matched)
		byName[key] = append(byName[key], pol)
	}
	used := make(map[int64]bool, len(policies))
	paired := make(map[*Item]bool, len(items))
	for _, it := range items {
		pin, ok := pins[it.SubjectKey]
		if pol := byID[pin.PolicyID]; ok && pol != nil && !used[pol.id] && pol.policyType == it.PolicyType {
			pairs = append(pairs, pair{item: it, policy: pol, match: finding.Match{By: "pin", PinnedBy: pin.PinnedBy}})
			used[pol.id], paired[it] = true, true
		}
	}
	for _, it := range items {
		if paired[it] {
			continue
		}
		var pick *current
		for _, pol := range byName[subjectKey(it.PolicyType, it.MatchName)] {
			if used[pol.id] {
				continue
			}
			if pick == nil || (pol.graphType == it.GraphType && pick.graphType != it.GraphType) {
				pick = pol
			}
		}
		if pick == nil {
			missing = append(missing, it)
			continue
		}
		pairs = append(pairs, pair{item: it, policy: pick, match: finding.Match{By: "name"}})
		used[pick.id] = true
	}
	for _, pol := range policies {
		if !used[pol.id] {
			unmatched = append(unmatched, pol)
		}
	}
	return pairs, missing, unmatched
}

// matcher turns a snapshot and the environment's policies into observations.
type matcher struct {
	profile      *Profile
	crossTenant  bool // the snapshot is of another environment or an export
	payloads     *payloads
	progress     *operation.Progress
	observations []finding.Observation
}

func (m *matcher) run(ctx context.Context, items []*Item, policies []*current, pins map[string]finding.Pin) error {
	pairs, missing, unmatched := pairUp(items, policies, pins)
	p := m.progress
	diffs, err := m.diffPairs(ctx, pairs)
	if err != nil {
		return err
	}
	matched, drifted := 0, 0
	for i, pr := range pairs {
		matched++
		if pr.item.ContentHash == pr.policy.hash {
			continue
		}
		changes := diffs[i]
		drift := changes[:0]
		for _, c := range changes {
			if !servedToMatch(c) {
				drift = append(drift, c)
			}
		}
		if m.crossTenant {
			drift = withoutRegroupedAssignments(drift)
		}
		if len(drift) == 0 {
			continue
		}
		drifted++
		sev, rule := m.profile.Judge(pr.item.PolicyType, drift, false)
		match := pr.match
		m.observations = append(m.observations, finding.Observation{Type: finding.SettingDrift, SubjectKey: pr.item.SubjectKey,
			SubjectName: pr.item.DisplayName, PolicyType: pr.item.PolicyType, PolicyID: pr.policy.id, Severity: sev, SeverityRule: rule,
			Evidence: finding.Evidence{Baseline: baselineSide(pr.item), Current: currentSide(pr.policy), Match: &match, Changes: drift}})
	}
	for _, it := range missing {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.Succeeded(1)
		changes, err := m.payloads.compare(ctx, it.ContentHash, "")
		if err != nil {
			return fmt.Errorf("reading %s: %w", it.DisplayName, err)
		}
		candidate, err := m.candidate(ctx, it, unmatched)
		if err != nil {
			return err
		}
		sev, rule := m.profile.Judge(it.PolicyType, changes, true)
		m.observations = append(m.observations, finding.Observation{Type: finding.MissingPolicy, SubjectKey: it.SubjectKey,
			SubjectName: it.DisplayName, PolicyType: it.PolicyType, Severity: sev, SeverityRule: rule,
			Evidence: finding.Evidence{Baseline: baselineSide(it), Candidate: candidate, Changes: changes}})
	}
	unexpected := 0
	if m.profile.ReportUnexpected {
		governed := map[string]bool{}
		for _, it := range items {
			governed[it.PolicyType] = true
		}
		for _, pol := range unmatched {
			// Only types the baseline governs: a Windows baseline says nothing about iOS apps.
			if !governed[pol.policyType] || !m.profile.Captures(pol.policyType) {
				continue
			}
			changes, err := m.payloads.compare(ctx, "", pol.hash)
			if err != nil {
				return fmt.Errorf("reading %s: %w", pol.displayName, err)
			}
			unexpected++
			sev, rule := m.profile.Judge(pol.policyType, changes, false)
			m.observations = append(m.observations, finding.Observation{Type: finding.UnexpectedPolicy, SubjectKey: fmt.Sprintf("policy/%d", pol.id),
				SubjectName: pol.displayName, PolicyType: pol.policyType, PolicyID: pol.id, Severity: sev, SeverityRule: rule,
				Evidence: finding.Evidence{Current: currentSide(pol), Changes: changes}})
		}
	}
	p.Add("matched", matched)
	p.Add("drifted", drifted)
	p.Add("missing", len(missing))
	p.Add("unexpected", unexpected)
	return nil
}

// diffPairs compares each pair whose payloads differ, on one worker per core
// (the diffs are the largest part of a compare: issue 13), and counts every
// pair done. The changes are by pair, in the pairs' order.
func (m *matcher) diffPairs(ctx context.Context, pairs []pair) ([][]diff.Change, error) {
	changes := make([][]diff.Change, len(pairs))
	errs := make([]error, len(pairs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(pairs) && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				if pr := pairs[i]; pr.item.ContentHash != pr.policy.hash {
					changes[i], errs[i] = m.payloads.compare(ctx, pr.item.ContentHash, pr.policy.hash)
				}
				m.progress.Succeeded(1)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("comparing %s: %w", pairs[i].item.DisplayName, err)
		}
	}
	return changes, nil
}

// candidate is the unmatched policy of the same type whose settings overlap
// most with a missing item's, when they overlap enough to propose it.
func (m *matcher) candidate(ctx context.Context, it *Item, unmatched []*current) (*finding.Candidate, error) {
	var best *finding.Candidate
	for _, pol := range unmatched {
		if pol.policyType != it.PolicyType {
			continue
		}
		a, err := m.payloads.keys(ctx, it.ContentHash)
		if err != nil {
			return nil, err
		}
		b, err := m.payloads.keys(ctx, pol.hash)
		if err != nil {
			return nil, err
		}
		if s := jaccard(a, b); s >= candidateThreshold && (best == nil || s > best.Similarity) {
			best = &finding.Candidate{PolicyID: pol.id, DisplayName: pol.displayName, Similarity: s}
		}
	}
	return best, nil
}

func baselineSide(it *Item) *finding.Side {
	return &finding.Side{DisplayName: it.DisplayName, ContentHash: it.ContentHash, ItemID: it.ID}
}

func currentSide(pol *current) *finding.Side {
	return &finding.Side{DisplayName: pol.displayName, ContentHash: pol.hash, PolicyID: pol.id, SyncRunID: pol.syncRunID}
}

// Judge decides a finding's severity: the highest of its change rows, each
// ranked by the profile's path override when one matches it, else by the diff
// engine's rule table; a policy-type override of the profile then replaces
// the result. A missing policy's rows are what it configures, ranked as if
// each were set differently. It returns the rule that decided, for the finding.
func (p *Profile) Judge(policyType string, rows []diff.Change, missing bool) (diff.Severity, string) {
	for _, o := range p.Overrides {
		if o.PolicyType != "" && o.PolicyType == policyType {
			return o.Severity, "profile override for the type " + typeInfo(policyType).Label
		}
	}
	severity, rule := diff.Low, "nothing it configures ranks higher"
	first := true
	for _, c := range rows {
		if missing {
			c.Kind = diff.Changed
		}
		sev, why := diff.Judge(c)
		for _, o := range p.Overrides {
			if o.Path != "" && len(c.Path) >= len(o.Path) && c.Path[:len(o.Path)] == o.Path {
				sev, why = o.Severity, "profile override for "+o.Path
				break
			}
		}
		if first || finding.Higher(severity, sev) != severity {
			severity, rule, first = sev, why, false
			if c.Label != "" {
				rule += ": " + c.Label
			}
		}
	}
	return severity, rule
}

// payloads reads content-addressed payloads for one compare, keeping only
// their setting keys (for candidates): decoded payloads of 10,000 policies
// would not fit in the memory a laptop gives Atlas.
type payloads struct {
	q       db.Querier
	keySets map[string]map[string]bool
}

func newPayloads(q db.Querier) *payloads {
	return &payloads{q: q, keySets: map[string]map[string]bool{}}
}

// get is the decoded payload of hash; "" is no payload (an absent policy).
func (p *payloads) get(ctx context.Context, hash string) (any, error) {
	if hash == "" {
		return nil, nil
	}
	b, err := inventory.Payload(ctx, p.q, hash)
	if err != nil {
		return nil, err
	}
	return inventory.DecodePayload(b)
}

func (p *payloads) compare(ctx context.Context, oldHash, newHash string) ([]diff.Change, error) {
	old, err := p.get(ctx, oldHash)
	if err != nil {
		return nil, err
	}
	new, err := p.get(ctx, newHash)
	if err != nil {
		return nil, err
	}
	return diff.Compare(old, new), nil
}

func (p *payloads) keys(ctx context.Context, hash string) (map[string]bool, error) {
	if k, ok := p.keySets[hash]; ok {
		return k, nil
	}
	v, err := p.get(ctx, hash)
	if err != nil {
		return nil, err
	}
	k := settingKeys(v)
	p.keySets[hash] = k
	return k, nil
}
