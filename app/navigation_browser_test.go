package app_test

import (
	"strings"
	"testing"

	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserFollowAFindingsRelatedContext: from a filtered findings list to a
// finding, then through its related context to the policy, the version, the
// baseline snapshot and the compare run — and back, to the list with its filters.
func TestBrowserFollowAFindingsRelatedContext(t *testing.T) {
	e, _ := findingsEnv(t)
	ctx := browsertest.New(t)
	related := func(key string) string {
		return `//section[@data-related-source="finding"]//dd[@data-relation="` + key + `"]/a`
	}
	finding := `//main//h1[contains(., "Baseline compliance - v2.0")]`
	// The pages are boosted (pushState): the browser's Back is history.back(), not a new load.
	back := func() chromedp.Action { return chromedp.Evaluate(`history.back()`, nil) }
	var policy, version, snapshot, run, list, severity string
	browsertest.Steps(t, ctx,
		browsertest.Do("open the high findings",
			chromedp.Navigate(e.HTTP.URL+"/auth/launch?token="+e.Server.Launcher.Issue()),
			browsertest.Visible(`//main//h1[contains(., "Acme Corp")]`),
			chromedp.Navigate(e.HTTP.URL+"/admin/w/acme/t/prod/findings?severity=high"),
			browsertest.Click(`//main//table//a[contains(., "Baseline compliance - v2.0")]`),
			browsertest.Visible(finding)),
		browsertest.Do("its policy",
			browsertest.Click(related("policy")),
			browsertest.Visible(`//main//h1[.="Baseline compliance"]`),
			browsertest.Text(`main h1`, &policy)),
		browsertest.Do("back to the finding",
			back(),
			browsertest.Visible(finding)),
		browsertest.Do("the version compared, and back",
			browsertest.Click(related("policy_version")),
			browsertest.Visible(`//main//h1[contains(., "Version 1 of")]`),
			browsertest.Text(`main h1`, &version),
			back(),
			browsertest.Visible(finding)),
		browsertest.Do("the baseline snapshot, and back",
			browsertest.Click(related("baseline_snapshot")),
			browsertest.Visible(`//main//h1[contains(., "Snapshot #")]`),
			browsertest.Text(`main h1`, &snapshot),
			back(),
			browsertest.Visible(finding)),
		browsertest.Do("the compare that last saw it, and its way back",
			browsertest.Click(related("current_run")),
			browsertest.Visible(`//main//h1[contains(., "Drift compare #")]`),
			browsertest.Text(`main h1`, &run),
			browsertest.Click(`//main//p[@class="back-link"]/a[contains(., "Back to Baseline compliance - v2.0")]`),
			browsertest.Visible(finding)),
		browsertest.Do("back to the list, filters intact",
			browsertest.Click(`//main//p[@class="back-link"]/a[contains(., "Back to findings")]`),
			browsertest.Visible(`//main//h1[contains(., "Findings")]`),
			chromedp.Location(&list),
			chromedp.Value(`select[name="severity"]`, &severity)),
	)
	browsertest.Screenshot(t, ctx, "findings-filtered")
	if policy == "" || version == "" || !strings.Contains(snapshot, "Snapshot #") || !strings.Contains(run, "Drift compare #") {
		t.Errorf("pages: %q, %q, %q, %q", policy, version, snapshot, run)
	}
	if !strings.Contains(list, "severity=high") || severity != "high" {
		t.Errorf("back on %s with severity %q: the filters were lost", list, severity)
	}
}
