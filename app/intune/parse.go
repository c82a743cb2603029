package intune

import (
	"encoding/json"
	"unicode/utf8"
)

// parseJSON decodes JSON text in one pass into what encoding/json's Decoder
// with UseNumber gives (the sync's largest cost was that decoder scanning every
// file twice). It accepts only what it is sure of, and reports false for
// anything else: decodeText then decodes with encoding/json, which words the
// error or handles the rare case (a string with escapes, very deep nesting).
func parseJSON(text []byte) (any, bool) {
	p := jsonParser{text: text, keys: map[string]string{}}
	v, ok := p.value()
	p.space()
	return v, ok && p.i == len(text)
}

// maxParseDepth bounds the recursion; deeper text goes to encoding/json.
const maxParseDepth = 1000

type jsonParser struct {
	text  []byte
	i     int
	depth int
	keys  map[string]string // the object keys read so far: a file repeats few keys many times
}

func (p *jsonParser) space() {
	for p.i < len(p.text) {
		switch p.text[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// next skips white space and says whether the text goes on with c.
func (p *jsonParser) next(c byte) bool {
	p.space()
	return p.i < len(p.text) && p.text[p.i] == c
}

func (p *jsonParser) value() (any, bool) {
	p.space()
	if p.i >= len(p.text) {
		return nil, false
	}
	switch c := p.text[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		if s, ok := p.string(); ok {
			return s, true
		}
		return nil, false
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	for _, lit := range literals {
		if len(p.text)-p.i >= len(lit.word) && string(p.text[p.i:p.i+len(lit.word)]) == lit.word {
			p.i += len(lit.word)
			return lit.value, true
		}
	}
	return nil, false
}

var literals = [...]struct {
	word  string
	value any
}{{"true", true}, {"false", false}, {"null", nil}}

func (p *jsonParser) object() (any, bool) {
	if p.depth++; p.depth > maxParseDepth {
		return nil, false
	}
	p.i++ // {
	m := map[string]any{}
	if p.next('}') {
		p.i++
		p.depth--
		return m, true
	}
	for {
		if !p.next('"') {
			return nil, false
		}
		k, ok := p.key()
		if !ok || !p.next(':') {
			return nil, false
		}
		p.i++
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		m[k] = v // a repeated key: the last wins, as in encoding/json
		switch {
		case p.next(','):
			p.i++
		case p.next('}'):
			p.i++
			p.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

func (p *jsonParser) array() (any, bool) {
	if p.depth++; p.depth > maxParseDepth {
		return nil, false
	}
	p.i++ // [
	a := []any{}
	if p.next(']') {
		p.i++
		p.depth--
		return a, true
	}
	for {
		v, ok := p.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		switch {
		case p.next(','):
			p.i++
		case p.next(']'):
			p.i++
			p.depth--
			return a, true
		default:
			return nil, false
		}
	}
}

// key reads an object's key, as one string per distinct key.
func (p *jsonParser) key() (string, bool) {
	start := p.i
	s, ok := p.string()
	if !ok {
		return "", false
	}
	if k, seen := p.keys[string(p.text[start:p.i])]; seen {
		return k, true
	}
	p.keys[string(p.text[start:p.i])] = s
	return s, true
}

// string reads a string without escapes; one with escapes is unquoted by
// encoding/json, whose rules for odd escapes (lone surrogates) it keeps.
func (p *jsonParser) string() (string, bool) {
	start := p.i
	p.i++ // "
	plain := true
	for p.i < len(p.text) {
		switch c := p.text[p.i]; {
		case c == '"':
			p.i++
			raw := p.text[start:p.i]
			if plain {
				return string(raw[1 : len(raw)-1]), true
			}
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return "", false
			}
			return s, true
		case c == '\\':
			plain = false
			p.i += 2
		case c < 0x20:
			return "", false
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRune(p.text[p.i:])
			if r == utf8.RuneError && n == 1 {
				plain = false // invalid UTF-8: encoding/json writes U+FFFD
			}
			p.i += n
		default:
			p.i++
		}
	}
	return "", false
}

// number reads a number as JSON's grammar has it, kept as written.
func (p *jsonParser) number() (any, bool) {
	start := p.i
	if p.text[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.text) && p.text[p.i] == '0':
		p.i++
	case !p.digits():
		return nil, false
	}
	if p.i < len(p.text) && p.text[p.i] == '.' {
		p.i++
		if !p.digits() {
			return nil, false
		}
	}
	if p.i < len(p.text) && (p.text[p.i] == 'e' || p.text[p.i] == 'E') {
		p.i++
		if p.i < len(p.text) && (p.text[p.i] == '+' || p.text[p.i] == '-') {
			p.i++
		}
		if !p.digits() {
			return nil, false
		}
	}
	return json.Number(p.text[start:p.i]), true
}

// digits reads one or more decimal digits.
func (p *jsonParser) digits() bool {
	start := p.i
	for p.i < len(p.text) && '0' <= p.text[p.i] && p.text[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}
