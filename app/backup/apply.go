package backup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"time"

	"atlas/app/db"
	"atlas/app/operation"
	"atlas/app/web"
)

// RestoreType is the operation run type that applies a restore.
const RestoreType = "restore.apply"

// restoreContext is a restore.apply run's context; the run's environment is
// the target.
type restoreContext struct {
	BackupID int64  `json:"backup_id"`
	Backup   string `json:"backup"` // the set's name, for reading the run
	Choice   Choice `json:"choice"`
	Layout   string `json:"layout"`
	UndoOf   int64  `json:"undo_of,omitempty"` // the restore this one undoes
}

// RestoreStart asks for a restore of set into the target environment.
type RestoreStart struct {
	WorkspaceID int64
	TargetID    int64
	UserID      int64
	Set         *Set
	Choice      Choice
	Layout      string
	UndoOf      int64
	StartKey    string // the start form's (operation.StartRequest)
}

// StartRestore queues a restore.apply run (execute runs it in this process
// instead, for the command line) and records the restore, which keeps its set
// from retention from then on. It returns the run it joins when there is one
// (operation.Engine.Start).
func StartRestore(ctx context.Context, d *db.DB, engine *operation.Engine, r RestoreStart, execute bool) (*operation.Run, bool, error) {
	var m map[string]any
	b, _ := json.Marshal(restoreContext{BackupID: r.Set.ID, Backup: r.Set.Name, Choice: r.Choice, Layout: r.Layout, UndoOf: r.UndoOf}) // plain data: cannot fail
	json.Unmarshal(b, &m)
	req := operation.StartRequest{WorkspaceID: r.WorkspaceID, EnvironmentID: r.TargetID, Type: RestoreType, Context: m, UserID: r.UserID, StartKey: r.StartKey}
	if execute {
		// The run records its restore itself before it reads the set.
		return engine.Execute(ctx, req)
	}
	run, joined, err := engine.Start(ctx, req)
	if err != nil || joined {
		return run, joined, err
	}
	return run, false, recordRestore(ctx, d, run, r.Set.ID, r.Layout, r.UndoOf)
}

// recordRestore writes the restores row of a run, once.
func recordRestore(ctx context.Context, d *db.DB, run *operation.Run, setID int64, layout string, undoOf int64) error {
	_, err := d.Write.ExecContext(ctx, `INSERT INTO restores (operation_run_id, workspace_id, managed_environment_id, backup_set_id, undo_of_run_id, layout, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (operation_run_id) DO NOTHING`,
		run.ID, run.WorkspaceID, run.EnvironmentID, setID, db.NullID(undoOf), layout, db.Format(run.CreatedAt))
	return err
}

// RestoreOperation is the restore.apply operation type: it takes a backup of
// the target ("Before restore #<run>"), then writes exactly the chosen items
// (skipped ones excepted) as an export folder under dataDir/restores/<environment>/<run>
// in the chosen layout, and records every item's result. When every item is
// skipped there is nothing to write: the run succeeds without a folder.
func RestoreOperation(d *db.DB, dataDir string) operation.Type {
	return operation.Type{Name: RestoreType, Label: "Restore",
		Handler: func(ctx context.Context, run *operation.Run, p *operation.Progress) error {
			var c restoreContext
			if err := run.DecodeContext(&c); err != nil {
				return fmt.Errorf("read the run's context: %w", err)
			}
			set, err := SetOfWorkspace(ctx, d.Read, run.WorkspaceID, c.BackupID)
			if errors.Is(err, web.ErrNotFound) {
				return fmt.Errorf("backup #%d no longer exists", c.BackupID)
			}
			if err != nil {
				return err
			}
			if err := recordRestore(ctx, d, run, set.ID, c.Layout, c.UndoOf); err != nil {
				return err
			}
			a := &applier{d: d, run: run, p: p, set: set, c: c, dataDir: dataDir}
			return a.apply(ctx)
		}}
}

// applier carries one restore run.
type applier struct {
	d       *db.DB
	run     *operation.Run
	p       *operation.Progress
	set     *Set
	c       restoreContext
	dataDir string

	pending      map[string][]byte // written payloads not stored yet
	pendingBytes int
}

// result is one item's outcome, recorded once the folder is complete (the
// step's payloads are not kept: a restore holds one in memory at a time).
type result struct {
	itemID, targetPolicy int64
	action, typ, name    string
	withAssignments      bool
	hash, hashBefore     string
	result               string // written, skipped or failed
	path, reason         string
}

func (a *applier) apply(ctx context.Context) error {
	var target Target
	var slug string
	if err := a.d.Read.QueryRowContext(ctx, `SELECT id, slug, COALESCE(NULLIF(display_name, ''), name) FROM managed_environments WHERE id = ?`,
		a.run.EnvironmentID).Scan(&target.ID, &slug, &target.Label); err != nil {
		return err
	}
	before, err := Take(ctx, a.d, Capture{WorkspaceID: a.run.WorkspaceID, EnvironmentID: target.ID, RunID: a.run.ID, UserID: a.run.InitiatedBy,
		Name: fmt.Sprintf("Before restore #%d", a.run.ID), AllowEmpty: true})
	if err != nil {
		return fmt.Errorf("the backup of %s before the restore: %w", target.Label, err)
	}
	if _, err := a.d.Write.ExecContext(ctx, `UPDATE restores SET pre_restore_backup_set_id = ? WHERE operation_run_id = ?`, before.ID, a.run.ID); err != nil {
		return err
	}
	if _, err := ApplyRetention(ctx, a.d, target.ID, a.run.CreatedAt); err != nil {
		return err
	}

	// Everything is done through the data folder's root: no name leads out of
	// it, and errors name paths relative to it (a run's message is shown to
	// every member who may see the run, not only to the local owner).
	data, err := os.OpenRoot(a.dataDir)
	if err != nil {
		return fmt.Errorf("the data folder cannot be opened: %w", withoutPath(err))
	}
	defer data.Close()
	rel := path.Join("restores", safeSegment(slug, maxSegment), strconv.FormatInt(a.run.ID, 10))
	partial := rel + ".partial"
	if err := data.RemoveAll(partial); err != nil {
		return err
	}
	// Nothing half-written is left behind: the folder appears whole, or not at all.
	defer data.RemoveAll(partial)
	if err := data.MkdirAll(partial, 0o700); err != nil {
		return err
	}
	folder, err := data.OpenRoot(partial)
	if err != nil {
		return err
	}
	defer folder.Close()
	w, err := NewWriter(dirSink{folder}, a.c.Layout)
	if err != nil {
		return err
	}
	items, err := Items(ctx, a.d.Read, a.set.ID)
	if err != nil {
		return err
	}
	total := 0
	for _, it := range items {
		if a.c.Choice.takes(it) {
			total++
		}
	}
	a.p.SetTotal(total)
	var results []result
	err = Plan(ctx, a.d.Read, Request{Set: a.set, Target: target, Choice: a.c.Choice, Layout: a.c.Layout, Date: a.run.CreatedAt},
		func(s *Step, _ []Warning) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			// What is written is stored content-addressed like any payload:
			// verification and its diffs compare against it.
			if err := a.keep(ctx, s.Hash, s.After); err != nil {
				return err
			}
			r := result{itemID: s.Item.ID, action: s.Action, typ: s.Item.Type.Key, name: s.Name, withAssignments: s.WithAssignments,
				hash: s.Hash, hashBefore: s.HashBefore, result: "skipped", reason: "the target already holds exactly this"}
			if s.TargetPolicy != nil {
				r.targetPolicy = s.TargetPolicy.ID
			}
			if s.Action != Skip {
				path, err := w.Write(s.Document)
				r.result, r.path, r.reason = "written", path, ""
				if err != nil {
					r.result, r.reason = "failed", err.Error()
				}
			}
			switch r.result {
			case "written":
				a.p.Succeeded(1)
			case "skipped":
				a.p.Skipped(1)
			default:
				a.p.Failed(r.name, r.reason)
			}
			results = append(results, r)
			return nil
		})
	if err != nil {
		return err
	}
	if err := a.flush(ctx); err != nil {
		return err
	}
	if !slices.ContainsFunc(results, func(r result) bool { return r.result == "written" }) {
		// Nothing to write (the target holds every chosen item already): no folder.
		return a.record(context.WithoutCancel(ctx), "", results)
	}
	tenant, err := tenantOf(ctx, a.d.Read, target.ID)
	if err != nil {
		return err
	}
	if err := w.Close(tenant); err != nil {
		return err
	}
	// A folder already there is a leftover of a run no longer in the database
	// (SQLite reuses the ids of deleted rows): kept aside, never mixed in.
	if _, err := data.Stat(rel); err == nil {
		if err := data.Rename(rel, fmt.Sprintf("%s.before-%d", rel, time.Now().UnixNano())); err != nil {
			return err
		}
	}
	if err := data.Rename(partial, rel); err != nil {
		return fmt.Errorf("the restore folder: %w", err)
	}
	return a.record(context.WithoutCancel(ctx), rel, results)
}

// withoutPath is an error without the path it names.
func withoutPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// keep queues a written payload for storing; flush stores the queue in one
// transaction (a restore of 10,000 items is not 10,000 commits).
func (a *applier) keep(ctx context.Context, hash string, canonical []byte) error {
	if a.pending == nil {
		a.pending = map[string][]byte{}
	}
	a.pending[hash] = canonical
	a.pendingBytes += len(canonical)
	if len(a.pending) >= 256 || a.pendingBytes >= 8<<20 {
		return a.flush(ctx)
	}
	return nil
}

func (a *applier) flush(ctx context.Context) error {
	if len(a.pending) == 0 {
		return nil
	}
	err := a.d.Tx(ctx, func(tx *sql.Tx) error {
		return storePayloads(ctx, tx, a.pending)
	})
	a.pending, a.pendingBytes = nil, 0
	return err
}

// storePayloads adds canonical payloads by hash; one already stored stays as it is.
func storePayloads(ctx context.Context, tx *sql.Tx, payloads map[string][]byte) error {
	now := db.Now()
	for hash, canonical := range payloads {
		if _, err := tx.ExecContext(ctx, `INSERT INTO policy_payloads (content_hash, canonical, created_at) VALUES (?, ?, ?)
			ON CONFLICT (content_hash) DO NOTHING`, hash, canonical, now); err != nil {
			return err
		}
	}
	return nil
}

// record stores the folder (slash-separated, relative to the data folder; "" for
// none) and every item's result on the restore.
func (a *applier) record(ctx context.Context, rel string, results []result) error {
	return a.d.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE restores SET output_path = ? WHERE operation_run_id = ?`, db.NullString(rel), a.run.ID); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO restore_items (operation_run_id, backup_item_id, action, policy_type, display_name,
			with_assignments, target_policy_id, hash_before, written_hash, written_path, result, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, r := range results {
			if _, err := stmt.ExecContext(ctx, a.run.ID, r.itemID, r.action, r.typ, r.name, r.withAssignments,
				db.NullID(r.targetPolicy), db.NullString(r.hashBefore), r.hash, db.NullString(r.path), r.result, r.reason); err != nil {
				return err
			}
		}
		return nil
	})
}
