package finding

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/web"
)

// Pin is a manager's hand-made match: a baseline subject is this policy of the
// environment, whatever their names say. Compares use it before any name.
type Pin struct {
	SubjectKey string
	PolicyID   int64
	PinnedBy   string
}

// Pins lists an (environment, profile)'s pins by subject key.
func Pins(ctx context.Context, q db.Querier, environmentID, profileID int64) (map[string]Pin, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.subject_key, m.policy_id, COALESCE(u.name, 'command line')
		FROM baseline_match_pins m LEFT JOIN users u ON u.id = m.created_by_user_id
		WHERE m.managed_environment_id = ? AND m.baseline_profile_id = ?`, environmentID, profileID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	pins := map[string]Pin{}
	for rows.Next() {
		var p Pin
		if err := rows.Scan(&p.SubjectKey, &p.PolicyID, &p.PinnedBy); err != nil {
			return nil, err
		}
		pins[p.SubjectKey] = p
	}
	return pins, rows.Err()
}

// Pinnable reports whether f's subject is a baseline policy, which a pin pairs
// with a policy of the environment: an unexpected policy has none.
func (f *Finding) Pinnable() bool { return f.Type != UnexpectedPolicy }

// PinMatch pins f's baseline subject to the environment's policy policyID (of
// the same type, present), replacing any earlier pin. The next compare uses it.
func PinMatch(ctx context.Context, d *db.DB, f *Finding, userID, policyID int64, now time.Time) error {
	if !f.Pinnable() {
		return web.Errorf(web.Conflict, "An unexpected policy has no baseline policy to pin it to.")
	}
	return d.Tx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT display_name FROM policies WHERE id = ? AND managed_environment_id = ? AND policy_type = ? AND removed_at IS NULL`,
			policyID, f.EnvironmentID, f.PolicyType).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return web.FieldErrors{"policy": "Choose a present policy of the same type in this environment."}
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO baseline_match_pins (workspace_id, managed_environment_id, baseline_profile_id, subject_key,
			policy_id, created_by_user_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (managed_environment_id, baseline_profile_id, subject_key) DO UPDATE SET policy_id = excluded.policy_id,
			created_by_user_id = excluded.created_by_user_id, created_at = excluded.created_at`,
			f.WorkspaceID, f.EnvironmentID, f.ProfileID, f.SubjectKey, policyID, db.NullID(userID), db.Format(now)); err != nil {
			return err
		}
		return recordPin(ctx, tx, f, userID, "pinned", map[string]any{"policy_id": policyID, "policy": name}, now)
	})
}

// Unpin removes f's pin: the next compare matches its subject by name again.
func Unpin(ctx context.Context, d *db.DB, f *Finding, userID int64, now time.Time) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM baseline_match_pins WHERE managed_environment_id = ? AND baseline_profile_id = ? AND subject_key = ?`,
			f.EnvironmentID, f.ProfileID, f.SubjectKey)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return web.Errorf(web.Conflict, "This finding's match is not pinned.")
		}
		return recordPin(ctx, tx, f, userID, "unpinned", nil, now)
	})
}

func recordPin(ctx context.Context, tx *sql.Tx, f *Finding, userID int64, action string, detail map[string]any, now time.Time) error {
	if err := addEvent(ctx, tx, event{findingID: f.ID, environmentID: f.EnvironmentID, action: action, from: f.Status, to: f.Status,
		userID: userID, detail: detail, at: now}); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: f.WorkspaceID, UserID: userID, Action: "finding." + action,
		RecordType: "finding", RecordID: f.ID, RecordLabel: f.SubjectName, Detail: detail})
}
