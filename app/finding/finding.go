// Package finding holds drift findings (spec 131/058 Finding): what a baseline
// compare found in an environment, their lifecycle by scope_key (opened,
// updated, resolved, reopened), triage (acknowledge, accept as an exception
// until a date), the matches a manager pins, each finding's history, and the
// pages built on them: the findings list and detail, and the environment
// dashboard with its drift KPIs (spec 058).
package finding

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/web"
)

// CompareType is the operation run type that makes findings: a drift compare
// (app/baseline registers it).
const CompareType = "drift.compare"

// Type is what kind of deviation a finding is.
type Type string

const (
	MissingPolicy    Type = "missing_policy"    // in the baseline, not in the environment
	SettingDrift     Type = "setting_drift"     // in both, configured differently
	UnexpectedPolicy Type = "unexpected_policy" // in the environment, not in the baseline
)

// Types lists the finding types in the order pages show them.
var Types = []Type{SettingDrift, MissingPolicy, UnexpectedPolicy}

// Label is the type as people read it.
func (t Type) Label() string {
	switch t {
	case MissingPolicy:
		return "Missing policy"
	case SettingDrift:
		return "Setting drift"
	case UnexpectedPolicy:
		return "Unexpected policy"
	}
	return string(t)
}

// Status is where a finding is in its life.
type Status string

const (
	Open         Status = "open"
	Acknowledged Status = "acknowledged" // seen, still to be fixed: still open
	Accepted     Status = "accepted"     // an exception until its expiry
	Resolved     Status = "resolved"     // a compare no longer found it
)

// Statuses lists the statuses in the order pages show them.
var Statuses = []Status{Open, Acknowledged, Accepted, Resolved}

// Unresolved reports a status whose deviation still needs work: open or
// acknowledged. These are the "open findings" KPIs and the command line count.
func (s Status) Unresolved() bool { return s == Open || s == Acknowledged }

// openStatuses is Unresolved as SQL.
const openStatuses = `('open', 'acknowledged')`

// Severities from most to least severe.
var Severities = []diff.Severity{diff.High, diff.Medium, diff.Low}

// rank orders severities: high 3, medium 2, low 1.
func rank(s diff.Severity) int {
	switch s {
	case diff.High:
		return 3
	case diff.Medium:
		return 2
	case diff.Low:
		return 1
	}
	return 0
}

// Higher is the more severe of two severities.
func Higher(a, b diff.Severity) diff.Severity {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// severityOrder sorts SQL rows by severity, most severe first.
const severityOrder = `CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END`

// Side is one side of a finding's evidence: the baseline's policy or the environment's.
type Side struct {
	DisplayName string `json:"display_name"`
	ContentHash string `json:"content_hash"`
	PolicyID    int64  `json:"policy_id,omitempty"`        // the environment's policy
	ItemID      int64  `json:"snapshot_item_id,omitempty"` // the baseline's snapshot item
	SyncRunID   int64  `json:"sync_run_id,omitempty"`      // the sync that read the environment's version
}

// Match is how the baseline's policy and the environment's were paired.
type Match struct {
	By string `json:"by"` // "name" (type and normalised name) or "pin" (by hand)
	// PinnedBy is who pinned the match, when By is "pin".
	PinnedBy string `json:"pinned_by,omitempty"`
}

// Candidate is the environment's policy of the same type whose settings
// overlap most with a missing one: proposed, for a manager to confirm.
type Candidate struct {
	PolicyID    int64   `json:"policy_id"`
	DisplayName string  `json:"display_name"`
	Similarity  float64 `json:"similarity"` // Jaccard over setting definition ids
}

// Percent is the similarity as a whole percentage.
func (c *Candidate) Percent() int { return int(c.Similarity*100 + 0.5) }

// Evidence is evidence_jsonb: the two sides, how they were matched and the
// diff engine's change rows, labelled as the diff pages label them.
type Evidence struct {
	Baseline  *Side         `json:"baseline,omitempty"`
	Current   *Side         `json:"current,omitempty"`
	Match     *Match        `json:"match,omitempty"`
	Candidate *Candidate    `json:"candidate,omitempty"`
	Changes   []diff.Change `json:"changes"`
}

// Finding is one row of findings.
type Finding struct {
	ID                 int64
	WorkspaceID        int64
	EnvironmentID      int64
	ProfileID          int64
	ProfileName        string
	ProfileSlug        string
	SnapshotID         int64
	Type               Type
	ScopeKey           string
	SubjectKey         string
	SubjectName        string
	PolicyType         string
	PolicyID           int64
	Severity           diff.Severity
	SeverityRule       string
	Status             Status
	BaselineRunID      int64
	CurrentRunID       int64
	ResolvedRunID      int64
	Evidence           Evidence
	ExceptionReason    string
	ExceptionExpiresAt time.Time
	FirstSeenAt        time.Time
	LastSeenAt         time.Time
	ResolvedAt         time.Time
}

// Age is how long ago the finding was first seen.
func (f *Finding) Age(now time.Time) time.Duration { return now.Sub(f.FirstSeenAt) }

const findingColumns = `f.id, f.workspace_id, f.managed_environment_id, f.baseline_profile_id, p.name, p.slug, COALESCE(f.baseline_snapshot_id, 0),
	f.finding_type, f.scope_key, f.subject_key, COALESCE(f.subject_display_name, ''), f.policy_type, COALESCE(f.policy_id, 0),
	f.severity, f.severity_rule, f.status, COALESCE(f.baseline_operation_run_id, 0), COALESCE(f.current_operation_run_id, 0),
	COALESCE(f.resolved_operation_run_id, 0), f.evidence_jsonb, COALESCE(f.exception_reason, ''), f.exception_expires_at,
	f.first_seen_at, f.last_seen_at, f.resolved_at`

// listColumns are findingColumns without the evidence, which no list or
// dashboard row shows: a list's rows have an empty Evidence (decoding 50
// evidence documents, each a policy's diff, was a third of a list page's CPU).
var listColumns = strings.Replace(findingColumns, "f.evidence_jsonb", "'{}'", 1)

const findingFrom = ` FROM findings f JOIN baseline_profiles p ON p.id = f.baseline_profile_id`

func scanFinding(row db.Row) (*Finding, error) {
	var f Finding
	var evidence string
	var expires, first, last, resolved db.Time
	if err := row.Scan(&f.ID, &f.WorkspaceID, &f.EnvironmentID, &f.ProfileID, &f.ProfileName, &f.ProfileSlug, &f.SnapshotID,
		&f.Type, &f.ScopeKey, &f.SubjectKey, &f.SubjectName, &f.PolicyType, &f.PolicyID,
		&f.Severity, &f.SeverityRule, &f.Status, &f.BaselineRunID, &f.CurrentRunID,
		&f.ResolvedRunID, &evidence, &f.ExceptionReason, &expires, &first, &last, &resolved); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(evidence), &f.Evidence); err != nil {
		return nil, fmt.Errorf("finding %d evidence: %w", f.ID, err)
	}
	f.ExceptionExpiresAt, f.FirstSeenAt, f.LastSeenAt, f.ResolvedAt = expires.Time, first.Time, last.Time, resolved.Time
	return &f, nil
}

// Get loads a finding of the environment; one of another environment is not found.
func Get(ctx context.Context, q db.Querier, environmentID, id int64) (*Finding, error) {
	f, err := scanFinding(q.QueryRowContext(ctx, `SELECT `+findingColumns+findingFrom+` WHERE f.id = ? AND f.managed_environment_id = ?`, id, environmentID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return f, err
}

func queryFindings(ctx context.Context, q db.Querier, query string, args ...any) ([]*Finding, error) {
	return db.Collect(ctx, q, scanFinding, query, args...)
}

// ScopeKey is the identity of a finding for life: the environment, the profile,
// the finding type and the subject (spec 058 scope_key).
func ScopeKey(environmentID, profileID int64, t Type, subjectKey string) string {
	return fmt.Sprintf("%d/%d/%s/%s", environmentID, profileID, t, subjectKey)
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data: cannot happen
	}
	return string(b)
}
