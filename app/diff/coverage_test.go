package diff

import (
	"fmt"
	"os"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// TestDictionaryCoverage measures how many setting rows of the three shared
// exports read with Intune's own names (issue 9's figure): every
// settings-catalog and intent row, and every choice value among them. Other
// rows (Graph properties, OMA-URIs, administrative templates) have no
// dictionary; they are counted for scale.
func TestDictionaryCoverage(t *testing.T) {
	var total coverage
	for _, export := range []string{"Azure-securedworkstation", "CES2026-IntuneCD", "OpenIntuneBaseline"} {
		var c coverage
		err := intune.Read(os.DirFS(shareddata.Dir(t, "intune", export)), func(e intune.Entry) error {
			if e.Object == nil {
				return nil
			}
			for _, s := range Settings(e.Object.Payload) {
				switch s.Section {
				case SectionProperties, SectionAssignments, SectionScript:
					continue
				}
				c.rows++
				if s.About.Name == "" {
					continue // not a settings-catalog or intent row
				}
				c.catalog++
				known := s.About.known
				if known != nil && known.Name != "" {
					c.named++
				}
				if s.ValueID != "" {
					c.choices++
					if _, ok := known.OptionLabel(s.ValueID); known != nil && ok {
						c.labelled++
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-25s %s", export, c.report())
		total.rows, total.catalog, total.named = total.rows+c.rows, total.catalog+c.catalog, total.named+c.named
		total.choices, total.labelled = total.choices+c.choices, total.labelled+c.labelled
	}
	t.Logf("%-25s %s", "all three", total.report())
	if total.catalog < 1000 || total.named*100 < total.catalog*95 || total.labelled*100 < total.choices*95 {
		t.Errorf("the dictionary names %d of %d settings-catalog rows and labels %d of %d choice values, want 95%% or more",
			total.named, total.catalog, total.labelled, total.choices)
	}
}

// coverage counts rows: all setting rows, the settings-catalog and intent ones,
// those the dictionary names, their choice values and those it labels.
type coverage struct{ rows, catalog, named, choices, labelled int }

func (c coverage) report() string {
	return fmt.Sprintf("setting rows %5d, settings-catalog rows %5d, named by the dictionary %5d (%.1f%%), choice values %5d, with option labels %5d (%.1f%%)",
		c.rows, c.catalog, c.named, percent(c.named, c.catalog), c.choices, c.labelled, percent(c.labelled, c.choices))
}

func percent(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}
