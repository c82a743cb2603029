package backup

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"net/http"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// EnvironmentLayout is the layout of the environment's export source when it
// is one of the three tools', else IntuneManagement's.
func EnvironmentLayout(ctx context.Context, q db.Querier, environmentID int64) (string, error) {
	c, err := environment.ConnectionOf(ctx, q, environmentID)
	if errors.Is(err, environment.ErrNoConnection) {
		return intune.IntuneManagement, nil
	}
	if err != nil {
		return "", err
	}
	if _, ok := LayoutOf(c.Layout); ok {
		return c.Layout, nil
	}
	return intune.IntuneManagement, nil
}

// tenantOf is the environment's provider tenant id, "" when unknown.
func tenantOf(ctx context.Context, q db.Querier, environmentID int64) (string, error) {
	c, err := environment.ConnectionOf(ctx, q, environmentID)
	if errors.Is(err, environment.ErrNoConnection) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return c.ProviderTenantID, nil
}

// document is an item as a writer takes it, with its assignments or without.
func document(it *Item, canonical []byte, withAssignments bool, externalID string) (Document, error) {
	v, err := inventory.DecodePayload(canonical)
	if err != nil {
		return Document{}, fmt.Errorf("the stored payload of %s cannot be read: %w", it.DisplayName, err)
	}
	if m, ok := v.(map[string]any); ok && !withAssignments {
		delete(m, "assignments")
	}
	return Document{Type: it.Type.Key, GraphType: it.GraphType, Name: it.DisplayName, ExternalID: externalID, Payload: v}, nil
}

// Download is GET /admin/w/{workspace}/t/{environment}/backups/{backup}/download?layout=…: the
// whole set, assignments and ids included, as a zip in a tool's layout (by
// default the environment's own).
func (h *Handlers) Download(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	env := access.MustEnvironment(ctx)
	s, err := h.setOf(req)
	if err != nil {
		return err
	}
	kind := req.URL.Query().Get("layout")
	if kind == "" {
		if kind, err = EnvironmentLayout(ctx, h.DB.Read, env.ID); err != nil {
			return err
		}
	}
	layout, ok := LayoutOf(kind)
	if !ok {
		return web.Errorf(web.Invalid, "There is no export layout %q: choose IntuneManagement, IntuneCD or IntuneBackupAndRestore.", web.Truncate(kind, 50))
	}
	tenant, err := tenantOf(ctx, h.DB.Read, env.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", web.AttachmentDisposition(fmt.Sprintf("%s (%s).zip", s.Name, layout.Label)))
	zw := zip.NewWriter(w)
	return WriteSet(ctx, h.DB.Read, s, ZipSink{Zip: zw, Modified: s.CreatedAt.Time}, layout.Kind, tenant, zw.Close)
}

// WriteSet writes a whole set (assignments and ids included) into sink in a
// layout, then calls done.
func WriteSet(ctx context.Context, q db.Querier, s *Set, sink Sink, layout, tenantID string, done func() error) error {
	wr, err := NewWriter(sink, layout)
	if err != nil {
		return err
	}
	err = eachPayload(ctx, q, s.ID, func(it *Item, canonical []byte) error {
		doc, err := document(it, canonical, true, it.ExternalID)
		if err != nil {
			return err
		}
		_, err = wr.Write(doc)
		return err
	})
	if err != nil {
		return err
	}
	if err := wr.Close(tenantID); err != nil {
		return err
	}
	return done()
}
