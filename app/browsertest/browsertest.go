// Package browsertest drives Debian's chromium headless through chromedp for the
// flows a person clicks through.
package browsertest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// RequireEnv, when set to 1 (CI sets it), turns a missing browser into a failure instead of a skip.
const RequireEnv = "ATLAS_REQUIRE_BROWSER"

func chromium() string {
	if p := os.Getenv("ATLAS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless browser for the test and returns its context, cancelled
// (and the browser closed) when the test ends. Without chromium the test is
// skipped, or fails when ATLAS_REQUIRE_BROWSER=1.
func New(t testing.TB) context.Context {
	t.Helper()
	path := chromium()
	if path == "" {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("no chromium found and %s=1: install it (apt-get install -y chromium)", RequireEnv)
		}
		t.Skip("browser test skipped: no chromium on this machine (apt-get install -y chromium)")
	}
	// Not t.TempDir: chromium may still be writing there while the test's cleanup runs.
	profile, err := os.MkdirTemp("", "atlas-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		os.RemoveAll(profile)
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", path, err)
	}
	return ctx
}

// Steps runs named steps in order and reports the first that fails by its name.
func Steps(t testing.TB, ctx context.Context, steps ...Step) {
	t.Helper()
	for _, s := range steps {
		if err := chromedp.Run(ctx, s.Actions...); err != nil {
			Screenshot(t, ctx, "failed")
			t.Fatalf("step %q: %v\n%s", s.Name, err, where(ctx))
		}
	}
}

// where describes the page the browser is on, for a failed step's message.
func where(ctx context.Context) string {
	look, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var url, text string
	if err := chromedp.Run(look, chromedp.Location(&url), chromedp.Text("main", &text, chromedp.ByQuery)); err != nil {
		return "(the page could not be read: " + err.Error() + ")"
	}
	if len(text) > 2000 {
		text = text[:2000] + "…"
	}
	return "on " + url + ":\n" + text
}

// Step is one thing a person does, as chromedp actions.
type Step struct {
	Name    string
	Actions []chromedp.Action
}

// Do names a step.
func Do(name string, actions ...chromedp.Action) Step { return Step{Name: name, Actions: actions} }

// Visible waits until sel is visible.
func Visible(sel string) chromedp.Action { return retried(chromedp.WaitVisible(sel)) }

// Click clicks sel on the current document: an htmx swap that replaces the node
// between finding and clicking it sends the click to its replacement.
func Click(sel string) chromedp.Action { return retried(chromedp.Click(sel)) }

// Text reads the visible text of sel, like chromedp.Text, on the current document.
func Text(sel string, text *string) chromedp.Action { return retried(chromedp.Text(sel, text)) }

// retried runs a query in short attempts. A click that navigates, or an htmx
// swap, can replace the node a query has found: chromedp then reports a
// vanished node (-32000), or waits on the detached node for ever. So each
// attempt is short and the query starts again on the current document until
// the test's deadline.
func retried(query chromedp.QueryAction) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
			err := query.Do(attempt)
			cancel()
			switch {
			case err == nil, ctx.Err() != nil:
				return err
			case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "-32000"):
				continue
			}
			return err
		}
	})
}

// Screenshot saves a full-page PNG to path when ATLAS_SCREENSHOTS names a folder,
// for people checking the look; tests never depend on it.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ATLAS_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.WriteFile(dir+"/"+name+".png", png, 0o644)
}
