package intune

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxFileSize is the largest single export file read (the largest real one is
// about 1 MB); a bigger file is a per-file error, not an out-of-memory crash.
const MaxFileSize = 32 << 20

// Decode turns the bytes of one export file into a JSON value tree
// (map[string]any, []any, string, json.Number, bool, nil). It accepts UTF-8 with
// or without BOM, UTF-16LE/BE with BOM (PowerShell 5 writes UTF-16LE) and
// BOM-less UTF-16 (recognised by a NUL in the first two bytes, which UTF-8 JSON
// never holds). Numbers stay exact as json.Number. A file whose whole value is a
// string holding JSON (IntuneManagement's _Settings.json files) is decoded once
// more, until the value is no such string; strings inside the value that hold
// JSON are left as strings here: Normalize expands them, so a restore can still
// write the file back as it was.
func Decode(b []byte) (any, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("file is %d bytes, over the %d MiB limit for one file", len(b), MaxFileSize>>20)
	}
	text, enc, err := toUTF8(b)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, errors.New("file is empty")
	}
	v, err := decodeText(text, enc)
	if err != nil {
		return nil, err
	}
	// Each pass reads a string shorter than the text it came from: this ends.
	for {
		s, ok := v.(string)
		if !ok {
			return v, nil
		}
		inner, err := decodeText([]byte(strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))), encoding{name: "UTF-8"})
		if err != nil {
			return v, nil // a plain string: objectOf says it is no object
		}
		v = inner
	}
}

func decodeText(text []byte, enc encoding) (any, error) {
	if v, ok := parseJSON(text); ok {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, syntaxError(text, enc, offsetOf(err, dec, text), err)
	}
	// Anything but white space after the value is a second value or garbage.
	end := dec.InputOffset()
	rest := text[end:]
	if trimmed := bytes.TrimLeft(rest, " \t\r\n"); len(trimmed) > 0 {
		return nil, syntaxError(text, enc, end+int64(len(rest)-len(trimmed)), errors.New("unexpected data after the JSON value"))
	}
	return v, nil
}

// encoding says how the file's bytes map to the decoded UTF-8 text, so that an
// error can name the byte of the file itself.
type encoding struct {
	name      string
	bomLen    int
	codeUnits bool // UTF-16: two file bytes per code unit
}

func toUTF8(b []byte) ([]byte, encoding, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return checkUTF8(b[3:], encoding{name: "UTF-8 with BOM", bomLen: 3})
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return fromUTF16(b[2:], false, encoding{name: "UTF-16LE", bomLen: 2, codeUnits: true})
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return fromUTF16(b[2:], true, encoding{name: "UTF-16BE", bomLen: 2, codeUnits: true})
	case len(b) >= 2 && b[0] != 0 && b[1] == 0:
		return fromUTF16(b, false, encoding{name: "UTF-16LE", codeUnits: true})
	case len(b) >= 2 && b[0] == 0 && b[1] != 0:
		return fromUTF16(b, true, encoding{name: "UTF-16BE", codeUnits: true})
	}
	return checkUTF8(b, encoding{name: "UTF-8"})
}

func checkUTF8(b []byte, enc encoding) ([]byte, encoding, error) {
	if utf8.Valid(b) {
		return b, enc, nil
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return nil, enc, fmt.Errorf("invalid UTF-8 at byte %d (the file is neither UTF-8 nor UTF-16)", i+enc.bomLen)
		}
		i += n
	}
	return b, enc, nil
}

func fromUTF16(b []byte, bigEndian bool, enc encoding) ([]byte, encoding, error) {
	if len(b)%2 != 0 {
		return nil, enc, fmt.Errorf("invalid UTF-16: %s text has an odd number of bytes (%d)", enc.name, len(b))
	}
	units := len(b) / 2
	out := make([]byte, 0, units+units/8)
	for i := 0; i < units; i++ {
		u := codeUnit(b, i, bigEndian)
		switch {
		case u < utf8.RuneSelf:
			out = append(out, byte(u))
		case utf16.IsSurrogate(u):
			if u < 0xDC00 && i+1 < units {
				if next := codeUnit(b, i+1, bigEndian); next >= 0xDC00 && next <= 0xDFFF {
					out = utf8.AppendRune(out, utf16.DecodeRune(u, next))
					i++
					continue
				}
			}
			return nil, enc, fmt.Errorf("invalid UTF-16: unpaired surrogate 0x%04X at byte %d", u, enc.bomLen+2*i)
		default:
			out = utf8.AppendRune(out, u)
		}
	}
	return out, enc, nil
}

// codeUnit is the i-th UTF-16 code unit of b.
func codeUnit(b []byte, i int, bigEndian bool) rune {
	if bigEndian {
		return rune(b[2*i])<<8 | rune(b[2*i+1])
	}
	return rune(b[2*i+1])<<8 | rune(b[2*i])
}

// offsetOf is the offset of the byte where decoding failed.
func offsetOf(err error, dec *json.Decoder, text []byte) int64 {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return int64(len(text))
	}
	if syn, ok := errors.AsType[*json.SyntaxError](err); ok {
		return syn.Offset - 1 // Offset counts the offending byte as read
	}
	return dec.InputOffset()
}

// syntaxError names the place in the file (byte offset of the file as stored,
// and line and column of the text) where the JSON went wrong.
func syntaxError(text []byte, enc encoding, off int64, err error) error {
	off = max(0, min(off, int64(len(text))))
	prefix := text[:off]
	line := bytes.Count(prefix, []byte{'\n'}) + 1
	col := utf8.RuneCount(prefix[bytes.LastIndexByte(prefix, '\n')+1:]) + 1
	fileOff := int64(enc.bomLen) + off
	if enc.codeUnits {
		units := 0
		for _, r := range string(prefix) {
			units += utf16.RuneLen(r)
		}
		fileOff = int64(enc.bomLen + 2*units)
	}
	msg := err.Error()
	if errors.Is(err, io.ErrUnexpectedEOF) {
		msg = "the file ends in the middle of a value"
	}
	return fmt.Errorf("not valid JSON at byte %d (line %d, column %d, %s): %s", fileOff, line, col, enc.name, msg)
}
