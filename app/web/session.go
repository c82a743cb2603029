package web

import (
	"context"
	"crypto/rand"
	"encoding/gob"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/gorilla/sessions"
	"github.com/uptrace/bunrouter"
)

// CookieName is distinctive so Atlas's cookie never collides with another local app's.
const CookieName = "atlas_session"

// sessionMaxAge bounds a sign-in to 12 hours.
const sessionMaxAge = 12 * 60 * 60

// Flash is a one-time message shown on the next page.
type Flash struct {
	Kind    string // success, error, info
	Message string
}

func init() { gob.Register([]Flash{}) }

// Session is what Atlas keeps in the cookie: who is signed in and the current
// context of spec 279 §5.
type Session struct {
	UserID          int64
	Token           string // the server-side session this cookie belongs to (auth.StartSession)
	WorkspaceID     int64
	EnvironmentID   int64
	EnvironmentSlug string
	Flashes         []Flash

	raw     *sessions.Session
	changed bool
}

// Sessions reads and writes signed, encrypted cookie sessions.
type Sessions struct{ store *sessions.CookieStore }

// NewSessions loads the cookie keys from keyFile, generating them with crypto/rand on first run.
func NewSessions(keyFile string) (*Sessions, error) {
	keys, err := os.ReadFile(keyFile)
	if os.IsNotExist(err) {
		keys = make([]byte, 64+32)
		rand.Read(keys)
		err = os.WriteFile(keyFile, keys, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	if len(keys) != 96 {
		return nil, fmt.Errorf("session keys in %s are damaged: delete the file to sign everyone out and start afresh", keyFile)
	}
	store := sessions.NewCookieStore(keys[:64], keys[64:])
	store.Options = &sessions.Options{Path: "/", MaxAge: sessionMaxAge, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	store.MaxAge(sessionMaxAge)
	return &Sessions{store: store}, nil
}

type sessionKey struct{}

// Middleware puts the request's Session in its context. A cookie that cannot be
// decoded (old keys, tampering) starts a clean session rather than failing.
func (s *Sessions) Middleware(next bunrouter.HandlerFunc) bunrouter.HandlerFunc {
	return func(w http.ResponseWriter, req bunrouter.Request) error {
		raw, err := s.store.Get(req.Request, CookieName)
		if err != nil {
			slog.Debug("session cookie discarded", "err", err)
			raw, _ = s.store.New(req.Request, CookieName)
		}
		sess := &Session{raw: raw}
		sess.UserID, _ = raw.Values["user"].(int64)
		sess.Token, _ = raw.Values["session"].(string)
		sess.WorkspaceID, _ = raw.Values["workspace"].(int64)
		sess.EnvironmentID, _ = raw.Values["environment"].(int64)
		sess.EnvironmentSlug, _ = raw.Values["environment_slug"].(string)
		sess.Flashes, _ = raw.Values["flashes"].([]Flash)
		sess.changed = err != nil
		ctx := context.WithValue(req.Context(), sessionKey{}, sess)
		return next(w, req.WithContext(ctx))
	}
}

// SessionFrom returns the request's session; outside the middleware it is a detached empty one.
func SessionFrom(ctx context.Context) *Session {
	if s, ok := ctx.Value(sessionKey{}).(*Session); ok {
		return s
	}
	return &Session{}
}

// SignIn starts a fresh session for the user with its server-side token,
// dropping any previous context.
func (s *Session) SignIn(userID int64, token string) {
	*s = Session{raw: s.raw, UserID: userID, Token: token, changed: true}
}

// Renew moves the same sign-in onto a new server-side session, keeping the
// current context: after a password change every earlier session has ended.
func (s *Session) Renew(token string) {
	s.Token, s.changed = token, true
}

// SignOut forgets everything.
func (s *Session) SignOut() {
	*s = Session{raw: s.raw, changed: true}
	if s.raw != nil {
		s.raw.Options.MaxAge = -1
	}
}

// SetWorkspace makes a workspace current; a change of workspace clears the environment context.
func (s *Session) SetWorkspace(id int64) {
	if s.WorkspaceID != id {
		s.WorkspaceID, s.EnvironmentID, s.EnvironmentSlug = id, 0, ""
		s.changed = true
	}
}

// SetEnvironment makes an environment current (0 clears it).
func (s *Session) SetEnvironment(id int64, slug string) {
	if s.EnvironmentID != id || s.EnvironmentSlug != slug {
		s.EnvironmentID, s.EnvironmentSlug = id, slug
		s.changed = true
	}
}

// maxFlashLength and maxFlashes keep the cookie under securecookie's 4096
// bytes whatever a message echoes: a write already committed must not end in
// a 500 because its flash did not fit.
const (
	maxFlashLength = 200 // characters
	maxFlashes     = 2   // the newest are kept
)

// AddFlash queues a message for the next rendered page, cut to a short length.
func (s *Session) AddFlash(kind, message string) {
	s.Flashes = append(s.Flashes, Flash{Kind: kind, Message: Truncate(message, maxFlashLength)})
	if len(s.Flashes) > maxFlashes {
		s.Flashes = s.Flashes[len(s.Flashes)-maxFlashes:]
	}
	s.changed = true
}

// popFlashes returns and clears the queued messages.
func (s *Session) popFlashes() []Flash {
	f := s.Flashes
	if len(f) > 0 {
		s.Flashes = nil
		s.changed = true
	}
	return f
}

// save writes the cookie when anything changed; called before any response is written.
func (s *Session) save(w http.ResponseWriter, r *http.Request) error {
	if !s.changed || s.raw == nil {
		return nil
	}
	s.raw.Values = map[any]any{
		"user": s.UserID, "session": s.Token, "workspace": s.WorkspaceID, "environment": s.EnvironmentID,
		"environment_slug": s.EnvironmentSlug, "flashes": s.Flashes,
	}
	s.changed = false
	return s.raw.Save(r, w)
}
