package intune

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	var out []byte
	order := binary.AppendByteOrder(binary.LittleEndian)
	if bigEndian {
		order = binary.BigEndian
	}
	if bom {
		out = order.AppendUint16(out, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

func TestDecodeEncodings(t *testing.T) {
	const doc = "{\r\n  \"displayName\": \"Wi-Fi – café 🔒\",\r\n  \"n\": 12345678901234567890.50\r\n}\r\n"
	const want = `{"displayName":"Wi-Fi – café 🔒","n":12345678901234567890.50}`
	tests := []struct {
		name string
		in   []byte
	}{
		{"UTF-8", []byte(doc)},
		{"UTF-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, doc...)},
		{"UTF-16LE with BOM", utf16Bytes(doc, false, true)},
		{"UTF-16BE with BOM", utf16Bytes(doc, true, true)},
		{"UTF-16LE without BOM", utf16Bytes(doc, false, false)},
		{"UTF-16BE without BOM", utf16Bytes(doc, true, false)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := string(Canonical(v)); got != want {
				t.Errorf("Canonical = %s, want %s", got, want)
			}
		})
	}
}

func TestDecodeTopLevelArray(t *testing.T) {
	v, err := Decode([]byte(`[{"enabled":"true"},{"enabled":false}]`))
	if err != nil {
		t.Fatal(err)
	}
	a, ok := v.([]any)
	if !ok || len(a) != 2 {
		t.Fatalf("got %#v, want a 2-element array", v)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "file is empty"},
		{"only spaces", []byte(" \r\n"), "file is empty"},
		{"syntax", []byte("{\n  \"a\": 1,\n  \"b\" 2\n}"), "not valid JSON at byte 18 (line 3, column 7, UTF-8): invalid character '2' after object key"},
		{"syntax after BOM", append([]byte{0xEF, 0xBB, 0xBF}, `{"a":}`...), "not valid JSON at byte 8 (line 1, column 6, UTF-8 with BOM)"},
		{"syntax in UTF-16", utf16Bytes(`{"é":x}`, false, true), "not valid JSON at byte 12 (line 1, column 6, UTF-16LE)"},
		{"truncated", []byte(`{"a": [1, 2`), "not valid JSON at byte 11 (line 1, column 12, UTF-8): the file ends in the middle of a value"},
		{"trailing data", []byte(`{"a":1} {"b":2}`), "not valid JSON at byte 8 (line 1, column 9, UTF-8): unexpected data after the JSON value"},
		{"odd UTF-16", append(utf16Bytes(`{}`, false, true), 'x'), "invalid UTF-16: UTF-16LE text has an odd number of bytes (5)"},
		{"unpaired surrogate", append(utf16Bytes(`{"a":"`, false, true), 0x00, 0xD8, '"', 0, '}', 0), "invalid UTF-16: unpaired surrogate 0xD800 at byte 14"},
		{"latin-1", []byte("{\"a\":\"caf\xe9\"}"), "invalid UTF-8 at byte 9"},
		{"too big", bytes.Repeat([]byte(" "), MaxFileSize+1), "over the 32 MiB limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestDecodeStringHoldingJSON: a file whose whole value is a string holding
// JSON (IntuneManagement's _Settings.json) is decoded again, in any encoding,
// however often it was encoded; a string that holds no JSON stays a string.
func TestDecodeStringHoldingJSON(t *testing.T) {
	const settings = "{ \"settings\": [\r\n  {\r\n    \"definitionId\": \"d\",\r\n    \"valueJson\": \"true\"\r\n  }\r\n]\n}"
	const want = `{"settings":[{"definitionId":"d","valueJson":"true"}]}`
	quote := func(s string) string {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"UTF-8", []byte(quote(settings)), want},
		{"UTF-16LE with BOM and CRLF", utf16Bytes(quote(settings)+"\r\n", false, true), want},
		{"UTF-8 with BOM, BOM inside too", []byte("\xef\xbb\xbf" + quote("\ufeff "+settings)), want},
		{"encoded twice over", []byte(quote(quote(`[1, {"a": 2}]`))), `[1,{"a":2}]`},
		{"a scalar", []byte(quote("12")), `12`},
		{"no JSON inside", []byte(quote("hello")), `"hello"`},
		{"half a JSON inside", []byte(quote(`{"a": `)), `"{\"a\": "`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := Decode(tt.in)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := string(Canonical(v)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestFromUTF16MatchesTheStandardLibrary: on random code units (ASCII, BMP,
// surrogate pairs and lone surrogates) either order gives what utf16.Decode
// gives, or an error exactly when a surrogate is unpaired.
func TestFromUTF16MatchesTheStandardLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 2))
	pick := []uint16{'a', '{', 0x7f, 0x80, 0xe9, 0x2028, 0xfffd, 0xd83d, 0xde00, 0xdbff, 0xdc00}
	for range 50_000 {
		units := make([]uint16, rng.IntN(8))
		for i := range units {
			units[i] = pick[rng.IntN(len(pick))]
		}
		valid := true
		for i := 0; i < len(units); i++ {
			switch u := units[i]; {
			case u >= 0xd800 && u < 0xdc00 && i+1 < len(units) && units[i+1] >= 0xdc00 && units[i+1] <= 0xdfff:
				i++
			case u >= 0xd800 && u <= 0xdfff:
				valid = false
			}
		}
		want := string(utf16.Decode(units))
		for _, bigEndian := range []bool{false, true} {
			order := binary.AppendByteOrder(binary.LittleEndian)
			if bigEndian {
				order = binary.BigEndian
			}
			var b []byte
			for _, u := range units {
				b = order.AppendUint16(b, u)
			}
			got, _, err := fromUTF16(b, bigEndian, encoding{name: "UTF-16"})
			if valid && (err != nil || string(got) != want) || !valid && err == nil {
				t.Fatalf("%04x (big endian %v): %q, %v; want %q (valid %v)", units, bigEndian, got, err, want, valid)
			}
		}
	}
}
