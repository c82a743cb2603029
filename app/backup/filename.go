package backup

import (
	"fmt"
	"io/fs"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Every file or folder name Atlas writes from export content (a policy's name,
// its Graph type, its technologies, a script's file name, an environment's
// slug) is one segment made by safeSegment: no export can name a file outside
// the folder Atlas chose, and a folder written on one system opens as the same
// files on Windows, macOS and Linux.

// maxSegment caps a name Atlas composes, in bytes: file systems allow 255, and
// a twin's " (2)" and an extension need room.
const maxSegment = 180

// deviceNames are the names Windows keeps for devices, whatever the extension
// ("CON.json" and "con .txt" are CON too).
var deviceNames = []string{"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$",
	"COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
	"LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³"}

// safeSegment makes s one name of at most max bytes (max ≥ 8) that every
// system reads alike: characters Windows refuses (separators included) and
// control characters become "_"; invisible format characters (bidi controls,
// zero-width ones) are dropped, since they make names look like others; the
// name is in Unicode NFC, without the trailing dots and spaces Windows drops,
// never empty, "." or "..", and a Windows device name gets a "_" before it.
func safeSegment(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == utf8.RuneError, unicode.IsControl(r), strings.ContainsRune(`"*/:<>?\|`, r):
			return '_'
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(cut(norm.NFC.String(s), max), ". ")
	if s == "" {
		return "_"
	}
	if isDeviceName(s) {
		s = strings.TrimRight(cut("_"+s, max), ". ")
	}
	return s
}

// isDeviceName reports whether Windows takes the name for a device.
func isDeviceName(name string) bool {
	base, _, _ := strings.Cut(name, ".")
	base = strings.TrimRight(base, " ")
	for _, d := range deviceNames {
		if strings.EqualFold(base, d) {
			return true
		}
	}
	return false
}

// cut keeps at most max bytes of s, on a character boundary.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// twinKey is what Windows and macOS tell paths apart by: two paths with one
// key, different in case or Unicode normalisation only, are one file there.
func twinKey(p string) string {
	return strings.Map(func(r rune) rune {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		return least
	}, norm.NFD.String(p))
}

// checkEntry refuses a name that is not a plain relative slash path: absolute,
// with a drive or a backslash, or with an empty, "." or ".." element. Sinks
// check it whatever made the name.
func checkEntry(name string) error {
	if name == "." || !fs.ValidPath(name) || strings.ContainsAny(name, `\:`) {
		return fmt.Errorf("%q is not a file name inside the export", name)
	}
	return nil
}
