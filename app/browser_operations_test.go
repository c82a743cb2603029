package app_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserOperationProgress opens a demo run (no page offers one: the test
// starts it) and watches its progress bar move and the run succeed, all without a
// page reload.
func TestBrowserOperationProgress(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	if err := e.Data.AddWorkspace(ctx, "contoso", "Contoso Ltd"); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddEnvironment(ctx, "contoso", "prod", "Production"); err != nil {
		t.Fatal(err)
	}
	b := browsertest.New(t)
	var first, later, max float64
	var label, toast string
	var reloaded, polling bool
	browsertest.Steps(t, b,
		browsertest.Do("sign in and open the dashboard",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			browsertest.Visible(`//main//h1[contains(., "Contoso Ltd")]`),
			chromedp.Navigate(e.HTTP.URL+"/admin/w/contoso/t/prod"),
			browsertest.Visible(`//main//h1[contains(., "Production")]`)),
		browsertest.Do("start a run and open it",
			chromedp.ActionFunc(func(ctx context.Context) error {
				started := e.Owner().Post("/admin/w/contoso/t/prod/operations", url.Values{"type": {"demo.count"}, "count": {"50"}, "delay_ms": {"100"}})
				return chromedp.Navigate(e.HTTP.URL + started.Header.Get("Location")).Do(ctx)
			}),
			browsertest.Visible(`#run progress`),
			// A mark on the window: a full reload would wipe it.
			chromedp.Evaluate(`window.atlasMark = 1`, nil)),
		browsertest.Do("watch the bar move",
			chromedp.Poll(`(() => { const p = document.querySelector('#run progress');
				if (p && p.value > 0 && p.value < p.max) { window.atlasFirst = p.value; return p.value; } return 0; })()`, &first),
			chromedp.Poll(`(() => { const p = document.querySelector('#run progress'); return p && p.value > window.atlasFirst ? p.value : 0; })()`, &later)),
	)
	browsertest.Steps(t, b,
		browsertest.Do("see the run succeed",
			browsertest.Visible(`#run .badge-succeeded`),
			chromedp.Evaluate(`document.querySelector('#run progress').max`, &max),
			browsertest.Text(`#run .progress-label`, &label),
			chromedp.Evaluate(`window.atlasMark !== 1`, &reloaded),
			chromedp.Evaluate(`document.querySelector('#run').hasAttribute('hx-trigger')`, &polling),
			browsertest.Visible(`.toast-region .toast`),
			browsertest.Text(`.toast-region`, &toast)),
	)
	browsertest.Screenshot(t, b, "operation-finished")
	var feed string
	browsertest.Steps(t, b, browsertest.Do("open the feed from the sidebar",
		browsertest.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Operations")]`),
		browsertest.Visible(`//main//h1[contains(., "Operations")]`),
		browsertest.Text("main", &feed)))
	browsertest.Screenshot(t, b, "operations-feed")
	var hub string
	browsertest.Steps(t, b, browsertest.Do("see it on the hub",
		browsertest.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Hub")]`),
		browsertest.Visible(`#recent-operations`),
		browsertest.Text("#recent-operations", &hub)))
	browsertest.Screenshot(t, b, "hub-operations")
	if !strings.Contains(hub, "Demo count") || !strings.Contains(hub, "succeeded") {
		t.Errorf("hub's operations: %q", hub)
	}
	if !strings.Contains(feed, "Environment: Production") || !strings.Contains(feed, "succeeded") || !strings.Contains(feed, "runs in 30 days") {
		t.Errorf("feed after the run: %q", feed)
	}
	if first <= 0 || first >= 50 || later <= first {
		t.Errorf("progress seen %v then %v: want a value between 0 and 50, then a larger one", first, later)
	}
	if max != 50 || strings.TrimSpace(label) != "50 of 50" {
		t.Errorf("finished bar: max %v, label %q", max, label)
	}
	if reloaded {
		t.Error("the page reloaded while the run progressed")
	}
	if polling {
		t.Error("the finished run still polls")
	}
	if !strings.Contains(toast, "succeeded") {
		t.Errorf("toast %q", toast)
	}
}
