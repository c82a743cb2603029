// Package apptest runs the real Atlas server over a real temporary data folder for
// handler and browser tests, with clients signed in as people of every role.
package apptest

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app"
	"atlas/app/auth"
	"atlas/app/db/dbtest"
)

// Env is a running Atlas over its own data folder.
type Env struct {
	t      testing.TB
	Dir    string
	Data   *app.Data
	Server *app.Server
	HTTP   *httptest.Server
	// Reads records the queries of the read pool while a test asks it to
	// (Reads.Record). It is in place before the operations engine starts:
	// swapping the pool later would race with the engine reading it.
	Reads *dbtest.Recorder
}

// New opens a fresh data folder (its local owner named "owner") and serves it.
func New(t testing.TB) *Env {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "data"))
}

func open(t testing.TB, dir string) *Env {
	t.Helper()
	auth.UseCheapHashes() // the argon2 cost itself is app/auth's tests' to check
	data, err := app.OpenData(context.Background(), dir, "owner")
	if err != nil {
		t.Fatalf("open data: %v", err)
	}
	reads, err := dbtest.RecordReads(data.DB)
	if err != nil {
		t.Fatalf("record reads: %v", err)
	}
	srv, err := app.NewServer(data, app.ServerOptions{})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	e := &Env{t: t, Dir: dir, Data: data, Server: srv, Reads: reads}
	e.HTTP = httptest.NewServer(srv.Handler())
	// Operations run as under `atlas serve`; at the end a running one is interrupted at once.
	ctx, stop := context.WithCancel(context.Background())
	data.Engine.Grace = 0
	engine := make(chan error, 1)
	go func() { engine <- data.Engine.Run(ctx) }()
	t.Cleanup(func() {
		e.HTTP.Close()
		stop()
		if err := <-engine; err != nil {
			t.Errorf("operations engine: %v", err)
		}
		data.Close()
	})
	return e
}

// Clone serves a copy of this Env's data folder (database and session keys), so a
// test can change it freely while cookies issued by the original stay valid.
func (e *Env) Clone(t testing.TB) *Env {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.DB.Backup(context.Background(), filepath.Join(dir, "atlas.db")); err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(filepath.Join(e.Dir, "session.keys"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "session.keys"), keys, 0o600); err != nil {
		t.Fatal(err)
	}
	return open(t, dir)
}

// Client is a browser-like HTTP client with its own cookies that does not follow redirects.
type Client struct {
	t    testing.TB
	env  *Env
	http *http.Client
}

// uncompressed asks for answers as they are (no Accept-Encoding) unless a test sets
// the header itself: gzip under the race detector would slow every test, and
// compression has tests of its own.
var uncompressed = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DisableCompression = true
	return t
}()

// Anonymous returns a client that is not signed in.
func (e *Env) Anonymous() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: e.t, env: e, http: &http.Client{Jar: jar, Transport: uncompressed, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// Owner returns a client signed in as the local owner through a launch token.
func (e *Env) Owner() *Client {
	e.t.Helper()
	c := e.Anonymous()
	if r := c.Get("/auth/launch?token=" + e.Server.Launcher.Issue()); r.Status != http.StatusSeeOther {
		e.t.Fatalf("launch: status %d", r.Status)
	}
	return c
}

// SignIn returns a client signed in with email and password through /login.
func (e *Env) SignIn(email, password string) *Client {
	e.t.Helper()
	c := e.Anonymous()
	if r := c.Post("/login", url.Values{"email": {email}, "password": {password}}); r.Status != http.StatusSeeOther {
		e.t.Fatalf("sign in %s: status %d: %s", email, r.Status, r.Body)
	}
	return c
}

// On points the client (and its cookies) at another Env, e.g. a Clone.
func (c *Client) On(e *Env) *Client {
	jar, _ := cookiejar.New(nil)
	from, _ := url.Parse(c.env.HTTP.URL)
	to, _ := url.Parse(e.HTTP.URL)
	jar.SetCookies(to, c.http.Jar.Cookies(from))
	return &Client{t: c.t, env: e, http: &http.Client{Jar: jar, Transport: uncompressed, CheckRedirect: c.http.CheckRedirect}}
}

// Response is what a request returned.
type Response struct {
	Status int
	Header http.Header
	Body   string
}

// Shows fails t for each of want the body lacks and each of notWant it holds.
func (r *Response) Shows(t testing.TB, want, notWant []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(r.Body, s) {
			t.Errorf("missing %q", s)
		}
	}
	for _, s := range notWant {
		if strings.Contains(r.Body, s) {
			t.Errorf("shows %q", s)
		}
	}
}

// Do sends a request built by the caller (headers, methods) to the Env.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// Request builds a request to path on the Env.
func (c *Client) Request(method, path string, form url.Values) *http.Request {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.env.HTTP.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req
}

// Get fetches path.
func (c *Client) Get(path string) *Response { return c.Do(c.Request(http.MethodGet, path, nil)) }

// Post submits form to path.
func (c *Client) Post(path string, form url.Values) *Response {
	if form == nil {
		form = url.Values{}
	}
	return c.Do(c.Request(http.MethodPost, path, form))
}

// NewAcme is New plus workspace acme ("Acme Corp") and its environment prod
// ("Production"), both made by the local owner: the setting most tests start from.
func NewAcme(t testing.TB) *Env {
	t.Helper()
	e := New(t)
	ctx := context.Background()
	if err := e.Data.AddWorkspace(ctx, "acme", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddEnvironment(ctx, "acme", "prod", "Production"); err != nil {
		t.Fatal(err)
	}
	return e
}
