package auth

import (
	"errors"
	"net"
	"net/http"

	"atlas/app/db"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// Handlers serve sign-in and sign-out.
type Handlers struct {
	DB       *db.DB
	Views    *web.Views
	Launcher *Launcher
	Throttle *Throttle
}

// Launch signs the local owner in once through the URL Atlas printed.
func (h *Handlers) Launch(w http.ResponseWriter, req bunrouter.Request) error {
	if !h.Launcher.Redeem(req.URL.Query().Get("token")) {
		return web.Errorf(web.Forbidden, "This launch link was already used or has expired. Restart Atlas for a new one, or sign in with your email and password.")
	}
	owner, err := EnsureLocalOwner(req.Context(), h.DB, "")
	if err != nil {
		return err
	}
	return h.signIn(w, req, owner.ID)
}

// signIn opens a new server-side session (ending the cookie's previous one) and
// puts its token in the cookie.
func (h *Handlers) signIn(w http.ResponseWriter, req bunrouter.Request, userID int64) error {
	sess := web.SessionFrom(req.Context())
	token, err := StartSession(req.Context(), h.DB, userID, sess.Token)
	if err != nil {
		return err
	}
	sess.SignIn(userID, token)
	return web.Redirect(w, req.Request, web.HomeURL, "")
}

type loginPage struct {
	web.Page
	Email string
	Error string
}

// LoginForm shows the sign-in form.
func (h *Handlers) LoginForm(w http.ResponseWriter, req bunrouter.Request) error {
	return h.Views.Render(w, req.Request, http.StatusOK, "auth/login", &loginPage{Page: web.Page{Title: "Sign in"}})
}

// Login checks the form fields email and password, unless the throttle refuses
// the attempt first.
func (h *Handlers) Login(w http.ResponseWriter, req bunrouter.Request) error {
	email, password := req.PostFormValue("email"), req.PostFormValue("password")
	attempt, err := h.Throttle.Begin(email, ClientAddress(req.Request))
	var u *User
	if err == nil {
		u, err = Authenticate(req.Context(), h.DB.Read, email, password)
		attempt.End(err)
	}
	page := &loginPage{Page: web.Page{Title: "Sign in"}, Email: email}
	var refused *web.Error
	switch {
	case errors.Is(err, errBadCredentials):
		page.Error = "Wrong email or password."
		return h.Views.Render(w, req.Request, http.StatusUnprocessableEntity, "auth/login", page)
	case errors.As(err, &refused) && refused.Code == web.TooManyRequests:
		page.Error = refused.Message
		web.SetRetryAfter(w, refused.RetryAfter)
		return h.Views.Render(w, req.Request, http.StatusTooManyRequests, "auth/login", page)
	case err != nil:
		return err
	}
	return h.signIn(w, req, u.ID)
}

// ClientAddress is the IP the request came from (no proxy stands in front of Atlas).
func ClientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Logout ends the session, on the server too: a copy of the cookie is worthless after it.
func (h *Handlers) Logout(w http.ResponseWriter, req bunrouter.Request) error {
	sess := web.SessionFrom(req.Context())
	if err := EndSession(req.Context(), h.DB, sess.Token); err != nil {
		return err
	}
	sess.SignOut()
	return web.Redirect(w, req.Request, "/login", "")
}
