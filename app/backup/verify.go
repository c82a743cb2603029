package backup

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"atlas/app/db"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/operation"
)

// Verification states of a restored item, recorded at each sync of the target
// until it is verified.
const (
	Verified   = "verified"    // the target holds what was written
	NotApplied = "not_applied" // the target still holds what it held before (or lacks the new policy)
	Differs    = "differs"     // the target holds something else
)

// VerifyingSync wraps the inventory sync's handler: once a sync of an
// environment has read its export, the items restores wrote for it are
// checked against what it now holds (issue 11: verification at the next sync).
// A verification that fails is a warning on the sync, never its failure.
func VerifyingSync(d *db.DB, sync operation.Handler) operation.Handler {
	return func(ctx context.Context, run *operation.Run, p *operation.Progress) error {
		if err := sync(ctx, run, p); err != nil {
			return err
		}
		if _, err := Verify(ctx, d, run.EnvironmentID, run.ID, run.StartedAt); err != nil {
			p.Warn("restore verification", err.Error())
		}
		return nil
	}
}

// openItem is a written item of a restore not verified yet.
type openItem struct {
	id, targetPolicy int64
	action, typ      string
	name             string
	withAssignments  bool
	hash, hashBefore string
}

// Verify checks every written, not yet verified item of the restores into the
// environment that completed before since (the sync's start) against the
// environment's present policies, and records its state; it returns how many
// items it checked.
func Verify(ctx context.Context, d *db.DB, environmentID, syncRunID int64, since time.Time) (int, error) {
	rows, err := d.Read.QueryContext(ctx, `SELECT ri.id, COALESCE(ri.target_policy_id, 0), ri.action, ri.policy_type, ri.display_name,
		ri.with_assignments, ri.written_hash, COALESCE(ri.hash_before, '')
		FROM restores r JOIN operation_runs o ON o.id = r.operation_run_id
		JOIN restore_items ri ON ri.operation_run_id = r.operation_run_id
		WHERE r.managed_environment_id = ? AND o.status = 'completed' AND o.completed_at <= ?
			AND ri.result = 'written' AND (ri.verification IS NULL OR ri.verification <> 'verified')
		ORDER BY ri.id`, environmentID, db.Format(since))
	if err != nil {
		return 0, err
	}
	var open []openItem
	for rows.Next() {
		var it openItem
		if err := rows.Scan(&it.id, &it.targetPolicy, &it.action, &it.typ, &it.name, &it.withAssignments, &it.hash, &it.hashBefore); err != nil {
			rows.Close()
			return 0, err
		}
		open = append(open, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(open) == 0 {
		return 0, err
	}
	type finding struct {
		state       string
		policy      int64
		hash        string
		canonical   []byte
		restoreItem int64
	}
	var found []finding
	for _, it := range open {
		policy, hash, canonical, err := current(ctx, d.Read, environmentID, it)
		if err != nil {
			return 0, err
		}
		f := finding{restoreItem: it.id, policy: policy, hash: hash, canonical: canonical}
		switch {
		case policy != 0 && hash == it.hash:
			f.state = Verified
		case policy == 0 && it.action != Update, it.action == Update && hash == it.hashBefore:
			f.state = NotApplied
		default:
			f.state = Differs
		}
		found = append(found, f)
	}
	now := db.Now()
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		payloads := map[string][]byte{}
		for _, f := range found {
			if f.canonical != nil {
				payloads[f.hash] = f.canonical
			}
		}
		if err := storePayloads(ctx, tx, payloads); err != nil {
			return err
		}
		for _, f := range found {
			if _, err := tx.ExecContext(ctx, `UPDATE restore_items SET verification = ?, verified_policy_id = ?, verified_hash = ?,
				verified_at = ?, verified_by_run_id = ? WHERE id = ?`, f.state, db.NullID(f.policy), db.NullString(f.hash), now, syncRunID, f.restoreItem); err != nil {
				return err
			}
		}
		return nil
	})
	return len(found), err
}

// current is the environment's present policy a restored item became, and its
// content in the form written (without assignments unless they were restored):
// the updated policy itself, or for a new one a present policy of its type and
// name, the one holding what was written first.
func current(ctx context.Context, q db.Querier, environmentID int64, it openItem) (policy int64, hash string, canonical []byte, err error) {
	query, args := `SELECT p.id, p.content_hash FROM policies p WHERE p.id = ? AND p.managed_environment_id = ? AND p.removed_at IS NULL`,
		[]any{it.targetPolicy, environmentID}
	if it.action != Update {
		query, args = `SELECT p.id, p.content_hash FROM policies p WHERE p.managed_environment_id = ? AND p.policy_type = ? AND p.display_name = ?
			AND p.removed_at IS NULL ORDER BY p.content_hash = ? DESC, p.id`, []any{environmentID, it.typ, it.name, it.hash}
	}
	var stored string
	err = q.QueryRowContext(ctx, query, args...).Scan(&policy, &stored)
	if err == sql.ErrNoRows {
		return 0, "", nil, nil
	}
	if err != nil {
		return 0, "", nil, err
	}
	if it.withAssignments || stored == it.hash {
		return policy, stored, nil, nil
	}
	raw, err := inventory.Payload(ctx, q, stored)
	if err != nil {
		return 0, "", nil, err
	}
	v, err := inventory.DecodePayload(raw)
	if err != nil {
		return 0, "", nil, fmt.Errorf("the payload of policy %d: %w", policy, err)
	}
	if m, ok := v.(map[string]any); ok {
		delete(m, "assignments")
	}
	canonical = intune.Canonical(v)
	return policy, intune.Hash(canonical), canonical, nil
}
