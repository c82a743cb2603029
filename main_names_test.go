package main

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"atlas/app/apptest"
)

// hostileNames are names made to read as another name, or as none: each is
// refused wherever a person gives a name, with the reason as want.
var hostileNames = []struct {
	what, name, want string
}{
	{"right-to-left override", "Contoso\u202Eodd.exe", "invisible characters (this one has U+202E)"},
	{"isolates", "\u2066Contoso\u2069", "U+2066"},
	{"left-to-right mark", "Contoso\u200E", "U+200E"},
	{"Arabic letter mark", "Contoso\u061C", "U+061C"},
	{"zero-width space", "Con\u200Btoso", "U+200B"},
	{"zero-width joiner", "Contoso\u200D", "U+200D"},
	{"word joiner", "Con\u2060toso", "U+2060"},
	{"byte order mark", "\uFEFFContoso", "U+FEFF"},
	{"soft hyphen", "Con\u00ADtoso", "U+00AD"},
	{"tag characters", "Contoso\U000E0041\U000E007F", "U+E0041"},
	{"Hangul filler", "\u3164", "U+3164"},
	{"line separator", "Contoso\u2028Ltd", "one line of text"},
	{"escape sequence", "Contoso\x1b[8m", "one line of text"},
	{"blank", " \u3000\u00A0 ", "name is required"},
}

// nameRows is every name Atlas keeps and every row a refused save could leave.
const nameRows = `SELECT json_array(
	(SELECT json_group_array(json_array(id, name, slug)) FROM workspaces),
	(SELECT json_group_array(json_array(id, name, display_name, name_key)) FROM managed_environments),
	(SELECT json_group_array(json_array(id, name)) FROM baseline_profiles),
	(SELECT json_group_array(json_array(id, name)) FROM backup_sets),
	(SELECT json_group_array(json_array(id, email, name)) FROM users),
	(SELECT count(*) FROM operation_runs), (SELECT count(*) FROM audit_events))`

// TestInvisibleNamesRefused: every name field, on the web and on the command
// line, refuses bidi controls, zero-width and other invisible characters,
// control characters and blank names: 422 with the field's error and the typed
// value on the form again, or exit status 2 with one line; nothing is saved.
func TestInvisibleNamesRefused(t *testing.T) {
	e := apptest.NewAcme(t)
	c := e.Owner()
	if r := c.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	if r := c.Post("/admin/w/acme/baselines", url.Values{"name": {"Windows"}, "slug": {"windows"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add a baseline: %d\n%.1000s", r.Status, r.Body)
	}
	environment := url.Values{"name": {"Pilot"}, "slug": {"pilot"}, "kind": {"pilot"}}
	web := []struct {
		field    string
		path     string
		form     url.Values // the other fields, valid
		optional bool       // blank means "none" or "the default"
	}{
		{"name", "/admin/workspaces", url.Values{"slug": {"contoso"}}, false},
		{"name", "/admin/w/acme/settings", nil, false},
		{"name", "/admin/w/acme/environments", environment, false},
		{"display_name", "/admin/w/acme/environments", environment, true},
		{"name", "/admin/w/acme/t/prod/settings", environment, false},
		{"display_name", "/admin/w/acme/t/prod/settings", environment, true},
		{"name", "/admin/w/acme/baselines", url.Values{"slug": {"macos"}}, false},
		{"name", "/admin/w/acme/baselines/windows", url.Values{"slug": {"windows"}, "status": {"active"}, "capture_mode": {"full"}}, false},
		{"name", "/admin/w/acme/t/prod/backups", nil, true},
		{"names", "/admin/w/acme/t/prod/backups", nil, true},
		{"name", "/admin/users", url.Values{"email": {"new@acme.test"}, "password": {"s3cret-pass"}}, false},
	}
	cli := []struct {
		args     []string // --name follows
		stdin    string
		optional bool
	}{
		{[]string{"workspace", "add", "--slug", "contoso"}, "", false},
		{[]string{"environment", "add", "--workspace", "acme", "--slug", "pilot"}, "", false},
		{[]string{"user", "add", "--email", "new@acme.test", "--password-stdin"}, "s3cret-pass\n", false},
		{[]string{"backup", "create", "--workspace", "acme", "--environment", "prod"}, "", true},
	}
	state := func() string {
		var s string
		if err := e.Data.DB.Read.QueryRow(nameRows).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, h := range hostileNames {
		blank := strings.TrimSpace(h.name) == ""
		for _, tt := range web {
			if blank && tt.optional {
				continue
			}
			t.Run(tt.path+" "+tt.field+" "+h.what, func(t *testing.T) {
				form := url.Values{tt.field: {h.name}}
				for k, v := range tt.form {
					if k != tt.field {
						form[k] = v
					}
				}
				before := state()
				r := c.Post(tt.path, form)
				shown := html.UnescapeString(r.Body)
				if r.Status != http.StatusUnprocessableEntity || !strings.Contains(shown, h.want) {
					t.Fatalf("status %d, want 422 with %q\n%.3000s", r.Status, h.want, r.Body)
				}
				if !strings.Contains(r.Body, `aria-invalid="true"`) || !blank && !strings.Contains(shown, h.name) {
					t.Errorf("the form does not show the field in error with the value typed\n%.3000s", r.Body)
				}
				if after := state(); after != before {
					t.Errorf("rows changed:\n%s\n%s", before, after)
				}
			})
		}
		for _, tt := range cli {
			if blank && tt.optional {
				continue
			}
			t.Run(strings.Join(tt.args[:2], " ")+" "+h.what, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				args := append(append([]string{}, tt.args...), "--name", h.name, "--data", e.Dir)
				before := state()
				status := run(args, strings.NewReader(tt.stdin), &stdout, &stderr)
				if status != 2 || !strings.Contains(stderr.String(), h.want) {
					t.Fatalf("exit %d, stderr %q; want 2 and %q", status, stderr.String(), h.want)
				}
				if msg := strings.TrimSuffix(stderr.String(), "\n"); strings.ContainsAny(msg, "\n\r") || strings.Contains(msg, h.name) {
					t.Errorf("the error is not one line, or holds the name typed: %q", msg)
				}
				if after := state(); after != before {
					t.Errorf("rows changed:\n%s\n%s", before, after)
				}
			})
		}
	}
}

// TestNamesAreStoredNFC: a name typed decomposed (e + a combining accent, as
// macOS writes file names) is stored composed, wherever it is typed, so that it
// is one name with the same name typed composed.
func TestNamesAreStoredNFC(t *testing.T) {
	const typed, stored = "Cafe\u0301 Ltd", "Caf\u00e9 Ltd"
	e := apptest.NewAcme(t)
	c := e.Owner()
	if r := c.Post("/admin/workspaces/acme/select", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("select acme: %d", r.Status)
	}
	posts := []struct {
		path string
		form url.Values
	}{
		{"/admin/workspaces", url.Values{"name": {typed}, "slug": {"cafe"}}},
		{"/admin/workspaces/acme/select", nil},
		{"/admin/w/acme/settings", url.Values{"name": {typed}}},
		{"/admin/w/acme/environments", url.Values{"name": {typed}, "display_name": {" " + typed + " "}, "slug": {"cafe"}, "kind": {"pilot"}}},
		{"/admin/w/acme/baselines", url.Values{"name": {typed}, "slug": {"cafe"}}},
		{"/admin/users", url.Values{"name": {typed}, "email": {"cafe@acme.test"}, "password": {"s3cret-pass"}}},
		{"/admin/w/acme/t/prod/backups", url.Values{"name": {typed}, "names": {typed}}},
	}
	for _, p := range posts {
		if r := c.Post(p.path, p.form); r.Status != http.StatusSeeOther {
			t.Fatalf("POST %s: %d\n%.2000s", p.path, r.Status, r.Body)
		}
	}
	var stdout, stderr bytes.Buffer
	if status := run([]string{"environment", "add", "--workspace", "acme", "--slug", "cli", "--name", "CLI " + typed, "--data", e.Dir}, strings.NewReader(""), &stdout, &stderr); status != 0 {
		t.Fatalf("atlas environment add: exit %d, %s", status, stderr.String())
	}
	stores := map[string]string{
		"workspace created":               `SELECT name FROM workspaces WHERE slug = 'cafe'`,
		"workspace renamed":               `SELECT name FROM workspaces WHERE slug = 'acme'`,
		"environment":                     `SELECT name FROM managed_environments WHERE slug = 'cafe'`,
		"environment's display name":      `SELECT display_name FROM managed_environments WHERE slug = 'cafe'`,
		"environment on the command line": `SELECT substr(name, 5) FROM managed_environments WHERE slug = 'cli'`,
		"baseline":                        `SELECT name FROM baseline_profiles WHERE slug = 'cafe'`,
		"user":                            `SELECT name FROM users WHERE email = 'cafe@acme.test'`,
		"backup set's name":               `SELECT context ->> '$.name' FROM operation_runs WHERE type = 'backup.create'`,
		"backup's policy name":            `SELECT context ->> '$.selection.names[0]' FROM operation_runs WHERE type = 'backup.create'`,
	}
	for what, query := range stores {
		var got string
		if err := e.Data.DB.Read.QueryRowContext(context.Background(), query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got != stored {
			t.Errorf("%s stored as %+q, want %+q", what, got, stored)
		}
	}
}
