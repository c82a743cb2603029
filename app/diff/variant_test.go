package diff_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/diff"
	"atlas/app/intune/intunetest"
	"atlas/app/shareddata"
)

// sharedExports are the three real exports, whole.
var sharedExports = []string{"OpenIntuneBaseline", "CES2026-IntuneCD", "Azure-securedworkstation"}

// TestDiffOfTheSameExportWrittenAnotherWay: `atlas diff` of a real export and
// the same export as a newer tool, another encoding or Windows PowerShell 5
// writes it exits 0 (issue 9): properties Microsoft added since (null, "",
// [], {}) are no change, nor UTF-16LE with BOM and CRLF against UTF-8, nor
// .NET JSON dates against ISO ones.
func TestDiffOfTheSameExportWrittenAnotherWay(t *testing.T) {
	tests := []struct {
		name string
		enc  intunetest.Encoding
		edit func(any) any
	}{
		{"null-valued and empty properties added everywhere", intunetest.AsFound, intunetest.AddEmpties},
		{"re-encoded as UTF-16LE with BOM and CRLF", intunetest.UTF16CRLF, nil},
		{"re-encoded as UTF-8", intunetest.UTF8, nil},
		{"dates as .NET JSON dates", intunetest.AsFound, intunetest.DotNetDates},
	}
	for _, export := range sharedExports {
		src := shareddata.Dir(t, "intune", export)
		for _, tt := range tests {
			t.Run(export+"/"+tt.name, func(t *testing.T) {
				variant := filepath.Join(t.TempDir(), "variant")
				intunetest.Variant(t, src, variant, tt.enc, tt.edit)
				for _, pair := range [][2]string{{src, variant}, {variant, src}} {
					var out bytes.Buffer
					code, err := diff.Run(pair[0], pair[1], true, &out)
					if err != nil || code != diff.ExitSame {
						t.Fatalf("atlas diff --json %s %s: exit %d, %v\n%.2000s", pair[0], pair[1], code, err, out.String())
					}
					var res struct{ Unchanged, Changed, Added, Removed int }
					if err := json.Unmarshal(out.Bytes(), &res); err != nil || res.Unchanged == 0 || res.Changed+res.Added+res.Removed > 0 {
						t.Errorf("%+v %v", res, err)
					}
				}
			})
		}
	}
}

// TestDiffOfAVariantThatChanged: the variants are not blind: the same export
// with one real setting changed, written the other ways too, differs by it.
func TestDiffOfAVariantThatChanged(t *testing.T) {
	src := shareddata.Dir(t, "intune", "Azure-securedworkstation", "ENT")
	variant := filepath.Join(t.TempDir(), "variant")
	intunetest.Variant(t, src, variant, intunetest.UTF16CRLF, func(v any) any {
		v = intunetest.DotNetDates(intunetest.AddEmpties(v))
		if m, ok := v.(map[string]any); ok && m["passwordMinimumLength"] != nil {
			m["passwordMinimumLength"] = json.Number("21")
		}
		return v
	})
	var out bytes.Buffer
	code, err := diff.Run(src, variant, false, &out)
	if err != nil || code != diff.ExitDiffer || !strings.Contains(out.String(), "Password minimum length") {
		t.Errorf("exit %d, %v:\n%s", code, err, out.String())
	}
	if strings.Contains(out.String(), "newer") {
		t.Errorf("the added empty properties show:\n%s", out.String())
	}
}
