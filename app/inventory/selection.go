package inventory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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
	// ConnectedBy is who chose the folder: the sync checks again that it may
	// read it with that user's standing now (issue 17).
	ConnectedBy int64 `json:"connected_by,omitempty"`
}

// SelectionOf is the selection of an environment's connection.
func SelectionOf(c *environment.Connection) Selection {
	return Selection{ConnectionID: c.ID, SourceKind: c.SourceKind, Source: c.Source(), Path: c.SourcePath, Layout: c.Layout, ConnectedBy: c.ConnectedBy}
}

// selectionOfExport is the selection of an export that is no connection (atlas sync's).
func selectionOfExport(e environment.Export) Selection {
	source := e.Path
	if e.Kind == "zip" {
		source = e.ZipName
	}
	return Selection{SourceKind: e.Kind, Source: source, Path: e.Path, ConnectedBy: e.ConnectedBy}
}

func (s Selection) export() environment.Export {
	e := environment.Export{Kind: s.SourceKind, Path: s.Path, ConnectedBy: s.ConnectedBy}
	if s.SourceKind == "zip" {
		e.ZipName = s.Source
	}
	return e
}

// RunContext is the context of a sync run: the selection, its hash and the
// number of files the export holds now (the progress bar's total).
type RunContext struct {
	Selection     Selection `json:"selection"`
	SelectionHash string    `json:"selection_hash"`
	ExpectedFiles int       `json:"expected_files"`
}

// ContextFor builds a run's context for sel from the export's layout (its
// files, and its kind when sel names none).
func ContextFor(sel Selection, layout intune.Layout) RunContext {
	if sel.Layout == "" {
		sel.Layout = layout.Kind
	}
	return RunContext{Selection: sel, SelectionHash: intune.Hash(intune.Canonical(sel)), ExpectedFiles: layout.Files}
}

// contextOf builds a run's context for sel, counting its files (a walk of the
// folder, no file read) only when the sync may read it: one it may not read
// fails the run, which says why (SyncRun).
func contextOf(ctx context.Context, folders *environment.ExportFolders, sel Selection) (RunContext, error) {
	var refused *environment.Refused
	root, err := folders.Open(ctx, sel.export())
	switch {
	case errors.As(err, &refused):
		return ContextFor(sel, intune.Layout{}), nil
	case err != nil:
		return RunContext{}, err
	}
	defer root.Close()
	return ContextFor(sel, intune.DetectLayout(root.FS())), nil
}

// SyncRun runs the sync a run's context selects: the handler of the
// inventory.sync operation type. The folder is checked again and read as it is
// now, through an os.Root (folders.Open): a folder that is gone, or that may no
// longer be read, is an error for the whole run, never a removal of every policy.
func SyncRun(ctx context.Context, d *db.DB, folders *environment.ExportFolders, t Target, runContext []byte, r Reporter) (Result, error) {
	var rc RunContext
	if err := json.Unmarshal(runContext, &rc); err != nil || rc.Selection.Path == "" {
		return Result{}, fmt.Errorf("the run's context names no export to read: %s", runContext)
	}
	root, err := folders.Open(ctx, rc.Selection.export())
	if err != nil {
		return Result{}, err
	}
	defer root.Close()
	return Sync(ctx, d, t, root.FS(), r)
}
