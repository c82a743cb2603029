package demo

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"atlas/app/backup"
	"atlas/app/db"
	"atlas/app/operation"
	"atlas/app/web"
)

// The SQL the demo runs itself, in one place. Everything else (users,
// workspaces, environments, memberships, connections, policies and versions)
// goes through the domains' own functions.

// removeDemo deletes the demo's workspaces (every row under them cascades) and
// its users, for --force; other workspaces and users are not touched.
func removeDemo(ctx context.Context, tx *sql.Tx) error {
	for _, c := range customers {
		if _, err := tx.ExecContext(ctx, `DELETE FROM workspaces WHERE slug = ?`, c.slug); err != nil {
			return err
		}
	}
	for _, p := range people {
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE email = ? AND is_local_owner = 0`, p.email); err != nil {
			return err
		}
	}
	return nil
}

func countWorkspaces(ctx context.Context, q db.Querier) (int, error) {
	var n int
	return n, q.QueryRowContext(ctx, `SELECT count(*) FROM workspaces`).Scan(&n)
}

// insertRun writes a completed run of the history.
func insertRun(ctx context.Context, tx *sql.Tx, r *run) error {
	heartbeat := r.completed
	if r.started.IsZero() {
		heartbeat = time.Time{}
	}
	var initiator int64
	if r.initiator != nil {
		initiator = r.initiator.id
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO operation_runs (workspace_id, managed_environment_id, type, status, outcome,
		created_at, started_at, completed_at, context, summary_counts, failure_summary, initiated_by_user_id, heartbeat_at)
		VALUES (?, ?, ?, 'completed', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.workspaceID, db.NullID(r.environmentID), r.typ, r.outcome,
		db.Time{Time: r.created}, db.Time{Time: r.started}, db.Time{Time: r.completed},
		jsonText(r.context), jsonText(r.counts), failureText(r.failure), db.NullID(initiator), db.Time{Time: heartbeat})
	return err
}

// restamp dates a run the engine ran just now (run runID, started at or after
// the wall-clock time since) to r's planned times, with what it wrote (stamps):
// the domains stamp "now", the demo's history happened over 90 days.
func restamp(ctx context.Context, d *db.DB, runID int64, r *run, since string, stamps []string) error {
	end := db.Format(r.completed)
	return d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE operation_runs SET created_at = ?, started_at = ?, completed_at = ?3, heartbeat_at = ?3
			WHERE id = ?4`, db.Format(r.created), db.Format(r.started), end, runID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_events SET created_at = ? WHERE record_type = 'operation_run' AND record_id = ?`,
			db.Format(r.created), runID); err != nil {
			return err
		}
		for _, s := range stamps {
			if _, err := tx.ExecContext(ctx, s, end, r.environmentID, since); err != nil {
				return err
			}
		}
		return nil
	})
}

// restampRun dates a run the engine executed just now (backup or restore, run
// runID, started at or after since) to r's planned times, with what it wrote.
func restampRun(ctx context.Context, d *db.DB, runID int64, r *run, since string) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		for _, s := range []struct {
			query string
			args  []any
		}{
			{`UPDATE operation_runs SET created_at = ?, started_at = ?, completed_at = ?3, heartbeat_at = ?3 WHERE id = ?4`,
				[]any{db.Format(r.created), db.Format(r.started), db.Format(r.completed), runID}},
			{`UPDATE audit_events SET created_at = ? WHERE workspace_id = ? AND created_at >= ?`, []any{db.Format(r.created), r.workspaceID, since}},
			{`UPDATE backup_sets SET created_at = ? WHERE operation_run_id = ?`, []any{db.Format(r.completed), runID}},
			{`UPDATE restores SET created_at = ? WHERE operation_run_id = ?`, []any{db.Format(r.created), runID}},
			{`UPDATE policy_payloads SET created_at = ? WHERE created_at >= ?`, []any{db.Format(r.completed), since}},
		} {
			if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
				return err
			}
		}
		return nil
	})
}

// latestWeekly is the environment's newest weekly backup set.
func latestWeekly(ctx context.Context, q db.Querier, workspaceID, environmentID int64) (*backup.Set, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM backup_sets WHERE managed_environment_id = ? AND name LIKE 'Weekly backup %'
		ORDER BY created_at DESC, id DESC LIMIT 1`, environmentID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return backup.SetOfWorkspace(ctx, q, workspaceID, id)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of JSON values always marshal
	}
	return string(b)
}

func failureText(f *operation.FailureSummary) any {
	if f == nil {
		return nil
	}
	return jsonText(f)
}

// syncStamps, captureStamps and compareStamps move what a run wrote at
// wall-clock time (?3 and later) to the time it ended (?1), in its environment (?2).
var syncStamps = []string{
	`UPDATE policies SET first_seen_at = ?1 WHERE managed_environment_id = ?2 AND first_seen_at >= ?3`,
	`UPDATE policies SET last_seen_at = ?1 WHERE managed_environment_id = ?2 AND last_seen_at >= ?3`,
	`UPDATE policies SET removed_at = ?1 WHERE managed_environment_id = ?2 AND removed_at >= ?3`,
	`UPDATE policy_versions SET captured_at = ?1 WHERE managed_environment_id = ?2 AND captured_at >= ?3`,
	`UPDATE inventory_items SET observed_at = ?1 WHERE managed_environment_id = ?2 AND observed_at >= ?3`,
	`UPDATE policy_payloads SET created_at = ?1 WHERE created_at >= ?3`,
	`UPDATE restore_items SET verified_at = ?1 WHERE verified_at >= ?3
		AND operation_run_id IN (SELECT operation_run_id FROM restores WHERE managed_environment_id = ?2)`,
}

var captureStamps = []string{
	`UPDATE baseline_snapshots SET captured_at = ?1 WHERE source_environment_id = ?2 AND captured_at >= ?3`,
}

var compareStamps = []string{
	`UPDATE findings SET first_seen_at = ?1, created_at = ?1 WHERE managed_environment_id = ?2 AND first_seen_at >= ?3`,
	`UPDATE findings SET last_seen_at = ?1 WHERE managed_environment_id = ?2 AND last_seen_at >= ?3`,
	`UPDATE findings SET updated_at = ?1 WHERE managed_environment_id = ?2 AND updated_at >= ?3`,
	`UPDATE findings SET resolved_at = ?1 WHERE managed_environment_id = ?2 AND resolved_at >= ?3`,
	`UPDATE finding_events SET created_at = ?1 WHERE managed_environment_id = ?2 AND created_at >= ?3`,
	`UPDATE audit_events SET created_at = ?1 WHERE record_type = 'finding' AND created_at >= ?3`,
}

// setupStamps date a workspace's own rows and its audit trail (?2) to when the
// demo's story begins (?1).
var setupStamps = []string{
	`UPDATE workspaces SET created_at = ?1, updated_at = ?1 WHERE id = ?2`,
	`UPDATE workspace_memberships SET created_at = ?1, updated_at = ?1 WHERE workspace_id = ?2`,
	`UPDATE managed_environments SET created_at = ?1, updated_at = ?1 WHERE workspace_id = ?2`,
	`UPDATE managed_environment_memberships SET created_at = ?1, updated_at = ?1
		WHERE managed_environment_id IN (SELECT id FROM managed_environments WHERE workspace_id = ?2)`,
	`UPDATE provider_connections SET created_at = ?1, updated_at = ?1 WHERE workspace_id = ?2`,
	`UPDATE audit_events SET created_at = ?1 WHERE workspace_id = ?2 AND record_type != 'operation_run'`,
}

// stampSetup runs setupStamps for one workspace in one transaction.
func stampSetup(ctx context.Context, d *db.DB, at time.Time, workspaceID int64) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		for _, s := range setupStamps {
			if _, err := tx.ExecContext(ctx, s, db.Format(at), workspaceID); err != nil {
				return err
			}
		}
		return nil
	})
}

// totals adds up what the demo wrote in its workspaces.
func totals(ctx context.Context, q db.Querier, workspaceIDs []int64, s *Summary) error {
	for _, id := range workspaceIDs {
		var envs, pols, versions, runs int
		if err := q.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM managed_environments WHERE workspace_id = ?1),
			(SELECT count(*) FROM policies WHERE workspace_id = ?1),
			(SELECT count(*) FROM policy_versions WHERE workspace_id = ?1),
			(SELECT count(*) FROM operation_runs WHERE workspace_id = ?1)`, id).Scan(&envs, &pols, &versions, &runs); err != nil {
			return err
		}
		s.Workspaces++
		s.Environments += envs
		s.Policies += pols
		s.Versions += versions
		s.Runs += runs
	}
	return nil
}
