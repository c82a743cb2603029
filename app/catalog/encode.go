package catalog

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// The stored form: a magic line, then two gzip streams, each led by its
// length. The first holds the definitions without their descriptions — what
// labelling needs, read at first use — the second the descriptions, most of
// the bytes, read when a page first shows one. Strings are a uvarint length
// and the bytes; definitions come sorted by id, so the same sources always
// encode to the same bytes.
const magic = "atlas settings dictionary 1\n"

// Encode writes the dictionary in its stored form, as the binary embeds it
// and atlas catalog import installs it.
func (d *Dictionary) Encode(w io.Writer) error {
	core, descs := d.parts()
	if _, err := io.WriteString(w, magic); err != nil {
		return err
	}
	for _, part := range []*bytes.Buffer{core, descs} {
		var z bytes.Buffer
		zw, err := gzip.NewWriterLevel(&z, gzip.BestCompression)
		if err != nil {
			return err
		}
		if _, err := zw.Write(part.Bytes()); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		var n []byte
		n = binary.AppendUvarint(n, uint64(z.Len()))
		if _, err := w.Write(n); err != nil {
			return err
		}
		if _, err := w.Write(z.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

// parts are the two parts of the stored form before compression.
func (d *Dictionary) parts() (core, descs *bytes.Buffer) {
	defs := d.sorted()
	core, descs = &bytes.Buffer{}, &bytes.Buffer{}
	categories := map[string]int{}
	var names []string
	for _, def := range defs {
		if def.Category != "" && categories[def.Category] == 0 {
			names = append(names, def.Category)
			categories[def.Category] = len(names)
		}
	}
	putUint(core, len(names))
	for _, n := range names {
		putString(core, n)
	}
	putUint(core, len(defs))
	options := 0
	for _, def := range defs {
		options += len(def.options)
	}
	putUint(core, options)
	for _, def := range defs {
		putString(core, def.ID)
		putString(core, def.Name)
		putString(core, def.CSP)
		putUint(core, categories[def.Category])
		putString(core, def.Risk)
		putBool(core, def.Intent)
		putUint(core, len(def.options))
		for _, o := range def.options {
			value, suffix := o.value, o.suffix
			if rest, ok := strings.CutPrefix(value, def.ID+"_"); ok && !suffix {
				value, suffix = rest, true
			}
			putBool(core, suffix)
			putString(core, value)
			putString(core, o.label)
		}
		putString(descs, def.Description())
	}
	return core, descs
}

func (d *Dictionary) sorted() []*Definition {
	defs := make([]*Definition, 0, len(d.definitions))
	for _, def := range d.definitions {
		defs = append(defs, def)
	}
	slices.SortFunc(defs, func(a, b *Definition) int { return strings.Compare(a.ID, b.ID) })
	return defs
}

var errNotDictionary = errors.New("not a settings dictionary written by atlas catalog import")

// Decode reads a dictionary in its stored form. The descriptions are checked
// for their framing now and decompressed at their first use.
func Decode(b []byte) (*Dictionary, error) {
	rest, ok := bytes.CutPrefix(b, []byte(magic))
	if !ok {
		return nil, errNotDictionary
	}
	corePart, rest, err := part(rest)
	if err != nil {
		return nil, err
	}
	descPart, rest, err := part(rest)
	if err != nil || len(rest) > 0 {
		return nil, errNotDictionary
	}
	core, err := gunzip(corePart)
	if err != nil {
		return nil, err
	}
	r := &reader{s: core}
	categories := r.uint()
	if categories > len(core) {
		return nil, errNotDictionary
	}
	names := make([]string, categories)
	for i := range names {
		names[i] = r.string()
	}
	n, total := r.uint(), r.uint()
	if r.err != nil || n > len(core) || total > len(core) {
		return nil, errNotDictionary
	}
	d := &Dictionary{definitions: make(map[string]*Definition, n)}
	defs := make([]Definition, n)
	options := make([]option, 0, total) // one array for every definition's options
	for i := range defs {
		def := &defs[i]
		def.ID, def.Name, def.CSP = r.string(), r.string(), r.string()
		if c := r.uint(); c > 0 && c <= len(names) {
			def.Category = names[c-1]
		}
		def.Risk, def.Intent = r.string(), r.bool()
		count := r.uint()
		if count > cap(options)-len(options) {
			return nil, errNotDictionary
		}
		start := len(options)
		for range count {
			options = append(options, option{suffix: r.bool(), value: r.string(), label: r.string()})
		}
		def.options = options[start:len(options):len(options)]
		def.dict, def.index = d, i
		if r.err != nil {
			return nil, r.err
		}
		d.definitions[def.ID] = def
	}
	d.descriptions = sync.OnceValue(func() []string {
		descs := make([]string, n)
		text, err := gunzip(descPart)
		r := &reader{s: text, err: err}
		for i := range descs {
			descs[i] = r.string()
		}
		return descs // a damaged part reads as empty descriptions, the names still show
	})
	d.count()
	return d, nil
}

// part cuts one length-led part off b.
func part(b []byte) (p, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, errNotDictionary
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

func gunzip(b []byte) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("%w: %v", errNotDictionary, err)
	}
	var s strings.Builder
	if len(b) >= 4 { // gzip's trailer holds the size of what it compressed
		s.Grow(int(binary.LittleEndian.Uint32(b[len(b)-4:])))
	}
	if _, err := io.Copy(&s, zr); err != nil {
		return "", fmt.Errorf("%w: %v", errNotDictionary, err)
	}
	return s.String(), nil
}

func putUint(b *bytes.Buffer, n int) { b.Write(binary.AppendUvarint(nil, uint64(n))) }
func putString(b *bytes.Buffer, s string) {
	putUint(b, len(s))
	b.WriteString(s)
}
func putBool(b *bytes.Buffer, v bool) {
	if v {
		b.WriteByte(1)
	} else {
		b.WriteByte(0)
	}
}

// reader takes strings out of a decoded part without copying them; the first
// framing error sticks, and everything read after it is empty.
type reader struct {
	s   string
	err error
}

func (r *reader) uint() int {
	if r.err != nil {
		return 0
	}
	n, k := binary.Uvarint([]byte(r.s[:min(len(r.s), binary.MaxVarintLen64)]))
	if k <= 0 || n > 1<<31 {
		r.err = errNotDictionary
		return 0
	}
	r.s = r.s[k:]
	return int(n)
}

func (r *reader) string() string {
	n := r.uint()
	if r.err != nil || n > len(r.s) {
		r.err = errNotDictionary
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

func (r *reader) bool() bool {
	if r.err != nil || len(r.s) == 0 {
		r.err = errNotDictionary
		return false
	}
	v := r.s[0] == 1
	r.s = r.s[1:]
	return v
}
