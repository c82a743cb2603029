package diff

import (
	"fmt"
	"strings"
)

// nouns name what changed rows are, in the order a summary lists them.
var nouns = []struct{ one, many string }{
	{"setting", "settings"},
	{"property", "properties"},
	{"assignment", "assignments"},
	{"script line", "script lines"},
	{"template reference", "template references"},
}

// Summary says in one line what changed, for version timelines:
// "3 settings changed, 1 added; 1 assignment added".
func Summary(changes []Change) string {
	if len(changes) == 0 {
		return "No changes"
	}
	counts := make([]map[Kind]int, len(nouns))
	for i := range counts {
		counts[i] = map[Kind]int{}
	}
	for _, c := range changes {
		counts[nounOf(c)][c.Kind]++
	}
	var groups []string
	for i, n := range nouns {
		var parts []string
		for _, k := range []Kind{Changed, Added, Removed} {
			count := counts[i][k]
			if count == 0 {
				continue
			}
			if len(parts) == 0 {
				noun := n.many
				if count == 1 {
					noun = n.one
				}
				parts = append(parts, fmt.Sprintf("%d %s %s", count, noun, k))
			} else {
				parts = append(parts, fmt.Sprintf("%d %s", count, k))
			}
		}
		if len(parts) > 0 {
			groups = append(groups, strings.Join(parts, ", "))
		}
	}
	return strings.Join(groups, "; ")
}

func nounOf(c Change) int {
	switch {
	case isTemplateReference(c.Path):
		return 4
	case c.Section == SectionProperties:
		return 1
	case c.Section == SectionAssignments:
		return 2
	case c.Section == SectionScript:
		return 3
	}
	return 0
}
