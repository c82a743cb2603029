// Package operation is Atlas's durable runner (DESIGN §6): every long job is an
// OperationRun row (specs 077/058/131), claimed by a worker, reported on as it goes,
// and shown in one canonical, tenantless feed.
package operation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"atlas/app/db"
	"atlas/app/web"
)

// Status is where a run is in its life.
type Status string

const (
	Queued    Status = "queued"
	Running   Status = "running"
	Completed Status = "completed"
)

// Outcome is how a completed run ended.
type Outcome string

const (
	Succeeded Outcome = "succeeded"
	Partial   Outcome = "partial"
	Failed    Outcome = "failed"
	Cancelled Outcome = "cancelled"
)

// Failure reasons written to failure_summary.reason.
const (
	ReasonError       = "error"
	ReasonPanic       = "panic"
	ReasonInterrupted = "interrupted"
	ReasonCancelled   = "cancelled"
	ReasonItemsFailed = "items_failed"
	ReasonUnknownType = "unknown_type"
	ReasonWarnings    = "warnings"
)

// maxItemErrors bounds the per-item errors kept in failure_summary.
const maxItemErrors = 100

// Counts is summary_counts: processed, total, succeeded, failed, skipped and any
// counter a type adds.
type Counts map[string]int

// ItemError is one item that could not be processed, and why.
type ItemError struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
	// Warning: the item was handled, with something a person should know
	// (an inventory sync's duplicate file); it does not make the run partial.
	Warning bool `json:"warning,omitempty"`
}

// FailureSummary is failure_summary: why a run did not fully succeed.
type FailureSummary struct {
	Reason  string `json:"reason"`
	Message string `json:"message,omitempty"`
	// LastSeenAt is when an interrupted run's process last reported in.
	LastSeenAt string      `json:"last_seen_at,omitempty"`
	Items      []ItemError `json:"items,omitempty"`
	// ItemsOmitted counts per-item errors beyond the bounded list.
	ItemsOmitted int `json:"items_omitted,omitempty"`
}

// Run is one OperationRun.
type Run struct {
	ID                int64
	WorkspaceID       int64
	EnvironmentID     int64 // 0: a workspace-level run
	Type              string
	Status            Status
	Outcome           Outcome
	CreatedAt         time.Time
	StartedAt         time.Time
	CompletedAt       time.Time
	HeartbeatAt       time.Time
	CancelRequestedAt time.Time
	Context           json.RawMessage
	Counts            Counts
	Failure           *FailureSummary
	InitiatedBy       int64
	InitiatorName     string
	RetryOf           int64
	OwnerPID          int64
}

// Active reports whether the run is queued or running.
func (r *Run) Active() bool { return r.Status != Completed }

// Duration is completed − started, or −1 when either is missing.
func (r *Run) Duration() time.Duration {
	if r.StartedAt.IsZero() || r.CompletedAt.IsZero() {
		return -1
	}
	return r.CompletedAt.Sub(r.StartedAt)
}

// Badge is the one word shown in the status badge: the outcome once completed.
func (r *Run) Badge() string {
	if r.Status == Completed {
		return string(r.Outcome)
	}
	return string(r.Status)
}

// Processed is how many items the run has handled so far.
func (r *Run) Processed() int { return r.Counts["processed"] }

// Total is how many items the run expects, 0 when unknown.
func (r *Run) Total() int { return r.Counts["total"] }

// DecodeContext unmarshals the run's context into v.
func (r *Run) DecodeContext(v any) error {
	if len(r.Context) == 0 {
		return nil
	}
	return json.Unmarshal(r.Context, v)
}

const runColumns = `r.id, r.workspace_id, COALESCE(r.managed_environment_id, 0), r.type, r.status, COALESCE(r.outcome, ''),
	r.created_at, r.started_at, r.completed_at, r.heartbeat_at, r.cancel_requested_at,
	r.context, r.summary_counts, r.failure_summary, COALESCE(r.initiated_by_user_id, 0), COALESCE(u.name, ''),
	COALESCE(r.retry_of_run_id, 0), COALESCE(r.owner_pid, 0)`

const runFrom = ` FROM operation_runs r LEFT JOIN users u ON u.id = r.initiated_by_user_id`

func scanRun(row db.Row) (*Run, error) {
	var r Run
	var created, started, completed, heartbeat, cancelAt db.Time
	var ctxJSON, counts string
	var failure sql.NullString
	if err := row.Scan(&r.ID, &r.WorkspaceID, &r.EnvironmentID, &r.Type, &r.Status, &r.Outcome,
		&created, &started, &completed, &heartbeat, &cancelAt,
		&ctxJSON, &counts, &failure, &r.InitiatedBy, &r.InitiatorName, &r.RetryOf, &r.OwnerPID); err != nil {
		return nil, err
	}
	r.CreatedAt, r.StartedAt, r.CompletedAt, r.HeartbeatAt, r.CancelRequestedAt = created.Time, started.Time, completed.Time, heartbeat.Time, cancelAt.Time
	r.Context = json.RawMessage(ctxJSON)
	if err := json.Unmarshal([]byte(counts), &r.Counts); err != nil {
		return nil, fmt.Errorf("run %d summary_counts: %w", r.ID, err)
	}
	if failure.Valid {
		r.Failure = &FailureSummary{}
		if err := json.Unmarshal([]byte(failure.String), r.Failure); err != nil {
			return nil, fmt.Errorf("run %d failure_summary: %w", r.ID, err)
		}
	}
	return &r, nil
}

// Get loads a run of the workspace; a run of another workspace is not found.
func Get(ctx context.Context, q db.Querier, workspaceID, id int64) (*Run, error) {
	r, err := scanRun(q.QueryRowContext(ctx, `SELECT `+runColumns+runFrom+` WHERE r.id = ? AND r.workspace_id = ?`, id, workspaceID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return r, err
}

// RetriedBy lists the runs started as retries of run id, newest first.
func RetriedBy(ctx context.Context, q db.Querier, workspaceID, id int64) ([]*Run, error) {
	return queryRuns(ctx, q, `SELECT `+runColumns+runFrom+` WHERE r.retry_of_run_id = ? AND r.workspace_id = ? ORDER BY r.id DESC LIMIT 20`, id, workspaceID)
}

func queryRuns(ctx context.Context, q db.Querier, query string, args ...any) ([]*Run, error) {
	return db.Collect(ctx, q, scanRun, query, args...)
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Counts, summaries and contexts are plain data: this cannot happen.
		panic(err)
	}
	return string(b)
}
