// Package environment owns managed environments (spec 279), their memberships and
// provider connections.
package environment

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/web"
)

// Kinds are the bounded categories of a managed environment (spec 279 `kind`).
var Kinds = []string{"production", "pilot", "test", "development"}

// Fields are what a person edits on an environment.
type Fields struct {
	Slug        string
	Name        string
	DisplayName string
	Kind        string
}

func (f *Fields) clean() web.FieldErrors {
	f.Slug = strings.TrimSpace(f.Slug)
	if f.Kind == "" {
		f.Kind = "production"
	}
	errs := web.FieldErrors{}
	if err := web.ValidateSlug(f.Slug); err != nil {
		errs["slug"] = err.Error()
	}
	var err error
	if f.Name, err = web.ParseName(f.Name); err != nil {
		errs["name"] = err.Error()
	}
	if f.DisplayName, err = web.ParseOptionalName(f.DisplayName); err != nil {
		errs["display_name"] = err.Error()
	}
	if !slices.Contains(Kinds, f.Kind) {
		errs["kind"] = "Choose one of: " + strings.Join(Kinds, ", ") + "."
	}
	return errs
}

// sameName refuses a name another environment of the workspace reads as.
func sameName() web.FieldErrors {
	return web.FieldErrors{"name": "Another environment of this workspace already has this name (names that differ only in case are the same name)."}
}

// checkSaved turns the refusal of a workspace's keys into the field it concerns:
// the index on name_key is what keeps two saves of one name from both winning.
func checkSaved(err error) error {
	switch {
	case db.IsUniqueViolationOn(err, "managed_environments.name_key"):
		return sameName()
	case db.IsUniqueViolationOn(err, "managed_environments.slug"):
		return web.FieldErrors{"slug": "This workspace already has an environment with this slug."}
	}
	return err
}

// checkOlderNames refuses a name that an environment saved before names had
// keys (schema 0015: its name_key is NULL, which no index compares) reads as.
func checkOlderNames(ctx context.Context, tx *sql.Tx, workspaceID, environmentID int64, key string) error {
	scanName := func(r db.Row) (name string, err error) {
		err = r.Scan(&name)
		return name, err
	}
	names, err := db.Collect(ctx, tx, scanName, `SELECT name FROM managed_environments WHERE workspace_id = ? AND name_key IS NULL AND id <> ?`,
		workspaceID, environmentID)
	if err != nil {
		return err
	}
	for _, name := range names {
		if web.NameKey(name) == key {
			return sameName()
		}
	}
	return nil
}

// Create adds an environment to a workspace. Invalid fields come back as web.FieldErrors.
func Create(ctx context.Context, tx *sql.Tx, workspaceID, actorID int64, f Fields) (int64, error) {
	if errs := f.clean(); errs.Any() {
		return 0, errs
	}
	key := web.NameKey(f.Name)
	if err := checkOlderNames(ctx, tx, workspaceID, 0, key); err != nil {
		return 0, err
	}
	now := db.Now()
	res, err := tx.ExecContext(ctx, `INSERT INTO managed_environments (workspace_id, slug, name, name_key, display_name, kind, lifecycle_status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)`, workspaceID, f.Slug, f.Name, key, db.NullString(f.DisplayName), f.Kind, now, now)
	if err != nil {
		return 0, checkSaved(err)
	}
	id, _ := res.LastInsertId()
	return id, audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: actorID, Action: "environment.created",
		RecordType: "managed_environment", RecordID: id, RecordLabel: f.Name, Detail: map[string]any{"slug": f.Slug, "kind": f.Kind}})
}

func update(ctx context.Context, tx *sql.Tx, env *access.Environment, actorID int64, f Fields) error {
	if errs := f.clean(); errs.Any() {
		return errs
	}
	key := web.NameKey(f.Name)
	if err := checkOlderNames(ctx, tx, env.WorkspaceID, env.ID, key); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE managed_environments SET slug = ?, name = ?, name_key = ?, display_name = ?, kind = ?, updated_at = ? WHERE id = ?`,
		f.Slug, f.Name, key, db.NullString(f.DisplayName), f.Kind, db.Now(), env.ID)
	if err != nil {
		return checkSaved(err)
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: env.WorkspaceID, UserID: actorID, Action: "environment.updated",
		RecordType: "managed_environment", RecordID: env.ID, RecordLabel: f.Name,
		Detail: map[string]any{"slug": f.Slug, "name": f.Name, "display_name": f.DisplayName, "kind": f.Kind}})
}

func setLifecycle(ctx context.Context, tx *sql.Tx, env *access.Environment, actorID int64, status string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE managed_environments SET lifecycle_status = ?, updated_at = ? WHERE id = ?`, status, db.Now(), env.ID); err != nil {
		return err
	}
	action := map[string]string{"archived": "environment.archived", "active": "environment.restored"}[status]
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: env.WorkspaceID, UserID: actorID, Action: action,
		RecordType: "managed_environment", RecordID: env.ID, RecordLabel: env.Name})
}

// ErrNoEnvironment is returned when no environment has the given slug in the workspace.
var ErrNoEnvironment = errors.New("no such environment")

// IDBySlug finds an environment inside a workspace, for the command line.
func IDBySlug(ctx context.Context, q db.Querier, workspaceID int64, slug string) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, `SELECT id FROM managed_environments WHERE workspace_id = ? AND slug = ?`, workspaceID, slug).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNoEnvironment
	}
	return id, err
}

func members(ctx context.Context, q db.Querier, environmentID int64) ([]access.Member, error) {
	return access.QueryMembers(ctx, q, `SELECT u.id, u.name, u.email, m.role FROM managed_environment_memberships m JOIN users u ON u.id = m.user_id
		WHERE m.managed_environment_id = ? ORDER BY u.name COLLATE NOCASE, u.id`, environmentID)
}

// AddMember entitles a workspace member (by email) to an environment with a role.
func AddMember(ctx context.Context, tx *sql.Tx, workspaceID, environmentID, actorID int64, email string, role access.Role) error {
	u, err := auth.UserByEmail(ctx, tx, email)
	if errors.Is(err, auth.ErrNoUser) {
		return web.FieldErrors{"email": "No user has this email."}
	}
	if err != nil {
		return err
	}
	var isMember bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM workspace_memberships WHERE workspace_id = ? AND user_id = ?)`,
		workspaceID, u.ID).Scan(&isMember); err != nil {
		return err
	}
	if !isMember {
		return web.FieldErrors{"email": "Add this user to the workspace first: workspace membership is the first boundary."}
	}
	now := db.Now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO managed_environment_memberships (user_id, managed_environment_id, role, source, created_by_user_id, created_at, updated_at)
		VALUES (?, ?, ?, 'manual', ?, ?, ?)
		ON CONFLICT (managed_environment_id, user_id) DO UPDATE SET role = excluded.role, updated_at = excluded.updated_at`,
		u.ID, environmentID, role, db.NullID(actorID), now, now); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: actorID, Action: "environment_member.added",
		RecordType: "managed_environment", RecordID: environmentID, RecordLabel: u.Email, Detail: map[string]any{"role": role, "user_id": u.ID}})
}

func removeMember(ctx context.Context, tx *sql.Tx, env *access.Environment, actorID, userID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM managed_environment_memberships WHERE managed_environment_id = ? AND user_id = ?`, env.ID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return web.ErrNotFound
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: env.WorkspaceID, UserID: actorID, Action: "environment_member.removed",
		RecordType: "managed_environment", RecordID: env.ID, RecordLabel: env.Name, Detail: map[string]any{"user_id": userID}})
}
