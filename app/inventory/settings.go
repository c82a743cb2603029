package inventory

import (
	"bytes"
	"encoding/json"
	"strings"

	"atlas/app/diff"
)

// DecodePayload parses a stored canonical payload, keeping numbers exact.
func DecodePayload(canonical []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(canonical))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v)
}

// SettingSection is one group of a policy's readable rows (a settings-catalog
// category, "Settings", "Properties", "Script"), as diff.Settings names them.
type SettingSection struct {
	Name string
	Rows []SettingRow
}

// SettingRow is one readable row; a multi-line value (a script) is shown as a block.
type SettingRow struct {
	diff.Setting
	Multiline bool
}

// Nest is how far the page indents the row: a child of a choice option or
// group sits under it, as in Intune's portal (four steps at most).
func (r SettingRow) Nest() int { return min(r.About.Depth, 4) }

// sections splits a payload's readable rows (diff.Settings, the same rows a
// version diff compares) into the settings sections and the assignments,
// named by names.
func sections(payload any, names diff.Names) (settings []SettingSection, assignments []diff.Setting) {
	var rows []diff.Setting
	for _, s := range names.Settings(payload) {
		if s.Section == diff.SectionAssignments {
			assignments = append(assignments, s)
			continue
		}
		rows = append(rows, s)
	}
	return group(rows), assignments
}

// group splits rows in page order into their sections.
func group(rows []diff.Setting) []SettingSection {
	var out []SettingSection
	for _, s := range rows {
		if n := len(out); n == 0 || out[n-1].Name != s.Section {
			out = append(out, SettingSection{Name: s.Section})
		}
		last := &out[len(out)-1]
		last.Rows = append(last.Rows, SettingRow{Setting: s, Multiline: strings.Contains(s.Value, "\n")})
	}
	return out
}

// IndentJSON lays canonical JSON out for reading.
func IndentJSON(canonical []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, canonical, "", "  "); err != nil {
		return string(canonical)
	}
	return b.String()
}
