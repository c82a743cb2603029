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
// the zip on the export source page, read the verdict, sync and watch the run,
// find a policy in the inventory; then a newer export with one setting changed
// gives that policy its second version.
func TestBrowserUploadAndBrowse(t *testing.T) {
	e := apptest.NewAcme(t)
	zips := t.TempDir()
	first := writeZip(t, zips, "acme-export.zip", export(3, false))
	second := writeZip(t, zips, "acme-export-2.zip", export(3, true))
	upload := func(zip string) browsertest.Step {
		return browsertest.Do("upload "+filepath.Base(zip),
			browsertest.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Export source")]`),
			browsertest.Visible(`#cx-export`),
			chromedp.SetUploadFiles(`#cx-export`, []string{zip}, chromedp.ByQuery),
			browsertest.Click(`//button[contains(., "Upload and check")]`),
			browsertest.Visible(`//main//dd[contains(., "`+filepath.Base(zip)+`")]`))
	}
	syncNow := browsertest.Do("sync now and watch the run",
		browsertest.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Inventory")]`),
		browsertest.Visible(`//main//button[contains(., "Sync now")]`),
		browsertest.Click(`//main//button[contains(., "Sync now")]`),
		browsertest.Visible(`//main//h1[contains(., "Inventory sync")]//span[contains(@class, "badge-succeeded")]`))
	b := browsertest.New(t)
	var source, run, hub, list, detail string
	browsertest.Steps(t, b,
		browsertest.Do("sign in and open the environment",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			browsertest.Visible(`//main//h1[contains(., "Acme Corp")]`),
			chromedp.Navigate(e.HTTP.URL+"/admin/w/acme/t/prod"),
			browsertest.Visible(`//main//h1[contains(., "Production")]`)),
		upload(first),
		browsertest.Do("read the verdict", browsertest.Text("main", &source)),
		syncNow,
		browsertest.Do("read the run", browsertest.Text("main", &run)),
		browsertest.Do("open the inventory",
			browsertest.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Inventory")]`),
			browsertest.Visible(`//main//span[contains(@class, "kpi-label") and contains(., "items")]`),
			browsertest.Text("main", &hub)),
		browsertest.Do("look at the inventory", chromedp.ActionFunc(func(context.Context) error {
			browsertest.Screenshot(t, b, "inventory-hub")
			return nil
		})),
		upload(second),
		syncNow,
		browsertest.Do("filter the policies by name",
			browsertest.Click(`//nav[contains(@class, "sidebar")]//a[contains(., "Policies")]`),
			browsertest.Visible(`//main//input[@name="q"]`),
			chromedp.SendKeys(`//main//input[@name="q"]`, "defender"),
			browsertest.Click(`//main//form[contains(@class, "filters")]//button`),
			browsertest.Visible(`//main//p[contains(., "1 present")]`),
			browsertest.Text("main", &list)),
		browsertest.Do("open the policy and its versions",
			browsertest.Click(`//main//table//a[contains(., "Defender baseline")]`),
			browsertest.Visible(`//main//h2[contains(., "Version history")]`),
			browsertest.Text("main", &detail)),
	)
	browsertest.Screenshot(t, b, "policy")
	for _, c := range []struct{ page, text, want string }{
		{"export source", source, "IntuneManagement export"},
		{"export source", source, "acme-export.zip uploaded."},
		{"run", run, "Inventory sync started."},
		{"hub", hub, "6\nitems"},
		{"list", list, "Defender baseline"},
		{"detail", detail, "Allow Archive Scanning"},
		{"detail", detail, "Not allowed. Turns off scanning on archived files."},
		{"detail", detail, "Settings catalog"},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s lacks %q:\n%s", c.page, c.want, c.text)
		}
	}
	if strings.Contains(list, "Windows compliance") {
		t.Errorf("the name filter kept other policies:\n%s", list)
	}
	var versions int
	if err := chromedp.Run(b, chromedp.Evaluate(`document.querySelectorAll("#versions tbody tr").length`, &versions)); err != nil || versions != 2 {
		t.Errorf("version rows = %d (%v), want 2", versions, err)
	}
}
