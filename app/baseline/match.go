package baseline

import (
	"regexp"
	"strings"

	"atlas/app/diff"
)

// versionMarker is a trailing release marker: "- v3.6", "v3.7", "(v2)", "– V1.0.1".
// Community baselines bump it every release; a name-exact matcher then
// reports each updated policy as missing plus unexpected (issue 10).
var versionMarker = regexp.MustCompile(`(?i)\s*(?:[-–—_:]\s*)?(?:\(\s*v\d+(?:\.\d+)*\s*\)|\bv\d+(?:\.\d+)*)$`)

// MatchName is a display name as matching reads it: case and runs of spaces
// ignored, a trailing version marker dropped.
func MatchName(displayName string) string {
	name := strings.Join(strings.Fields(displayName), " ")
	// A compare reads 20,000 names: the regexp, which tries every position of a
	// name, runs only on the end of one that ends in a marker's shape.
	v := markerStart(name)
	if v < 0 {
		return strings.ToLower(name)
	}
	from := max(0, v-markerLead)
	if stripped := strings.TrimSpace(name[:from] + versionMarker.ReplaceAllString(name[from:], "")); stripped != "" {
		name = stripped
	}
	return strings.ToLower(name)
}

// markerLead is the most a version marker holds before its v, once runs of
// spaces are one: " – ( " is 7 bytes; a byte more keeps the character before
// it, which \b reads.
const markerLead = 12

// markerStart is where the v of a trailing "v1.2", "v3" or "(v2 )" starts in
// name, or -1 when name does not end so (and versionMarker cannot match).
func markerStart(name string) int {
	i := len(name)
	if i > 0 && name[i-1] == ')' {
		i--
		for i > 0 && name[i-1] == ' ' {
			i--
		}
	}
	digits := i
	for i > 0 && (name[i-1] >= '0' && name[i-1] <= '9' || name[i-1] == '.') {
		i--
	}
	if i == digits || i == 0 || name[i-1] != 'v' && name[i-1] != 'V' {
		return -1
	}
	return i - 1
}

// subjectKey names a baseline policy for life, across snapshots and name
// changes: its type and match name.
func subjectKey(policyType, matchName string) string { return policyType + "/" + matchName }

// candidateThreshold is how much two policies' settings must overlap (Jaccard
// over setting definition ids) for one to be proposed as the other's match.
const candidateThreshold = 0.6

// settingKeys is the set of what a payload configures: its settings'
// definition ids (settings catalog), OMA-URIs or property names — not its
// name, description or assignments.
func settingKeys(payload any) map[string]bool {
	keys := map[string]bool{}
	for _, s := range diff.Settings(payload) {
		if s.Section == diff.SectionProperties || s.Section == diff.SectionAssignments {
			continue
		}
		keys[s.Key] = true
	}
	return keys
}

// jaccard is |a ∩ b| / |a ∪ b|; two empty sets do not overlap at all.
func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 && len(b) == 0 {
		return 0
	}
	both := 0
	for k := range a {
		if b[k] {
			both++
		}
	}
	return float64(both) / float64(len(a)+len(b)-both)
}

// servedToMatch reports a change row about what matching reads — a policy's
// name — which is never drift by itself (issue 10).
func servedToMatch(c diff.Change) bool {
	return c.Section == diff.SectionProperties && (c.Path == "displayName" || c.Path == "name")
}

// withoutRegroupedAssignments drops what only a tenant's own group ids make
// differ. Across tenants the same group has another id: an assignment to a
// group removed and one of the same kind (include or exclude) and effect added
// is the same assignment, re-identified — not drift (issue 10: ids never are).
func withoutRegroupedAssignments(changes []diff.Change) []diff.Change {
	type slot struct{ kind, effect string }
	removed := map[slot][]int{}
	for i, c := range changes {
		if kind, ok := groupTarget(c); ok && c.Kind == diff.Removed {
			removed[slot{kind, c.Old}] = append(removed[slot{kind, c.Old}], i)
		}
	}
	drop := map[int]bool{}
	for i, c := range changes {
		kind, ok := groupTarget(c)
		if !ok || c.Kind != diff.Added {
			continue
		}
		if waiting := removed[slot{kind, c.New}]; len(waiting) > 0 {
			drop[waiting[0]], drop[i] = true, true
			removed[slot{kind, c.New}] = waiting[1:]
		}
	}
	kept := make([]diff.Change, 0, len(changes))
	for i, c := range changes {
		if !drop[i] {
			kept = append(kept, c)
		}
	}
	return kept
}

// groupTarget is the kind of a group assignment row ("group" or "exclude").
func groupTarget(c diff.Change) (string, bool) {
	inner, ok := strings.CutPrefix(c.Path, "assignments[")
	kind, _, found := strings.Cut(inner, ":")
	return kind, c.Section == diff.SectionAssignments && ok && found && (kind == "group" || kind == "exclude")
}
