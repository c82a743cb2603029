package site_test

import (
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserSiteAdministration: the local owner opens Users from the sidebar,
// sets an export root, adds a colleague and makes them a site administrator;
// the colleague signs in and may create a workspace.
func TestBrowserSiteAdministration(t *testing.T) {
	e := apptest.NewAcme(t)
	root := t.TempDir()
	ctx := browsertest.New(t)
	var afterRoot, afterAdd, afterGrant, chooser string
	browsertest.Steps(t, ctx,
		browsertest.Do("open the launch URL",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			browsertest.Visible(`//nav//a[contains(., "Users")]`)),
		browsertest.Do("open Users from the sidebar",
			browsertest.Click(`//nav//a[contains(., "Users")]`),
			browsertest.Visible(`//main//h1[contains(., "Users")]`)),
		browsertest.Do("add an export root",
			chromedp.SendKeys(`#root-path`, root),
			browsertest.Click(`//button[contains(., "Add export root")]`),
			browsertest.Visible(`//main//div[contains(@class, "flash")][contains(., "is now an export root")]`),
			browsertest.Text("main", &afterRoot)),
		browsertest.Do("add a user",
			chromedp.SendKeys(`#u-email`, "ana@contoso.test"),
			chromedp.SendKeys(`#u-name`, "Ana Admin"),
			chromedp.SendKeys(`#u-password`, password),
			browsertest.Click(`//button[contains(., "Add user")]`),
			browsertest.Visible(`//main//td[contains(., "ana@contoso.test")]`),
			browsertest.Text("main", &afterAdd)),
		browsertest.Do("make her a site administrator",
			browsertest.Click(`//tr[td[contains(., "ana@contoso.test")]]//button[contains(., "Make site administrator")]`),
			browsertest.Visible(`//main//div[contains(@class, "flash")][contains(., "is now a site administrator")]`),
			browsertest.Text("main", &afterGrant)),
	)
	browsertest.Screenshot(t, ctx, "users")
	browsertest.Steps(t, ctx,
		browsertest.Do("sign out",
			browsertest.Click(`//header//details[contains(@class, "user-menu")]/summary`),
			browsertest.Click(`//header//button[contains(., "Sign out")]`),
			// The Users page has an email field too: wait for the sign-in page itself,
			// or the next navigation aborts the sign-out still in flight.
			browsertest.Visible(`//main//h1[contains(., "Sign in to Atlas")]`)),
		// A fresh page load: typing into the form htmx has just swapped in can
		// find a node that a late swap then replaces.
		browsertest.Do("sign in as her",
			chromedp.Navigate(e.HTTP.URL+"/login"),
			browsertest.Visible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, "ana@contoso.test"),
			chromedp.SendKeys(`input[name=password]`, password),
			chromedp.Submit(`input[name=password]`),
			browsertest.Visible(`//main//h1[contains(., "Workspaces")]`),
			browsertest.Text("main", &chooser)),
	)
	if !strings.Contains(afterRoot, root) {
		t.Errorf("the export root is not listed: %q", afterRoot)
	}
	if !strings.Contains(afterAdd, "User ana@contoso.test added.") {
		t.Errorf("no flash after adding the user: %q", afterAdd)
	}
	if !strings.Contains(afterGrant, "Withdraw") {
		t.Errorf("her row does not offer Withdraw after the grant: %q", afterGrant)
	}
	if !strings.Contains(chooser, "Create your first workspace") {
		t.Errorf("the new site administrator is not offered to create a workspace: %q", chooser)
	}
}
