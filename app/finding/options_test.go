package finding

import (
	"html/template"
	"math/rand/v2"
	"strings"
	"testing"
)

// policyOptionsTemplate is the pin picker's options as the page's template
// held them before PolicyOptions wrote them: the definition they must read as.
const policyOptionsTemplate = `{{range .Policies}}<option value="{{.ID}}"{{if eq .ID $.Selected}} selected{{end}}>{{.Name}}</option>{{end}}`

// TestPolicyOptionsReadAsTheTemplate compares PolicyOptions with html/template
// rendering the same markup, on random names holding every character it escapes.
func TestPolicyOptionsReadAsTheTemplate(t *testing.T) {
	tmpl := template.Must(template.New("options").Parse(policyOptionsTemplate))
	rnd := rand.New(rand.NewPCG(13, 1))
	alphabet := []string{"a", "Z", "0", " ", "<", ">", "&", "'", "\"", "+", "\x00", "é", "\ufdd0", "\xff", "=", "`"}
	for round := range 200 {
		p := &detailPage{Selected: rnd.Int64N(4)}
		for range rnd.IntN(6) {
			var name strings.Builder
			for range rnd.IntN(10) {
				name.WriteString(alphabet[rnd.IntN(len(alphabet))])
			}
			p.Policies = append(p.Policies, PolicyChoice{ID: rnd.Int64N(4), Name: name.String()})
		}
		var want strings.Builder
		if err := tmpl.Execute(&want, p); err != nil {
			t.Fatal(err)
		}
		if got := string(p.PolicyOptions()); got != want.String() {
			t.Fatalf("round %d: PolicyOptions wrote\n%q\nthe template\n%q", round, got, want.String())
		}
	}
}
