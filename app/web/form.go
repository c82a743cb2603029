package web

import (
	"fmt"
	"regexp"
	"strings"
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
