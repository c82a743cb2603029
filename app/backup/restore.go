package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"
)

// Restore is what a restore.apply run recorded.
type Restore struct {
	RunID         int64
	WorkspaceID   int64
	EnvironmentID int64 // the target
	SetID         int64 // the set restored
	BeforeSetID   int64 // the target's set taken first; 0 until taken
	UndoOf        int64
	Layout        string
	Output        string // the folder written, relative to the data folder; "" until written
}

// RestoreOfRun is the restore a run recorded.
func RestoreOfRun(ctx context.Context, q db.Querier, runID int64) (*Restore, error) {
	var r Restore
	err := q.QueryRowContext(ctx, `SELECT operation_run_id, workspace_id, managed_environment_id, backup_set_id, COALESCE(pre_restore_backup_set_id, 0),
		COALESCE(undo_of_run_id, 0), layout, COALESCE(output_path, '') FROM restores WHERE operation_run_id = ?`, runID).Scan(
		&r.RunID, &r.WorkspaceID, &r.EnvironmentID, &r.SetID, &r.BeforeSetID, &r.UndoOf, &r.Layout, &r.Output)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return &r, err
}

// NothingToWrite is what a restore that wrote no folder, and succeeded, did.
const NothingToWrite = "Nothing to write: the target already holds every chosen item."

// RestoreItem is one chosen item of a restore and what became of it.
type RestoreItem struct {
	ID              int64
	BackupItemID    int64
	Action          string
	Type            string // label
	Name            string // as written
	WithAssignments bool
	TargetPolicyID  int64
	Hash            string
	HashBefore      string
	Result          string // written, skipped or failed
	Path            string
	Reason          string
	Verification    string // verified, not_applied, differs; "" before the next sync
	VerifiedPolicy  int64
	VerifiedHash    string
	VerifiedAt      db.Time
	VerifiedByRun   int64
}

// RestoreItems lists a restore's items in the order they were planned.
func RestoreItems(ctx context.Context, q db.Querier, runID int64) ([]*RestoreItem, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, backup_item_id, action, policy_type, display_name, with_assignments, COALESCE(target_policy_id, 0),
		written_hash, COALESCE(hash_before, ''), result, COALESCE(written_path, ''), reason, COALESCE(verification, ''),
		COALESCE(verified_policy_id, 0), COALESCE(verified_hash, ''), verified_at, COALESCE(verified_by_run_id, 0)
		FROM restore_items WHERE operation_run_id = ? ORDER BY id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*RestoreItem
	for rows.Next() {
		var it RestoreItem
		var typeKey string
		if err := rows.Scan(&it.ID, &it.BackupItemID, &it.Action, &typeKey, &it.Name, &it.WithAssignments, &it.TargetPolicyID,
			&it.Hash, &it.HashBefore, &it.Result, &it.Path, &it.Reason, &it.Verification, &it.VerifiedPolicy, &it.VerifiedHash, &it.VerifiedAt, &it.VerifiedByRun); err != nil {
			return nil, err
		}
		it.Type = typeOf(typeKey).Label
		list = append(list, &it)
	}
	return list, rows.Err()
}

// SetLink is a set a restore refers to, as the viewer may see it (spec 131: a
// link only when the viewer may open it).
type SetLink struct {
	Name        string
	URL         string
	Unavailable bool
}

// restoreView is the restore's section of its run's page.
type restoreView struct {
	Restore  *Restore
	Source   SetLink
	Before   SetLink
	Layout   string
	Folder   string // where the export was written: absolute for the local owner, else relative to the data folder
	Relative bool   // Folder is relative to the data folder
	// Nothing is NothingToWrite when the restore succeeded without a folder.
	Nothing  string
	Items    []*RestoreItem
	Verified map[string]int // items by verification state ("" not checked yet)
	// UndoURL previews the restore of the "Before restore" set for the
	// policies this restore updated; "" when there is nothing to undo by import.
	UndoURL  string
	UndoOf   *navigation.Link  // the restore this one undid
	UndoneBy []navigation.Link // restores that undid this one

	workspaceSlug, environmentSlug string // of the restore's target, for its links
}

// DiffURL is the page of an item's diff against what the next sync found.
func (v *restoreView) DiffURL(itemID int64) string {
	return web.EnvironmentURL(v.workspaceSlug, v.environmentSlug, fmt.Sprintf("/restores/%d/items/%d", v.Restore.RunID, itemID))
}

// RestorePanel is the restore.apply type's section of a run's page: the sets,
// the folder and every item's result.
func RestorePanel(d *db.DB, dataDir string) func(ctx context.Context, run *operation.Run) (*operation.Panel, error) {
	resolver := &access.Resolver{DB: d}
	return func(ctx context.Context, run *operation.Run) (*operation.Panel, error) {
		r, err := RestoreOfRun(ctx, d.Read, run.ID)
		if errors.Is(err, web.ErrNotFound) {
			return nil, nil // queued, not started yet
		}
		if err != nil {
			return nil, err
		}
		v := &restoreView{Restore: r}
		if l, ok := LayoutOf(r.Layout); ok {
			v.Layout = l.Label
		}
		user := access.UserFrom(ctx)
		switch {
		case r.Output != "" && user.IsLocalOwner:
			v.Folder = filepath.Join(dataDir, filepath.FromSlash(r.Output))
		case r.Output != "":
			// Where the data folder is, is the local owner's business.
			v.Folder, v.Relative = r.Output, true
		case run.Outcome == operation.Succeeded:
			v.Nothing = NothingToWrite
		}
		if v.Source, err = setLink(ctx, d.Read, resolver, r.SetID); err != nil {
			return nil, err
		}
		if r.BeforeSetID != 0 {
			if v.Before, err = setLink(ctx, d.Read, resolver, r.BeforeSetID); err != nil {
				return nil, err
			}
		}
		if v.Items, err = RestoreItems(ctx, d.Read, run.ID); err != nil {
			return nil, err
		}
		v.Verified = map[string]int{}
		for _, it := range v.Items {
			if it.Result == "written" {
				v.Verified[it.Verification]++
			}
		}
		ws := access.MustWorkspace(ctx)
		v.workspaceSlug = ws.Slug
		if err := d.Read.QueryRowContext(ctx, `SELECT slug FROM managed_environments WHERE id = ?`, r.EnvironmentID).Scan(&v.environmentSlug); err != nil {
			return nil, err
		}
		if !run.Active() && r.BeforeSetID != 0 {
			if v.UndoURL, err = undoURL(ctx, d.Read, r, ws.Slug, v.environmentSlug); err != nil {
				return nil, err
			}
		}
		scope, err := operation.ViewerScope(ctx, resolver)
		if err != nil {
			return nil, err
		}
		if r.UndoOf != 0 {
			undone, err := RestoreOfRun(ctx, d.Read, r.UndoOf)
			if err != nil {
				return nil, err
			}
			link := scope.RunLink(navigation.OperationRun, navigation.DetailSection, "restore", undone.RunID, undone.EnvironmentID, fmt.Sprintf("Restore #%d", undone.RunID))
			v.UndoOf = &link
		}
		if v.UndoneBy, err = undoneBy(ctx, d.Read, scope, r.RunID); err != nil {
			return nil, err
		}
		return &operation.Panel{Template: "backup/_restore_run", Data: v}, nil
	}
}

func setLink(ctx context.Context, q db.Querier, resolver *access.Resolver, setID int64) (SetLink, error) {
	s, env, err := setFor(ctx, q, resolver, setID)
	if err != nil || env == nil {
		return SetLink{Unavailable: err == nil}, err
	}
	return SetLink{Name: s.Name, URL: env.URL(fmt.Sprintf("/backups/%d", s.ID))}, nil
}

// setFor is set setID of the route's workspace and its environment as the
// signed-in person holds it: nil when they are not entitled to it. A restore's
// set may be another environment's than the restore's.
func setFor(ctx context.Context, q db.Querier, resolver *access.Resolver, setID int64) (*Set, *access.Environment, error) {
	ws := access.MustWorkspace(ctx)
	s, err := SetOfWorkspace(ctx, q, ws.ID, setID)
	if err != nil {
		return nil, nil, err
	}
	env, err := resolver.Environment(ctx, ws, access.UserFrom(ctx).ID, s.EnvironmentID)
	if errors.Is(err, web.ErrNotFound) {
		return s, nil, nil
	}
	return s, env, err
}

// undoURL is the preview of restoring, from the restore's "Before restore" set,
// the policies it updated, as they were before (with their assignments where
// the restore wrote assignments); "" when it updated none.
func undoURL(ctx context.Context, q db.Querier, r *Restore, workspaceSlug, slug string) (string, error) {
	rows, err := q.QueryContext(ctx, `SELECT b.id, ri.with_assignments FROM restore_items ri
		JOIN backup_items b ON b.backup_set_id = ? AND b.policy_id = ri.target_policy_id
		WHERE ri.operation_run_id = ? AND ri.action = 'update' AND ri.result = 'written' ORDER BY b.id`, r.BeforeSetID, r.RunID)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	v := url.Values{"undo": {strconv.FormatInt(r.RunID, 10)}, "target": {slug}, "layout": {r.Layout}}
	for rows.Next() {
		var id int64
		var assigned bool
		if err := rows.Scan(&id, &assigned); err != nil {
			return "", err
		}
		v.Add("item", strconv.FormatInt(id, 10))
		if assigned {
			v.Add("assign", strconv.FormatInt(id, 10))
		}
	}
	if err := rows.Err(); err != nil || v.Get("item") == "" {
		return "", err
	}
	return web.EnvironmentURL(workspaceSlug, slug, fmt.Sprintf("/backups/%d/restore?%s", r.BeforeSetID, v.Encode())), nil
}

// undoneBy links the restores that undid restore runID: an undo may have
// restored into another environment than the restore it undid.
func undoneBy(ctx context.Context, q db.Querier, scope operation.Scope, runID int64) ([]navigation.Link, error) {
	rows, err := q.QueryContext(ctx, `SELECT operation_run_id, managed_environment_id FROM restores WHERE undo_of_run_id = ? ORDER BY operation_run_id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []navigation.Link
	for rows.Next() {
		var id, environmentID int64
		if err := rows.Scan(&id, &environmentID); err != nil {
			return nil, err
		}
		list = append(list, scope.RunLink(navigation.OperationRun, navigation.DetailSection, "undone_by", id, environmentID, fmt.Sprintf("Restore #%d", id)))
	}
	return list, rows.Err()
}

// createdBy lists the policies a restore created (recreated or copied), which
// an import cannot take away again: undoing them is deleting them in the tenant.
func createdBy(ctx context.Context, q db.Querier, runID int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT display_name FROM restore_items WHERE operation_run_id = ? AND action IN ('recreate', 'copy')
		AND result = 'written' ORDER BY id`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		list = append(list, name)
	}
	return list, rows.Err()
}
