package app_test

import (
	"context"
	"strings"
	"testing"

	"atlas/app/apptest"
	"atlas/app/browsertest"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserPaletteOpensARecordOfAnotherWorkspace: with acme current, ⌘K, type a
// policy of fabrikam's and Enter lands on that policy, fabrikam now current.
func TestBrowserPaletteOpensARecordOfAnotherWorkspace(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	for _, ws := range []struct{ slug, name, env string }{{"acme", "Acme Corp", "Production"}, {"fabrikam", "Fabrikam", "Fabrikam Production"}} {
		if err := e.Data.AddWorkspace(ctx, ws.slug, ws.name); err != nil {
			t.Fatal(err)
		}
		if err := e.Data.AddEnvironment(ctx, ws.slug, "prod", ws.env); err != nil {
			t.Fatal(err)
		}
	}
	e.SyncExport("fabrikam", "prod", policyExport("Zephyr firewall"))
	b := browsertest.New(t)
	var workspace string
	browsertest.Steps(t, b,
		browsertest.Do("sign in with acme current",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			chromedp.Navigate(e.HTTP.URL+"/admin/w/acme"),
			browsertest.Visible(`//main//h1[contains(., "Acme Corp")]`)),
		browsertest.Do("⌘K and type",
			chromedp.KeyEvent("k", chromedp.KeyModifiers(input.ModifierCtrl)),
			browsertest.Visible(`dialog.palette input`),
			chromedp.SendKeys(`dialog.palette input`, "zephyr fire"),
			browsertest.Visible(`//dialog//li[@aria-selected="true"]//a[contains(., "Zephyr firewall") and contains(., "Fabrikam Production")]`)),
		browsertest.Do("Enter",
			chromedp.KeyEvent(kb.Enter),
			browsertest.Visible(`//main//h1[contains(., "Zephyr firewall")]`),
			browsertest.Text(`header details.switcher summary`, &workspace)),
	)
	browsertest.Screenshot(t, b, "palette-other-workspace")
	if strings.TrimSpace(workspace) != "Fabrikam" {
		t.Errorf("current workspace %q", workspace)
	}
}
