package web

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxFileNameBytes bounds a downloaded file's name: file systems allow 255
// bytes, and a header carries it twice, percent-encoded.
const maxFileNameBytes = 100

// AttachmentDisposition is the Content-Disposition of a download named name
// (RFC 6266), whatever the name holds: characters that file systems refuse and
// control characters are replaced, the name is cut to 100 bytes on a character
// boundary keeping its extension, and sent UTF-8 encoded as filename* (RFC 5987) with
// an ASCII filename="…" for older clients.
func AttachmentDisposition(name string) string {
	name = fileName(name)
	var fallback, encoded strings.Builder
	for _, r := range name {
		if r < utf8.RuneSelf {
			fallback.WriteRune(r)
		} else {
			fallback.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			encoded.WriteByte(b)
		} else {
			fmt.Fprintf(&encoded, "%%%02X", b)
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + encoded.String()
}

// fileName makes name usable as a file name on every system, at most maxFileNameBytes long.
func fileName(name string) string {
	name = strings.Map(func(r rune) rune {
		switch {
		case r == '"':
			return '\''
		case unicode.IsControl(r), strings.ContainsRune(`/\:*?<>|`, r):
			return '-'
		}
		return r
	}, strings.ToValidUTF8(name, "_"))
	if len(name) <= maxFileNameBytes {
		return name
	}
	ext := path.Ext(name)
	if len(ext) > 16 {
		ext = "" // not an extension: a dot somewhere in a long name
	}
	base := name[:maxFileNameBytes-len(ext)]
	for len(base) > 0 && !utf8.ValidString(base) {
		base = base[:len(base)-1] // back to the start of a character
	}
	return base + ext
}

// isAttrChar reports whether b may stand unencoded in an RFC 5987 value.
func isAttrChar(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
