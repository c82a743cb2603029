package web

import (
	"compress/gzip"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// compressible are the content types worth compressing: pages, fragments and the
// static text files. Downloads (zip) are compressed already.
var compressible = map[string]bool{
	"text/html": true, "text/css": true, "text/javascript": true, "text/plain": true,
	"application/json": true, "image/svg+xml": true,
}

// A gzip.Writer holds about a megabyte of state: reuse them.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // pages are rendered per request: speed over the last few percent
	return w
}}

// Compress gzips text responses for clients that accept it.
func Compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		cw := &compressWriter{ResponseWriter: w}
		defer cw.close()
		next.ServeHTTP(cw, r)
	})
}

func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

// compressWriter decides when the headers go out: compressed when the status has
// a body, the type is text and nothing else encoded or sliced it (ranges).
type compressWriter struct {
	http.ResponseWriter
	gz          *gzip.Writer
	wroteHeader bool
}

func (cw *compressWriter) WriteHeader(status int) {
	if cw.wroteHeader {
		return
	}
	cw.wroteHeader = true
	h := cw.Header()
	mediaType, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	// Pages and error pages; not redirects, partial content or empty answers.
	hasPage := status == http.StatusOK || status >= http.StatusBadRequest
	if hasPage && compressible[mediaType] && h.Get("Content-Encoding") == "" && h.Get("Content-Range") == "" {
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		h.Del("Accept-Ranges") // ranges would count compressed bytes
		cw.gz = gzipWriters.Get().(*gzip.Writer)
		cw.gz.Reset(cw.ResponseWriter)
	}
	cw.ResponseWriter.WriteHeader(status)
}

func (cw *compressWriter) Write(b []byte) (int, error) {
	if !cw.wroteHeader {
		if cw.Header().Get("Content-Type") == "" {
			cw.Header().Set("Content-Type", http.DetectContentType(b))
		}
		cw.WriteHeader(http.StatusOK)
	}
	if cw.gz != nil {
		return cw.gz.Write(b)
	}
	return cw.ResponseWriter.Write(b)
}

func (cw *compressWriter) close() {
	if cw.gz != nil {
		cw.gz.Close()
		gzipWriters.Put(cw.gz)
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (cw *compressWriter) Unwrap() http.ResponseWriter { return cw.ResponseWriter }
