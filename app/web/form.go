package web

import (
	"crypto/rand"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldErrors maps a form field's name to what is wrong with it.
type FieldErrors map[string]string

// Any reports whether there is at least one error.
func (f FieldErrors) Any() bool { return len(f) > 0 }

// Error joins the messages, for callers without a form (the command line).
func (f FieldErrors) Error() string {
	var parts []string
	for field, msg := range f {
		parts = append(parts, field+": "+msg)
	}
	return strings.Join(parts, "; ")
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidateSlug accepts lowercase letters, digits and single dashes between them, up to 63 characters.
func ValidateSlug(slug string) error {
	switch {
	case slug == "":
		return fmt.Errorf("a slug is required")
	case len(slug) > 63:
		return fmt.Errorf("the slug is longer than 63 characters")
	case !slugPattern.MatchString(slug):
		return fmt.Errorf("%q is not a valid slug: use lowercase letters, digits and dashes (e.g. contoso-prod)", slug)
	}
	return nil
}

// MaxNameLength bounds every name a person gives: workspaces, environments,
// users, and whatever else gets a name. A name is shown on every page of its
// members, so an unbounded one makes every page heavy.
const MaxNameLength = 200

// ValidateName checks a name as typed (already trimmed): required, at most
// MaxNameLength characters of valid UTF-8, no control characters (line breaks,
// tabs). Its error is an Invalid *Error, whose message a form shows as is.
func ValidateName(name string) error {
	switch {
	case name == "":
		return Errorf(Invalid, "A name is required.")
	case !utf8.ValidString(name):
		return Errorf(Invalid, "The name is not valid text (UTF-8).")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return Errorf(Invalid, "A name is at most %d characters; this one has %s.", MaxNameLength, Number(utf8.RuneCountInString(name)))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return Errorf(Invalid, "A name is one line of text: no line breaks, tabs or other control characters.")
	}
	return nil
}

// MaxSearchLength bounds a list's search text (SQLite refuses long LIKE patterns).
const MaxSearchLength = 200

// ValidateSearch checks a list's search text; its error is an Invalid *Error.
func ValidateSearch(q string) error {
	if utf8.RuneCountInString(q) > MaxSearchLength {
		return Errorf(Invalid, "The search is too long: search for at most %d characters.", MaxSearchLength)
	}
	return nil
}

// Truncate cuts s to at most n characters, marking the cut with "…"; invalid
// UTF-8 is replaced, so the result is always safe to store in a cookie or show.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) > n {
		kept := 0
		for i := range s {
			if kept == n-1 {
				s = s[:i] + "…"
				break
			}
			kept++
		}
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// Echo is a typed value as a re-rendered form shows it back: whole when it is a
// sane size, else cut, so a 9 MiB paste does not make a 9 MiB page.
func Echo(value string) string { return Truncate(value, 4*MaxNameLength) }

// FormKeyField is the hidden field of a form that must act once however often it
// is sent (a double click, twenty parallel posts, a resubmitted page): the page
// renders a fresh key into it ({{formKey}}) and the handler knows a repeat by it.
const FormKeyField = "form_key"

// NewFormKey is a fresh form key: at least 128 random bits, as base32 text.
func NewFormKey() string { return rand.Text() }

// formKeyInput is the hidden input that carries a fresh form key, for templates.
func formKeyInput() template.HTML {
	return template.HTML(`<input type="hidden" name="` + FormKeyField + `" value="` + NewFormKey() + `">`)
}

// FormKey is the key of the submitted form: "" for a request without one (the
// command line's, a script's), an Invalid error for one Atlas did not make.
func FormKey(r *http.Request) (string, error) {
	key := r.PostFormValue(FormKeyField)
	if key == "" {
		return "", nil
	}
	if len(key) < 26 || len(key) > 64 || strings.Trim(key, base32Alphabet) != "" {
		return "", Errorf(Invalid, "This form is damaged: reload the page and send it again.")
	}
	return key, nil
}

const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
