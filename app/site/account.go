package site

import (
	"context"
	"database/sql"
	"errors"
	"net/http"

	"atlas/app/access"
	"atlas/app/audit"
	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

type accountPage struct {
	web.Page
	Me          *auth.User
	HasPassword bool
	Sessions    int // live sign-ins, this one included
	Errors      web.FieldErrors
}

func (h *Handlers) accountPage(ctx context.Context) (*accountPage, error) {
	me := access.UserFrom(ctx)
	p := &accountPage{Page: web.Page{Title: "Your account", Section: "account", Crumbs: []web.Crumb{{Name: "Your account"}}}, Me: me, Errors: web.FieldErrors{}}
	err := h.DB.Read.QueryRowContext(ctx, `SELECT password_hash IS NOT NULL, (SELECT COUNT(*) FROM user_sessions WHERE user_id = u.id AND expires_at > ?)
		FROM users u WHERE id = ?`, db.Now(), me.ID).Scan(&p.HasPassword, &p.Sessions)
	return p, err
}

// Account shows who is signed in, the password form and "sign out everywhere else".
func (h *Handlers) Account(w http.ResponseWriter, req bunrouter.Request) error {
	p, err := h.accountPage(req.Context())
	if err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "site/account", p)
}

// ChangePassword sets a new password (form fields current_password,
// new_password, confirm_password); every other session of the user ends.
func (h *Handlers) ChangePassword(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	me := access.UserFrom(ctx)
	next := req.PostFormValue("new_password")
	fields := web.FieldErrors{}
	var hash string
	if next != req.PostFormValue("confirm_password") {
		fields["confirm_password"] = "The two new passwords differ."
	} else {
		// Guessing the current password is sign-in guessing: same throttle.
		attempt, err := h.Throttle.Begin(me.Email, auth.ClientAddress(req.Request))
		if err != nil {
			return err
		}
		hash, err = auth.NewPasswordHash(ctx, h.DB.Read, me.ID, req.PostFormValue("current_password"), next)
		attempt.End(err)
		switch {
		case errors.Is(err, auth.ErrWrongPassword):
			fields["current_password"] = "This is not your current password."
		case errors.Is(err, auth.ErrNoPassword):
			fields["new_password"] = "This account signs in through the launch URL Atlas prints, and has no password."
		case errors.Is(err, auth.ErrShortPassword):
			fields["new_password"] = "The new password must have at least 8 characters."
		case err != nil:
			return err
		}
	}
	if fields.Any() {
		p, err := h.accountPage(ctx)
		if err != nil {
			return err
		}
		p.Errors = fields
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "site/account", p)
	}
	if err := h.DB.Tx(ctx, func(tx *sql.Tx) error {
		if err := auth.SetPasswordHash(ctx, tx, me.ID, hash); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{UserID: me.ID, Action: "user.password_changed", RecordType: "user", RecordID: me.ID, RecordLabel: me.Email})
	}); err != nil {
		return err
	}
	if err := h.renew(ctx); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, "/account", "Password changed. Your other sessions are signed out.")
}

// renew keeps this browser signed in on a new session after every session of
// the user ended, so that no copy of its cookie survives either.
func (h *Handlers) renew(ctx context.Context) error {
	me := access.UserFrom(ctx)
	token, err := auth.StartSession(ctx, h.DB, me.ID, "")
	if err != nil {
		return err
	}
	web.SessionFrom(ctx).Renew(token)
	return nil
}

// SignOutOthers ends every session of the signed-in user, then signs this
// browser in again on a new one.
func (h *Handlers) SignOutOthers(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	me := access.UserFrom(ctx)
	var ended int64
	err := h.DB.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if ended, err = auth.EndSessions(ctx, tx, me.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{UserID: me.ID, Action: "user.signed_out", RecordType: "user", RecordID: me.ID,
			RecordLabel: me.Email, Detail: map[string]any{"sessions": ended}})
	})
	if err != nil {
		return err
	}
	if err := h.renew(ctx); err != nil {
		return err
	}
	return web.Redirect(w, req.Request, "/account", "Signed out everywhere else ("+plural(max(ended-1, 0), "other session")+" ended).")
}
