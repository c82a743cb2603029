// Package app wires Atlas together: the data folder, the database, the domains and
// the router. It is the one place where the parts meet.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/auth"
	"atlas/app/backup"
	"atlas/app/baseline"
	"atlas/app/catalog"
	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/finding"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/operation"
	"atlas/app/search"
	"atlas/app/site"
	"atlas/app/web"
	"atlas/app/workspace"
	"atlas/assets"

	"github.com/uptrace/bunrouter"
)

// Data is an opened data folder: the database, the local owner, the operations
// engine, and the rules of which export folders may be read.
type Data struct {
	Dir     string
	DB      *db.DB
	Owner   *auth.User
	Engine  *operation.Engine
	Folders *environment.ExportFolders // NewServer adds the --export-root roots
}

// OpenData creates the data folder (0700) if needed, opens and migrates the
// database, and makes sure the local owner exists (named after osUser). A folder
// or database Atlas cannot write is one line saying which and what to do.
func OpenData(ctx context.Context, dir, osUser string) (*Data, error) {
	if err := prepareFolder(dir); err != nil {
		return nil, err
	}
	catalog.Use(dir) // pages name settings from the dictionary installed here, if any
	d, err := db.Open(ctx, filepath.Join(dir, "atlas.db"))
	if err != nil {
		return nil, openError(dir, err)
	}
	if n, err := inventory.UpgradePayloads(ctx, d); err != nil {
		d.Close()
		return nil, openError(dir, fmt.Errorf("rewrite the stored policies in the current canonical form: %w", err))
	} else if n > 0 {
		slog.Info("stored policies rewritten in the current canonical form", "payloads", n, "form", intune.CanonicalForm)
	}
	owner, err := auth.EnsureLocalOwner(ctx, d, osUser)
	if err != nil {
		d.Close()
		return nil, openError(dir, err)
	}
	folders := &environment.ExportFolders{DB: d, DataDir: dir}
	engine, err := newEngine(ctx, d, folders, dir)
	if err != nil {
		d.Close()
		return nil, openError(dir, err)
	}
	return &Data{Dir: dir, DB: d, Owner: owner, Engine: engine, Folders: folders}, nil
}

// newEngine registers every operation type, with what starting it needs
// (operationNeeds, beside the routes), then completes the runs of Atlas
// processes that died (issue 3: at the start of any Atlas process).
func newEngine(ctx context.Context, d *db.DB, folders *environment.ExportFolders, dir string) (*operation.Engine, error) {
	e, err := operation.NewEngine(d)
	if err != nil {
		return nil, err
	}
	register := func(t operation.Type) {
		t.Need = operationNeeds[t.Name]
		e.Register(t)
	}
	register(operation.DemoCount)
	sync := inventory.Operation(d, folders)
	sync.Handler = backup.VerifyingSync(d, sync.Handler) // a sync also verifies the restores into its environment
	sync.Related = inventory.RelatedToSync(d)
	register(sync)
	capture, compare := baseline.CaptureOperation(d, folders), baseline.CompareOperation(d)
	capture.Related, compare.Related = baseline.RelatedToRun(d), baseline.RelatedToRun(d)
	register(capture)
	register(compare)
	create := backup.CreateOperation(d)
	create.Related = backup.RelatedToRun(d)
	register(create)
	restore := backup.RestoreOperation(d, dir)
	restore.Panel = backup.RestorePanel(d, dir)
	restore.Related = backup.RelatedToRun(d)
	register(restore)
	if _, err := e.Recover(ctx); err != nil {
		e.Close()
		return nil, fmt.Errorf("recover interrupted operations: %w", err)
	}
	return e, nil
}

// Close gives up this process's runs and closes the database.
func (d *Data) Close() error { return errors.Join(d.Engine.Close(), d.DB.Close()) }

// Server is the web application over a data folder.
type Server struct {
	data     *Data
	views    *web.Views
	sessions *web.Sessions
	guard    *web.Guard
	resolver *access.Resolver
	Launcher *auth.Launcher

	auth         *auth.Handlers
	workspaces   *workspace.Handlers
	environments *environment.Handlers
	connections  *environment.ConnectionHandlers
	inventory    *inventory.Handlers
	baselines    *baseline.Handlers
	findings     *finding.Handlers
	backups      *backup.Handlers
	audit        *audit.Handlers
	operations   *operation.Handlers
	site         *site.Handlers
	search       *search.Handlers
	static       bunrouter.HandlerFunc
}

// ServerOptions are the serving flags that shape the web app.
type ServerOptions struct {
	AllowHosts  []string // extra Host names to accept (--allow-host)
	ExportRoots []string // folders under which others may connect export folders (--export-root)
}

// NewServer builds the handlers. A bad --export-root is a *UsageError.
func NewServer(data *Data, opts ServerOptions) (*Server, error) {
	views, err := web.NewViews(assets.FS)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	sessions, err := web.NewSessions(filepath.Join(data.Dir, "session.keys"))
	if err != nil {
		return nil, err
	}
	folders := data.Folders
	var flagRoots []string
	for _, root := range opts.ExportRoots {
		abs, err := filepath.Abs(root)
		if err == nil {
			abs, err = folders.CheckRoot(abs)
		}
		if err != nil {
			return nil, &UsageError{fmt.Errorf("--export-root %s: %w", root, err)}
		}
		flagRoots = append(flagRoots, abs)
	}
	// Set before the engine runs: the syncs it runs check their folders against them.
	folders.FlagRoots = flagRoots
	resolver := &access.Resolver{DB: data.DB, OperationNeed: data.Engine.Need}
	throttle := auth.NewThrottle()
	operations := &operation.Handlers{DB: data.DB, Views: views, Resolver: resolver, Engine: data.Engine}
	s := &Server{
		data: data, views: views, sessions: sessions, guard: web.NewGuard(opts.AllowHosts), resolver: resolver,
		Launcher:     auth.NewLauncher(),
		workspaces:   &workspace.Handlers{DB: data.DB, Views: views, Resolver: resolver, Operations: operations},
		environments: &environment.Handlers{DB: data.DB, Views: views, Resolver: resolver},
		baselines:    &baseline.Handlers{DB: data.DB, Views: views, Resolver: resolver, Engine: data.Engine},
		findings:     &finding.Handlers{DB: data.DB, Views: views, Operations: operations},
		operations:   operations,
		audit:        &audit.Handlers{DB: data.DB, Views: views},
		connections:  &environment.ConnectionHandlers{DB: data.DB, Views: views, Folders: folders, Uploads: environment.NewUploads(data.Dir, environment.MaxUploadBytes)},
		site:         &site.Handlers{DB: data.DB, Views: views, Folders: folders, Throttle: throttle},
		inventory:    &inventory.Handlers{DB: data.DB, Views: views, Resolver: resolver, Engine: data.Engine, Operations: operations, Folders: folders},
		backups:      &backup.Handlers{DB: data.DB, Views: views, Resolver: resolver, Engine: data.Engine},
		search:       &search.Handlers{DB: data.DB, Views: views, Resolver: resolver, Engine: data.Engine},
		static:       views.Assets.Serve,
	}
	s.auth = &auth.Handlers{DB: data.DB, Views: views, Launcher: s.Launcher, Throttle: throttle}
	return s, nil
}

// Handler is the router with its middleware: errors first, then the guard, the
// session and the resolver's context; each route adds its access decision.
func (s *Server) Handler() http.Handler {
	notFound := func(w http.ResponseWriter, req bunrouter.Request) error { return web.ErrNotFound }
	r := bunrouter.New(
		bunrouter.Use(s.views.Errors, s.guard.Middleware, s.sessions.Middleware, s.resolver.Middleware),
		bunrouter.WithNotFoundHandler(notFound),
		bunrouter.WithMethodNotAllowedHandler(func(w http.ResponseWriter, req bunrouter.Request) error {
			return web.Errorf(web.Invalid, "This address does not accept %s.", req.Method)
		}),
	)
	for _, rt := range s.routes() {
		r.Handle(rt.Method, rt.Path, s.resolver.Guard(rt.Scope, rt.Need)(rt.Handler))
	}
	return web.Compress(r)
}

func redirectTo(url string) bunrouter.HandlerFunc {
	return func(w http.ResponseWriter, req bunrouter.Request) error {
		http.Redirect(w, req.Request, url, http.StatusFound)
		return nil
	}
}
