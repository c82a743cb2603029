package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/uptrace/bunrouter"
)

// Assets are the embedded static files. Each is also served under a name holding
// a hash of its content (app.3f9c2a71b0de.css), which browsers may keep for good:
// a changed file gets a new URL, and an old URL stops answering.
type Assets struct {
	files         fs.FS
	urls          map[string]string // app.css → /static/app.3f9c2a71b0de.css
	fingerprinted map[string]string // app.3f9c2a71b0de.css → app.css
}

// NewAssets hashes every file under static/ once, at start-up.
func NewAssets(assets fs.FS) (*Assets, error) {
	files, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, err
	}
	a := &Assets{files: files, urls: map[string]string{}, fingerprinted: map[string]string{}}
	err = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(content)
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		a.urls[name], a.fingerprinted[hashed] = "/static/"+hashed, name
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static files: %w", err)
	}
	return a, nil
}

// URL is a static file's fingerprinted address: templates say {{asset "app.css"}}.
func (a *Assets) URL(name string) (string, error) {
	url, ok := a.urls[name]
	if !ok {
		return "", fmt.Errorf("no static file %q", name)
	}
	return url, nil
}

// Serve answers GET /static/*path: a fingerprinted name is cached for a year, a
// plain name (robots.txt, a bookmarked file) is revalidated each time.
func (a *Assets) Serve(w http.ResponseWriter, req bunrouter.Request) error {
	name := req.Param("path")
	if original, ok := a.fingerprinted[name]; ok {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		http.ServeFileFS(w, req.Request, a.files, original)
		return nil
	}
	if _, ok := a.urls[name]; ok {
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, req.Request, a.files, name)
		return nil
	}
	return ErrNotFound
}
