package app_test

import (
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserFirstRun is the consultant's first minutes: open the launch URL,
// create a workspace and an environment through the pages, switch context, and
// see both on the hub.
func TestBrowserFirstRun(t *testing.T) {
	e := apptest.New(t)
	ctx := browsertest.New(t)
	var chooser, hub, dashboard, header string
	browsertest.Steps(t, ctx,
		browsertest.Do("open the launch URL",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			browsertest.Visible(`//h2[contains(., "Create your first workspace")]`),
			browsertest.Text("main", &chooser)),
		browsertest.Do("create a workspace",
			chromedp.SendKeys(`#ws-name`, "Contoso Ltd"),
			chromedp.SendKeys(`#ws-slug`, "contoso"),
			browsertest.Click(`//button[contains(., "Create workspace")]`),
			browsertest.Visible(`//main//h1[contains(., "Contoso Ltd")]`)),
		browsertest.Do("open the environment form",
			browsertest.Click(`//main//a[contains(., "Add an environment")]`),
			browsertest.Visible(`#env-name`)),
		browsertest.Do("add an environment",
			chromedp.SendKeys(`#env-name`, "Production"),
			chromedp.SendKeys(`#env-slug`, "prod"),
			browsertest.Click(`//button[contains(., "Add environment")]`),
			browsertest.Visible(`//main//h1[contains(., "Production")]`)),
		browsertest.Do("read the dashboard",
			browsertest.Text("main", &dashboard),
			browsertest.Text("header", &header)),
		browsertest.Do("go to the hub",
			chromedp.Navigate(e.HTTP.URL+"/admin"),
			browsertest.Visible(`//main//a[contains(., "Production")]`),
			browsertest.Text("main", &hub)),
	)
	browsertest.Screenshot(t, ctx, "hub")
	if !strings.Contains(chooser, "No workspaces yet") {
		t.Errorf("first chooser: %q", chooser)
	}
	if !strings.Contains(dashboard, "Environment Production added.") {
		t.Errorf("dashboard has no flash: %q", dashboard)
	}
	if !strings.Contains(header, "Contoso Ltd") || !strings.Contains(header, "Production") {
		t.Errorf("header does not show the current context: %q", header)
	}
	if !strings.Contains(hub, "Production") || !strings.Contains(hub, "prod") {
		t.Errorf("hub: %q", hub)
	}

	// A second workspace, then switch back through the header's switcher.
	var switched string
	browsertest.Steps(t, ctx,
		browsertest.Do("create a second workspace",
			chromedp.Navigate(e.HTTP.URL+"/admin/workspaces"),
			browsertest.Visible(`#ws-name`),
			chromedp.SendKeys(`#ws-name`, "Fabrikam"),
			chromedp.SendKeys(`#ws-slug`, "fabrikam"),
			browsertest.Click(`//button[contains(., "Create workspace")]`),
			browsertest.Visible(`//main//h1[contains(., "Fabrikam")]`)),
		browsertest.Do("switch back through the header",
			browsertest.Click(`//header//details[1]/summary`),
			browsertest.Click(`//header//details[1]//button[contains(., "Contoso Ltd")]`),
			browsertest.Visible(`//main//h1[contains(., "Contoso Ltd")]`),
			browsertest.Text("main", &switched)),
	)
	if !strings.Contains(switched, "Production") {
		t.Errorf("after switching back the hub lacks Production: %q", switched)
	}
}
