package web

import (
	"io/fs"
	"net/http"

	"github.com/uptrace/bunrouter"
)

// Static serves the embedded static files under /static/.
func Static(files fs.FS) bunrouter.HandlerFunc {
	server := http.StripPrefix("/static/", http.FileServerFS(files))
	return func(w http.ResponseWriter, req bunrouter.Request) error {
		w.Header().Set("Cache-Control", "no-cache")
		server.ServeHTTP(w, req.Request)
		return nil
	}
}
