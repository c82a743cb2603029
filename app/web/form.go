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

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
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

// ParseName turns a name as typed into the name to store, or refuses it; every
// name a person gives goes through it. The name is trimmed and NFC-normalised
// (é typed as one letter or as e and an accent is one name), and must be at most
// MaxNameLength characters of valid UTF-8 on one line, with nothing invisible
// in it: bidi controls, zero-width and other format characters make one name
// look like another, or like none. Its error is an Invalid *Error, whose
// message a form shows as is.
func ParseName(typed string) (string, error) {
	name := strings.TrimSpace(typed)
	if !utf8.ValidString(name) {
		return "", Errorf(Invalid, "The name is not valid text (UTF-8).")
	}
	// NFC joins a letter and its marks into one: a name several times over the
	// limit cannot come under it, and is refused without being normalised.
	n := utf8.RuneCountInString(name)
	if n <= 8*MaxNameLength {
		name = norm.NFC.String(name)
		n = utf8.RuneCountInString(name)
	}
	switch {
	case n == 0:
		return "", Errorf(Invalid, "A name is required.")
	case n > MaxNameLength:
		return "", Errorf(Invalid, "A name is at most %d characters; this one has %s.", MaxNameLength, Number(n))
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp) }); i >= 0 {
		return "", Errorf(Invalid, "A name is one line of text: no line breaks, tabs or other control characters.")
	}
	if i := strings.IndexFunc(name, func(r rune) bool { return unicode.In(r, unicode.Cf, invisibleLetters) }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(name[i:])
		return "", Errorf(Invalid, "A name may not hold invisible characters (this one has U+%04X): bidi controls, zero-width and other format characters make a name look like another.", r)
	}
	return name, nil
}

// ParseOptionalName is ParseName for a name that may be left blank ("" then).
func ParseOptionalName(typed string) (string, error) {
	if strings.TrimSpace(typed) == "" {
		return "", nil
	}
	return ParseName(typed)
}

// invisibleLetters are the letters that show nothing (Unicode's default-ignorable
// code points outside the format characters, but for the variation selectors
// emoji need): a name of Hangul fillers looks blank.
var invisibleLetters = &unicode.RangeTable{R16: []unicode.Range16{
	{Lo: 0x034f, Hi: 0x034f, Stride: 1}, // combining grapheme joiner
	{Lo: 0x115f, Hi: 0x1160, Stride: 1}, // Hangul choseong and jungseong fillers
	{Lo: 0x17b4, Hi: 0x17b5, Stride: 1}, // Khmer inherent vowels
	{Lo: 0x3164, Hi: 0x3164, Stride: 1}, // Hangul filler
	{Lo: 0xffa0, Hi: 0xffa0, Stride: 1}, // halfwidth Hangul filler
}}

// NameKey is what two names that read the same share: the name case-folded
// (full folding, so "Straße" and "STRASSE" share one) and NFC-normalised again.
func NameKey(name string) string {
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(name)))
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
