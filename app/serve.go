package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"atlas/app/auth"

	"github.com/pkg/browser"
)

// ServeOptions are the flags of `atlas serve`.
type ServeOptions struct {
	Addr      string
	NoBrowser bool
	Server    ServerOptions
	Stdout    io.Writer
}

// Serve runs the web app until ctx is cancelled (SIGINT/SIGTERM), then shuts down cleanly.
func Serve(ctx context.Context, data *Data, opts ServeOptions) error {
	// Password hashing holds up to auth.HashingMemory at once; with Go's default
	// headroom (the heap may grow to twice what is live) a sign-in burst took the
	// server near 300 MB (issue 8). A soft limit makes the collector work sooner
	// instead. Everything else Atlas does lives in tens of MB. GOMEMLIMIT wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(auth.HashingMemory + 64<<20)
	}
	srv, err := NewServer(data, opts.Server)
	if err != nil {
		return err
	}
	ln, err := listen(opts.Addr)
	if err != nil {
		return err
	}
	url := fmt.Sprintf("http://%s/auth/launch?token=%s", ln.Addr().String(), srv.Launcher.Issue())
	fmt.Fprintf(opts.Stdout, "Atlas is running at %s\n", url)
	if !opts.NoBrowser {
		browser.Stdout, browser.Stderr = io.Discard, io.Discard
		if err := browser.OpenURL(url); err != nil {
			slog.Warn("could not open the browser; open the URL above yourself", "err", err)
		}
	}
	// The engine stops claiming when ctx ends, and Serve returns only after it has
	// settled its runs, so the database is closed after the last write.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	engine := make(chan error, 1)
	go func() { engine <- data.Engine.Run(ctx) }()
	httpServer := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- httpServer.Serve(ln) }()
	select {
	case err = <-done:
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = httpServer.Shutdown(shutdown)
	}
	stop()
	return errors.Join(err, <-engine)
}

// listen binds addr; when its port is taken it picks a free one on the same host.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(addr)
		slog.Info("port taken, picking a free one", "addr", addr)
		return net.Listen("tcp", net.JoinHostPort(host, "0"))
	}
	return ln, err
}
