package environment

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"atlas/app/audit"
	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/web"
)

// ExportFolders decides which folders on this computer may become an export
// source (issue 8). A sync reads every JSON file of its folder and shows it to
// the environment's members, so the choice of folder is an access decision:
//   - never Atlas's data folder, anything inside it (other customers' uploads)
//     or a folder that contains it — symlinks resolved;
//   - the local owner (the OS user who runs Atlas) may choose any other folder;
//   - everyone else only folders under an export root that a site administrator
//     set (atlas serve --export-root, or the users page); with none, no folder.
type ExportFolders struct {
	DB        *db.DB
	DataDir   string
	FlagRoots []string // --export-root, absolute, checked at start
}

// ExportRoot is one folder under which export folders may be chosen.
type ExportRoot struct {
	ID   int64  // 0 for a root given on the command line
	Path string // absolute, symlinks resolved
}

// FromCommandLine reports whether the root was given with --export-root (and
// so cannot be removed on the page).
func (r ExportRoot) FromCommandLine() bool { return r.ID == 0 }

// Roots lists the command line's roots, then the ones set on the users page.
func (f *ExportFolders) Roots(ctx context.Context) ([]ExportRoot, error) {
	var roots []ExportRoot
	for _, p := range f.FlagRoots {
		roots = append(roots, ExportRoot{Path: p})
	}
	rows, err := f.DB.Read.QueryContext(ctx, `SELECT id, path FROM export_roots ORDER BY path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r ExportRoot
		if err := rows.Scan(&r.ID, &r.Path); err != nil {
			return nil, err
		}
		roots = append(roots, r)
	}
	return roots, rows.Err()
}

// MayChoose reports whether the user may connect a folder at all.
func (f *ExportFolders) MayChoose(ctx context.Context, u *auth.User) (bool, error) {
	if u.IsLocalOwner {
		return true, nil
	}
	roots, err := f.Roots(ctx)
	return len(roots) > 0, err
}

// Check returns the folder the user may connect, symlinks resolved, or field
// errors for "path". Every refusal of an existing or missing folder is the
// same message, so the form cannot be used to probe the disk.
func (f *ExportFolders) Check(ctx context.Context, u *auth.User, folder string) (string, error) {
	folder = strings.TrimSpace(folder)
	switch {
	case folder == "":
		return "", web.FieldErrors{"path": "Type the full path of the export folder."}
	case !filepath.IsAbs(folder):
		return "", web.FieldErrors{"path": "Type the full path, from the root (e.g. /Users/you/Exports/contoso)."}
	}
	roots, err := f.Roots(ctx)
	if err != nil {
		return "", err
	}
	refused := web.FieldErrors{"path": refusal(u, roots)}
	resolved, err := f.usableFolder(folder)
	if err != nil {
		return "", refused
	}
	if u.IsLocalOwner || underAny(resolved, roots) {
		return resolved, nil
	}
	return "", refused
}

// underAny reports whether the folder (resolved) lies under one of the roots.
func underAny(folder string, roots []ExportRoot) bool {
	for _, root := range roots {
		if r, err := filepath.EvalSymlinks(root.Path); err == nil && within(folder, r) {
			return true
		}
	}
	return false
}

func refusal(u *auth.User, roots []ExportRoot) string {
	switch {
	case u.IsLocalOwner:
		return "This folder cannot be used: choose an existing folder that Atlas can read, outside Atlas's own data folder."
	case len(roots) == 0:
		return "Connecting a folder needs an export root, and none is set: ask a site administrator to set one, or upload a zip."
	}
	paths := make([]string, len(roots))
	for i, r := range roots {
		paths[i] = r.Path
	}
	return "This folder cannot be used: choose an existing folder that Atlas can read, under an export root (" + strings.Join(paths, ", ") + ")."
}

// errNotUsable is every reason a folder cannot be a source or an export root.
var errNotUsable = errors.New("not a usable folder")

// usableFolder resolves folder's symlinks and checks that it is a readable
// folder apart from the data folder: not it, not inside it, not around it.
func (f *ExportFolders) usableFolder(folder string) (string, error) {
	resolved, err := filepath.EvalSymlinks(folder)
	if err != nil {
		return "", errNotUsable
	}
	dir, err := os.Open(resolved)
	if err != nil {
		return "", errNotUsable
	}
	defer dir.Close()
	if st, err := dir.Stat(); err != nil || !st.IsDir() {
		return "", errNotUsable
	}
	if _, err := dir.Readdirnames(1); err != nil && !errors.Is(err, io.EOF) {
		return "", errNotUsable
	}
	data, err := f.dataFolder()
	if err != nil {
		return "", err
	}
	if within(resolved, data) || within(data, resolved) {
		return "", errNotUsable
	}
	return resolved, nil
}

// dataFolder is the data folder, symlinks resolved.
func (f *ExportFolders) dataFolder() (string, error) {
	data, err := filepath.EvalSymlinks(f.DataDir)
	if err != nil {
		return "", fmt.Errorf("resolve the data folder: %w", err)
	}
	return data, nil
}

// within reports whether path is dir or lies inside it (both resolved).
// Laptops' file systems ignore case on macOS and Windows: so does this.
func within(path, dir string) bool {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		path, dir = strings.ToLower(path), strings.ToLower(dir)
	}
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// CheckRoot returns an export root as it is stored (absolute, resolved), or
// why it cannot be one.
func (f *ExportFolders) CheckRoot(root string) (string, error) {
	root = strings.TrimSpace(root)
	if !filepath.IsAbs(root) {
		return "", fmt.Errorf("type the full path of the folder, from the root")
	}
	resolved, err := f.usableFolder(root)
	if errors.Is(err, errNotUsable) {
		return "", fmt.Errorf("%s cannot be an export root: it must be an existing folder that Atlas can read, apart from Atlas's own data folder", root)
	}
	return resolved, err
}

// AddRoot stores an export root set on the users page.
func (f *ExportFolders) AddRoot(ctx context.Context, actorID int64, root string) (string, error) {
	resolved, err := f.CheckRoot(root)
	if err != nil {
		return "", web.FieldErrors{"root": strings.ToUpper(err.Error()[:1]) + err.Error()[1:] + "."}
	}
	err = f.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO export_roots (path, created_by_user_id, created_at) VALUES (?, ?, ?)`, resolved, actorID, db.Now())
		if db.IsUniqueViolation(err) {
			return web.FieldErrors{"root": resolved + " is already an export root."}
		}
		if err != nil {
			return err
		}
		id, _ := res.LastInsertId()
		return audit.Record(ctx, tx, audit.Event{UserID: actorID, Action: "export_root.added", RecordType: "export_root", RecordID: id, RecordLabel: resolved})
	})
	return resolved, err
}

// RemoveRoot deletes an export root set on the users page. Folders connected
// under it stay connected, but a sync no longer reads those that anyone but the
// local owner chose (Open), unless another root holds them.
func (f *ExportFolders) RemoveRoot(ctx context.Context, actorID, id int64) (string, error) {
	var path string
	err := f.DB.Tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `DELETE FROM export_roots WHERE id = ? RETURNING path`, id).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return web.ErrNotFound
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{UserID: actorID, Action: "export_root.removed", RecordType: "export_root", RecordID: id, RecordLabel: path})
	})
	return path, err
}

// Export is an export folder a sync reads, as it was connected.
type Export struct {
	Kind        string // folder or zip
	Path        string // absolute, symlinks resolved when it was connected
	ZipName     string // the zip's file name, for a zip
	ConnectedBy int64  // who chose it, whose standing decides where it may lie; 0 when unknown
}

// name is what a refusal calls the export: never its full path, which not
// everyone who sees a run may see (issue 8), nor where a link leads.
func (e Export) name() string {
	if e.Kind == "zip" && e.ZipName != "" {
		return e.ZipName
	}
	return filepath.Base(e.Path)
}

// Open checks the export again and opens it for reading (DESIGN §7: re-checked
// at every sync, since a folder can change after it was connected):
//   - it is still where it was connected, reached through no link: a folder
//     replaced by a link, or one on its way, is refused wherever it leads;
//   - inside the data folder, only Atlas's own exports folder may be read
//     (uploads, atlas sync's zips, the demo), and there only an upload or a
//     folder the local owner connected;
//   - elsewhere it must not hold the data folder, and unless the local owner
//     chose it, it must lie under an export root set now.
//
// The folder is opened as an os.Root, so that no link inside it leads out. A
// refusal is a *Refused that says why.
func (f *ExportFolders) Open(ctx context.Context, e Export) (*os.Root, error) {
	if err := f.mayRead(ctx, e); err != nil {
		return nil, err
	}
	root, err := openWithoutLinks(e.Path)
	switch {
	case errors.Is(err, errLinked):
		return nil, &Refused{Message: fmt.Sprintf("The export folder %s was replaced by a link, or a folder on its way was: "+
			"Atlas reads a folder only where it was connected, so nothing was read. Put the export back, or connect the folder again.", e.name())}
	case err != nil:
		return nil, &Refused{Message: fmt.Sprintf("The export %s cannot be read: connect the environment's export source again.", e.name())}
	}
	return root, nil
}

// mayRead applies the rules of where an export may lie to its path.
func (f *ExportFolders) mayRead(ctx context.Context, e Export) error {
	data, err := f.dataFolder()
	if err != nil {
		return err
	}
	chooser, err := auth.UserByID(ctx, f.DB.Read, e.ConnectedBy)
	if errors.Is(err, auth.ErrNoUser) {
		chooser, err = &auth.User{}, nil // removed, or never recorded: no standing
	}
	if err != nil {
		return err
	}
	switch {
	case within(e.Path, data):
		if within(e.Path, filepath.Join(data, ExportsFolder)) && (e.Kind == "zip" || chooser.IsLocalOwner) {
			return nil
		}
		return &Refused{Message: fmt.Sprintf("The export folder %s lies inside Atlas's data folder, which holds other workspaces' exports: nothing was read. Connect another folder.", e.name())}
	case within(data, e.Path):
		return &Refused{Message: fmt.Sprintf("The export folder %s holds Atlas's data folder, which holds other workspaces' exports: nothing was read. Connect another folder.", e.name())}
	case e.Kind == "zip":
		return &Refused{Message: fmt.Sprintf("The uploaded export %s is no longer in Atlas's data folder: upload it again.", e.name())}
	case chooser.IsLocalOwner:
		return nil
	}
	roots, err := f.Roots(ctx)
	if err != nil {
		return err
	}
	if underAny(e.Path, roots) {
		return nil
	}
	return &Refused{Message: fmt.Sprintf("The export folder %s is under no export root now (a site administrator may have removed its root), "+
		"and only the local owner may connect a folder elsewhere: nothing was read. Ask a site administrator for an export root that holds it, or upload a zip.", e.name())}
}

// errLinked: a folder on the way to an export is a link.
var errLinked = errors.New("reached through a link")

// openWithoutLinks opens the folder dir (absolute, clean) one folder at a time
// from the top, and refuses (errLinked) when any of them is a link: the root
// returned is the folder at dir itself, not one a link leads to. Each folder
// is opened from the one above it, and is checked to be the folder that was
// found there, so a link swapped in meanwhile is refused too.
func openWithoutLinks(dir string) (*os.Root, error) {
	volume := filepath.VolumeName(dir)
	root, err := os.OpenRoot(volume + string(filepath.Separator))
	if err != nil {
		return nil, err
	}
	for name := range strings.SplitSeq(strings.Trim(dir[len(volume):], string(filepath.Separator)), string(filepath.Separator)) {
		if name == "" {
			continue
		}
		next, err := openChild(root, name)
		root.Close()
		if err != nil {
			return nil, err
		}
		root = next
	}
	return root, nil
}

// openChild opens the folder name in parent, refusing a link.
func openChild(parent *os.Root, name string) (*os.Root, error) {
	found, err := parent.Lstat(name)
	if err != nil {
		return nil, err
	}
	if found.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
		return nil, errLinked // ModeIrregular: a Windows junction
	}
	child, err := parent.OpenRoot(name)
	if err != nil {
		return nil, err
	}
	opened, err := child.Stat(".")
	if err == nil && !os.SameFile(found, opened) {
		err = errLinked
	}
	if err != nil {
		child.Close()
		return nil, err
	}
	return child, nil
}
