package backup_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserRestore is a consultant putting two policies back: pick them on
// the restore page (one with its assignments), read the preview and its
// warning, confirm with the environment's name, watch the run finish; then,
// once the tool imported it and Atlas synced, undo it.
func TestBrowserRestore(t *testing.T) {
	s := newSite(t)
	set := s.backup(t, "prod", "Friday")
	tenant := tenantExport(true)
	tenant["CompliancePolicies/Windows compliance.json"].Data = []byte(strings.Replace(string(tenant["CompliancePolicies/Windows compliance.json"].Data),
		`"passwordRequired":true`, `"passwordRequired":false`, 1))
	s.env.SyncExport("acme", "prod", tenant)
	defender, compliance := s.itemID(t, set, "Defender baseline"), s.itemID(t, set, "Windows compliance")

	b := browsertest.New(t)
	var preview, run, undoPreview, undone string
	confirmAndRestore := func(name string) chromedp.Action {
		return chromedp.Tasks{
			chromedp.SendKeys(`//main//input[@name="confirm"]`, name),
			browsertest.Click(`//main//button[contains(., "Restore into ` + name + `")]`),
			browsertest.Visible(`//main//h1[contains(., "Restore #")]`),
			browsertest.Visible(`//main//h1//span[contains(@class, "badge-succeeded")]`),
		}
	}
	browsertest.Steps(t, b,
		browsertest.Do("sign in and open the backup",
			chromedp.Navigate(s.env.HTTP.URL+"/auth/launch?token="+s.env.Server.Launcher.Issue()),
			browsertest.Visible(`//main//tr[contains(., "Acme Corp")]//button[contains(., "Open")]`),
			browsertest.Click(`//main//tr[contains(., "Acme Corp")]//button[contains(., "Open")]`),
			browsertest.Visible(`//main//h1[contains(., "Acme Corp")]`),
			chromedp.Navigate(s.env.HTTP.URL+setPath("prod", set)),
			browsertest.Visible(`//main//h1[contains(., "Friday")]`),
			browsertest.Click(`//main//a[contains(., "Restore…")]`),
			browsertest.Visible(`//main//h1[contains(., "Restore Friday")]`)),
		browsertest.Do("pick two policies, one with its assignments",
			browsertest.Click(`//main//details/summary[contains(., "Settings catalog")]`),
			browsertest.Click(`//main//input[@name="item"][@value="`+defender+`"]`),
			browsertest.Click(`//main//details/summary[contains(., "Compliance policy")]`),
			browsertest.Click(`//main//input[@name="item"][@value="`+compliance+`"]`),
			browsertest.Click(`//main//input[@name="assign"][@value="`+compliance+`"]`),
			browsertest.Click(`//main//button[contains(., "Preview")]`),
			// The page before the choice previews every item already: wait for the choice's.
			browsertest.Visible(`//main//h2[contains(., "2 items into Production")]`),
			browsertest.Text(`//main`, &preview)),
		browsertest.Do("screenshot the preview", chromedp.ActionFunc(func(context.Context) error {
			browsertest.Screenshot(t, b, "restore-preview")
			return nil
		})),
		browsertest.Do("confirm and watch the run", confirmAndRestore("Production"), browsertest.Text(`//main`, &run)),
		browsertest.Do("the tool imports the folder, Atlas syncs", chromedp.ActionFunc(func(context.Context) error {
			var output string
			s.env.Data.DB.Read.QueryRow(`SELECT output_path FROM restores ORDER BY operation_run_id DESC LIMIT 1`).Scan(&output)
			importInto(t, tenant, filepath.Join(s.env.Dir, filepath.FromSlash(output)))
			s.env.SyncExport("acme", "prod", tenant)
			return nil
		})),
		browsertest.Do("undo it",
			chromedp.Reload(),
			browsertest.Visible(`//main//span[contains(@class, "badge-verified")]`),
			browsertest.Click(`//main//a[contains(., "Undo this restore")]`),
			browsertest.Visible(`//main//h1[contains(., "Undo restore #")]`),
			browsertest.Text(`//main`, &undoPreview),
			confirmAndRestore("Production"),
			browsertest.Text(`//main`, &undone)),
	)
	for _, want := range []string{"2 items into Production: 2 update", "Windows compliance: assigned to all devices", "Defender baseline"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	for _, want := range []string{"Restored from", "Friday", "Before restore #", "Windows compliance", "written", "to check at the next sync"} {
		if !strings.Contains(run, want) {
			t.Errorf("the run's page lacks %q", want)
		}
	}
	if !strings.Contains(undoPreview, "2 items into Production: 2 update") {
		t.Errorf("the undo preview: %.500s", undoPreview)
	}
	var first int64
	s.env.Data.DB.Read.QueryRow(`SELECT min(operation_run_id) FROM restores`).Scan(&first)
	if !strings.Contains(undone, "Undoes") || !strings.Contains(undone, fmt.Sprintf("Restore #%d", first)) {
		t.Errorf("the undo's page does not name the restore it undoes: %.500s", undone)
	}
}
