package baseline

import (
	"math/rand/v2"
	"strings"
	"testing"

	"atlas/app/diff"
)

func TestMatchName(t *testing.T) {
	for name, want := range map[string]string{
		"Win - OIB - SC - Device Security - D - Printing - v3.7":              "win - oib - sc - device security - d - printing",
		"Win - OIB - SC - Device Security - D - Printing - v3.8":              "win - oib - sc - device security - d - printing",
		"win - oib - sc - device security  -  d - printing":                   "win - oib - sc - device security - d - printing",
		"Win - OIB - SC - Internet Explorer (Legacy) - D - Security - v3.1.1": "win - oib - sc - internet explorer (legacy) - d - security",
		"BitLocker baseline v3.7":                                             "bitlocker baseline",
		"BitLocker baseline (v2)":                                             "bitlocker baseline",
		"BitLocker baseline – V1.0":                                           "bitlocker baseline",
		"LAPS (24H2+) - v3.6":                                                 "laps (24h2+)",
		"Feature update 22H2":                                                 "feature update 22h2",
		"Windows 11 v22H2 rollout":                                            "windows 11 v22h2 rollout",
		"Namev3":                                                              "namev3",
		"v2":                                                                  "v2", // a marker alone is the name
	} {
		if got := MatchName(name); got != want {
			t.Errorf("MatchName(%q) = %q, want %q", name, got, want)
		}
	}
}

// MatchName runs the version marker's regexp on the end of a name only: on
// random names made of the characters that matter, it reads as the regexp on
// the whole name does.
func TestMatchNameAsTheRegexpOnTheWholeName(t *testing.T) {
	whole := func(displayName string) string {
		name := strings.Join(strings.Fields(displayName), " ")
		if stripped := strings.TrimSpace(versionMarker.ReplaceAllString(name, "")); stripped != "" {
			name = stripped
		}
		return strings.ToLower(name)
	}
	parts := []string{"a", "Win", "v", "V", "1", "22", ".", " ", "  ", "(", ")", "-", "–", "—", "_", ":", "é", "x"}
	r := rand.New(rand.NewPCG(13, 13))
	for range 200_000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		if name := b.String(); MatchName(name) != whole(name) {
			t.Fatalf("MatchName(%q) = %q, the regexp on the whole name %q", name, MatchName(name), whole(name))
		}
	}
}

func TestJaccard(t *testing.T) {
	set := func(keys ...string) map[string]bool {
		m := map[string]bool{}
		for _, k := range keys {
			m[k] = true
		}
		return m
	}
	for _, tt := range []struct {
		a, b map[string]bool
		want float64
	}{
		{set("a", "b", "c"), set("a", "b", "c"), 1},
		{set("a", "b", "c"), set("a", "b", "d"), 0.5},
		{set("a", "b", "c", "d", "e"), set("a", "b", "c", "d"), 0.8},
		{set(), set(), 0},
		{set("a"), set("b"), 0},
	} {
		if got := jaccard(tt.a, tt.b); got != tt.want {
			t.Errorf("jaccard(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestJudge: a finding takes its highest row's severity and says which rule
// decided; a profile's overrides by setting path and by policy type win.
func TestJudge(t *testing.T) {
	firewall := diff.Change{Section: "Firewall", Path: "settings[vendor_msft_firewall_mdmstore_global_disablestatefulftp]",
		Key: "vendor_msft_firewall_mdmstore_global_disablestatefulftp", Label: "Firewall › Disable stateful FTP", Kind: diff.Changed}
	start := diff.Change{Section: "Start", Path: "settings[device_vendor_msft_policy_config_start_hidesleep]",
		Key: "device_vendor_msft_policy_config_start_hidesleep", Label: "Start › Hide sleep", Kind: diff.Changed}
	removedStart := start
	removedStart.Kind = diff.Removed
	tests := []struct {
		name      string
		overrides []Override
		rows      []diff.Change
		missing   bool
		want      diff.Severity
		rule      string
	}{
		{"highest row", nil, []diff.Change{start, firewall}, false, diff.High, "security setting: Firewall › Disable stateful FTP"},
		{"medium only", nil, []diff.Change{start}, false, diff.Medium, "anything else: Start › Hide sleep"},
		{"missing: what it configures, not that it is removed", nil, []diff.Change{removedStart}, true, diff.Medium, "anything else: Start › Hide sleep"},
		{"path override", []Override{{Path: "settings[vendor_msft_firewall", Severity: diff.Low}}, []diff.Change{start, firewall}, false, diff.Medium, "anything else: Start › Hide sleep"},
		{"path override raises", []Override{{Path: "settings[device_vendor_msft_policy_config_start", Severity: diff.High}}, []diff.Change{start}, false, diff.High,
			"profile override for settings[device_vendor_msft_policy_config_start: Start › Hide sleep"},
		{"type override", []Override{{PolicyType: "settingsCatalog", Severity: diff.Low}}, []diff.Change{firewall}, false, diff.Low, "profile override for the type Settings catalog"},
		{"no rows", nil, nil, false, diff.Low, "nothing it configures ranks higher"},
	}
	for _, tt := range tests {
		p := &Profile{Overrides: tt.overrides}
		sev, rule := p.Judge("settingsCatalog", tt.rows, tt.missing)
		if sev != tt.want || rule != tt.rule {
			t.Errorf("%s: %s by %q, want %s by %q", tt.name, sev, rule, tt.want, tt.rule)
		}
	}
}

// TestWithoutRegroupedAssignments: across tenants, an assignment to another
// group id of the same kind and effect is the same assignment; a different
// effect, an extra group or all devices are still drift.
func TestWithoutRegroupedAssignments(t *testing.T) {
	row := func(kind diff.Kind, path, value string) diff.Change {
		c := diff.Change{Section: diff.SectionAssignments, Path: path, Kind: kind}
		if kind == diff.Removed {
			c.Old = value
		} else {
			c.New = value
		}
		return c
	}
	changes := []diff.Change{
		row(diff.Removed, "assignments[group:aaa]", "Included"),
		row(diff.Added, "assignments[group:bbb]", "Included"),
		row(diff.Removed, "assignments[exclude:ccc]", "Excluded"),
		row(diff.Added, "assignments[exclude:ddd]", "Excluded"),
		row(diff.Added, "assignments[group:eee]", "Included · filter Kiosks"), // another effect
		row(diff.Added, "assignments[all devices]", "Included"),
		{Section: "BitLocker", Path: "settings[x]", Kind: diff.Changed},
	}
	var got []string
	for _, c := range withoutRegroupedAssignments(changes) {
		got = append(got, c.Path)
	}
	if want := []string{"assignments[group:eee]", "assignments[all devices]", "settings[x]"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("kept %q, want %q", got, want)
	}
}
