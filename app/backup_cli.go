package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"atlas/app/backup"
	"atlas/app/operation"
	"atlas/app/web"
)

// CreateBackup takes a backup set of an environment in this process (atlas
// backup create): every present policy, or those of the given types. It
// returns the completed run and, when it succeeded, the set.
func (d *Data) CreateBackup(ctx context.Context, workspaceSlug, environmentSlug, name string, types []string) (*operation.Run, *backup.Set, error) {
	sel := backup.Selection{Types: types}
	if err := sel.Check(); err != nil {
		return nil, nil, &UsageError{err}
	}
	name, err := web.ParseOptionalName(name)
	if err != nil {
		return nil, nil, &UsageError{err}
	}
	wsID, envID, err := d.environmentIDs(ctx, workspaceSlug, environmentSlug)
	if err != nil {
		return nil, nil, err
	}
	run, active, err := d.Engine.Execute(ctx, backup.StartRequest(wsID, envID, 0, name, sel))
	if active {
		return run, nil, fmt.Errorf("a backup of this environment is already %s (run #%d): wait for it to finish", run.Status, run.ID)
	}
	if err != nil {
		return run, nil, err
	}
	set, err := backup.SetOfRun(ctx, d.DB.Read, run.ID)
	if errors.Is(err, web.ErrNotFound) {
		return run, nil, nil
	}
	return run, set, err
}

// PrintBackup writes a finished backup run: one line, or with asJSON
// {"run_id","status","outcome","backup_id","item_count"}.
func PrintBackup(w io.Writer, run *operation.Run, set *backup.Set, asJSON bool) error {
	var id int64
	items := 0
	if set != nil {
		id, items = set.ID, set.ItemCount
	}
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]any{"run_id": run.ID, "status": run.Status, "outcome": run.Outcome,
			"backup_id": id, "item_count": items})
	}
	if set == nil {
		message := ""
		if run.Failure != nil {
			message = ": " + run.Failure.Message
		}
		_, err := fmt.Fprintf(w, "Run #%d %s%s\n", run.ID, run.Outcome, message)
		return err
	}
	_, err := fmt.Fprintf(w, "Run #%d %s: backup #%d %q, %s\n", run.ID, run.Outcome, set.ID, set.Name, countOf(items, "item"))
	return err
}

// ListBackups lists an environment's backup sets, newest first (atlas backup list).
func (d *Data) ListBackups(ctx context.Context, workspaceSlug, environmentSlug string) ([]*backup.Set, error) {
	_, envID, err := d.environmentIDs(ctx, workspaceSlug, environmentSlug)
	if err != nil {
		return nil, err
	}
	return backup.Sets(ctx, d.DB.Read, envID)
}

// PrintBackups writes sets one a line, or with asJSON {"backups":[…]}.
func PrintBackups(w io.Writer, sets []*backup.Set, asJSON bool) error {
	if asJSON {
		list := make([]map[string]any, len(sets))
		for i, s := range sets {
			list[i] = map[string]any{"id": s.ID, "name": s.Name, "status": s.Status, "item_count": s.ItemCount, "run_id": s.RunID,
				"created_by": s.CreatedByName, "created_at": s.CreatedAt.Time, "pinned": s.Pinned, "kept": s.Kept()}
		}
		return json.NewEncoder(w).Encode(map[string]any{"backups": list})
	}
	if len(sets) == 0 {
		_, err := fmt.Fprintln(w, "No backups.")
		return err
	}
	for _, s := range sets {
		kept := ""
		if k := s.Kept(); k != "" {
			kept = " (" + k + ")"
		}
		if _, err := fmt.Fprintf(w, "#%d  %s  %s  %s  %s%s\n", s.ID, s.CreatedAt.UTC().Format("2006-01-02 15:04"), s.Name, countOf(s.ItemCount, "item"), s.Status, kept); err != nil {
			return err
		}
	}
	return nil
}

// countOf is "1 item", "2 items".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// RestoreOptions are atlas restore's choices.
type RestoreOptions struct {
	BackupID        int64
	Types, Policies []string
	Layout          string // "": the target's own
	WithAssignments bool
}

// restoreRequest resolves a restore's set (any environment of the workspace),
// target and layout.
func (d *Data) restoreRequest(ctx context.Context, workspaceSlug, targetSlug string, o RestoreOptions) (backup.Request, int64, error) {
	wsID, targetID, err := d.environmentIDs(ctx, workspaceSlug, targetSlug)
	if err != nil {
		return backup.Request{}, 0, err
	}
	set, err := backup.SetOfWorkspace(ctx, d.DB.Read, wsID, o.BackupID)
	if errors.Is(err, web.ErrNotFound) {
		return backup.Request{}, 0, &NotFoundError{fmt.Errorf("workspace %q has no backup #%d", workspaceSlug, o.BackupID)}
	}
	if err != nil {
		return backup.Request{}, 0, err
	}
	choice := backup.Choice{Types: o.Types, Names: o.Policies, AllAssignments: o.WithAssignments}
	if err := (backup.Selection{Types: o.Types}).Check(); err != nil {
		return backup.Request{}, 0, &UsageError{err}
	}
	layout := o.Layout
	if layout == "" {
		if layout, err = backup.EnvironmentLayout(ctx, d.DB.Read, targetID); err != nil {
			return backup.Request{}, 0, err
		}
	}
	if _, ok := backup.LayoutOf(layout); !ok {
		return backup.Request{}, 0, &UsageError{fmt.Errorf("--layout %q: use intunemanagement, intunecd or intunebackupandrestore", layout)}
	}
	var label string
	if err := d.DB.Read.QueryRowContext(ctx, `SELECT COALESCE(NULLIF(display_name, ''), name) FROM managed_environments WHERE id = ?`, targetID).Scan(&label); err != nil {
		return backup.Request{}, 0, err
	}
	return backup.Request{Set: set, Target: backup.Target{ID: targetID, Label: label}, Choice: choice, Layout: layout, Date: time.Now()}, wsID, nil
}

// PreviewRestore plans a restore and writes it, or with asJSON
// {"items":[{"name","type","action","changes"}…],"warnings":[…]}, item by item
// (10,000 items' changes are not held at once); it writes nothing else anywhere
// (atlas restore --preview).
func (d *Data) PreviewRestore(ctx context.Context, w io.Writer, workspaceSlug, targetSlug string, o RestoreOptions, asJSON bool) error {
	r, _, err := d.restoreRequest(ctx, workspaceSlug, targetSlug, o)
	if err != nil {
		return err
	}
	type item struct {
		Name    string       `json:"name"`
		Type    string       `json:"type"`
		Action  string       `json:"action"`
		Changes []changeJSON `json:"changes"`
	}
	items, warnings := 0, []string{}
	if asJSON {
		if _, err := io.WriteString(w, `{"items":[`); err != nil {
			return err
		}
	}
	err = backup.Plan(ctx, d.DB.Read, r, func(s *backup.Step, found []backup.Warning) error {
		items++
		if !asJSON {
			if _, err := fmt.Fprintf(w, "%-8s  %s %q: %s\n", s.Action, s.Item.Type.Label, s.Name, s.Summary()); err != nil {
				return err
			}
			for _, wr := range found {
				if _, err := fmt.Fprintf(w, "  warning: %s\n", wr.Message); err != nil {
					return err
				}
			}
			return nil
		}
		it := item{Name: s.Name, Type: s.Item.Type.Key, Action: s.Action, Changes: []changeJSON{}}
		for _, c := range s.Changes() {
			it.Changes = append(it.Changes, changeJSON{Path: c.Path, Label: c.Label, Kind: string(c.Kind), Old: c.Old, New: c.New, Severity: string(c.Severity)})
		}
		for _, wr := range found {
			warnings = append(warnings, wr.String())
		}
		b, err := json.Marshal(it)
		if err != nil {
			return err
		}
		if items > 1 {
			b = append([]byte(","), b...)
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if asJSON {
		b, err := json.Marshal(warnings)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "],\"warnings\":%s}\n", b)
		return err
	}
	if items == 0 {
		_, err = fmt.Fprintln(w, "No item of the backup matches.")
	}
	return err
}

// changeJSON is a change as atlas diff --json writes it.
type changeJSON struct {
	Path     string `json:"path"`
	Label    string `json:"label"`
	Kind     string `json:"kind"`
	Old      string `json:"old"`
	New      string `json:"new"`
	Severity string `json:"severity"`
}

// ApplyRestore runs a restore in this process (atlas restore --yes) and writes
// its result: a line per item, or with asJSON
// {"run_id","status","outcome","pre_restore_backup_id","output","items"}.
// It returns the completed run.
func (d *Data) ApplyRestore(ctx context.Context, w io.Writer, workspaceSlug, targetSlug string, o RestoreOptions, asJSON bool) (*operation.Run, error) {
	r, wsID, err := d.restoreRequest(ctx, workspaceSlug, targetSlug, o)
	if err != nil {
		return nil, err
	}
	run, active, err := backup.StartRestore(ctx, d.DB, d.Engine, backup.RestoreStart{WorkspaceID: wsID, TargetID: r.Target.ID,
		Set: r.Set, Choice: r.Choice, Layout: r.Layout}, true)
	if active {
		return run, fmt.Errorf("a restore into this environment is already %s (run #%d): wait for it to finish", run.Status, run.ID)
	}
	if err != nil {
		return run, err
	}
	var before int64
	output := ""
	rec, err := backup.RestoreOfRun(ctx, d.DB.Read, run.ID)
	switch {
	case errors.Is(err, web.ErrNotFound):
	case err != nil:
		return run, err
	default:
		before = rec.BeforeSetID
		if rec.Output != "" {
			output = filepath.Join(d.Dir, filepath.FromSlash(rec.Output))
		}
	}
	items, err := backup.RestoreItems(ctx, d.DB.Read, run.ID)
	if err != nil {
		return run, err
	}
	if asJSON {
		list := make([]map[string]any, len(items))
		for i, it := range items {
			list[i] = map[string]any{"name": it.Name, "type": it.Type, "action": it.Action, "result": it.Result, "file": it.Path, "reason": it.Reason}
		}
		return run, json.NewEncoder(w).Encode(map[string]any{"run_id": run.ID, "status": run.Status, "outcome": run.Outcome,
			"pre_restore_backup_id": before, "output": output, "items": list})
	}
	message := ""
	if run.Failure != nil {
		message = ": " + run.Failure.Message
	}
	if _, err := fmt.Fprintf(w, "Run #%d %s%s\n", run.ID, run.Outcome, message); err != nil {
		return run, err
	}
	switch {
	case output != "":
		fmt.Fprintf(w, "Backup #%d taken first; written to %s\n", before, output)
	case run.Outcome == operation.Succeeded:
		fmt.Fprintf(w, "Backup #%d taken first. %s\n", before, backup.NothingToWrite)
	}
	for _, it := range items {
		if _, err := fmt.Fprintf(w, "%-8s  %-7s  %s %q  %s%s\n", it.Action, it.Result, it.Type, it.Name, it.Path, it.Reason); err != nil {
			return run, err
		}
	}
	return run, nil
}
