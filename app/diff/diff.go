// Package diff compares two normalised policy payloads of the same type and
// says what changed in a consultant's words (issue 5): settings-catalog trees,
// administrative templates, flat properties, OMA-URI lists, assignments and
// scripts become rows with stable paths and readable labels — settings in
// Intune's own names (package catalog, issue 9) — so a change reads
// "Require Device Encryption: Enabled → Disabled" rather than a JSON path with
// array indexes and option ids.
package diff

import (
	"slices"
	"strings"

	"atlas/app/catalog"
)

// Kind says how a row differs between the old and the new payload.
type Kind string

const (
	Added   Kind = "added"
	Removed Kind = "removed"
	Changed Kind = "changed"
)

// Severity is a hint for triage, decided by the rule table in severity.go.
type Severity string

const (
	High   Severity = "high"
	Medium Severity = "medium"
	Low    Severity = "low"
)

// Change is one difference between two payloads.
type Change struct {
	// Path is stable across versions: it is built from natural keys
	// (setting definition ids, OMA-URIs, assignment targets, property names),
	// never from an array index alone: "settings[<id>]/<child id>",
	// "omaSettings[<uri>].value", "assignments[group:<id>]", "a.b[<key>]".
	// Suffixes mark the rest: "#line00002" the 2nd line change of a script,
	// "#template" a setting's template references, "#order" a reordered list,
	// "[#<hash>]" a list element without a natural key.
	Path string
	// Section groups changes on a page: a settings-catalog category
	// ("BitLocker", "Defender"), "Settings", "Properties", "Assignments" or "Script".
	Section string
	// Label is the human name of the setting ("BitLocker › Fixed drives encryption type").
	Label string
	// Key is the raw identifier behind Label (definition id, OMA-URI, property
	// name, group id), for small grey text.
	Key      string
	Kind     Kind
	Old, New string // display values; empty on the side where the row is absent
	// OldID and NewID hold the raw choice value id behind a humanised value
	// ("…_encryptionmethodwithxtsosdropdown_name_7" behind "XTS-AES 256").
	OldID, NewID string
	Severity     Severity
	// About is what Intune's dictionary says of a setting row.
	About About
}

// About is what Intune's settings dictionary (package catalog) says of a
// settings-catalog or intent setting row; the zero value for other rows.
type About struct {
	Name     string // the setting's own name, without its parents' ("Require Device Encryption")
	Depth    int    // how deep it is nested: 1 for a child of a choice option or group…
	CSP      string // "./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption"
	Category string // Intune's category of the setting
	Risk     string // Intune's risk level when it is not low
	Unlisted bool   // the dictionary does not know the setting: its name is made from its id
	known    *catalog.Definition
}

// Description is Intune's description of the setting, "" when there is none.
func (a About) Description() string {
	if a.known == nil {
		return ""
	}
	return a.known.Description()
}

// Names are the display names an export gives the ids its assignments
// reference — groups and assignment filters (IntuneManagement's
// MigrationTable.json) — so that a row reads "Group Pilot devices" rather than
// an object id. Settings are named by the dictionary in use (catalog.Active).
type Names map[string]string

// Result is a comparison with the count of rows that did not change (settings,
// properties, assignments, scripts), so pages can collapse them behind
// "42 unchanged settings".
type Result struct {
	Changes   []Change
	Unchanged int
	// ReadSame counts rows stored differently on each side that read the same
	// ("1" and 1, a template reference's bookkeeping): no change is shown for
	// them (issue 9), but a difference of canonical JSON is never unexplained.
	// Those that are settings count as Unchanged too.
	ReadSame int
}

// Compare returns the changes from old to new, ordered by section and path.
// Both payloads should be normalised (intune.Normalize) and of the same policy
// type; a nil side stands for an absent policy (everything added or removed).
func Compare(old, new any) []Change { return Names(nil).Compare(old, new) }

// Payloads compares two payloads like Compare and also counts unchanged rows.
func Payloads(old, new any) Result { return Names(nil).Payloads(old, new) }

// Settings lists a payload's rows in page order: a version shown readably
// rather than as JSON, or the unchanged rows a comparison collapses. Order and
// template-reference rows are left out; len(Settings(v)) is the Unchanged
// count of comparing v with itself.
func Settings(v any) []Setting { return Names(nil).Settings(v) }

// Compare is diff.Compare with assignments named by n.
func (n Names) Compare(old, new any) []Change { return n.Payloads(old, new).Changes }

// Payloads is diff.Payloads with assignments named by n.
func (n Names) Payloads(old, new any) Result {
	a, b := flatten(old, n), flatten(new, n)
	pairUnkeyed(a, b)
	ia, ib := index(a.rows), index(b.rows)
	var res Result
	for i := range a.rows {
		ra := &a.rows[i]
		rb, ok := ib[ra.path]
		switch {
		case !ok:
			if b.reports(ra) {
				res.Changes = append(res.Changes, single(ra, Removed))
			}
		case ra.order:
			if !sameRelativeOrder(ra.items, rb.items) {
				res.Changes = append(res.Changes, changed(ra, rb)...)
			}
		case ra.raw != rb.raw:
			if ch := changed(ra, rb); len(ch) > 0 {
				res.Changes = append(res.Changes, ch...)
				break
			}
			res.ReadSame++
			if !ra.meta {
				res.Unchanged++
			}
		case !ra.meta:
			res.Unchanged++
		}
	}
	for j := range b.rows {
		rb := &b.rows[j]
		if _, ok := ia[rb.path]; !ok && a.reports(rb) {
			res.Changes = append(res.Changes, single(&b.rows[j], Added))
		}
	}
	for i := range res.Changes {
		res.Changes[i].Severity = severityOf(&res.Changes[i])
	}
	slices.SortStableFunc(res.Changes, func(x, y Change) int { return pageOrder(x.Section, x.Path, y.Section, y.Path) })
	return res
}

// pageOrder orders rows by section (settings first), then by path.
func pageOrder(sectionX, pathX, sectionY, pathY string) int {
	if c := sectionRank(sectionX) - sectionRank(sectionY); c != 0 {
		return c
	}
	if c := strings.Compare(sectionX, sectionY); c != 0 {
		return c
	}
	return strings.Compare(pathX, pathY)
}

// IsTemplateReference reports a change to a setting's template references
// (the portal's bookkeeping), which pages may fold away like the text output.
func (c Change) IsTemplateReference() bool { return isTemplateReference(c.Path) }

// Setting is one row of a payload as people read it.
type Setting struct {
	Path, Section, Label, Key string
	Value, ValueID            string // ValueID: the raw id behind Value, when it differs
	About                     About
}

// Settings is diff.Settings with assignments named by n.
func (n Names) Settings(v any) []Setting {
	f := flatten(v, n)
	out := make([]Setting, 0, len(f.rows))
	for i := range f.rows {
		r := &f.rows[i]
		if !r.order && !r.meta {
			out = append(out, Setting{Path: r.path, Section: r.section, Label: r.name(), Key: r.key, Value: r.display, ValueID: r.id, About: r.about()})
		}
	}
	slices.SortStableFunc(out, func(x, y Setting) int { return pageOrder(x.Section, x.Path, y.Section, y.Path) })
	return out
}

// reports says whether a row that only the other side has is a change of its
// own. An order row is not: its elements' rows say it all. Nor is an empty
// list whose elements this side has, nor the template references of a
// setting that is itself added or removed.
func (f *flat) reports(r *row) bool {
	switch {
	case r.order:
		return false
	case r.empty:
		return !f.holds(r.path, true)
	case r.meta:
		return f.holds(r.owner, false)
	}
	return true
}

func index(rows []row) map[string]*row {
	m := make(map[string]*row, len(rows))
	for i := range rows {
		m[rows[i].path] = &rows[i]
	}
	return m
}

func single(r *row, k Kind) Change {
	c := Change{Path: r.path, Section: r.section, Label: r.name(), Key: r.key, Kind: k, About: r.about()}
	if k == Removed {
		c.Old, c.OldID = r.display, r.id
	} else {
		c.New, c.NewID = r.display, r.id
	}
	return c
}

// changed turns a row present on both sides into one change, or into line
// changes when it holds text such as a script; into none when both sides read
// the same (issue 9: no "none → none").
func changed(a, b *row) []Change {
	if a.text && b.text {
		if lines := lineChanges(a, b); len(lines) > 0 {
			return lines
		}
	}
	if a.display == b.display && a.id == b.id {
		return nil
	}
	// A value that changed shape (a list become a string) may read differently
	// on each side: take one reading, the same whichever side is old.
	return []Change{{
		Path: a.path, Section: min(a.section, b.section), Label: min(a.name(), b.name()), Key: min(a.key, b.key), Kind: Changed,
		Old: a.display, New: b.display, OldID: a.id, NewID: b.id, About: a.about(),
	}}
}

// sameRelativeOrder reports whether the elements both sides share come in the
// same order: additions and removals have rows of their own.
func sameRelativeOrder(a, b []string) bool {
	inA := make(map[string]bool, len(a))
	for _, k := range a {
		inA[k] = true
	}
	inB := make(map[string]bool, len(b))
	for _, k := range b {
		inB[k] = true
	}
	i, j := 0, 0
	for {
		for i < len(a) && !inB[a[i]] {
			i++
		}
		for j < len(b) && !inA[b[j]] {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if a[i] != b[j] {
			return false
		}
		i++
		j++
	}
}

// Sections that are not settings come after the settings, in this order.
var trailingSections = []string{SectionProperties, SectionAssignments, SectionScript}

const (
	SectionSettings    = "Settings"
	SectionProperties  = "Properties"
	SectionAssignments = "Assignments"
	SectionScript      = "Script"
)

func sectionRank(s string) int {
	return slices.Index(trailingSections, s) + 1
}
