package workspace

import (
	"context"
	"database/sql"
	"errors"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/web"
)

// ErrLastOwner protects a workspace from being left without an owner.
var ErrLastOwner = web.Errorf(web.Conflict, "A workspace needs at least one owner: make someone else owner first.")

func members(ctx context.Context, q db.Querier, workspaceID int64) ([]access.Member, error) {
	return access.QueryMembers(ctx, q, `SELECT u.id, u.name, u.email, m.role FROM workspace_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = ? ORDER BY u.name COLLATE NOCASE, u.id`, workspaceID)
}

// AddMember gives an existing user (by email) a role in the workspace, or changes
// the role they already have.
func AddMember(ctx context.Context, tx *sql.Tx, workspaceID, actorID int64, email string, role access.Role) (*auth.User, error) {
	u, err := auth.UserByEmail(ctx, tx, email)
	if errors.Is(err, auth.ErrNoUser) {
		return nil, web.FieldErrors{"email": "No user has this email. Add the user first (atlas user add)."}
	}
	if err != nil {
		return nil, err
	}
	var current string
	err = tx.QueryRowContext(ctx, `SELECT role FROM workspace_memberships WHERE workspace_id = ? AND user_id = ?`, workspaceID, u.ID).Scan(&current)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		now := db.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO workspace_memberships (workspace_id, user_id, role, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?)`, workspaceID, u.ID, role, now, now); err != nil {
			return nil, err
		}
		return u, audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: actorID, Action: "member.added",
			RecordType: "user", RecordID: u.ID, RecordLabel: u.Email, Detail: map[string]any{"role": role}})
	case err != nil:
		return nil, err
	}
	return u, changeRole(ctx, tx, workspaceID, actorID, u.ID, role)
}

// changeRole sets a member's role; demoting the last owner is refused.
func changeRole(ctx context.Context, tx *sql.Tx, workspaceID, actorID, userID int64, role access.Role) error {
	var current access.Role
	var email string
	err := tx.QueryRowContext(ctx, `SELECT m.role, u.email FROM workspace_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = ? AND m.user_id = ?`, workspaceID, userID).Scan(&current, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return web.ErrNotFound
	}
	if err != nil || current == role {
		return err
	}
	if current == access.Owner {
		if err := keepAnOwner(ctx, tx, workspaceID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE workspace_memberships SET role = ?, updated_at = ? WHERE workspace_id = ? AND user_id = ?`,
		role, db.Now(), workspaceID, userID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: actorID, Action: "member.role_changed",
		RecordType: "user", RecordID: userID, RecordLabel: email, Detail: map[string]any{"from": current, "to": role}})
}

// removeMember takes a user out of the workspace and its environments; the last owner stays.
func removeMember(ctx context.Context, tx *sql.Tx, workspaceID, actorID, userID int64) error {
	var role access.Role
	var email string
	err := tx.QueryRowContext(ctx, `SELECT m.role, u.email FROM workspace_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.workspace_id = ? AND m.user_id = ?`, workspaceID, userID).Scan(&role, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return web.ErrNotFound
	}
	if err != nil {
		return err
	}
	if role == access.Owner {
		if err := keepAnOwner(ctx, tx, workspaceID); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM workspace_memberships WHERE workspace_id = ? AND user_id = ?`, workspaceID, userID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM managed_environment_memberships WHERE user_id = ?
		AND managed_environment_id IN (SELECT id FROM managed_environments WHERE workspace_id = ?)`, userID, workspaceID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: actorID, Action: "member.removed",
		RecordType: "user", RecordID: userID, RecordLabel: email, Detail: map[string]any{"role": role}})
}

func keepAnOwner(ctx context.Context, tx *sql.Tx, workspaceID int64) error {
	var owners int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM workspace_memberships WHERE workspace_id = ? AND role = 'owner'`, workspaceID).Scan(&owners); err != nil {
		return err
	}
	if owners <= 1 {
		return ErrLastOwner
	}
	return nil
}
