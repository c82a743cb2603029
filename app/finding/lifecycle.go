package finding

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/diff"
)

// Observation is one deviation a compare found.
type Observation struct {
	Type         Type
	SubjectKey   string // the baseline's subject (or, unexpected, the environment's policy)
	SubjectName  string
	PolicyType   string
	PolicyID     int64 // the environment's policy; 0 when missing
	Severity     diff.Severity
	SeverityRule string
	Evidence     Evidence
}

// Compare is one compare run: what it compared and what it may do.
type Compare struct {
	WorkspaceID   int64
	EnvironmentID int64
	ProfileID     int64
	SnapshotID    int64
	BaselineRunID int64 // the snapshot's capture run
	RunID         int64 // this compare's run
	UserID        int64 // who started it; 0 for the command line
	// Complete: the environment's latest sync read every file. Only then may a
	// compare resolve what it no longer finds (issue 10).
	Complete bool
	Now      time.Time
}

// Tally is what a compare did to findings (its summary_counts).
type Tally struct{ Opened, Updated, Resolved, Reopened int }

// batchSize bounds one write transaction, so that the one writer is never
// held long by a compare of 10,000 policies.
const batchSize = 256

// Apply writes a compare's observations by scope_key: a new deviation opens a
// finding; one already open (acknowledged, or accepted until a date still to
// come) is updated; a resolved one, or one whose exception has expired, is
// reopened. Then, when the compare's input was complete, every finding of the
// (environment, profile) it did not observe is resolved. The one row per
// scope_key (a unique index, read and written inside the writer's
// transaction) means two compares at once never make twins.
func Apply(ctx context.Context, d *db.DB, c Compare, obs []Observation) (Tally, error) {
	var t Tally
	seen := make(map[string]bool, len(obs))
	for start := 0; start < len(obs); start += batchSize {
		batch := obs[start:min(start+batchSize, len(obs))]
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			for i := range batch {
				if err := observe(ctx, tx, c, &batch[i], &t); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return t, err
		}
		for i := range batch {
			seen[ScopeKey(c.EnvironmentID, c.ProfileID, batch[i].Type, batch[i].SubjectKey)] = true
		}
	}
	if !c.Complete {
		return t, nil
	}
	gone, err := unobserved(ctx, d.Read, c, seen)
	if err != nil {
		return t, err
	}
	for start := 0; start < len(gone); start += batchSize {
		batch := gone[start:min(start+batchSize, len(gone))]
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			for _, f := range batch {
				res, err := tx.ExecContext(ctx, `UPDATE findings SET status = 'resolved', resolved_at = ?, resolved_operation_run_id = ?,
					exception_reason = NULL, exception_expires_at = NULL, updated_at = ? WHERE id = ? AND status <> 'resolved'`,
					db.Format(c.Now), db.NullID(c.RunID), db.Format(c.Now), f.id)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 0 {
					continue // another compare resolved it meanwhile
				}
				t.Resolved++
				if err := transition(ctx, tx, c, f.id, f.subject, "resolved", f.status, Resolved, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return t, err
		}
	}
	return t, nil
}

// observe applies one observation inside the batch's transaction.
func observe(ctx context.Context, tx *sql.Tx, c Compare, o *Observation, t *Tally) error {
	key := ScopeKey(c.EnvironmentID, c.ProfileID, o.Type, o.SubjectKey)
	now := db.Format(c.Now)
	evidence := marshal(o.Evidence)
	var id int64
	var status Status
	var expires db.Time
	err := tx.QueryRowContext(ctx, `SELECT id, status, exception_expires_at FROM findings WHERE scope_key = ?`, key).Scan(&id, &status, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		res, err := tx.ExecContext(ctx, `INSERT INTO findings (workspace_id, managed_environment_id, baseline_profile_id, baseline_snapshot_id,
			finding_type, scope_key, subject_key, subject_display_name, policy_type, policy_id, severity, severity_rule, status,
			baseline_operation_run_id, current_operation_run_id, evidence_jsonb, first_seen_at, last_seen_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)`,
			c.WorkspaceID, c.EnvironmentID, c.ProfileID, db.NullID(c.SnapshotID), o.Type, key, o.SubjectKey, o.SubjectName, o.PolicyType,
			db.NullID(o.PolicyID), o.Severity, o.SeverityRule, db.NullID(c.BaselineRunID), db.NullID(c.RunID), evidence, now, now, now, now)
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		t.Opened++
		return transition(ctx, tx, c, id, o.SubjectName, "opened", "", Open, map[string]any{"severity": o.Severity})
	}
	if err != nil {
		return err
	}
	// Observed again: the evidence, severity and runs are this compare's.
	if _, err := tx.ExecContext(ctx, `UPDATE findings SET baseline_snapshot_id = ?, subject_display_name = ?, policy_id = ?, severity = ?,
		severity_rule = ?, baseline_operation_run_id = ?, current_operation_run_id = ?, evidence_jsonb = ?, last_seen_at = ?, updated_at = ?
		WHERE id = ?`, db.NullID(c.SnapshotID), o.SubjectName, db.NullID(o.PolicyID), o.Severity, o.SeverityRule,
		db.NullID(c.BaselineRunID), db.NullID(c.RunID), evidence, now, now, id); err != nil {
		return err
	}
	action := ""
	switch {
	case status == Resolved:
		action = "reopened"
	case status == Accepted && !expires.After(c.Now):
		action = "exception expired"
	default:
		t.Updated++
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE findings SET status = 'open', resolved_at = NULL, resolved_operation_run_id = NULL,
		exception_reason = NULL, exception_expires_at = NULL WHERE id = ?`, id); err != nil {
		return err
	}
	t.Reopened++
	return transition(ctx, tx, c, id, o.SubjectName, action, status, Open, map[string]any{"severity": o.Severity})
}

type unresolvedFinding struct {
	id      int64
	subject string
	status  Status
}

// unobserved lists the (environment, profile)'s findings not yet resolved that
// this compare did not observe.
func unobserved(ctx context.Context, q db.Querier, c Compare, seen map[string]bool) ([]unresolvedFinding, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, scope_key, COALESCE(subject_display_name, ''), status FROM findings
		WHERE managed_environment_id = ? AND baseline_profile_id = ? AND status <> 'resolved'`, c.EnvironmentID, c.ProfileID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gone []unresolvedFinding
	for rows.Next() {
		var f unresolvedFinding
		var key string
		if err := rows.Scan(&f.id, &key, &f.subject, &f.status); err != nil {
			return nil, err
		}
		if !seen[key] {
			gone = append(gone, f)
		}
	}
	return gone, rows.Err()
}

// transition records a compare's change of a finding's status: on its history
// and in the audit log, as the compare's run and its initiator.
func transition(ctx context.Context, tx *sql.Tx, c Compare, id int64, subject, action string, from, to Status, detail map[string]any) error {
	if err := addEvent(ctx, tx, event{findingID: id, environmentID: c.EnvironmentID, action: action, from: from, to: to,
		userID: c.UserID, runID: c.RunID, detail: detail, at: c.Now}); err != nil {
		return err
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["run"] = c.RunID
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: c.WorkspaceID, UserID: c.UserID, Action: "finding." + auditVerb(action),
		RecordType: "finding", RecordID: id, RecordLabel: subject, Detail: detail})
}

// auditVerb is an event's action as one word for the audit log.
func auditVerb(action string) string {
	if action == "exception expired" {
		return "reopened"
	}
	return action
}

// event is one row of finding_events.
type event struct {
	findingID     int64
	environmentID int64
	action        string
	from, to      Status
	userID, runID int64
	detail        map[string]any
	at            time.Time
}

func addEvent(ctx context.Context, tx *sql.Tx, e event) error {
	detail := "{}"
	if e.detail != nil {
		detail = marshal(e.detail)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO finding_events (finding_id, managed_environment_id, action, from_status, to_status, user_id,
		operation_run_id, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.findingID, e.environmentID, e.action, db.NullString(string(e.from)), e.to, db.NullID(e.userID), db.NullID(e.runID), detail, db.Format(e.at))
	return err
}
