package app_test

import (
	"strings"
	"testing"
	"time"

	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserAcceptAFinding is the morning round: from the dashboard to a
// finding, its evidence, accepted as an exception until a date — and the
// dashboard's open-findings KPI goes down by one.
func TestBrowserAcceptAFinding(t *testing.T) {
	e, _ := findingsEnv(t)
	ctx := browsertest.New(t)
	until := time.Now().AddDate(0, 2, 0).Format("2006-01-02")
	var before, evidence, after, accepted, hub string
	browsertest.Steps(t, ctx,
		browsertest.Do("open the dashboard",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			browsertest.Visible(`//main//h1[contains(., "Acme Corp")]`),
			chromedp.Navigate(e.HTTP.URL+"/admin/w/acme/t/prod"),
			browsertest.Visible(`[data-kpi="open-high"]`),
			browsertest.Text(`[data-kpi="open-high"]`, &before)),
		browsertest.Do("open a finding from the latest findings",
			browsertest.Click(`//main//a[contains(., "Baseline compliance - v2.0")]`),
			browsertest.Visible(`//main//h2[contains(., "Changes")]`),
			browsertest.Text(`table.diff`, &evidence)),
	)
	browsertest.Screenshot(t, ctx, "finding")
	browsertest.Steps(t, ctx,
		browsertest.Do("accept it as an exception until a date",
			chromedp.SendKeys(`#triage-reason`, "Kiosks keep the short password until the new readers arrive"),
			chromedp.SetValue(`#triage-expires`, until),
			browsertest.Click(`//button[contains(., "Accept as exception")]`),
			browsertest.Visible(`//main//*[contains(., "accepted as exceptions until `+until+`")]`),
			browsertest.Text(`main`, &accepted)),
		browsertest.Do("back to the dashboard",
			browsertest.Click(`//nav[@aria-label="Sections"]//a[contains(., "Dashboard")]`),
			browsertest.Visible(`[data-kpi="accepted"]`),
			browsertest.Text(`[data-kpi="open-high"]`, &after)),
	)
	browsertest.Screenshot(t, ctx, "dashboard")
	browsertest.Steps(t, ctx,
		browsertest.Do("the hub",
			chromedp.Navigate(e.HTTP.URL+"/admin"),
			browsertest.Visible(`#environment-health`),
			browsertest.Text(`#environment-health`, &hub)),
	)
	browsertest.Screenshot(t, ctx, "hub-with-findings")
	if strings.TrimSpace(before) != "2" || strings.TrimSpace(after) != "1" {
		t.Errorf("open high findings: %q before accepting, %q after; want 2 then 1", before, after)
	}
	if !strings.Contains(evidence, "Password minimum length") || !strings.Contains(evidence, "14") {
		t.Errorf("evidence: %q", evidence)
	}
	if !strings.Contains(accepted, "Kiosks keep the short password") || !strings.Contains(accepted, "accepted open → accepted") {
		t.Errorf("the finding's page after accepting: %q", accepted)
	}
	if !strings.Contains(hub, "Production") || !strings.Contains(hub, "high") {
		t.Errorf("hub: %q", hub)
	}
}
