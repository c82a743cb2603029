package inventory_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"atlas/app/browsertest"

	"github.com/chromedp/chromedp"
)

// TestBrowserCompareVersions is a consultant finding out what changed in a
// policy: open it, follow the timeline's summary to the compare page, see the
// changed setting highlighted with both values — named as Intune's portal names
// the setting and its options, its description one click away — look at what
// did not change; then compare it with the same policy in the pilot environment.
func TestBrowserCompareVersions(t *testing.T) {
	s := newCompareSite(t)
	b := browsertest.New(t)
	xtsRow := `//main//table[contains(@class, "diff")]//tr[contains(@class, "diff-changed")][contains(., "` + xtsOSLabel + `")]`
	otherDiskRow := `//main//table[contains(@class, "diff")]//tr[contains(@class, "diff-changed")][contains(., "` + otherDiskLabel + `")]`
	var changed, other, background, about, unchanged, across string
	browsertest.Steps(t, b,
		browsertest.Do("sign in and open Acme",
			chromedp.Navigate(s.env.HTTP.URL+"/auth/launch?token="+s.env.Server.Launcher.Issue()),
			browsertest.Visible(`//main//tr[contains(., "Acme Corp")]//button[contains(., "Open")]`),
			browsertest.Click(`//main//tr[contains(., "Acme Corp")]//button[contains(., "Open")]`),
			browsertest.Visible(`//main//h1[contains(., "Acme Corp")]`)),
		browsertest.Do("find the BitLocker policy",
			chromedp.Navigate(s.env.HTTP.URL+"/admin/w/acme/t/prod/policies"),
			browsertest.Visible(`//main//input[@name="q"]`),
			chromedp.SendKeys(`//main//input[@name="q"]`, "BitLocker (OS Disk)"),
			browsertest.Click(`//main//form[contains(@class, "filters")]//button`),
			browsertest.Visible(`//main//p[contains(., "1 present")]`),
			browsertest.Click(`//main//table//a[contains(., "BitLocker (OS Disk)")]`),
			browsertest.Visible(`//main//h2[contains(., "Version history")]`)),
		browsertest.Do("screenshot the history", chromedp.ActionFunc(func(context.Context) error {
			browsertest.Screenshot(t, b, "policy-history")
			return nil
		})),
		browsertest.Do("follow the timeline's summary",
			browsertest.Click(`//main//section[@id="versions"]//a[contains(., "2 settings changed")]`),
			browsertest.Visible(xtsRow),
			browsertest.Text(xtsRow, &changed),
			chromedp.Evaluate(`getComputedStyle(document.evaluate('`+xtsRow+`/td[2]', document, null, 9, null).singleNodeValue).backgroundColor`, &background)),
		browsertest.Do("read about the other changed setting",
			browsertest.Text(otherDiskRow, &other),
			browsertest.Click(otherDiskRow+`//details[contains(@class, "about")]/summary`),
			browsertest.Visible(otherDiskRow+`//details[contains(@class, "about")]/p`),
			browsertest.Text(otherDiskRow+`//details[contains(@class, "about")]/p`, &about)),
		browsertest.Do("screenshot the changes", chromedp.ActionFunc(func(context.Context) error {
			browsertest.Screenshot(t, b, "compare-versions")
			return nil
		})),
		browsertest.Do("open the unchanged settings",
			browsertest.Click(`//main//details[contains(@class, "unchanged")]/summary[contains(., "31 unchanged settings")]`),
			browsertest.Visible(`//main//details[contains(@class, "unchanged")]//tr[contains(., "Require Device Encryption")][contains(., "Enabled")]`),
			browsertest.Text(`//main//details[contains(@class, "unchanged")]`, &unchanged)),
		browsertest.Do("compare with the pilot's policy",
			browsertest.Click(`//main//a[contains(., "Compare with another policy")]`),
			browsertest.Visible(`//main//select[@name="with"]`),
			chromedp.SetValue(`//main//select[@name="with"]`, strconv.FormatInt(s.pilot, 10)),
			browsertest.Click(`//main//form[contains(@class, "compare-picker")]//button`),
			browsertest.Visible(xtsRow),
			browsertest.Text(`//main//table[contains(@class, "diff")]/thead`, &across)),
		browsertest.Do("screenshot the cross-environment compare", chromedp.ActionFunc(func(context.Context) error {
			browsertest.Screenshot(t, b, "compare-policies")
			return nil
		})),
	)
	for _, want := range []string{xtsOSLabel, xts256, xts128, "high", xtsOSCSP} {
		if !strings.Contains(changed, want) {
			t.Errorf("the changed row %q lacks %q", changed, want)
		}
	}
	if background == "" || background == "rgba(0, 0, 0, 0)" || background == "rgb(255, 255, 255)" {
		t.Errorf("the changed row is not highlighted: background %q", background)
	}
	if !strings.Contains(other, "Disabled") || !strings.Contains(other, "Enabled") {
		t.Errorf("the other changed row %q lacks its option labels", other)
	}
	if !strings.Contains(about, "warning prompt for other disk encryption") {
		t.Errorf("the other changed setting's description: %q", about)
	}
	if !strings.Contains(unchanged, "Select the encryption method for fixed data drives") {
		t.Errorf("unchanged settings: %q", unchanged)
	}
	if !strings.Contains(across, "Production") || !strings.Contains(across, "Pilot") {
		t.Errorf("cross-environment columns: %q", across)
	}
}
