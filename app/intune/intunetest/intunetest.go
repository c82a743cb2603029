// Package intunetest builds large Intune exports for tests and benchmarks out of
// a real one (../shared/data), on disk.
package intunetest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unicode/utf16"

	"atlas/app/intune"
)

// LargeExport writes n files into dst by cycling over the objects of the export
// in src: copy k of a file sits under copyK/ with " #k" added to its name and id,
// in the file's encoding, so the n files are n distinct policies. It returns the
// bytes written.
func LargeExport(tb testing.TB, src, dst string, n int) int64 {
	tb.Helper()
	var templates []template
	err := intune.Read(os.DirFS(src), func(e intune.Entry) error {
		if e.Object == nil {
			return nil
		}
		raw, err := os.ReadFile(filepath.Join(src, e.Path))
		if err != nil {
			return err
		}
		templates = append(templates, newTemplate(tb, e.Path, raw))
		return nil
	})
	if err != nil || len(templates) == 0 {
		tb.Fatalf("reading %s: %d objects, %v", src, len(templates), err)
	}
	var total int64
	for i := range n {
		t := templates[i%len(templates)]
		copyNo := i / len(templates)
		out := t.copy(copyNo)
		file := filepath.Join(dst, fmt.Sprintf("copy%03d", copyNo), filepath.FromSlash(t.path))
		if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(file, out, 0o600); err != nil {
			tb.Fatal(err)
		}
		total += int64(len(out))
	}
	return total
}

// copyMark stands for the copy's number in a template's text.
const copyMark = "{{copy}}"

// template is a file's object decoded once and encoded again as the original
// was, in parts split where its name and id take the copy's number.
type template struct {
	path  string
	parts [][]byte
	utf16 bool
}

func newTemplate(tb testing.TB, path string, raw []byte) template {
	v, err := intune.Decode(raw)
	if err != nil {
		tb.Fatal(err)
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range []string{"displayName", "name", "id"} {
			if s, ok := x[k].(string); ok {
				x[k] = s + " #" + copyMark
			}
		}
	case []any: // an admin template file: its name is the file's
	}
	text, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	t := template{path: path, utf16: bytes.HasPrefix(raw, []byte{0xFF, 0xFE})}
	for _, part := range bytes.Split(text, []byte(copyMark)) {
		t.parts = append(t.parts, t.encode(part))
	}
	return t
}

// copy is the file of copy copyNo, with the byte order mark of a UTF-16 original.
func (t template) copy(copyNo int) []byte {
	out := []byte{}
	if t.utf16 {
		out = []byte{0xFF, 0xFE}
	}
	return append(out, bytes.Join(t.parts, t.encode([]byte(strconv.Itoa(copyNo))))...)
}

// encode is UTF-8 text in the template's encoding.
func (t template) encode(text []byte) []byte {
	if !t.utf16 {
		return text
	}
	var out []byte
	for _, u := range utf16.Encode([]rune(string(text))) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}
