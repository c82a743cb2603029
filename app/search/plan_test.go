package search

import (
	"strings"
	"testing"

	"atlas/app/db/dbtest"
)

// TestMatchQueryUsesTheIndex: a search reads the trigram index for one kind's
// rowid range, then each hit's workspace and environment by key; it scans no
// table (100,000 policies must not be read one by one).
func TestMatchQueryUsesTheIndex(t *testing.T) {
	d := dbtest.Open(t)
	plan := dbtest.Plan(t, d.Read, matchQuery, `"fire"`, 3*kindSpan, 4*kindSpan-1, "[1]", "[1]", perKind)
	text := strings.Join(plan, "\n")
	if !strings.HasPrefix(plan[0], "SCAN s VIRTUAL TABLE INDEX") {
		t.Errorf("the search does not start from the index:\n%s", text)
	}
	for _, step := range plan[1:] {
		if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "json_each") {
			t.Errorf("the search scans a table:\n%s", text)
		}
	}
	t.Log(text)
}

func TestMatchExpression(t *testing.T) {
	for q, want := range map[string]string{
		"firewall":        `"firewall"`,
		"win 10 firewall": `"win" "firewall"`,
		`a"b"c`:           `"a""b""c"`,
		"ab":              "",
		"  ":              "",
	} {
		if got := matchExpression(q); got != want {
			t.Errorf("matchExpression(%q) = %s, want %s", q, got, want)
		}
	}
}
