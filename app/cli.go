package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"atlas/app/access"
	"atlas/app/auth"
	"atlas/app/environment"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/operation"
	"atlas/app/web"
	"atlas/app/workspace"
)

// UsageError is a bad command-line argument: the command exits with status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// NotFoundError is a name that matches nothing: the command exits with status 1.
type NotFoundError struct{ Err error }

func (e *NotFoundError) Error() string { return e.Err.Error() }

// DefaultDataDir is ATLAS_DATA, else the OS user data folder + /atlas.
func DefaultDataDir() string {
	if dir := os.Getenv("ATLAS_DATA"); dir != "" {
		return dir
	}
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "windows":
		if dir := os.Getenv("LocalAppData"); dir != "" {
			return filepath.Join(dir, "atlas")
		}
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "atlas")
	}
	if dir := os.Getenv("XDG_DATA_HOME"); dir != "" {
		return filepath.Join(dir, "atlas")
	}
	return filepath.Join(home, ".local", "share", "atlas")
}

// classify turns a domain error into the command line's kind of error.
func classify(err error) error {
	var fields web.FieldErrors
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fields):
		if msg, ok := fields["email"]; ok && len(fields) == 1 {
			return &NotFoundError{errors.New(msg)}
		}
		return &UsageError{fields}
	case errors.Is(err, workspace.ErrNoWorkspace), errors.Is(err, environment.ErrNoEnvironment), errors.Is(err, auth.ErrNoUser):
		return &NotFoundError{err}
	case errors.Is(err, auth.ErrEmailTaken):
		return &UsageError{err}
	}
	return err
}

// AddWorkspace creates a workspace owned by the local owner.
func (d *Data) AddWorkspace(ctx context.Context, slug, name string) error {
	return classify(d.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := workspace.Create(ctx, tx, name, slug, d.Owner.ID)
		return err
	}))
}

// AddEnvironment creates an environment in the workspace with slug workspaceSlug.
func (d *Data) AddEnvironment(ctx context.Context, workspaceSlug, slug, name string) error {
	return classify(d.DB.Tx(ctx, func(tx *sql.Tx) error {
		wsID, err := workspace.IDBySlug(ctx, tx, workspaceSlug)
		if err != nil {
			return fmt.Errorf("workspace %q: %w", workspaceSlug, err)
		}
		_, err = environment.Create(ctx, tx, wsID, d.Owner.ID, environment.Fields{Slug: slug, Name: name})
		return err
	}))
}

// AddUser creates a user who signs in with email and password; siteAdmin
// also makes them a site administrator (atlas user add --admin).
func (d *Data) AddUser(ctx context.Context, email, name, password string, siteAdmin bool) error {
	nu, err := auth.PrepareUser(ctx, email, name, password)
	if err == nil {
		err = d.DB.Tx(ctx, func(tx *sql.Tx) error {
			u, err := nu.Insert(ctx, tx)
			if err != nil || !siteAdmin {
				return err
			}
			return auth.SetSiteAdmin(ctx, tx, u.ID, true)
		})
	}
	if err != nil && !errors.Is(err, auth.ErrEmailTaken) {
		return &UsageError{err}
	}
	return classify(err)
}

// AddMember gives a user a role in a workspace, and with environmentSlug an
// environment membership too, in one transaction.
func (d *Data) AddMember(ctx context.Context, workspaceSlug, email, roleName, environmentSlug string) error {
	role, err := access.ParseRole(roleName)
	if err != nil {
		return &UsageError{err}
	}
	return classify(d.DB.Tx(ctx, func(tx *sql.Tx) error {
		wsID, err := workspace.IDBySlug(ctx, tx, workspaceSlug)
		if err != nil {
			return fmt.Errorf("workspace %q: %w", workspaceSlug, err)
		}
		envID := int64(0)
		if environmentSlug != "" {
			if envID, err = environment.IDBySlug(ctx, tx, wsID, environmentSlug); err != nil {
				return fmt.Errorf("environment %q in workspace %q: %w", environmentSlug, workspaceSlug, err)
			}
		}
		if _, err := workspace.AddMember(ctx, tx, wsID, d.Owner.ID, email, role); err != nil {
			return err
		}
		if envID != 0 {
			return environment.AddMember(ctx, tx, wsID, envID, d.Owner.ID, email, role)
		}
		return nil
	}))
}

// Sync runs an inventory sync of the export at path, a folder or a zip (expanded
// under the data folder for the run, then removed), in this process, and
// returns the completed run. The environment's export source is left as it is.
func (d *Data) Sync(ctx context.Context, workspaceSlug, environmentSlug, path string) (*operation.Run, error) {
	wsID, envID, err := d.environmentIDs(ctx, workspaceSlug, environmentSlug)
	if err != nil {
		return nil, err
	}
	export, cleanup, err := d.exportFolder(ctx, path)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return inventory.SyncExport(ctx, d.Engine, d.Folders, wsID, envID, export)
}

// exportFolder is the export at path, as the local owner names it: a folder
// the local owner may connect (anywhere apart from the data folder), or a zip
// expanded into Atlas's own exports folder (removed by cleanup).
func (d *Data) exportFolder(ctx context.Context, path string) (export environment.Export, cleanup func(), err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return export, nil, &UsageError{err}
	}
	st, err := os.Stat(abs)
	if err != nil {
		return export, nil, &UsageError{fmt.Errorf("the export %s cannot be read: %w", path, err)}
	}
	if st.IsDir() {
		folder, err := d.Folders.Check(ctx, d.Owner, abs)
		var refused web.FieldErrors
		if errors.As(err, &refused) {
			return export, nil, &UsageError{fmt.Errorf("%s: %s", path, refused["path"])}
		}
		if err != nil {
			return export, nil, err
		}
		return environment.Export{Kind: "folder", Path: folder, ConnectedBy: d.Owner.ID}, func() {}, nil
	}
	folder, err := d.expandZip(abs)
	if err != nil {
		return export, nil, err
	}
	return environment.Export{Kind: "zip", Path: folder, ZipName: filepath.Base(abs), ConnectedBy: d.Owner.ID}, func() { os.RemoveAll(folder) }, nil
}

// environmentIDs resolves a workspace and an environment by their slugs; a
// slug that matches nothing is a *NotFoundError.
func (d *Data) environmentIDs(ctx context.Context, workspaceSlug, environmentSlug string) (wsID, envID int64, err error) {
	if wsID, err = workspace.IDBySlug(ctx, d.DB.Read, workspaceSlug); err != nil {
		return 0, 0, classify(fmt.Errorf("workspace %q: %w", workspaceSlug, err))
	}
	if envID, err = environment.IDBySlug(ctx, d.DB.Read, wsID, environmentSlug); err != nil {
		return 0, 0, classify(fmt.Errorf("environment %q in workspace %q: %w", environmentSlug, workspaceSlug, err))
	}
	return wsID, envID, nil
}

// expandZip checks and expands a zip into a new folder under the data folder.
func (d *Data) expandZip(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", &UsageError{err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	parent := filepath.Join(d.Dir, environment.ExportsFolder)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", err
	}
	dest := filepath.Join(parent, fmt.Sprintf("cli-%d", time.Now().UnixNano()))
	if _, err := intune.ExtractZip(f, st.Size(), dest, intune.DefaultZipLimits); err != nil {
		return "", &UsageError{fmt.Errorf("%s is neither a folder nor an acceptable zip: %w", path, err)}
	}
	// Resolved, as a connection's folder is: the sync reads it only there.
	return filepath.EvalSymlinks(dest)
}

// PrintRun writes a finished run's summary: one line of counts and its failures,
// or with asJSON one object (run_id, status, outcome, summary_counts, failure_summary).
func PrintRun(w io.Writer, run *operation.Run, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]any{"run_id": run.ID, "status": run.Status, "outcome": run.Outcome,
			"summary_counts": run.Counts, "failure_summary": run.Failure})
	}
	c := run.Counts
	fmt.Fprintf(w, "Run #%d %s: %d files, %d seen, %d created, %d changed, %d unchanged, %d removed, %d skipped, %d failed\n",
		run.ID, run.Outcome, c["files"], c["seen"], c["created"], c["changed"], c["unchanged"], c["removed"], c["skipped"], c["failed"])
	printFailures(w, run.Failure)
	return nil
}

// printFailures lists a run's failure summary under its line.
func printFailures(w io.Writer, f *operation.FailureSummary) {
	if f == nil {
		return
	}
	if f.Message != "" {
		fmt.Fprintln(w, f.Message)
	}
	for _, item := range f.Items {
		kind := "failed"
		if item.Warning {
			kind = "warning"
		}
		fmt.Fprintf(w, "  %s: %s: %s\n", kind, item.Item, item.Reason)
	}
	if f.ItemsOmitted > 0 {
		fmt.Fprintf(w, "  …and %d more\n", f.ItemsOmitted)
	}
}
