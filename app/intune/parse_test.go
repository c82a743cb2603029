package intune

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"reflect"
	"strings"
	"testing"

	"atlas/app/shareddata"
)

// decodeWithEncodingJSON is the definition parseJSON replaces.
func decodeWithEncodingJSON(text []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(text[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, fs.ErrInvalid
	}
	return v, nil
}

// checkParse fails when parseJSON accepts text and gives other than
// encoding/json; it reports whether the fast path took it.
func checkParse(t *testing.T, text []byte) bool {
	t.Helper()
	got, ok := parseJSON(text)
	if !ok {
		return false
	}
	want, err := decodeWithEncodingJSON(text)
	if err != nil {
		t.Fatalf("parseJSON accepted %q, which encoding/json refuses: %v", text, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseJSON(%q)\n= %#v\nencoding/json: %#v", text, got, want)
	}
	return true
}

func TestParseJSONMatchesEncodingJSONOnRealExports(t *testing.T) {
	root := shareddata.Dir(t, "intune")
	files := 0
	err := fs.WalkDir(os.DirFS(root), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		raw, err := fs.ReadFile(os.DirFS(root), p)
		if err != nil {
			return err
		}
		text, _, err := toUTF8(raw)
		if err != nil {
			return nil
		}
		if !checkParse(t, bytes.TrimPrefix(text, []byte("\ufeff"))) {
			t.Errorf("%s: the fast path refused a real export file", p)
		}
		files++
		return nil
	})
	if err != nil || files < 200 {
		t.Fatalf("%d files checked: %v", files, err)
	}
}

// TestParseJSONMatchesEncodingJSON compares the two on random JSON texts and
// on random damage to them: whatever the fast path accepts, encoding/json
// decodes to the same value.
func TestParseJSONMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 4))
	fast := 0
	const texts = 20_000
	for range texts {
		var b bytes.Buffer
		randomJSON(rng, &b, 0)
		text := b.Bytes()
		if checkParse(t, text) {
			fast++
		}
		for range 3 {
			damaged := bytes.Clone(text)
			i := rng.IntN(len(damaged) + 1)
			c := damage[rng.IntN(len(damage))]
			switch rng.IntN(3) {
			case 0:
				damaged = append(damaged[:i], append([]byte{c}, damaged[i:]...)...)
			case 1:
				if i < len(damaged) {
					damaged = append(damaged[:i], damaged[i+1:]...)
				}
			default:
				if i < len(damaged) {
					damaged[i] = c
				}
			}
			checkParse(t, damaged)
		}
	}
	if fast < texts/2 {
		t.Errorf("the fast path took %d of %d valid texts", fast, texts)
	}
}

// damage are the bytes a damaged text gets: JSON's own, and bytes it refuses.
const damage = "{}[]\",:\\ 0-.eE+tfnu\x00\x1f\xff\xc3é"

func FuzzParseJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkParse(t, b) })
}

var randomStrings = []string{`""`, `"a"`, `"Windows 11 – Défense"`, `"\"quoted\""`, `"line\nbreak\t"`, `"\u00e9\u2028"`,
	`"\ud83d\ude00"`, `"\ud83d"`, `"\udc00x"`, `"\ud83d\u0041"`, `"\/Date(1629482867709)\/"`, `"{\"a\": [1, 2]}"`, `"日本"`}

var randomNumbers = []string{"0", "-0", "1", "-12", "1.5", "0.25e10", "1E-7", "-3.0e+2", "123456789012345678901234567890"}

// randomJSON writes a random JSON value with random white space.
func randomJSON(rng *rand.Rand, b *bytes.Buffer, depth int) {
	space := func() { b.WriteString([]string{"", "", " ", "\n  ", "\r\n\t"}[rng.IntN(5)]) }
	space()
	switch k := rng.IntN(10); {
	case k < 2 && depth < 5:
		b.WriteByte('{')
		n := rng.IntN(4)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			space()
			b.WriteString(randomStrings[rng.IntN(len(randomStrings))]) // repeated keys too
			space()
			b.WriteByte(':')
			randomJSON(rng, b, depth+1)
		}
		space()
		b.WriteByte('}')
	case k < 4 && depth < 5:
		b.WriteByte('[')
		n := rng.IntN(4)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			randomJSON(rng, b, depth+1)
		}
		space()
		b.WriteByte(']')
	case k < 6:
		b.WriteString(randomStrings[rng.IntN(len(randomStrings))])
	case k < 8:
		b.WriteString(randomNumbers[rng.IntN(len(randomNumbers))])
	default:
		b.WriteString([]string{"true", "false", "null"}[rng.IntN(3)])
	}
	space()
}
