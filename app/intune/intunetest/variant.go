package intunetest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"atlas/app/intune"
)

// Encoding is how Variant and Encode write a file.
type Encoding int

const (
	AsFound   Encoding = iota // as the original file: UTF-16LE with BOM stays so, the rest is UTF-8
	UTF8                      // UTF-8 without BOM, LF line ends
	UTF16CRLF                 // UTF-16LE with BOM and CRLF line ends, as Windows PowerShell 5 writes
)

// Encode writes v as indented JSON in enc (AsFound is UTF-8). Strings that
// hold a .NET JSON date are escaped as .NET writes them: "\/Date(…)\/".
func Encode(tb testing.TB, v any, enc Encoding) []byte {
	tb.Helper()
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(v); err != nil {
		tb.Fatal(err)
	}
	text := bytes.ReplaceAll(bytes.ReplaceAll(b.Bytes(), []byte(`"/Date(`), []byte(`"\/Date(`)), []byte(`)/"`), []byte(`)\/"`))
	if enc != UTF16CRLF {
		return text
	}
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(string(bytes.ReplaceAll(text, []byte("\n"), []byte("\r\n"))))) {
		out = binary.LittleEndian.AppendUint16(out, u)
	}
	return out
}

// Variant writes a copy of the export in src to dst: every JSON file decoded,
// changed by edit (nil: unchanged) and written in enc; other files as they are.
func Variant(tb testing.TB, src, dst string, enc Encoding, edit func(v any) any) {
	tb.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		raw, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := raw
		if strings.EqualFold(filepath.Ext(p), ".json") {
			v, err := intune.Decode(raw)
			if err != nil {
				return err
			}
			if edit != nil {
				v = edit(v)
			}
			fileEnc := enc
			if enc == AsFound && bytes.HasPrefix(raw, []byte{0xFF, 0xFE}) {
				fileEnc = UTF16CRLF
			}
			out = Encode(tb, v, fileEnc)
		}
		return WriteFile(filepath.Join(dst, rel), out)
	})
	if err != nil {
		tb.Fatalf("variant of %s: %v", src, err)
	}
}

// WriteFile writes b to file, making its folders.
func WriteFile(file string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o600)
}

// AddEmpties is what a newer export of the same object looks like: every
// object, at every depth, carries properties Microsoft added since, null or
// empty ("", [], {}).
func AddEmpties(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{"newerProperty": nil, "newerText": "", "newerList": []any{}, "newerObject": map[string]any{}}
		for k, e := range x {
			out[k] = AddEmpties(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = AddEmpties(e)
		}
		return out
	}
	return v
}

// DotNetDates is what Windows PowerShell 5 writes for the same object: every
// ISO-8601 date-time as a .NET JSON date, "\/Date(<milliseconds>)\/".
func DotNetDates(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = DotNetDates(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = DotNetDates(e)
		}
		return out
	case string:
		if t, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return "/Date(" + strconv.FormatInt(t.UnixMilli(), 10) + ")/"
		}
	}
	return v
}
