package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/web"
)

// Retention is an environment's rule for old sets: keep the last KeepLast sets
// and/or the sets younger than KeepDays days (0: that rule is off). A set either
// rule keeps stays; with both off every set stays (the default).
type Retention struct {
	KeepLast int
	KeepDays int
}

// Describe is the rule in words.
func (r Retention) Describe() string {
	var parts []string
	if r.KeepLast > 0 {
		parts = append(parts, fmt.Sprintf("the last %d", r.KeepLast))
	}
	if r.KeepDays > 0 {
		parts = append(parts, fmt.Sprintf("those of the last %d days", r.KeepDays))
	}
	if len(parts) == 0 {
		return "Every backup is kept."
	}
	return "Keeps " + strings.Join(parts, " and ") + "; pinned backups and backups a restore used are always kept."
}

// ParseRetention reads the retention form: empty fields turn a rule off.
func ParseRetention(keepLast, keepDays string) (Retention, web.FieldErrors) {
	var r Retention
	errs := web.FieldErrors{}
	for _, f := range []struct {
		name, value string
		dst         *int
	}{{"keep_last", keepLast, &r.KeepLast}, {"keep_days", keepDays, &r.KeepDays}} {
		v := strings.TrimSpace(f.value)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			errs[f.name] = "Enter a whole number from 1 to 100,000, or leave it empty."
			continue
		}
		*f.dst = n
	}
	if errs.Any() {
		return r, errs
	}
	return r, nil
}

// RetentionOf is the environment's rule; no row is keep everything.
func RetentionOf(ctx context.Context, q db.Querier, environmentID int64) (Retention, error) {
	var r Retention
	err := q.QueryRowContext(ctx, `SELECT COALESCE(keep_last, 0), COALESCE(keep_days, 0) FROM backup_retention WHERE managed_environment_id = ?`,
		environmentID).Scan(&r.KeepLast, &r.KeepDays)
	if errors.Is(err, sql.ErrNoRows) {
		return Retention{}, nil
	}
	return r, err
}

// SetRetention stores the environment's rule and applies it at once.
func SetRetention(ctx context.Context, d *db.DB, workspaceID, environmentID, userID int64, r Retention) (int, error) {
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO backup_retention (managed_environment_id, keep_last, keep_days, updated_by_user_id, updated_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (managed_environment_id) DO UPDATE SET keep_last = excluded.keep_last,
			keep_days = excluded.keep_days, updated_by_user_id = excluded.updated_by_user_id, updated_at = excluded.updated_at`,
			environmentID, db.NullID(int64(r.KeepLast)), db.NullID(int64(r.KeepDays)), db.NullID(userID), db.Now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: userID, Action: "backup.retention_set",
			RecordType: "managed_environment", RecordID: environmentID, RecordLabel: r.Describe(),
			Detail: map[string]any{"keep_last": r.KeepLast, "keep_days": r.KeepDays}})
	})
	if err != nil {
		return 0, err
	}
	return ApplyRetention(ctx, d, environmentID, time.Now())
}

// ApplyRetention deletes the environment's sets its rule drops, except pinned
// sets and sets a restore refers to; it returns how many it deleted.
func ApplyRetention(ctx context.Context, d *db.DB, environmentID int64, now time.Time) (int, error) {
	r, err := RetentionOf(ctx, d.Read, environmentID)
	if err != nil || (r.KeepLast == 0 && r.KeepDays == 0) {
		return 0, err
	}
	sets, err := Sets(ctx, d.Read, environmentID)
	if err != nil {
		return 0, err
	}
	var doomed []*Set
	for i, s := range sets { // newest first
		keptByCount := r.KeepLast > 0 && i < r.KeepLast
		keptByAge := r.KeepDays > 0 && now.Sub(s.CreatedAt.Time) < time.Duration(r.KeepDays)*24*time.Hour
		if !keptByCount && !keptByAge && s.Kept() == "" {
			doomed = append(doomed, s)
		}
	}
	if len(doomed) == 0 {
		return 0, nil
	}
	err = d.Tx(ctx, func(tx *sql.Tx) error {
		for _, s := range doomed {
			// The condition is checked again inside the transaction: a restore may have started since.
			if _, err := tx.ExecContext(ctx, `DELETE FROM backup_sets WHERE id = ? AND pinned = 0
				AND NOT EXISTS (SELECT 1 FROM restores r WHERE r.backup_set_id = backup_sets.id OR r.pre_restore_backup_set_id = backup_sets.id)`, s.ID); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{WorkspaceID: s.WorkspaceID, Action: "backup.deleted_by_retention",
				RecordType: "backup_set", RecordID: s.ID, RecordLabel: s.Name}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(doomed), nil
}
