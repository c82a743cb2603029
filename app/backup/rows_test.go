package backup

import (
	"fmt"
	"html/template"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"

	"atlas/app/access"
	"atlas/app/intune"
	"atlas/app/web"
	"atlas/assets"
)

// BenchmarkSetPage1000 renders a backup set's page of 1,000 items (issue 13's
// 1,000-row page): the template alone, no query.
func BenchmarkSetPage1000(b *testing.B) {
	views, err := web.NewViews(assets.FS)
	if err != nil {
		b.Fatal(err)
	}
	env := &access.Environment{Slug: "pilot", Name: "Pilot"}
	var items []*Item
	for i := range 1000 {
		t, _ := intune.TypeByKey([]string{"deviceConfigurations", "configurationPolicies", "deviceCompliancePolicies"}[i%3])
		items = append(items, &Item{ID: int64(i + 1), PolicyID: int64(i + 1), VersionNumber: i % 7, Type: t,
			DisplayName: fmt.Sprintf("Win - OIB - Policy <%d> & more", i), Platform: "windows10", Coverage: "restorable", CoverageReason: "Graph round-trips it"})
	}
	page := &detailPage{Page: web.Page{Title: "Weekly"}, Environment: env, Set: &Set{ID: 15, Name: "Weekly", Status: "complete", ItemCount: 1000},
		Groups: groupItems(items), Layouts: Layouts}
	req := httptest.NewRequest("GET", "/admin/w/acme/t/pilot/backups/15", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		if err := views.Render(w, req, 200, "backup/detail", page); err != nil {
			b.Fatal(err)
		}
	}
}

// itemRowsTemplate is the rows' markup as the page's template held it before
// ItemGroup.Rows wrote it: the definition Rows must read as.
const itemRowsTemplate = `{{range .Items}}<tr>
<td><a href="{{$.Environment}}/policies/{{.PolicyID}}">{{.DisplayName}}</a></td>
<td>{{.Platform}}</td>
<td>{{if .VersionNumber}}{{.VersionNumber}}{{else}}<span class="muted">—</span>{{end}}</td>
<td><span class="badge badge-{{.Coverage}}">{{.Coverage}}</span> <span class="muted">{{.CoverageReason}}</span></td>
</tr>{{end}}`

// TestItemRowsReadAsTheTemplate compares Rows with html/template rendering the
// same markup, on random items whose text holds every character it escapes.
func TestItemRowsReadAsTheTemplate(t *testing.T) {
	tmpl := template.Must(template.New("rows").Parse(itemRowsTemplate))
	rnd := rand.New(rand.NewPCG(13, 1000))
	alphabet := []string{"a", "Z", "0", " ", "<", ">", "&", "'", "\"", "+", "\x00", "é", "—", "\ufdd0", "\uffff", "\xff", "=", "`", "/", "%", ";"}
	text := func() string {
		var b strings.Builder
		for range rnd.IntN(12) {
			b.WriteString(alphabet[rnd.IntN(len(alphabet))])
		}
		return b.String()
	}
	for round := range 200 {
		var g ItemGroup
		for range rnd.IntN(5) {
			g.Items = append(g.Items, &Item{PolicyID: rnd.Int64N(1 << 40), VersionNumber: rnd.IntN(3) * rnd.IntN(100),
				DisplayName: text(), Platform: text(), Coverage: text(), CoverageReason: text()})
		}
		env := web.EnvironmentURL("acme", []string{"prod", "pilot-2", "a1-b2-c3"}[round%3], "")
		var want strings.Builder
		if err := tmpl.Execute(&want, struct {
			Environment string
			Items       []*Item
		}{env, g.Items}); err != nil {
			t.Fatal(err)
		}
		if got := string(g.Rows(env)); got != want.String() {
			t.Fatalf("round %d: Rows wrote\n%q\nthe template\n%q", round, got, want.String())
		}
	}
}
