// Package audit records who changed what, and lists it per workspace.
package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Event is one change: who did what to which record.
type Event struct {
	WorkspaceID int64 // 0 for changes outside any workspace
	UserID      int64 // 0 for the command line acting as nobody in particular
	Action      string
	RecordType  string
	RecordID    int64
	RecordLabel string
	Detail      map[string]any
}

// Record writes e inside the transaction of the change it describes.
func Record(ctx context.Context, tx *sql.Tx, e Event) error {
	detail := []byte("{}")
	if e.Detail != nil {
		var err error
		if detail, err = json.Marshal(e.Detail); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_events (workspace_id, user_id, action, record_type, record_id, record_label, detail, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, db.NullID(e.WorkspaceID), db.NullID(e.UserID), e.Action, e.RecordType, db.NullID(e.RecordID), e.RecordLabel, string(detail), db.Now())
	return err
}

// Row is one listed event.
type Row struct {
	ID          int64
	At          time.Time
	UserName    string
	Action      string
	RecordType  string
	RecordLabel string
	Detail      string
}

type listPage struct {
	web.Page
	Events []Row
	Next   string // the older page's address, "" on the last
}

const pageSize = 50

// Handlers serve the workspace's audit log.
type Handlers struct {
	DB    *db.DB
	Views *web.Views
}

// List shows the workspace's events, newest first, paged by id.
func (h *Handlers) List(w http.ResponseWriter, req bunrouter.Request) error {
	ws := access.MustWorkspace(req.Context())
	before, _ := strconv.ParseInt(req.URL.Query().Get("before"), 10, 64)
	if before <= 0 {
		before = 1<<63 - 1
	}
	rows, err := h.DB.Read.QueryContext(req.Context(), `SELECT a.id, a.created_at, COALESCE(u.name, 'command line'), a.action, a.record_type, a.record_label, a.detail
		FROM audit_events a LEFT JOIN users u ON u.id = a.user_id
		WHERE a.workspace_id = ? AND a.id < ? ORDER BY a.id DESC LIMIT ?`, ws.ID, before, pageSize+1)
	if err != nil {
		return err
	}
	defer rows.Close()
	page := &listPage{Page: web.Page{Title: "Audit log", Section: "audit",
		Crumbs: []web.Crumb{{Name: ws.Name, URL: ws.URL("")}, {Name: "Audit log"}}}}
	for rows.Next() {
		var r Row
		var at db.Time
		if err := rows.Scan(&r.ID, &at, &r.UserName, &r.Action, &r.RecordType, &r.RecordLabel, &r.Detail); err != nil {
			return err
		}
		r.At = at.Time
		if r.Detail == "{}" {
			r.Detail = ""
		}
		page.Events = append(page.Events, r)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(page.Events) > pageSize {
		page.Events = page.Events[:pageSize]
		page.Next = ws.URL("/audit?before=" + strconv.FormatInt(page.Events[pageSize-1].ID, 10))
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "audit/list", page)
}
