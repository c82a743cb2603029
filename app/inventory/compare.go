package inventory

import (
	"context"
	"strings"

	"atlas/app/db"
	"atlas/app/diff"
)

// Comparison is a diff laid out for the compare pages (UI.md): changes first,
// grouped by section, old on the left and new on the right; what did not
// change collapsed behind a count; both sides' canonical JSON one click away.
type Comparison struct {
	Left, Right Side
	Summary     string
	Sections    []ChangeSection
	// Templates are changes to settings' template references only: the
	// portal's bookkeeping, folded away like atlas diff's text output does.
	Templates []ChangeRow
	Unchanged []SettingSection
	// UnchangedCount is the number of rows in Unchanged.
	UnchangedCount int
}

// Sides are Left and Right, for what the page shows of each alike.
func (c *Comparison) Sides() []Side { return []Side{c.Left, c.Right} }

// Side is one of the two payloads compared: a version, or another policy.
type Side struct {
	Heading  string  // "Version 2", a policy's name
	Detail   string  // more about it: "Pilot · version 3"
	At       db.Time // when it was captured or last seen
	URL      string  // its page, when it is another policy
	JSON     string  // the canonical JSON, indented for reading
	Download string  // where to download the canonical JSON
}

// ChangeSection is the changes of one section ("BitLocker", "Assignments").
type ChangeSection struct {
	Name string
	Rows []ChangeRow
}

// ChangeRow is one changed row; a script's changed lines are one row holding
// them all, shown as one block.
type ChangeRow struct {
	diff.Change
	Lines []ScriptLine
}

// ScriptLine is one line of a script block: class line-added or line-removed.
type ScriptLine struct{ Class, Text string }

// Multiline reports a value that reads as a block (a whole script added or removed).
func (r ChangeRow) Multiline() bool {
	return strings.Contains(r.Old, "\n") || strings.Contains(r.New, "\n")
}

// Compare diffs two canonical payloads into a Comparison, naming groups and
// filters by names; a side "null" is an absent policy (everything added or
// removed).
func Compare(left, right Side, before, after []byte, names diff.Names) (*Comparison, error) {
	old, err := DecodePayload(before)
	if err != nil {
		return nil, err
	}
	new, err := DecodePayload(after)
	if err != nil {
		return nil, err
	}
	left.JSON, right.JSON = IndentJSON(before), IndentJSON(after)
	return Layout(left, right, names.Payloads(old, new).Changes, names.Settings(new)), nil
}

// Layout lays changes out as the compare pages show them: grouped by section,
// a script's line changes as one block, template references apart. settings
// are the right side's rows: they name script blocks, and those the changes
// do not touch are collapsed as unchanged. A drift finding's evidence is laid
// out the same way.
func Layout(left, right Side, changes []diff.Change, settings []diff.Setting) *Comparison {
	c := &Comparison{Left: left, Right: right, Summary: diff.Summary(changes)}
	labels := make(map[string]string, len(settings))
	for _, s := range settings {
		labels[s.Path] = s.Label
	}
	changed := map[string]bool{}
	for _, ch := range changes {
		changed[ch.Path] = true
		if ch.IsTemplateReference() {
			c.Templates = append(c.Templates, ChangeRow{Change: ch})
			continue
		}
		script, isLine := scriptOf(ch)
		if isLine {
			changed[script] = true
		}
		if n := len(c.Sections); n == 0 || c.Sections[n-1].Name != ch.Section {
			c.Sections = append(c.Sections, ChangeSection{Name: ch.Section})
		}
		sec := &c.Sections[len(c.Sections)-1]
		if !isLine {
			sec.Rows = append(sec.Rows, ChangeRow{Change: ch})
			continue
		}
		last := len(sec.Rows) - 1
		if last < 0 || sec.Rows[last].Lines == nil || sec.Rows[last].Path != script {
			row := ChangeRow{Change: diff.Change{Path: script, Section: ch.Section, Label: labels[script], Key: ch.Key, Kind: diff.Changed, Severity: ch.Severity}}
			sec.Rows = append(sec.Rows, row)
			last++
		}
		block := &sec.Rows[last]
		block.Severity = higher(block.Severity, ch.Severity)
		if ch.Kind != diff.Added {
			block.Lines = append(block.Lines, ScriptLine{Class: "line-removed", Text: "- " + ch.Old})
		}
		if ch.Kind != diff.Removed {
			block.Lines = append(block.Lines, ScriptLine{Class: "line-added", Text: "+ " + ch.New})
		}
	}
	var unchanged []diff.Setting
	for _, s := range settings {
		if !changed[s.Path] {
			unchanged = append(unchanged, s)
		}
	}
	c.Unchanged, c.UnchangedCount = group(unchanged), len(unchanged)
	return c
}

// scriptOf is the script row a line change belongs to: diff numbers a text's
// line changes "<path>#lineNNNNN", and the text's row is keyed by its path.
func scriptOf(c diff.Change) (path string, ok bool) {
	path, _, ok = strings.Cut(c.Path, "#line")
	return path, ok && path == c.Key
}

// higher is the more severe of two severities.
func higher(a, b diff.Severity) diff.Severity {
	rank := map[diff.Severity]int{diff.Low: 1, diff.Medium: 2, diff.High: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// comparePayloads reads two stored payloads and compares them, naming groups
// and filters as the exports of the environments they come from do.
func (h *Handlers) comparePayloads(ctx context.Context, left, right Side, beforeHash, afterHash string, environmentIDs ...int64) (*Comparison, error) {
	before, err := Payload(ctx, h.DB.Read, beforeHash)
	if err != nil {
		return nil, err
	}
	after, err := Payload(ctx, h.DB.Read, afterHash)
	if err != nil {
		return nil, err
	}
	names, err := h.objectNames(ctx, environmentIDs...)
	if err != nil {
		return nil, err
	}
	return Compare(left, right, before, after, names)
}
