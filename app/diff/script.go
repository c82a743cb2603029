package diff

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// scriptKeys are the fields that hold a script or a profile as base64 text,
// by the label they get.
var scriptKeys = map[string]string{
	"scriptContent":            "Script content",
	"detectionScriptContent":   "Detection script",
	"remediationScriptContent": "Remediation script",
	"payload":                  "Payload",
}

// text makes one row of a base64 field (a script, a profile, an OMA-URI's
// XML), holding the decoded text so that a change is shown line by line.
func (f *flat) text(path, section, label string, v any) {
	s, ok := v.(string)
	if !ok {
		f.value(path, section, label, v)
		return
	}
	r := row{path: path, section: section, label: label, key: path, raw: canonical(v), display: s, text: true}
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s)); err == nil {
		if utf8.Valid(b) {
			r.display = strings.TrimPrefix(string(b), "\ufeff")
		} else {
			r.display, r.text = fmt.Sprintf("(binary, %d bytes)", len(b)), false
		}
	}
	f.leaf(r)
}

// base64Values are the OMA-URI setting types whose value Graph holds as base64.
var base64Values = map[string]bool{
	"#microsoft.graph.omaSettingStringXml": true,
	"#microsoft.graph.omaSettingBase64":    true,
}

// maxLineMatrix bounds the line-matching work on two texts (lines × lines);
// beyond it the differing middle is shown as replaced line for line.
const maxLineMatrix = 4 << 20

// lineChanges compares two texts line by line: unchanged lines are skipped,
// a replaced line is one change, inserted and deleted lines are added and
// removed rows. Paths number the changes in order; the matching is symmetric,
// so comparing the other way round gives the mirror image.
func lineChanges(a, b *row) []Change {
	x, y := splitLines(a.display), splitLines(b.display)
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	var out []Change
	add := func(kind Kind, oldLine, newLine int) {
		c := Change{Path: fmt.Sprintf("%s#line%05d", a.path, len(out)+1), Section: a.section, Key: a.key, Kind: kind}
		switch kind {
		case Removed:
			c.Old, c.Label = x[oldLine], fmt.Sprintf("%s › line %d", a.name(), oldLine+1)
		case Added:
			c.New, c.Label = y[newLine], fmt.Sprintf("%s › line %d", a.name(), newLine+1)
		default:
			c.Old, c.New, c.Label = x[oldLine], y[newLine], fmt.Sprintf("%s › line %d", a.name(), newLine+1)
		}
		out = append(out, c)
	}
	var hunkOld, hunkNew []int
	flush := func() {
		for k := 0; k < max(len(hunkOld), len(hunkNew)); k++ {
			switch {
			case k < len(hunkOld) && k < len(hunkNew):
				add(Changed, hunkOld[k], hunkNew[k])
			case k < len(hunkOld):
				add(Removed, hunkOld[k], 0)
			default:
				add(Added, 0, hunkNew[k])
			}
		}
		hunkOld, hunkNew = hunkOld[:0], hunkNew[:0]
	}
	for _, s := range editScript(mx, my) {
		switch s.op {
		case '=':
			flush()
		case '-':
			hunkOld = append(hunkOld, pre+s.i)
		case '+':
			hunkNew = append(hunkNew, pre+s.j)
		}
	}
	flush()
	return out
}

type edit struct {
	op   byte // '=', '-', '+'
	i, j int
}

// editScript is a longest-common-subsequence alignment of two line lists. On
// a tie it drops the smaller line first, whichever side it is on, which makes
// the alignment of (b, a) the mirror of (a, b).
func editScript(x, y []string) []edit {
	n, m := len(x), len(y)
	if n*m > maxLineMatrix {
		var out []edit
		for i := range x {
			out = append(out, edit{'-', i, 0})
		}
		for j := range y {
			out = append(out, edit{'+', 0, j})
		}
		return out
	}
	lcs := make([]int32, (n+1)*(m+1))
	at := func(i, j int) int32 { return lcs[i*(m+1)+j] }
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case x[i] == y[j]:
				lcs[i*(m+1)+j] = at(i+1, j+1) + 1
			default:
				lcs[i*(m+1)+j] = max(at(i+1, j), at(i, j+1))
			}
		}
	}
	var out []edit
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			out = append(out, edit{'=', i, j})
			i, j = i+1, j+1
		case j == m || i < n && (at(i+1, j) > at(i, j+1) || at(i+1, j) == at(i, j+1) && x[i] < y[j]):
			out = append(out, edit{'-', i, j})
			i++
		default:
			out = append(out, edit{'+', i, j})
			j++
		}
	}
	return out
}

func splitLines(s string) []string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if len(lines) > 1 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}
