package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                  "—",
		840 * time.Millisecond:        "840 ms",
		12 * time.Second:              "12 s",
		72 * time.Second:              "1 m 12 s",
		3*time.Hour + 5*time.Minute:   "3 h 5 m",
		50*time.Hour + 10*time.Minute: "2 d 2 h",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestNumber(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := Number(n); got != want {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestValidateSlug(t *testing.T) {
	for slug, valid := range map[string]bool{
		"contoso": true, "contoso-prod": true, "a1-b2-c3": true, "x": true,
		"": false, "Contoso": false, "-prod": false, "prod-": false, "pro--d": false, "pro d": false,
		"pro_d": false, "prød": false, strings.Repeat("a", 64): false, strings.Repeat("a", 63): true,
	} {
		if err := ValidateSlug(slug); (err == nil) != valid {
			t.Errorf("ValidateSlug(%q) = %v, want valid=%v", slug, err, valid)
		}
	}
}

func TestHostAllowed(t *testing.T) {
	g := NewGuard([]string{"demo.lan"})
	for host, want := range map[string]bool{
		"localhost:7420": true, "LOCALHOST": true, "127.0.0.1:80": true, "127.8.9.10": true, "[::1]:7420": true,
		"atlas.localhost:7420": true, "demo.lan:7420": true,
		"evil.example": false, "192.168.1.2:7420": false, "localhost.evil.example": false, "": false, "10.0.0.1": false,
	} {
		if got := g.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestWantsFragment(t *testing.T) {
	for _, tt := range []struct {
		request, boosted, restore string
		want                      bool
	}{{"", "", "", false}, {"true", "", "", true}, {"true", "true", "", false},
		{"true", "", "true", false}, // Back, the page not cached: htmx swaps the answer in as the body
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set(HeaderHXRequest, tt.request)
		r.Header.Set(HeaderHXBoosted, tt.boosted)
		r.Header.Set(HeaderHXHistoryRestore, tt.restore)
		if got := WantsFragment(r); got != tt.want {
			t.Errorf("HX-Request %q HX-Boosted %q HX-History-Restore-Request %q: %v", tt.request, tt.boosted, tt.restore, got)
		}
	}
}

var testTemplates = fstest.MapFS{
	"templates/layout.html": {Data: []byte(`{{define "layout"}}<html>{{template "main" .}}</html>{{end}}{{define "main"}}<main>{{template "content" .}}</main>{{end}}`)},
	"templates/error.html":  {Data: []byte(`{{define "content"}}<h1>{{.Title}}</h1><p>{{.Message}}</p>{{end}}`)},
	"static/app.css":        {Data: []byte(`body { margin: 0 }`)},
}

func TestInternalErrorsAreNotShown(t *testing.T) {
	v, err := NewViews(testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		err    error
		status int
		text   string
	}{
		{errors.New("sql: database is locked at /secret/path"), 500, "Something went wrong"},
		{ErrNotFound, 404, "does not exist, or you do not have access"},
		{Errorf(Forbidden, "Needs the manager role"), 403, "Needs the manager role"},
		{&Error{Code: TooManyRequests, Message: "Try again shortly", RetryAfter: 1500 * time.Millisecond}, 429, "Try again shortly"},
	} {
		w := httptest.NewRecorder()
		v.RenderError(w, httptest.NewRequest(http.MethodGet, "/x", nil), tt.err)
		if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.text) || strings.Contains(w.Body.String(), "/secret/path") {
			t.Errorf("%v: %d %q", tt.err, w.Code, w.Body.String())
		}
		if retry := w.Header().Get("Retry-After"); retry != map[int]string{429: "2"}[tt.status] {
			t.Errorf("%v: Retry-After %q", tt.err, retry)
		}
	}
	// An htmx (non-boosted) request gets the fragment, not the whole page.
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/x", nil)
	r.Header.Set(HeaderHXRequest, "true")
	v.RenderError(w, r, ErrNotFound)
	if strings.Contains(w.Body.String(), "<html>") || !strings.Contains(w.Body.String(), "<main>") {
		t.Errorf("fragment: %q", w.Body.String())
	}
}

func TestMissingTemplateFailsAtStartUp(t *testing.T) {
	partial := `{{define "_partial"}}{{with .}}{{template "_nowhere" .}}{{end}}{{end}}`
	for _, tt := range []struct{ name, page, partial, want string }{
		{"page", `{{define "content"}}{{template "_nowhere" .}}{{end}}`, "", "_nowhere"},
		{"inside if's else", `{{define "content"}}{{if .}}x{{else}}{{template "_nowhere" .}}{{end}}{{end}}`, "", "_nowhere"},
		{"inside range and with", `{{define "content"}}{{range .}}{{with .}}{{template "_nowhere" .}}{{end}}{{end}}{{end}}`, "", "_nowhere"},
		{"a partial", `{{define "content"}}x{{end}}`, partial, "_nowhere"},
		// The layout's call, checked against each page.
		{"a page without content", `{{define "title"}}x{{end}}`, "", `undefined template "content"`},
	} {
		broken := fstest.MapFS{
			"templates/layout.html": testTemplates["templates/layout.html"],
			"templates/page.html":   {Data: []byte(tt.page)},
			"static/app.css":        testTemplates["static/app.css"],
		}
		if tt.partial != "" {
			broken["templates/_partial.html"] = &fstest.MapFile{Data: []byte(tt.partial)}
		}
		if _, err := NewViews(broken); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewViews = %v, want an error naming %s", tt.name, err, tt.want)
		}
	}
}

// The session cookie stays under securecookie's limit whatever the flashes
// echo: long messages of 4-byte characters, queued by posts that never render.
func TestFlashesFitTheCookie(t *testing.T) {
	store, err := NewSessions(t.TempDir() + "/session.keys")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	raw, _ := store.store.New(r, CookieName)
	s := &Session{raw: raw, UserID: 1 << 62, WorkspaceID: 1 << 62, EnvironmentID: 1 << 62, EnvironmentSlug: strings.Repeat("a", 63)}
	for range 10 {
		s.AddFlash("success", "Workspace "+strings.Repeat("😀", 9<<20/4)+" created.")
	}
	w := httptest.NewRecorder()
	if err := s.save(w, r); err != nil {
		t.Fatalf("save: %v", err)
	}
	cookie := w.Header().Get("Set-Cookie")
	if len(s.Flashes) != maxFlashes || len(cookie) > 4096+200 {
		t.Errorf("%d flashes, cookie of %d bytes", len(s.Flashes), len(cookie))
	}
	if got := []rune(s.Flashes[0].Message); len(got) != maxFlashLength || got[len(got)-1] != '…' {
		t.Errorf("flash of %d characters, ending %q", len(got), got[len(got)-1])
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		typed  string
		stored string // when valid
		want   string // the error, "" when valid
	}{
		{"Contoso Ltd", "Contoso Ltd", ""},
		{"  Contoso Ltd \r\n", "Contoso Ltd", ""},
		{"Cafe\u0301", "Caf\u00e9", ""}, // NFC: e and a combining acute are é
		{strings.Repeat("e\u0301", MaxNameLength), strings.Repeat("é", MaxNameLength), ""},
		{strings.Repeat("😀", MaxNameLength), strings.Repeat("😀", MaxNameLength), ""},
		{"Ünïcødé – Straße ❤️ 東京", "Ünïcødé – Straße ❤️ 東京", ""}, // U+FE0F, the emoji's variation selector, is kept
		{"", "", "A name is required."},
		{" \t ", "", "A name is required."},
		{strings.Repeat("a", MaxNameLength+1), "", "A name is at most 200 characters; this one has 201."},
		{strings.Repeat("x", 9<<20), "", "this one has 9,437,184."},
		// Up to 8× the limit a name is counted composed; beyond, as typed (NFC cannot bring it under).
		{strings.Repeat("e\u0301", 4*MaxNameLength), "", "this one has 800."},
		{strings.Repeat("e\u0301", 4*MaxNameLength) + "e", "", "this one has 1,601."},
		{"Contoso\nLtd", "", "no line breaks"},
		{"Contoso\tLtd", "", "no line breaks"},
		{"Contoso\x00", "", "no line breaks"},
		{"Contoso\u0085Ltd", "", "no line breaks"},
		{"Contoso\u2028Ltd", "", "no line breaks"},
		{"Contoso \xff", "", "not valid text (UTF-8)"},
		{"Contoso\u202Edtl", "", "invisible characters (this one has U+202E)"},
		{"\u2066Contoso\u2069", "", "U+2066"},
		{"Contoso\u200B", "", "U+200B"},
		{"\uFEFFContoso", "", "U+FEFF"},
		{"Con\u00ADtoso", "", "U+00AD"},
		{"Contoso\U000E0041", "", "U+E0041"},
		{"\u3164", "", "U+3164"},
	}
	for _, tt := range tests {
		got, err := ParseName(tt.typed)
		var e *Error
		switch {
		case tt.want == "" && (err != nil || got != tt.stored):
			t.Errorf("ParseName(%.20q) = %.20q, %v; want %.20q", tt.typed, got, err, tt.stored)
		case tt.want != "" && (!errors.As(err, &e) || e.Code != Invalid || !strings.Contains(e.Message, tt.want)):
			t.Errorf("ParseName(%.20q) = %v, want an Invalid error with %q", tt.typed, err, tt.want)
		}
	}
	if got, err := ParseOptionalName("  "); got != "" || err != nil {
		t.Errorf("ParseOptionalName(blank) = %q, %v; want no name", got, err)
	}
	if _, err := ParseOptionalName("\u200B"); err == nil {
		t.Errorf("ParseOptionalName(a zero-width space) is accepted")
	}
}

// FuzzParseName: a name accepted is stored as ParseName would store it again
// (trimmed, NFC), bounded, one line, with nothing invisible in it; its key is
// a fixed point of NameKey.
func FuzzParseName(f *testing.F) {
	for _, seed := range []string{"Contoso Ltd", " Cafe\u0301 ", "Straße", "\u202Eabc", "a\u200Db", "\u0345", "\u1E9E", "İstanbul", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, typed string) {
		name, err := ParseName(typed)
		if err != nil {
			return
		}
		if again, err := ParseName(name); err != nil || again != name {
			t.Fatalf("ParseName(%+q) = %+q, which parses as %+q, %v", typed, name, again, err)
		}
		if !norm.NFC.IsNormalString(name) || utf8.RuneCountInString(name) > MaxNameLength || strings.TrimSpace(name) != name {
			t.Fatalf("ParseName(%+q) = %+q: not NFC, too long or not trimmed", typed, name)
		}
		if i := strings.IndexFunc(name, func(r rune) bool { return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) }); i >= 0 {
			t.Fatalf("ParseName(%+q) = %+q holds a control or format character", typed, name)
		}
		if key := NameKey(name); NameKey(key) != key {
			t.Fatalf("NameKey(%+q) = %+q, whose key is %+q", name, key, NameKey(key))
		}
	})
}

func TestNameKey(t *testing.T) {
	same := [][2]string{
		{"Production", "PRODUCTION"},
		{"Straße", "STRASSE"},       // full case folding
		{"Caf\u00e9", "CAFE\u0301"}, // and canonical equivalence
		{"Σίσυφος", "ΣΊΣΥΦΟΣ"},
	}
	for _, p := range same {
		if NameKey(p[0]) != NameKey(p[1]) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: want one key", p[0], NameKey(p[0]), p[1], NameKey(p[1]))
		}
	}
	if NameKey("Production") == NameKey("Production 2") || NameKey("Cafe") == NameKey("Café") {
		t.Errorf("different names share a key")
	}
}

func TestValidateSearch(t *testing.T) {
	if err := ValidateSearch(strings.Repeat("é", MaxSearchLength)); err != nil {
		t.Errorf("200 characters: %v", err)
	}
	if err := ValidateSearch(strings.Repeat("a", MaxSearchLength+1)); err == nil || !strings.Contains(err.Error(), "The search is too long") {
		t.Errorf("201 characters: %v", err)
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"exactly10!", 10, "exactly10!"},
		{"eleven long", 10, "eleven lo…"},
		{"ééééé", 3, "éé…"},
		{"ok\xffbad", 10, "ok\uFFFDbad"},
		{"\xff\xff\xff\xff", 3, "\uFFFD…"},
	} {
		if got := Truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// A fingerprint is the content's: the same bytes keep their URL, changed bytes get another.
func TestFingerprintFollowsContent(t *testing.T) {
	url := func(css string) string {
		a, err := NewAssets(fstest.MapFS{"static/app.css": {Data: []byte(css)}})
		if err != nil {
			t.Fatal(err)
		}
		u, err := a.URL("app.css")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	first, again, changed := url("body { margin: 0 }"), url("body { margin: 0 }"), url("body { margin: 1px }")
	if first != again || first == changed || !strings.HasPrefix(first, "/static/app.") || !strings.HasSuffix(first, ".css") {
		t.Errorf("URLs %s, %s (same content), %s (changed)", first, again, changed)
	}
	a, err := NewAssets(testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.URL("missing.js"); err == nil {
		t.Error("a missing static file has a URL")
	}
}

// formKeyRequest is a form post carrying key as its form key.
func formKeyRequest(key string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{FormKeyField: {key}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestFormKey(t *testing.T) {
	fresh := NewFormKey()
	for key, ok := range map[string]bool{
		"":                                  true, // a form without one: the command line's, a script's
		fresh:                               true,
		strings.ToLower(fresh):              false,
		fresh[:25]:                          false,
		strings.Repeat("A", 65):             false,
		"../../etc/passwd%00AAAAAAAAAAAAAA": false,
		"<script>alert(1)</script>AAAAAAAA": false,
	} {
		got, err := FormKey(formKeyRequest(key))
		switch {
		case ok && (err != nil || got != key):
			t.Errorf("FormKey(%q) = %q, %v; want it back", key, got, err)
		case !ok && (Classify(err).Code != Invalid || got != ""):
			t.Errorf("FormKey(%q) = %q, %v; want an invalid-input error", key, got, err)
		}
	}
	if NewFormKey() == fresh {
		t.Error("two form keys are the same")
	}
}

// FuzzFormKey: whatever a form sends, FormKey gives it back as a key Atlas could
// have made, or refuses it as invalid input; never anything else.
func FuzzFormKey(f *testing.F) {
	f.Add(NewFormKey())
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAA\x00")
	f.Fuzz(func(t *testing.T, key string) {
		got, err := FormKey(formKeyRequest(key))
		if err != nil {
			if Classify(err).Code != Invalid || got != "" {
				t.Fatalf("FormKey(%q) = %q, %v", key, got, err)
			}
			return
		}
		if got != key || (key != "" && (len(key) < 26 || len(key) > 64 || strings.Trim(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "")) {
			t.Fatalf("FormKey(%q) accepted %q", key, got)
		}
	})
}
