package app_test

import (
	"compress/gzip"
	"io"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/assets"
)

// get fetches path asking for the given Accept-Encoding ("identity": none), which
// also stops the client from decompressing on its own.
func get(t *testing.T, c *apptest.Client, path, encoding string) *apptest.Response {
	t.Helper()
	req := c.Request(http.MethodGet, path, nil)
	req.Header.Set("Accept-Encoding", encoding)
	return c.Do(req)
}

func gunzip(t *testing.T, r *apptest.Response) string {
	t.Helper()
	if got := r.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", got)
	}
	z, err := gzip.NewReader(strings.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(z)
	if err != nil {
		t.Fatal(err)
	}
	return string(plain)
}

// Pages and static files are gzipped for clients that accept it; the page links
// its files by fingerprinted URLs, cached for a year; nothing but the CSS blocks rendering.
func TestPagesAndStaticFilesAreCompressedAndFingerprinted(t *testing.T) {
	e := apptest.New(t)
	c := e.Owner()
	page := get(t, c, "/admin/workspaces", "gzip, deflate, br")
	if page.Status != http.StatusOK || !strings.Contains(page.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("page: %d, Vary %q", page.Status, page.Header.Get("Vary"))
	}
	html := gunzip(t, page)
	plain := get(t, c, "/admin/workspaces", "identity")
	if plain.Header.Get("Content-Encoding") != "" || !strings.Contains(plain.Body, "</html>") || !strings.Contains(html, "</html>") {
		t.Fatalf("uncompressed page: Content-Encoding %q, %d bytes; compressed one read back %d bytes",
			plain.Header.Get("Content-Encoding"), len(plain.Body), len(html))
	}
	if len(page.Body) >= len(plain.Body)/2 {
		t.Errorf("compressed page %d bytes, uncompressed %d", len(page.Body), len(plain.Body))
	}

	scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1)
	for _, s := range scripts {
		if !strings.Contains(s, " defer") {
			t.Errorf("render-blocking script: %s", s)
		}
	}
	if links := regexp.MustCompile(`<link rel="stylesheet"[^>]*>`).FindAllString(html, -1); len(scripts) != 2 || len(links) != 1 {
		t.Errorf("scripts %q, stylesheets %q: want htmx and app.js deferred, one stylesheet", scripts, links)
	}

	urls := regexp.MustCompile(`/static/([a-z.]+)\.([0-9a-f]{12})(\.[a-z]+)`).FindAllStringSubmatch(html, -1)
	if len(urls) != 4 {
		t.Fatalf("fingerprinted URLs in the page: %q", urls)
	}
	for _, u := range urls {
		name := u[1] + u[3]
		want, err := fs.ReadFile(assets.FS, "static/"+name)
		if err != nil {
			t.Fatal(err)
		}
		r := get(t, c, u[0], "gzip")
		if r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: %d, Cache-Control %q", u[0], r.Status, r.Header.Get("Cache-Control"))
		}
		if got := gunzip(t, r); got != string(want) {
			t.Errorf("%s read back %d bytes, want %s's %d", u[0], len(got), name, len(want))
		}
		if r := get(t, c, u[0], "identity"); r.Body != string(want) || r.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s without gzip: %d bytes, Content-Encoding %q", u[0], len(r.Body), r.Header.Get("Content-Encoding"))
		}
		// Another content's fingerprint (an older file) is not this file.
		if r := get(t, c, "/static/"+u[1]+".0123456789ab"+u[3], "gzip"); r.Status != http.StatusNotFound {
			t.Errorf("%s under an unknown fingerprint: %d, want 404", name, r.Status)
		}
		// The plain name still answers, revalidated each time.
		if r := get(t, c, "/static/"+name, "identity"); r.Status != http.StatusOK || r.Header.Get("Cache-Control") != "no-cache" || r.Body != string(want) {
			t.Errorf("/static/%s: %d, Cache-Control %q", name, r.Status, r.Header.Get("Cache-Control"))
		}
	}
	if r := get(t, c, "/static/nothing.js", "gzip"); r.Status != http.StatusNotFound {
		t.Errorf("unknown static file: %d, want 404", r.Status)
	}
}
