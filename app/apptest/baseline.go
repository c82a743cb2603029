package apptest

import (
	"context"
	"io/fs"
	"os"

	"atlas/app"
)

// CaptureExport captures export into the workspace's baseline profile (made
// when there is none), as atlas baseline capture --from does.
func (e *Env) CaptureExport(workspaceSlug, profileSlug string, export fs.FS) *app.Capture {
	e.t.Helper()
	dir, err := os.MkdirTemp("", "atlas-baseline-")
	if err != nil {
		e.t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.CopyFS(dir, export); err != nil {
		e.t.Fatal(err)
	}
	c, err := e.Data.CaptureBaseline(context.Background(), workspaceSlug, profileSlug, "", dir)
	if err != nil {
		e.t.Fatalf("capture %s/%s: %v", workspaceSlug, profileSlug, err)
	}
	return c
}

// Compare compares an environment with a baseline, as atlas compare does.
func (e *Env) Compare(workspaceSlug, environmentSlug, profileSlug string) *app.Comparison {
	e.t.Helper()
	c, err := e.Data.Compare(context.Background(), workspaceSlug, environmentSlug, profileSlug)
	if err != nil {
		e.t.Fatalf("compare %s/%s with %s: %v", workspaceSlug, environmentSlug, profileSlug, err)
	}
	return c
}
