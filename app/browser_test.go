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
	err := chromedp.Run(ctx,
		chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
		chromedp.WaitVisible(`//h2[contains(., "Create your first workspace")]`),
		chromedp.Text("main", &chooser),
		chromedp.SendKeys(`#ws-name`, "Contoso Ltd"),
		chromedp.SendKeys(`#ws-slug`, "contoso"),
		chromedp.Click(`//button[contains(., "Create workspace")]`),
		chromedp.WaitVisible(`//main//h1[contains(., "Contoso Ltd")]`),
		chromedp.Click(`//main//a[contains(., "Add an environment")]`),
		chromedp.WaitVisible(`#env-name`),
		chromedp.SendKeys(`#env-name`, "Production"),
		chromedp.SendKeys(`#env-slug`, "prod"),
		chromedp.Click(`//button[contains(., "Add environment")]`),
		chromedp.WaitVisible(`//main//h1[contains(., "Production")]`),
		chromedp.Text("main", &dashboard),
		chromedp.Text("header", &header),
		chromedp.Navigate(e.HTTP.URL+"/admin"),
		chromedp.WaitVisible(`//main//a[contains(., "Production")]`),
		chromedp.Text("main", &hub),
	)
	if err != nil {
		t.Fatal(err)
	}
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
	err = chromedp.Run(ctx,
		chromedp.Navigate(e.HTTP.URL+"/admin/workspaces"),
		chromedp.SendKeys(`#ws-name`, "Fabrikam"),
		chromedp.SendKeys(`#ws-slug`, "fabrikam"),
		chromedp.Click(`//button[contains(., "Create workspace")]`),
		chromedp.WaitVisible(`//main//h1[contains(., "Fabrikam")]`),
		chromedp.Click(`//header//details[1]/summary`),
		chromedp.Click(`//header//details[1]//button[contains(., "Contoso Ltd")]`),
		chromedp.WaitVisible(`//main//h1[contains(., "Contoso Ltd")]`),
		chromedp.Text("main", &switched),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(switched, "Production") {
		t.Errorf("after switching back the hub lacks Production: %q", switched)
	}
}
