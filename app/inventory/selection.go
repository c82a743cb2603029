package inventory

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/intune"
)

// Selection is what a sync reads. Spec 058's InventorySyncRun keeps the
// selection payload and its hash in the run's context, so a run says what it
// read even after the connection changed, and runs over the same selection
// group by hash.
type Selection struct {
	ConnectionID int64  `json:"connection_id"`
	SourceKind   string `json:"source_kind"` // folder or zip
	Source       string `json:"source"`      // the folder, or the zip's file name
	Path         string `json:"path"`        // the folder read
	Layout       string `json:"layout"`
}

// SelectionOf is the selection of an environment's connection.
func SelectionOf(c *environment.Connection) Selection {
	return Selection{ConnectionID: c.ID, SourceKind: c.SourceKind, Source: c.Source(), Path: c.SourcePath, Layout: c.Layout}
}

// RunContext is the context of a sync run: the selection, its hash and the
// number of files the export holds now (the progress bar's total).
type RunContext struct {
	Selection     Selection `json:"selection"`
	SelectionHash string    `json:"selection_hash"`
	ExpectedFiles int       `json:"expected_files"`
}

// ContextFor builds a run's context for sel, counting its files (a walk of the
// folder, no file read) and naming its layout when sel does not.
func ContextFor(sel Selection) RunContext {
	layout := intune.DetectLayout(os.DirFS(sel.Path))
	if sel.Layout == "" {
		sel.Layout = layout.Kind
	}
	return RunContext{Selection: sel, SelectionHash: intune.Hash(intune.Canonical(sel)), ExpectedFiles: layout.Files}
}

// SyncRun runs the sync a run's context selects: the handler of the
// inventory.sync operation type. The folder is read as it is now; a folder that
// is gone is an error for the whole run, never a removal of every policy.
func SyncRun(ctx context.Context, d *db.DB, t Target, runContext []byte, r Reporter) (Result, error) {
	var rc RunContext
	if err := json.Unmarshal(runContext, &rc); err != nil || rc.Selection.Path == "" {
		return Result{}, fmt.Errorf("the run's context names no export to read: %s", runContext)
	}
	if st, err := os.Stat(rc.Selection.Path); err != nil || !st.IsDir() {
		return Result{}, fmt.Errorf("the export %s cannot be read: connect the environment's export source again", rc.Selection.Source)
	}
	return Sync(ctx, d, t, os.DirFS(rc.Selection.Path), r)
}
