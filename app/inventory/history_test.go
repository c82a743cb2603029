package inventory

import (
	"os"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// BenchmarkChangeSummary is what the sync adds per changed policy: the
// timeline's summary of every OpenIntuneBaseline policy against a copy with
// its description edited (the whole payload is flattened either way).
func BenchmarkChangeSummary(b *testing.B) {
	type pair struct{ before, after []byte }
	var pairs []pair
	err := intune.Read(os.DirFS(shareddata.Dir(b, "intune", "OpenIntuneBaseline")), func(e intune.Entry) error {
		if e.Object == nil {
			return nil
		}
		if m, ok := e.Object.Payload.(map[string]any); ok {
			m["description"] = "edited"
			pairs = append(pairs, pair{e.Object.Canonical, intune.Canonical(m)})
		}
		return nil
	})
	if err != nil || len(pairs) == 0 {
		b.Fatalf("no policies: %v", err)
	}
	for b.Loop() {
		for _, p := range pairs {
			if s, err := changeSummary(p.before, p.after); err != nil || s != "1 property changed" && s != "1 property added" {
				b.Fatalf("summary %q, %v", s, err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(pairs)), "µs/policy")
}
