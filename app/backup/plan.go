package backup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/intune"
	"atlas/app/inventory"
)

// Actions a restore takes with an item.
const (
	Skip     = "skip"     // the target already holds exactly this
	Update   = "update"   // the same policy, with other content
	Recreate = "recreate" // missing in the target
	Copy     = "copy"     // another policy has its name: restored under a new name
)

// Choice is which items of a set a restore takes, and whose assignments: every
// item when Types, Items and Names are all empty.
type Choice struct {
	Types []string `json:"types,omitempty"`
	Items []int64  `json:"items,omitempty"`
	Names []string `json:"names,omitempty"` // display names, without regard to case
	// Assign lists the items whose assignments are restored; AllAssignments
	// restores every chosen item's. Assignments are left out otherwise.
	Assign         []int64 `json:"assign,omitempty"`
	AllAssignments bool    `json:"all_assignments,omitempty"`
}

// All reports whether every item is chosen.
func (c Choice) All() bool { return len(c.Types)+len(c.Items)+len(c.Names) == 0 }

func (c Choice) takes(it *Item) bool {
	return c.All() || slices.Contains(c.Types, it.Type.Key) || slices.Contains(c.Items, it.ID) ||
		slices.ContainsFunc(c.Names, func(n string) bool { return strings.EqualFold(n, it.DisplayName) })
}

func (c Choice) assigns(it *Item) bool { return c.AllAssignments || slices.Contains(c.Assign, it.ID) }

// Target is the environment a restore writes for.
type Target struct {
	ID    int64
	Label string
}

// Step is what a restore does with one chosen item.
type Step struct {
	Item            *Item
	Action          string
	Name            string // as written: a copy's new name
	WithAssignments bool
	TargetPolicy    *targetPolicy // the policy it updates or skips; nil for recreate and copy
	Document        Document      // what is written
	Hash            string        // Document.Payload's content hash
	HashBefore      string        // the target policy's, in the same form (without assignments unless they are restored)
	Before, After   []byte        // canonical JSON of both sides ("null" for none)
	before          any           // Before, decoded
}

// Changes are the step's changes from the target's current version, worked
// out when asked: a restore that only writes needs none.
func (s *Step) Changes() []diff.Change { return diff.Compare(s.before, s.Document.Payload) }

// Summary says what the step changes in one line.
func (s *Step) Summary() string {
	switch s.Action {
	case Skip:
		return "identical"
	case Recreate, Copy:
		return "new policy: " + diff.Summary(s.Changes())
	}
	return diff.Summary(s.Changes())
}

// Warning is something to look at before applying: an assignment to everyone,
// or to a group the target has never used.
type Warning struct {
	Item    string
	Message string
}

func (w Warning) String() string { return w.Item + ": " + w.Message }

// targetPolicy is a present policy of the target environment.
type targetPolicy struct {
	ID          int64
	IdentityKey string
	ExternalID  string
	Type        string
	Name        string
	Hash        string
}

// planner matches a set's items to a target environment.
type planner struct {
	q          db.Querier
	sameEnv    bool
	target     Target
	date       time.Time
	byID       map[int64]*targetPolicy
	byIdentity map[string]*targetPolicy
	byName     map[string]*targetPolicy // type + "\x00" + lower-case name
	groups     map[string]bool          // group ids the target's assignments name; nil until needed
}

func newPlanner(ctx context.Context, q db.Querier, set *Set, target Target, date time.Time) (*planner, error) {
	p := &planner{q: q, sameEnv: set.EnvironmentID == target.ID, target: target, date: date,
		byID: map[int64]*targetPolicy{}, byIdentity: map[string]*targetPolicy{}, byName: map[string]*targetPolicy{}}
	rows, err := q.QueryContext(ctx, `SELECT id, identity_key, COALESCE(external_id, ''), policy_type, display_name, content_hash
		FROM policies WHERE managed_environment_id = ? AND removed_at IS NULL ORDER BY id`, target.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var tp targetPolicy
		if err := rows.Scan(&tp.ID, &tp.IdentityKey, &tp.ExternalID, &tp.Type, &tp.Name, &tp.Hash); err != nil {
			return nil, err
		}
		p.byID[tp.ID] = &tp
		p.byIdentity[tp.IdentityKey] = &tp
		if key := nameKey(tp.Type, tp.Name); p.byName[key] == nil {
			p.byName[key] = &tp
		}
	}
	return p, rows.Err()
}

func nameKey(typ, name string) string { return typ + "\x00" + strings.ToLower(name) }

// match finds the item's policy in the target. In its own environment that is
// the same policy; a present policy of its type and name that is another one
// makes a copy. In another environment the counterpart is the policy with the
// same identity, else the same type and name (DESIGN §7: baselines match
// across environments that way).
func (p *planner) match(it *Item) (same, namesake *targetPolicy) {
	namesake = p.byName[nameKey(it.Type.Key, it.DisplayName)]
	if p.sameEnv {
		same = p.byID[it.PolicyID]
		if same != nil || namesake == nil {
			return same, nil
		}
		return nil, namesake
	}
	if same = p.byIdentity[it.IdentityKey]; same == nil {
		same = namesake
	}
	return same, nil
}

// step plans one item from its stored payload.
func (p *planner) step(ctx context.Context, it *Item, canonical []byte, withAssignments bool) (*Step, error) {
	same, namesake := p.match(it)
	s := &Step{Item: it, Name: it.DisplayName, WithAssignments: withAssignments, TargetPolicy: same, Before: []byte("null")}
	externalID := it.ExternalID
	switch {
	case same != nil:
		externalID = same.ExternalID
	case namesake != nil:
		s.Action, externalID = Copy, ""
		s.Name = fmt.Sprintf("%s (restored %s)", it.DisplayName, p.date.UTC().Format("2006-01-02"))
	default:
		s.Action = Recreate
	}
	doc, err := document(it, canonical, withAssignments, externalID)
	if err != nil {
		return nil, err
	}
	if s.Action == Copy {
		rename(doc.Payload, s.Name)
		doc.Name = s.Name
	}
	s.Document = doc
	s.After = intune.Canonical(doc.Payload)
	s.Hash = intune.Hash(s.After)
	if same != nil {
		stored, err := inventory.Payload(ctx, p.q, same.Hash)
		if err != nil {
			return nil, fmt.Errorf("the target's payload of %s: %w", same.Name, err)
		}
		if s.before, err = inventory.DecodePayload(stored); err != nil {
			return nil, err
		}
		if m, ok := s.before.(map[string]any); ok && !withAssignments {
			delete(m, "assignments")
		}
		s.Before = intune.Canonical(s.before)
		s.HashBefore = intune.Hash(s.Before)
		s.Action = Update
		if s.HashBefore == s.Hash {
			s.Action = Skip
		}
	}
	return s, nil
}

// rename gives a copy its new name where the payload keeps its name.
func rename(payload any, name string) {
	m, ok := payload.(map[string]any)
	if !ok {
		return
	}
	for _, key := range []string{"displayName", "name"} {
		if _, has := m[key]; has {
			m[key] = name
			return
		}
	}
}

// warnings are the step's assignments to every user or device, and to groups
// the target environment's policies never name.
func (p *planner) warnings(ctx context.Context, s *Step) ([]Warning, error) {
	m, _ := s.Document.Payload.(map[string]any)
	list, _ := m["assignments"].([]any)
	var out []Warning
	for _, a := range list {
		target, _ := a.(map[string]any)["target"].(map[string]any)
		kind, _ := target["@odata.type"].(string)
		switch kind {
		case "#microsoft.graph.allDevicesAssignmentTarget":
			out = append(out, Warning{s.Name, "assigned to all devices"})
		case "#microsoft.graph.allLicensedUsersAssignmentTarget":
			out = append(out, Warning{s.Name, "assigned to all users"})
		}
		id, _ := target["groupId"].(string)
		if id == "" {
			continue
		}
		if p.groups == nil {
			if err := p.loadGroups(ctx); err != nil {
				return nil, err
			}
		}
		if !p.groups[id] {
			group := id
			if name, _ := target["groupName"].(string); name != "" {
				group = fmt.Sprintf("%s (%s)", name, id)
			}
			out = append(out, Warning{s.Name, fmt.Sprintf("group %s does not occur in %s", group, p.target.Label)})
		}
	}
	return out, nil
}

// loadGroups collects the group ids the target's present policies assign to.
func (p *planner) loadGroups(ctx context.Context) error {
	p.groups = map[string]bool{}
	rows, err := p.q.QueryContext(ctx, `SELECT pl.canonical FROM policies p JOIN policy_payloads pl ON pl.content_hash = p.content_hash
		WHERE p.managed_environment_id = ? AND p.removed_at IS NULL`, p.target.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var canonical []byte
		if err := rows.Scan(&canonical); err != nil {
			return err
		}
		v, err := inventory.DecodePayload(canonical)
		if err != nil {
			continue
		}
		m, _ := v.(map[string]any)
		list, _ := m["assignments"].([]any)
		for _, a := range list {
			am, _ := a.(map[string]any)
			target, _ := am["target"].(map[string]any)
			if id, _ := target["groupId"].(string); id != "" {
				p.groups[id] = true
			}
		}
	}
	return rows.Err()
}

// Request is a restore as chosen: a set, its items, the target and the layout.
type Request struct {
	Set    *Set
	Target Target
	Choice Choice
	Layout string
	Date   time.Time // names a copy "<name> (restored <date>)"
}

// Plan walks the chosen items of the set against the target and calls fn with
// each step and its warnings (only for an item whose assignments are restored),
// one payload in memory at a time. It reads the database only, one query at a
// time (a cursor held open while others wait for a pooled connection could
// starve the pool).
func Plan(ctx context.Context, q db.Querier, r Request, fn func(s *Step, warnings []Warning) error) error {
	p, err := newPlanner(ctx, q, r.Set, r.Target, r.Date)
	if err != nil {
		return err
	}
	items, err := Items(ctx, q, r.Set.ID)
	if err != nil {
		return err
	}
	for _, it := range items {
		if !r.Choice.takes(it) {
			continue
		}
		canonical, err := inventory.Payload(ctx, q, it.ContentHash)
		if err != nil {
			return fmt.Errorf("the stored payload of %s: %w", it.DisplayName, err)
		}
		s, err := p.step(ctx, it, canonical, r.Choice.assigns(it))
		if err != nil {
			return err
		}
		var warnings []Warning
		if s.WithAssignments && s.Action != Skip {
			if warnings, err = p.warnings(ctx, s); err != nil {
				return err
			}
		}
		if err := fn(s, warnings); err != nil {
			return err
		}
	}
	return nil
}
