package inventory_test

import (
	"archive/zip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"atlas/app/apptest"
	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// writeZip writes fsys as a zip file under dir.
func writeZip(t *testing.T, dir, name string, fsys fstest.MapFS) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	if err := zw.AddFS(fsys); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBrowserUploadAndBrowse is a consultant bringing in a customer's export: drop
// the zip on the export source page, read the verdict, sync, find a policy in
// the inventory and read its settings and versions.
func TestBrowserUploadAndBrowse(t *testing.T) {
	e := apptest.New(t)
	ctx := context.Background()
	if err := e.Data.AddWorkspace(ctx, "acme", "Acme Corp"); err != nil {
		t.Fatal(err)
	}
	if err := e.Data.AddEnvironment(ctx, "acme", "prod", "Production"); err != nil {
		t.Fatal(err)
	}
	zips := t.TempDir()
	first := writeZip(t, zips, "acme-export.zip", export(3, false))
	b := browsertest.New(t)
	var source, hub, list, detail string
	browsertest.Steps(t, b,
		browsertest.Do("sign in and open the export source",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			browsertest.Visible(`//main//h1[contains(., "Acme Corp")]`),
			chromedp.Navigate(e.HTTP.URL+"/admin/t/prod/connection"),
			browsertest.Visible(`//main//h1[contains(., "Export source")]`)),
		browsertest.Do("upload the zip",
			chromedp.SetUploadFiles(`#cx-export`, []string{first}, chromedp.ByQuery),
			chromedp.Click(`//button[contains(., "Upload and check")]`),
			browsertest.Visible(`//main//dd[contains(., "acme-export.zip")]`),
			chromedp.Text("main", &source)),
	)
	browsertest.Screenshot(t, b, "export-source")
	e.SyncExport("acme", "prod", export(3, false))
	browsertest.Steps(t, b,
		browsertest.Do("open the inventory",
			chromedp.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Inventory")]`),
			browsertest.Visible(`//main//span[contains(@class, "kpi-label") and contains(., "items")]`),
			chromedp.Text("main", &hub)),
		browsertest.Do("look at the inventory", chromedp.ActionFunc(func(context.Context) error {
			browsertest.Screenshot(t, b, "inventory-hub")
			return nil
		})),
		browsertest.Do("filter the policies by name",
			chromedp.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Policies")]`),
			browsertest.Visible(`//main//input[@name="q"]`),
			chromedp.SendKeys(`//main//input[@name="q"]`, "defender"),
			chromedp.Click(`//main//form[contains(@class, "filters")]//button`),
			browsertest.Visible(`//main//p[contains(., "1 present")]`),
			chromedp.Text("main", &list)),
		browsertest.Do("open the policy",
			chromedp.Click(`//main//table//a[contains(., "Defender baseline")]`),
			browsertest.Visible(`//main//h2[contains(., "Versions")]`),
			chromedp.Text("main", &detail)),
	)
	browsertest.Screenshot(t, b, "policy")
	for _, c := range []struct{ page, text, want string }{
		{"export source", source, "IntuneManagement export"},
		{"export source", source, "acme-export.zip uploaded."},
		{"hub", hub, "6\nitems"},
		{"list", list, "Defender baseline"},
		{"detail", detail, "Defender › Allow archive scanning"},
		{"detail", detail, "Settings catalog"},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.page, c.want, c.text)
		}
	}
	if strings.Contains(list, "Windows compliance") {
		t.Errorf("the name filter kept other policies:\n%s", list)
	}
}
