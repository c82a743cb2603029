package environment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/intune"
	"atlas/app/web"
)

// Connection is where an environment's configuration exports come from: a
// folder on this machine, or a zip uploaded through the page and extracted under
// the data folder. Provider identity (tenant id, domain) lives here, never on
// the environment (spec 279).
type Connection struct {
	ID               int64
	WorkspaceID      int64
	EnvironmentID    int64
	SourceKind       string // folder or zip
	SourcePath       string // the folder read by a sync (for a zip: where it was extracted)
	SourceName       string // the uploaded zip's file name
	Layout           string // intune layout kind
	LayoutVerdict    string
	ProviderTenantID string
	ProviderDomain   string
	ConnectedBy      int64 // who chose the source; 0 when unknown
	UpdatedAt        db.Time
}

// Source is the connection as a person reads it: the zip's name or the folder.
func (c *Connection) Source() string {
	if c.SourceKind == "zip" && c.SourceName != "" {
		return c.SourceName
	}
	return c.SourcePath
}

// SourceShownTo is the source as env's viewer may see it: the full path only
// to those who may change it (issue 8), the folder's name to everyone else.
func (c *Connection) SourceShownTo(env *access.Environment) string {
	if c.SourceKind == "folder" && !env.Can(access.ManageEnvironments) {
		return filepath.Base(c.SourcePath)
	}
	return c.Source()
}

// Export is the connection's export, for ExportFolders.Open.
func (c *Connection) Export() Export {
	return Export{Kind: c.SourceKind, Path: c.SourcePath, ZipName: c.SourceName, ConnectedBy: c.ConnectedBy}
}

// Recognised reports whether the layout detection found an Intune export.
func (c *Connection) Recognised() bool { return c.Layout != "" && c.Layout != intune.UnknownLayout }

// ErrNoConnection is ConnectionOf's answer for an environment without a source yet.
var ErrNoConnection = errors.New("no export source connected")

// ConnectionOf is the environment's connection.
func ConnectionOf(ctx context.Context, q db.Querier, environmentID int64) (*Connection, error) {
	var c Connection
	err := q.QueryRowContext(ctx, `SELECT id, workspace_id, managed_environment_id, source_kind, source_path, COALESCE(source_name, ''),
		COALESCE(layout, ''), COALESCE(layout_verdict, ''), COALESCE(provider_tenant_id, ''), COALESCE(provider_domain, ''),
		COALESCE(connected_by_user_id, 0), updated_at
		FROM provider_connections WHERE managed_environment_id = ?`, environmentID).Scan(&c.ID, &c.WorkspaceID, &c.EnvironmentID,
		&c.SourceKind, &c.SourcePath, &c.SourceName, &c.Layout, &c.LayoutVerdict, &c.ProviderTenantID, &c.ProviderDomain, &c.ConnectedBy, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoConnection
	}
	return &c, err
}

// Identity is the provider identity a person types, or the export names.
type Identity struct {
	TenantID string
	Domain   string
}

func (id *Identity) clean() web.FieldErrors {
	id.TenantID, id.Domain = strings.TrimSpace(id.TenantID), strings.ToLower(strings.TrimSpace(id.Domain))
	errs := web.FieldErrors{}
	if len(id.TenantID) > 100 {
		errs["tenant_id"] = "A tenant id is at most 100 characters (a GUID is 36)."
	}
	if id.Domain != "" && (len(id.Domain) > 253 || strings.ContainsAny(id.Domain, " /\\@") || !strings.Contains(id.Domain, ".")) {
		errs["domain"] = "Type a domain such as contoso.onmicrosoft.com."
	}
	return errs
}

// inspect detects the export's layout and, when the person typed no tenant id,
// takes the one the export names; it reads through an os.Root, as a sync does.
func inspect(c *Connection, id Identity) error {
	root, err := os.OpenRoot(c.SourcePath)
	if err != nil {
		return err
	}
	defer root.Close()
	layout := intune.DetectLayout(root.FS())
	c.Layout, c.LayoutVerdict = layout.Kind, layout.Verdict
	if id.TenantID == "" {
		id.TenantID = intune.TenantOf(root.FS())
	}
	c.ProviderTenantID, c.ProviderDomain = id.TenantID, id.Domain
	return nil
}

// ConnectFolder makes a folder on this machine the environment's source, as
// actorID chose it. The folder is one ExportFolders.Check allowed, or under
// Atlas's own exports folder (the demo's). It is stored with its symlinks
// resolved: a sync reads it only there (ExportFolders.Open).
func ConnectFolder(ctx context.Context, d *db.DB, env *access.Environment, actorID int64, folder string, id Identity) (*Connection, error) {
	if errs := id.clean(); errs.Any() {
		return nil, errs
	}
	resolved, err := filepath.EvalSymlinks(folder)
	if err != nil {
		return nil, err
	}
	c := &Connection{WorkspaceID: env.WorkspaceID, EnvironmentID: env.ID, SourceKind: "folder", SourcePath: resolved, ConnectedBy: actorID}
	if err := inspect(c, id); err != nil {
		return nil, err
	}
	return c, d.Tx(ctx, func(tx *sql.Tx) error { return save(ctx, tx, c) })
}

// save stores c as the environment's one connection (a new source replaces the
// old) and records who changed it (c.ConnectedBy).
func save(ctx context.Context, tx *sql.Tx, c *Connection) error {
	now := db.Now()
	err := tx.QueryRowContext(ctx, `INSERT INTO provider_connections (workspace_id, managed_environment_id, source_kind, source_path, source_name,
		layout, layout_verdict, provider_tenant_id, provider_domain, connected_by_user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (managed_environment_id) DO UPDATE SET source_kind = excluded.source_kind, source_path = excluded.source_path,
		source_name = excluded.source_name, layout = excluded.layout, layout_verdict = excluded.layout_verdict,
		provider_tenant_id = excluded.provider_tenant_id, provider_domain = excluded.provider_domain,
		connected_by_user_id = excluded.connected_by_user_id, updated_at = excluded.updated_at
		RETURNING id`, c.WorkspaceID, c.EnvironmentID, c.SourceKind, c.SourcePath, db.NullString(c.SourceName), c.Layout,
		c.LayoutVerdict, db.NullString(c.ProviderTenantID), db.NullString(c.ProviderDomain), db.NullID(c.ConnectedBy), now, now).Scan(&c.ID)
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: c.WorkspaceID, UserID: c.ConnectedBy, Action: "connection.saved",
		RecordType: "provider_connection", RecordID: c.ID, RecordLabel: c.Source(),
		Detail: map[string]any{"source_kind": c.SourceKind, "layout": c.Layout, "provider_tenant_id": c.ProviderTenantID, "provider_domain": c.ProviderDomain}})
}

// MaxUploadBytes bounds an uploaded export zip; the zip guard then bounds what it
// expands to (intune.DefaultZipLimits).
const MaxUploadBytes = 512 << 20

// MaxConcurrentUploads bounds the uploads received and extracted at once, in
// all environments together, so that parallel uploads cannot fill the disk.
const MaxConcurrentUploads = 2

// Uploads is where uploaded export zips are received and extracted: under the
// data folder, one folder per environment.
type Uploads struct {
	Dir   string
	Limit int64 // bytes of one zip: MaxUploadBytes in the app, less in tests
	slots *uploadSlots
}

// NewUploads receives zips of up to limit bytes under the data folder dir, one
// at a time per environment and MaxConcurrentUploads at a time in all.
func NewUploads(dir string, limit int64) Uploads {
	return Uploads{Dir: dir, Limit: limit, slots: &uploadSlots{busy: map[int64]bool{}}}
}

// uploadSlots are the environments whose source is changing now: one change
// at a time per environment, and at most MaxConcurrentUploads uploads in all.
type uploadSlots struct {
	mu      sync.Mutex
	busy    map[int64]bool
	uploads int
}

// take reserves the environment's one slot for a change of its source (an
// upload when upload is set), or refuses at once (409) when it is busy or all
// upload slots are; release gives it back.
func (s *uploadSlots) take(env *access.Environment, upload bool) (release func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.busy[env.ID]:
		return nil, web.Errorf(web.Conflict, "Another zip is being uploaded to %s: wait until it is done, then try again.", env.Label())
	case upload && s.uploads >= MaxConcurrentUploads:
		return nil, web.Errorf(web.Conflict, "Atlas is already receiving %d uploads: try again when one of them is done.", MaxConcurrentUploads)
	}
	s.busy[env.ID] = true
	if upload {
		s.uploads++
	}
	return func() {
		s.mu.Lock()
		delete(s.busy, env.ID)
		if upload {
			s.uploads--
		}
		s.mu.Unlock()
	}, nil
}

// LimitText is the limit as the page says it: "512 MiB".
func (u Uploads) LimitText() string {
	if u.Limit >= 1<<20 {
		return fmt.Sprintf("%d MiB", u.Limit>>20)
	}
	return fmt.Sprintf("%d KiB", u.Limit>>10)
}

func (u Uploads) tooLarge() web.FieldErrors {
	return web.FieldErrors{"export": "The zip is larger than " + u.LimitText() + ": upload a smaller export, or extract it and use the folder instead."}
}

// ExportsFolder is the folder under the data folder that holds the exports
// Atlas keeps itself: uploaded zips, the zips atlas sync expands, the demo's.
// It is the only part of the data folder a sync may read (ExportFolders.Open).
const ExportsFolder = "exports"

func (u Uploads) environmentDir(environmentID int64) string {
	return filepath.Join(u.Dir, ExportsFolder, fmt.Sprintf("environment-%d", environmentID))
}

// Refused is an export Atlas will not take or read: a zip the guard would not
// extract, a folder a sync may no longer read. Its Message says why, for the
// page or the run.
type Refused struct{ Message string }

func (r *Refused) Error() string { return r.Message }

// ConnectZip extracts the zip in f (size bytes, named name) into a new folder
// under the data folder and makes it the environment's source; the folder of a
// previously uploaded zip is removed. A zip the guard refuses is a *Refused, and
// a zip refused or not saved leaves nothing behind. The caller holds the
// environment's upload slot.
func (u Uploads) ConnectZip(ctx context.Context, d *db.DB, env *access.Environment, actorID int64, f *os.File, size int64, name string, id Identity) (*Connection, error) {
	if errs := id.clean(); errs.Any() {
		return nil, errs
	}
	dir := u.environmentDir(env.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	dest, err := os.MkdirTemp(dir, "upload-")
	if err != nil {
		return nil, err
	}
	// ExtractZip creates the folder itself, and must find it absent.
	if err := os.Remove(dest); err != nil {
		return nil, err
	}
	if _, err := intune.ExtractZip(f, size, dest, intune.DefaultZipLimits); err != nil {
		return nil, &Refused{Message: "The zip was refused: " + err.Error()}
	}
	c := &Connection{WorkspaceID: env.WorkspaceID, EnvironmentID: env.ID, SourceKind: "zip", SourcePath: dest,
		SourceName: web.Truncate(filepath.Base(name), web.MaxNameLength), ConnectedBy: actorID}
	// Stored with its symlinks resolved, as a folder is: a sync reads it only there.
	c.SourcePath, err = filepath.EvalSymlinks(dest)
	if err == nil {
		err = inspect(c, id)
	}
	if err == nil {
		err = d.Tx(ctx, func(tx *sql.Tx) error { return save(ctx, tx, c) })
	}
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dest))
	}
	// Saved: a folder left behind is only disk space, not the person's to fix.
	if err := u.removeUploadsExcept(env.ID, dest); err != nil {
		slog.Warn("removing an earlier upload", "environment", env.ID, "err", err)
	}
	return c, nil
}

// removeUploadsExcept removes the folders the environment's uploaded zips were
// extracted into, all but keep (the current source; "" when the source is a
// folder): the previous upload once the source changed, and any that a crash
// left behind. It must not run while the environment receives an upload.
func (u Uploads) removeUploadsExcept(environmentID int64, keep string) error {
	dir := u.environmentDir(environmentID)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		// By name: keep is stored resolved, dir may lie beyond a link.
		if keep == "" || e.Name() != filepath.Base(keep) {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	return errors.Join(errs...)
}
