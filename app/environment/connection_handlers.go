package environment

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/navigation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// ConnectionHandlers serve the environment's export source page: a folder path,
// or a zip dropped on the page.
type ConnectionHandlers struct {
	DB      *db.DB
	Views   *web.Views
	Folders *ExportFolders
	Uploads Uploads
}

type connectionPage struct {
	web.Page
	Workspace   *access.Workspace
	Environment *access.Environment
	Connection  *Connection // nil before the first source
	FolderWhy   string      // why the folder form is closed to this user, or ""
	Path        string
	Identity    Identity
	MaxUpload   string
	Errors      web.FieldErrors
}

func (h *ConnectionHandlers) page(ctx context.Context) (*connectionPage, error) {
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	p := &connectionPage{Page: web.Page{Title: "Export source", Section: "connection", Crumbs: navigation.Crumbs(ws, env, web.Crumb{Name: "Export source"})},
		Workspace: ws, Environment: env, MaxUpload: h.Uploads.LimitText(), Errors: web.FieldErrors{}}
	mayChoose, err := h.Folders.MayChoose(ctx, access.UserFrom(ctx))
	if err != nil {
		return nil, err
	}
	if !mayChoose {
		p.FolderWhy = "No export roots are set, so only the local owner may connect a folder: ask a site administrator to set one, or upload a zip"
	}
	c, err := ConnectionOf(ctx, h.DB.Read, env.ID)
	switch {
	case errors.Is(err, ErrNoConnection):
	case err != nil:
		return nil, err
	default:
		p.Connection = c
		p.Identity = Identity{TenantID: c.ProviderTenantID, Domain: c.ProviderDomain}
		if c.SourceKind == "folder" && env.Can(access.ManageEnvironments) {
			p.Path = c.SourcePath
		}
	}
	return p, nil
}

// Connection shows the environment's export source and the forms to change it.
func (h *ConnectionHandlers) Connection(w http.ResponseWriter, req bunrouter.Request) error {
	p, err := h.page(req.Context())
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "environment/connection", p)
}

func identityFrom(req bunrouter.Request) Identity {
	return Identity{TenantID: req.PostFormValue("tenant_id"), Domain: req.PostFormValue("domain")}
}

// ConnectFolder saves a folder path (form fields path, tenant_id, domain).
func (h *ConnectionHandlers) ConnectFolder(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	env := access.MustEnvironment(ctx)
	id, path := identityFrom(req), req.PostFormValue("path")
	user := access.UserFrom(ctx)
	folder, err := h.Folders.Check(ctx, user, path)
	if err != nil {
		return h.invalid(w, req, err, path, id)
	}
	release, err := h.Uploads.slots.take(env, false)
	if err != nil {
		return err
	}
	defer release()
	c, err := ConnectFolder(ctx, h.DB, env, user.ID, folder, id)
	if err != nil {
		return h.invalid(w, req, err, path, id)
	}
	// The source is a folder now: an earlier upload's files go.
	if err := h.Uploads.removeUploadsExcept(env.ID, ""); err != nil {
		slog.Warn("removing an earlier upload", "environment", env.ID, "err", err)
	}
	return web.Redirect(w, req.Request, env.URL("/connection"), "Export folder saved. "+c.LayoutVerdict+".")
}

// invalid re-renders the page with what was typed and what is wrong (422), or
// returns err when it is not the person's to fix.
func (h *ConnectionHandlers) invalid(w http.ResponseWriter, req bunrouter.Request, err error, path string, id Identity) error {
	var fields web.FieldErrors
	var refused *Refused
	switch {
	case errors.As(err, &fields):
	case errors.As(err, &refused):
		fields = web.FieldErrors{"export": refused.Message}
	default:
		return err
	}
	p, perr := h.page(req.Context())
	if perr != nil {
		return perr
	}
	p.Path, p.Identity, p.Errors = web.Echo(path), Identity{TenantID: web.Echo(id.TenantID), Domain: web.Echo(id.Domain)}, fields
	return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "environment/connection", p)
}

// Upload receives a zip (multipart field export, plus tenant_id and domain),
// checks and extracts it under the data folder and makes it the source.
func (h *ConnectionHandlers) Upload(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	env := access.MustEnvironment(ctx)
	release, err := h.Uploads.slots.take(env, true)
	if err != nil {
		return err // refused before a byte of it is read
	}
	defer release()
	req.Body = http.MaxBytesReader(w, req.Body, h.Uploads.Limit+1<<20) // the form's other fields fit in 1 MiB
	f, size, name, id, err := h.Uploads.receive(req)
	if f != nil {
		defer func() {
			f.Close()
			os.Remove(f.Name())
		}()
	}
	if err != nil {
		return h.invalid(w, req, err, "", id)
	}
	c, err := h.Uploads.ConnectZip(ctx, h.DB, env, access.UserFrom(ctx).ID, f, size, name, id)
	if err != nil {
		return h.invalid(w, req, err, "", id)
	}
	return web.Redirect(w, req.Request, env.URL("/connection"), c.SourceName+" uploaded. "+c.LayoutVerdict+".")
}

// receive streams the multipart form: the zip goes to a temporary file under the
// data folder (never in memory, never outside it), the identity fields are read.
func (u Uploads) receive(req bunrouter.Request) (f *os.File, size int64, name string, id Identity, err error) {
	mr, err := req.MultipartReader()
	if err != nil {
		return nil, 0, "", id, web.FieldErrors{"export": "Choose a zip file to upload."}
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return f, 0, "", id, u.uploadError(err)
		}
		switch part.FormName() {
		case "tenant_id", "domain":
			b, err := io.ReadAll(io.LimitReader(part, 1024))
			if err != nil {
				return f, 0, "", id, u.uploadError(err)
			}
			if part.FormName() == "tenant_id" {
				id.TenantID = string(b)
			} else {
				id.Domain = string(b)
			}
		case "export":
			if f != nil || part.FileName() == "" {
				continue
			}
			dir := filepath.Join(u.Dir, ExportsFolder)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, 0, "", id, err
			}
			if f, err = os.CreateTemp(dir, "upload-*.zip"); err != nil {
				return nil, 0, "", id, err
			}
			name = part.FileName()
			if size, err = io.Copy(f, io.LimitReader(part, u.Limit+1)); err != nil {
				return f, 0, "", id, u.uploadError(err)
			}
			if size > u.Limit {
				return f, 0, "", id, u.tooLarge()
			}
		}
	}
	if f == nil || size == 0 {
		return f, 0, "", id, web.FieldErrors{"export": "Choose a zip file to upload."}
	}
	return f, size, name, id, nil
}

func (u Uploads) uploadError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return u.tooLarge()
	}
	return web.FieldErrors{"export": "The upload did not arrive whole; try again."}
}
