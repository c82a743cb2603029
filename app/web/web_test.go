package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                  "—",
		840 * time.Millisecond:        "840 ms",
		12 * time.Second:              "12 s",
		72 * time.Second:              "1 m 12 s",
		3*time.Hour + 5*time.Minute:   "3 h 5 m",
		50*time.Hour + 10*time.Minute: "2 d 2 h",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestNumber(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := Number(n); got != want {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestValidateSlug(t *testing.T) {
	for slug, valid := range map[string]bool{
		"contoso": true, "contoso-prod": true, "a1-b2-c3": true, "x": true,
		"": false, "Contoso": false, "-prod": false, "prod-": false, "pro--d": false, "pro d": false,
		"pro_d": false, "prød": false, strings.Repeat("a", 64): false, strings.Repeat("a", 63): true,
	} {
		if err := ValidateSlug(slug); (err == nil) != valid {
			t.Errorf("ValidateSlug(%q) = %v, want valid=%v", slug, err, valid)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	g := NewGuard([]string{"demo.lan"})
	for host, want := range map[string]bool{
		"localhost:7420": true, "LOCALHOST": true, "127.0.0.1:80": true, "127.8.9.10": true, "[::1]:7420": true,
		"atlas.localhost:7420": true, "demo.lan:7420": true,
		"evil.example": false, "192.168.1.2:7420": false, "localhost.evil.example": false, "": false, "10.0.0.1": false,
	} {
		if got := g.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestWantsFragment(t *testing.T) {
	for _, tt := range []struct {
		request, boosted string
		want             bool
	}{{"", "", false}, {"true", "", true}, {"true", "true", false}} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(HeaderHXRequest, tt.request)
		r.Header.Set(HeaderHXBoosted, tt.boosted)
		if got := wantsFragment(r); got != tt.want {
			t.Errorf("HX-Request %q HX-Boosted %q: %v", tt.request, tt.boosted, got)
		}
	}
}

var testTemplates = fstest.MapFS{
	"templates/layout.html": {Data: []byte(`{{define "layout"}}<html>{{template "main" .}}</html>{{end}}{{define "main"}}<main>{{template "content" .}}</main>{{end}}`)},
	"templates/error.html":  {Data: []byte(`{{define "content"}}<h1>{{.Title}}</h1><p>{{.Message}}</p>{{end}}`)},
}

func TestInternalErrorsAreNotShown(t *testing.T) {
	v, err := NewViews(testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		err    error
		status int
		text   string
	}{
		{errors.New("sql: database is locked at /secret/path"), 500, "Something went wrong"},
		{ErrNotFound, 404, "does not exist, or you do not have access"},
		{Errorf(Forbidden, "Needs the manager role"), 403, "Needs the manager role"},
		{&Error{Code: TooManyRequests, Message: "Try again shortly", RetryAfter: 1500 * time.Millisecond}, 429, "Try again shortly"},
	} {
		w := httptest.NewRecorder()
		v.RenderError(w, httptest.NewRequest(http.MethodGet, "/x", nil), tt.err)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.text) || strings.Contains(w.Body.String(), "/secret/path") {
			t.Errorf("%v: %d %q", tt.err, w.Code, w.Body.String())
		}
		if retry := w.Header().Get("Retry-After"); retry != map[int]string{429: "2"}[tt.status] {
			t.Errorf("%v: Retry-After %q", tt.err, retry)
		}
	}
	// An htmx (non-boosted) request gets the fragment, not the whole page.
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set(HeaderHXRequest, "true")
	v.RenderError(w, r, ErrNotFound)
	if strings.Contains(w.Body.String(), "<html>") || !strings.Contains(w.Body.String(), "<main>") {
		t.Errorf("fragment: %q", w.Body.String())
	}
}

func TestMissingTemplateFailsAtStartUp(t *testing.T) {
	broken := fstest.MapFS{
		"templates/layout.html": testTemplates["templates/layout.html"],
		"templates/page.html":   {Data: []byte(`{{define "content"}}{{template "_nowhere" .}}{{end}}`)},
	}
	if _, err := NewViews(broken); err == nil || !strings.Contains(err.Error(), "_nowhere") {
		t.Errorf("NewViews = %v, want an error naming _nowhere", err)
	}
}
