// Package backup owns backup sets (spec 131's BackupSet: point-in-time copies of
// an environment's policies, one item per policy version, payloads shared with
// the inventory), their retention, the writers of the three export layouts, and
// restores: the preview, the restore.apply operation that writes an export folder
// in the consultant's tool's layout, its verification at the next sync, and undo.
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/intune"
	"atlas/app/web"
)

// Set is one backup set.
type Set struct {
	ID            int64
	WorkspaceID   int64
	EnvironmentID int64
	Name          string
	Status        string // complete, or partial when the inventory's last sync could not read every file
	ItemCount     int
	RunID         int64
	CreatedBy     int64
	CreatedByName string
	Pinned        bool
	CreatedAt     db.Time
	// RestoreRuns counts the restores that refer to the set (it restored from it,
	// or took it before restoring): such a set is never deleted.
	RestoreRuns int
}

// Kept says why retention never deletes the set, or "".
func (s *Set) Kept() string {
	switch {
	case s.Pinned:
		return "pinned"
	case s.RestoreRuns > 0:
		return "used by a restore"
	}
	return ""
}

const setColumns = `s.id, s.workspace_id, s.managed_environment_id, s.name, s.status, s.item_count, COALESCE(s.operation_run_id, 0),
	COALESCE(s.created_by_user_id, 0), COALESCE(u.name, ''), s.pinned, s.created_at,
	(SELECT count(*) FROM restores r WHERE r.backup_set_id = s.id OR r.pre_restore_backup_set_id = s.id)`

const setFrom = ` FROM backup_sets s LEFT JOIN users u ON u.id = s.created_by_user_id`

func scanSet(row db.Row) (*Set, error) {
	var s Set
	err := row.Scan(&s.ID, &s.WorkspaceID, &s.EnvironmentID, &s.Name, &s.Status, &s.ItemCount, &s.RunID,
		&s.CreatedBy, &s.CreatedByName, &s.Pinned, &s.CreatedAt, &s.RestoreRuns)
	return &s, err
}

// SetByID finds a set of the environment; another environment's set is not found.
func SetByID(ctx context.Context, q db.Querier, environmentID, id int64) (*Set, error) {
	s, err := scanSet(q.QueryRowContext(ctx, `SELECT `+setColumns+setFrom+` WHERE s.managed_environment_id = ? AND s.id = ?`, environmentID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return s, err
}

// SetOfRun is the set a backup.create run (or a restore's pre-restore backup) made.
func SetOfRun(ctx context.Context, q db.Querier, runID int64) (*Set, error) {
	s, err := scanSet(q.QueryRowContext(ctx, `SELECT `+setColumns+setFrom+` WHERE s.operation_run_id = ? ORDER BY s.id LIMIT 1`, runID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return s, err
}

// Sets lists the environment's sets, newest first.
func Sets(ctx context.Context, q db.Querier, environmentID int64) ([]*Set, error) {
	return db.Collect(ctx, q, scanSet, `SELECT `+setColumns+setFrom+` WHERE s.managed_environment_id = ? ORDER BY s.created_at DESC, s.id DESC`, environmentID)
}

// Item is one policy version of a set.
type Item struct {
	ID             int64
	SetID          int64
	PolicyID       int64
	VersionNumber  int // 0 when the version is gone
	ContentHash    string
	IdentityKey    string
	ExternalID     string
	Type           intune.TypeInfo
	GraphType      string
	DisplayName    string
	Platform       string
	Coverage       string
	CoverageReason string
}

const itemColumns = `b.id, b.backup_set_id, b.policy_id, COALESCE(v.version_number, 0), b.content_hash, b.identity_key, COALESCE(b.external_id, ''),
	b.policy_type, COALESCE(b.graph_type, ''), b.display_name, b.platform, b.coverage, b.coverage_reason`

const itemFrom = ` FROM backup_items b LEFT JOIN policy_versions v ON v.id = b.policy_version_id`

func scanItem(row db.Row) (*Item, error) {
	var it Item
	var typeKey string
	err := row.Scan(&it.ID, &it.SetID, &it.PolicyID, &it.VersionNumber, &it.ContentHash, &it.IdentityKey, &it.ExternalID,
		&typeKey, &it.GraphType, &it.DisplayName, &it.Platform, &it.Coverage, &it.CoverageReason)
	it.Type = typeOf(typeKey)
	return &it, err
}

// typeOf is the registry's type for a stored key; an unknown key keeps its name.
func typeOf(key string) intune.TypeInfo {
	if t, ok := intune.TypeByKey(key); ok {
		return t
	}
	return intune.TypeInfo{Key: key, Label: key}
}

// Items lists a set's items by type, then name.
func Items(ctx context.Context, q db.Querier, setID int64) ([]*Item, error) {
	return db.Collect(ctx, q, scanItem, `SELECT `+itemColumns+itemFrom+` WHERE b.backup_set_id = ?
		ORDER BY b.policy_type, b.display_name COLLATE NOCASE, b.id`, setID)
}

// Selection is what a backup captures: every present policy of the environment,
// or those of some types and/or with some names (names match without regard to case).
type Selection struct {
	Types []string `json:"types,omitempty"`
	Names []string `json:"names,omitempty"`
}

// Describe says what the selection captures, for pages and errors.
func (s Selection) Describe() string {
	var parts []string
	for _, t := range s.Types {
		parts = append(parts, typeOf(t).Label)
	}
	for _, n := range s.Names {
		parts = append(parts, fmt.Sprintf("%q", n))
	}
	if len(parts) == 0 {
		return "every policy"
	}
	return strings.Join(parts, ", ")
}

// Check refuses unknown types (names are checked as they are read: web.ParseName).
func (s Selection) Check() error {
	for _, t := range s.Types {
		if _, ok := intune.TypeByKey(t); !ok {
			return web.Errorf(web.Invalid, "There is no policy type %q.", web.Truncate(t, 100))
		}
	}
	return nil
}

// Capture is one backup to take.
type Capture struct {
	WorkspaceID   int64
	EnvironmentID int64
	RunID         int64
	UserID        int64
	Name          string
	Selection     Selection
	// AllowEmpty takes a set even when nothing matches (the set taken before a
	// restore into an empty environment); otherwise that is ErrNothingToBackUp.
	AllowEmpty bool
}

// ErrNothingToBackUp is Take's answer when no present policy matches.
var ErrNothingToBackUp = errors.New("no policy matches")

// Take writes a set holding the current version of every selected present
// policy, in one transaction: a set is never seen half-made, and never changes.
func Take(ctx context.Context, d *db.DB, c Capture) (*Set, error) {
	where := []string{"p.managed_environment_id = ?", "p.removed_at IS NULL"}
	var args []any
	if len(c.Selection.Types) > 0 {
		where = append(where, "p.policy_type IN ("+placeholders(len(c.Selection.Types))+")")
		for _, t := range c.Selection.Types {
			args = append(args, t)
		}
	}
	if len(c.Selection.Names) > 0 {
		where = append(where, "lower(p.display_name) IN ("+placeholders(len(c.Selection.Names))+")")
		for _, n := range c.Selection.Names {
			args = append(args, strings.ToLower(n))
		}
	}
	var id int64
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		status := "complete"
		var lastSync string
		err := tx.QueryRowContext(ctx, `SELECT COALESCE(outcome, '') FROM operation_runs WHERE managed_environment_id = ? AND type = 'inventory.sync'
			AND status = 'completed' ORDER BY id DESC LIMIT 1`, c.EnvironmentID).Scan(&lastSync)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if lastSync == "partial" {
			status = "partial"
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO backup_sets (workspace_id, managed_environment_id, name, status, item_count,
			operation_run_id, created_by_user_id, created_at) VALUES (?, ?, ?, ?, 0, ?, ?, ?)`,
			c.WorkspaceID, c.EnvironmentID, c.Name, status, db.NullID(c.RunID), db.NullID(c.UserID), db.Now())
		if err != nil {
			return err
		}
		id, _ = res.LastInsertId()
		res, err = tx.ExecContext(ctx, `INSERT INTO backup_items (backup_set_id, policy_id, policy_version_id, content_hash, identity_key,
			external_id, policy_type, graph_type, display_name, platform, coverage, coverage_reason)
			SELECT ?, p.id, v.id, p.content_hash, p.identity_key, p.external_id, p.policy_type, p.graph_type, p.display_name, p.platform,
				COALESCE(i.coverage, 'risk'), COALESCE(i.coverage_reason, '')
			FROM policies p
			LEFT JOIN policy_versions v ON v.policy_id = p.id AND v.version_number = p.version_count
			LEFT JOIN inventory_items i ON i.policy_id = p.id
			WHERE `+strings.Join(where, " AND "), append([]any{id, c.EnvironmentID}, args...)...)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		if n == 0 && !c.AllowEmpty {
			return ErrNothingToBackUp
		}
		if _, err := tx.ExecContext(ctx, `UPDATE backup_sets SET item_count = ? WHERE id = ?`, n, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{WorkspaceID: c.WorkspaceID, UserID: c.UserID, Action: "backup.created",
			RecordType: "backup_set", RecordID: id, RecordLabel: c.Name, Detail: map[string]any{"items": n, "selection": c.Selection.Describe()}})
	})
	if err != nil {
		return nil, err
	}
	return SetByID(ctx, d.Read, c.EnvironmentID, id)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// DefaultName names a set taken at t.
func DefaultName(t time.Time) string {
	return "Backup " + t.UTC().Format("2006-01-02 15:04")
}

// SetPinned pins or unpins a set: retention never deletes a pinned set.
func SetPinned(ctx context.Context, d *db.DB, s *Set, userID int64, pinned bool) error {
	return d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE backup_sets SET pinned = ? WHERE id = ?`, pinned, s.ID); err != nil {
			return err
		}
		action := "backup.unpinned"
		if pinned {
			action = "backup.pinned"
		}
		return audit.Record(ctx, tx, audit.Event{WorkspaceID: s.WorkspaceID, UserID: userID, Action: action,
			RecordType: "backup_set", RecordID: s.ID, RecordLabel: s.Name})
	})
}

// eachPayload calls fn with every item of a set and its stored payload, in the
// set's order, holding one payload in memory at a time.
func eachPayload(ctx context.Context, q db.Querier, setID int64, fn func(it *Item, canonical []byte) error) error {
	rows, err := q.QueryContext(ctx, `SELECT `+itemColumns+`, pl.canonical`+itemFrom+`
		JOIN policy_payloads pl ON pl.content_hash = b.content_hash
		WHERE b.backup_set_id = ? ORDER BY b.policy_type, b.display_name COLLATE NOCASE, b.id`, setID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var it Item
		var typeKey string
		var canonical []byte
		if err := rows.Scan(&it.ID, &it.SetID, &it.PolicyID, &it.VersionNumber, &it.ContentHash, &it.IdentityKey, &it.ExternalID,
			&typeKey, &it.GraphType, &it.DisplayName, &it.Platform, &it.Coverage, &it.CoverageReason, &canonical); err != nil {
			return err
		}
		it.Type = typeOf(typeKey)
		if err := fn(&it, canonical); err != nil {
			return err
		}
	}
	return rows.Err()
}

// SetOfWorkspace finds a set of any environment of the workspace (the command
// line names a set by its id alone).
func SetOfWorkspace(ctx context.Context, q db.Querier, workspaceID, id int64) (*Set, error) {
	s, err := scanSet(q.QueryRowContext(ctx, `SELECT `+setColumns+setFrom+` WHERE s.workspace_id = ? AND s.id = ?`, workspaceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return s, err
}
