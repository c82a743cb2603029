package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"
)

var funcs = template.FuncMap{
	"when":           When,
	"duration":       Duration,
	"num":            Number,
	"add":            func(a, b int) int { return a + b },
	"title":          Title,
	"runURL":         RunURL,
	"chooserFormURL": ChooserFormURL,
	"profileURL":     ProfileURL,
	"snapshotURL":    SnapshotURL,
	"formKey":        formKeyInput,
}

// When renders a timestamp as a <time> element: app.js shows it relative, the title keeps the exact UTC time.
func When(t time.Time) template.HTML {
	if t.IsZero() {
		return template.HTML(`<span class="muted">—</span>`)
	}
	exact := t.UTC().Format("2006-01-02 15:04:05 UTC")
	return template.HTML(fmt.Sprintf(`<time datetime="%s" title="%s">%s</time>`,
		t.UTC().Format(time.RFC3339), exact, exact))
}

// Duration renders d the way UI.md asks: "1 m 12 s", "3 h 5 m", "840 ms".
func Duration(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d m %d s", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h %d m", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%d d %d h", int(d.Hours())/24, int(d.Hours())%24)
}

// Number renders n with thousands separators: 1,000,000.
func Number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Title upper-cases the first letter: "readonly" → "Readonly".
func Title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// htmlEscaper escapes as html/template does in element content and quoted
// attributes: the same seven characters, the same entities.
var htmlEscaper = strings.NewReplacer("\x00", "\uFFFD", `"`, "&#34;", "&", "&amp;", "'", "&#39;", "+", "&#43;", "<", "&lt;", ">", "&gt;")

// EscapeHTML is s escaped for element content or a quoted attribute, byte for
// byte as html/template escapes it: for markup a page writes in Go.
func EscapeHTML(s string) string { return htmlEscaper.Replace(s) }
