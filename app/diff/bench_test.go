package diff

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// catalogPair builds two settings-catalog policies of n settings from the real
// exports' setting instances (every kind: choice, simple, collections, groups,
// nested children), the second with every 50th choice value changed.
func catalogPair(b testing.TB, n int) (old, new any) {
	var settings []any
	err := intune.Read(os.DirFS(shareddata.Dir(b, "intune")), func(e intune.Entry) error {
		if e.Object != nil && e.Object.Type.Key == "settingsCatalog" {
			if s, ok := e.Object.Payload.(map[string]any)["settings"].([]any); ok {
				settings = append(settings, s...)
			}
		}
		return nil
	})
	if err != nil || len(settings) == 0 {
		b.Fatalf("no real settings: %v", err)
	}
	build := func(changed bool) any {
		list := make([]any, n)
		for i := range list {
			// Copies get their own ids, so every row of the policy is distinct.
			list[i] = renamed(settings[i%len(settings)], fmt.Sprintf("_%d", i/len(settings)), changed && i%50 == 0)
		}
		return intune.Normalize(map[string]any{"name": "Benchmark", "platforms": "windows10", "technologies": "mdm", "settings": list})
	}
	return build(false), build(true)
}

// renamed copies a setting tree with suffix appended to every definition and
// value id; change also bumps choice values.
func renamed(v any, suffix string, change bool) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = renamed(e, suffix, change)
			if s, ok := e.(string); ok && (k == "settingDefinitionId" || k == "value" && strings.Contains(s, "_")) {
				m[k] = s + suffix
				if change && k == "value" {
					m[k] = s + suffix + "_changed"
				}
			}
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = renamed(e, suffix, change)
		}
		return a
	}
	return v
}

// BenchmarkCompareSettingsCatalog1000 diffs two settings-catalog policies of
// 1,000 settings each (issue 13 reports diff throughput in settings/s: the
// rows of a side compared per second).
func BenchmarkCompareSettingsCatalog1000(b *testing.B) {
	old, new := catalogPair(b, 1000)
	res := Payloads(old, new)
	if len(res.Changes) == 0 || res.Unchanged < 1000 {
		b.Fatalf("pair gives %d changes, %d unchanged", len(res.Changes), res.Unchanged)
	}
	b.ReportAllocs()
	for b.Loop() {
		Payloads(old, new)
	}
	b.ReportMetric(float64(len(res.Changes)), "changes")
	b.ReportMetric(float64(len(res.Changes)+res.Unchanged), "rows")
	b.ReportMetric(float64(len(res.Changes)+res.Unchanged)*float64(b.N)/b.Elapsed().Seconds(), "settings/s")
}
