package web

import (
	"net"
	"net/http"
	"strings"

	"github.com/uptrace/bunrouter"
)

// ContentSecurityPolicy allows only Atlas's own embedded files: no inline script, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"

// Errors is installed first: it turns a handler's error into a status and a page.
// bunrouter drops an error no middleware handles, so this one is not optional.
func (v *Views) Errors(next bunrouter.HandlerFunc) bunrouter.HandlerFunc {
	return func(w http.ResponseWriter, req bunrouter.Request) error {
		if err := next(w, req); err != nil {
			v.RenderError(w, req.Request, err)
		}
		return nil
	}
}

// Guard protects a loopback server from other web pages: it refuses a Host that is
// not this machine (DNS rebinding) and cross-origin state-changing requests, and sets
// the security headers on every response.
type Guard struct {
	allowedHosts map[string]bool
	crossOrigin  *http.CrossOriginProtection
}

// NewGuard allows loopback names plus the extra host names given (--allow-host).
func NewGuard(extraHosts []string) *Guard {
	g := &Guard{allowedHosts: map[string]bool{"localhost": true}, crossOrigin: http.NewCrossOriginProtection()}
	for _, h := range extraHosts {
		g.allowedHosts[strings.ToLower(h)] = true
	}
	return g
}

func (g *Guard) hostAllowed(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if g.allowedHosts[host] || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Middleware applies the guard.
func (g *Guard) Middleware(next bunrouter.HandlerFunc) bunrouter.HandlerFunc {
	return func(w http.ResponseWriter, req bunrouter.Request) error {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !g.hostAllowed(req.Host) {
			return Errorf(Forbidden, "Atlas answers only on this computer's loopback address; %q is not one. Start Atlas with --allow-host to serve another name.", req.Host)
		}
		if err := g.crossOrigin.Check(req.Request); err != nil {
			return Errorf(Forbidden, "Cross-origin request refused.")
		}
		return next(w, req)
	}
}
