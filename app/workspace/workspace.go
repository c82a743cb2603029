// Package workspace owns workspaces (one per customer), their members, the chooser and the hub.
package workspace

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/web"
)

// ErrNoWorkspace is returned when no workspace has the given slug.
var ErrNoWorkspace = errors.New("no such workspace")

// parse checks a workspace's name and slug as typed, field by field, and
// returns them as stored.
func parse(name, slug string) (string, string, web.FieldErrors) {
	errs := web.FieldErrors{}
	name, err := web.ParseName(name)
	if err != nil {
		errs["name"] = err.Error()
	}
	slug = strings.TrimSpace(slug)
	if err := web.ValidateSlug(slug); err != nil {
		errs["slug"] = err.Error()
	}
	return name, slug, errs
}

// Create adds a workspace with ownerID as its owner. Invalid fields come back as web.FieldErrors.
func Create(ctx context.Context, tx *sql.Tx, name, slug string, ownerID int64) (int64, error) {
	name, slug, errs := parse(name, slug)
	if errs.Any() {
		return 0, errs
	}
	now := db.Now()
	res, err := tx.ExecContext(ctx, `INSERT INTO workspaces (name, slug, created_at, updated_at) VALUES (?, ?, ?, ?)`, name, slug, now, now)
	if db.IsUniqueViolation(err) {
		return 0, web.FieldErrors{"slug": "A workspace with this slug already exists."}
	}
	if err != nil {
		return 0, err
	}
	id, _ := res.LastInsertId()
	if _, err := tx.ExecContext(ctx, `INSERT INTO workspace_memberships (workspace_id, user_id, role, created_at, updated_at)
		VALUES (?, ?, 'owner', ?, ?)`, id, ownerID, now, now); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, audit.Event{WorkspaceID: id, UserID: ownerID, Action: "workspace.created",
		RecordType: "workspace", RecordID: id, RecordLabel: name, Detail: map[string]any{"slug": slug}})
}

// IDBySlug finds a workspace for the command line, which acts as the local owner.
func IDBySlug(ctx context.Context, q db.Querier, slug string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM workspaces WHERE slug = ?`, slug).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoWorkspace
	}
	return id, err
}

func rename(ctx context.Context, tx *sql.Tx, ws *access.Workspace, userID int64, name string) error {
	name, err := web.ParseName(name)
	if err != nil {
		return web.FieldErrors{"name": err.Error()}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE workspaces SET name = ?, updated_at = ? WHERE id = ?`, name, db.Now(), ws.ID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: ws.ID, UserID: userID, Action: "workspace.renamed",
		RecordType: "workspace", RecordID: ws.ID, RecordLabel: name, Detail: map[string]any{"from": ws.Name}})
}

func setArchived(ctx context.Context, tx *sql.Tx, ws *access.Workspace, userID int64, archived bool) error {
	archivedAt, action := any(nil), "workspace.restored"
	if archived {
		archivedAt, action = db.Now(), "workspace.archived"
	}
	if _, err := tx.ExecContext(ctx, `UPDATE workspaces SET archived_at = ?, updated_at = ? WHERE id = ?`, archivedAt, db.Now(), ws.ID); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: ws.ID, UserID: userID, Action: action,
		RecordType: "workspace", RecordID: ws.ID, RecordLabel: ws.Name})
}
