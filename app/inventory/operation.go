package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/operation"
)

// Operation is the inventory.sync operation type: it reads the export its run's
// context selects (spec 058 InventorySyncRun) into the run's environment, if
// folders still allow it.
func Operation(d *db.DB, folders *environment.ExportFolders) operation.Type {
	return operation.Type{Name: OperationType, Label: "Inventory sync",
		Handler: func(ctx context.Context, run *operation.Run, p *operation.Progress) error {
			var rc RunContext
			if err := run.DecodeContext(&rc); err != nil {
				return fmt.Errorf("read the run's context: %w", err)
			}
			p.SetTotal(rc.ExpectedFiles)
			_, err := SyncRun(ctx, d, folders, Target{WorkspaceID: run.WorkspaceID, EnvironmentID: run.EnvironmentID, RunID: run.ID}, run.Context, &runReporter{p: p})
			return err
		}}
}

// runReporter passes a sync's counts to the engine as they grow. The engine
// keeps processed and total for the progress bar beside the sync's own keys;
// skipped and failed files go through its Skipped and Failed, so that failed
// files are listed in failure_summary and make the run partial.
type runReporter struct {
	p    *operation.Progress
	last Counts
}

func (r *runReporter) Progress(_ context.Context, c Counts) error {
	was := r.last
	r.last = c
	r.p.Add("files", c.Files-was.Files)
	r.p.Add("seen", c.Seen-was.Seen)
	r.p.Add("processed", c.Seen-was.Seen)
	r.p.Add("created", c.Created-was.Created)
	r.p.Add("changed", c.Changed-was.Changed)
	r.p.Add("unchanged", c.Unchanged-was.Unchanged)
	r.p.Add("removed", c.Removed-was.Removed)
	r.p.Skipped(c.Skipped - was.Skipped)
	r.p.Add("failed", 0) // every key is there from the start, failed ones come through Problem
	return nil
}

func (r *runReporter) Problem(_ context.Context, pr Problem) error {
	if pr.Warning {
		r.p.Warn(pr.File, pr.Reason)
		return nil
	}
	r.p.Failed(pr.File, pr.Reason)
	return nil
}

// Cancelled: the engine cancels the run's context.
func (r *runReporter) Cancelled(ctx context.Context) bool { return ctx.Err() != nil }

// ErrNoSource is Start's answer for an environment without an export source.
var ErrNoSource = errors.New("connect an export folder or upload a zip first")

// StartSync queues a sync of the environment's connection, or returns the run
// it joins (operation.Engine.Start); startKey is the start form's.
func StartSync(ctx context.Context, d *db.DB, engine *operation.Engine, folders *environment.ExportFolders, workspaceID, environmentID, userID int64, startKey string) (*operation.Run, bool, error) {
	c, err := environment.ConnectionOf(ctx, d.Read, environmentID)
	if errors.Is(err, environment.ErrNoConnection) {
		return nil, false, ErrNoSource
	}
	if err != nil {
		return nil, false, err
	}
	req, err := startRequest(ctx, folders, workspaceID, environmentID, userID, SelectionOf(c))
	if err != nil {
		return nil, false, err
	}
	req.StartKey = startKey
	return engine.Start(ctx, req)
}

func startRequest(ctx context.Context, folders *environment.ExportFolders, workspaceID, environmentID, userID int64, sel Selection) (operation.StartRequest, error) {
	rc, err := contextOf(ctx, folders, sel)
	if err != nil {
		return operation.StartRequest{}, err
	}
	var m map[string]any
	b, _ := json.Marshal(rc) // plain strings and numbers: cannot fail
	json.Unmarshal(b, &m)
	return operation.StartRequest{WorkspaceID: workspaceID, EnvironmentID: environmentID, Type: OperationType, Context: m, UserID: userID}, nil
}

// SyncExport runs a sync of an export that is no connection in this process
// (the command line's atlas sync) and returns the completed run. The
// environment's connection is left as it is.
func SyncExport(ctx context.Context, engine *operation.Engine, folders *environment.ExportFolders, workspaceID, environmentID int64, export environment.Export) (*operation.Run, error) {
	req, err := startRequest(ctx, folders, workspaceID, environmentID, 0, selectionOfExport(export))
	if err != nil {
		return nil, err
	}
	run, active, err := engine.Execute(ctx, req)
	if active {
		return run, fmt.Errorf("a sync of this environment is already %s (run #%d): wait for it to finish", run.Status, run.ID)
	}
	return run, err
}
