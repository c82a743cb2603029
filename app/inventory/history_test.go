package inventory

import (
	"os"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// descriptionEdit is a real policy before and after an admin changed its description.
type descriptionEdit struct {
	path          string
	before, after []byte
	want          string // the timeline's summary of the edit
}

// descriptionEdits is every OpenIntuneBaseline policy against a copy with its
// description edited (the whole payload is flattened either way), and
// against a copy without it.
func descriptionEdits(tb testing.TB) []descriptionEdit {
	tb.Helper()
	var edits []descriptionEdit
	err := intune.Read(os.DirFS(shareddata.Dir(tb, "intune", "OpenIntuneBaseline")), func(e intune.Entry) error {
		if e.Object == nil {
			return nil
		}
		if m, ok := e.Object.Payload.(map[string]any); ok {
			edited := "1 property added"
			if _, had := m["description"]; had {
				edited = "1 property changed"
				delete(m, "description")
				edits = append(edits, descriptionEdit{e.Path + " without description", e.Object.Canonical, intune.Canonical(m), "1 property removed"})
			}
			m["description"] = "edited"
			edits = append(edits, descriptionEdit{e.Path, e.Object.Canonical, intune.Canonical(m), edited})
		}
		return nil
	})
	if err != nil || len(edits) == 0 {
		tb.Fatalf("no policies: %v", err)
	}
	return edits
}

func TestChangeSummary(t *testing.T) {
	for _, e := range descriptionEdits(t) {
		if s, err := changeSummary(e.before, e.after); err != nil || s != e.want {
			t.Errorf("%s: summary %q (%v), want %q", e.path, s, err, e.want)
		}
	}
}

// BenchmarkChangeSummary is what the sync adds per changed policy.
func BenchmarkChangeSummary(b *testing.B) {
	edits := descriptionEdits(b)
	for b.Loop() {
		for _, e := range edits {
			if _, err := changeSummary(e.before, e.after); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(edits)), "µs/policy")
}
