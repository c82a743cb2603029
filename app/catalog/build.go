package catalog

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// source is one definition as Graph (or the trimmed jsonl form) writes it:
// settings-catalog definitions (DCv2) and intent setting definitions (DCv1)
// share a few fields; the rest tell them apart.
type source struct {
	ODataType   string   `json:"@odata.type"`
	Type        string   `json:"type"`
	ID          string   `json:"id"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	BaseURI     *string  `json:"baseUri"`
	OffsetURI   *string  `json:"offsetUri"`
	RootID      string   `json:"rootDefinitionId"`
	CategoryID  string   `json:"categoryId"`
	Keywords    []string `json:"keywords"`
	RiskLevel   string   `json:"riskLevel"`
	Options     []struct {
		ItemID      string `json:"itemId"`
		DisplayName string `json:"displayName"`
	} `json:"options"`
	// DCv1 intent settings
	ValueType   string `json:"valueType"`
	Constraints []struct {
		ODataType string `json:"@odata.type"`
		Values    []struct {
			Value       string `json:"value"`
			DisplayName string `json:"displayName"`
		} `json:"values"`
	} `json:"constraints"`
}

// isCatalog reports a settings-catalog definition: its CSP offset or root
// definition, or Graph's type, tell it from templates and other objects.
func (s *source) isCatalog() bool {
	t := s.ODataType + s.Type
	return s.ID != "" && (s.RootID != "" || s.OffsetURI != nil ||
		strings.Contains(t, "deviceManagementConfiguration") && strings.HasSuffix(t, "Definition"))
}

// isIntent reports an intent setting definition (DCv1): it has a value type.
func (s *source) isIntent() bool { return s.ID != "" && s.ValueType != "" && !s.isCatalog() }

// Build reads setting definitions from path: a folder of definition files, or
// one file. A file holds one definition, an array of them or a Graph collection
// ({"value": […]}) as JSON, or one definition a line (.jsonl), either
// gzip-compressed (.gz). Templates and other objects are passed over; a file
// that is not JSON, or sources without a single settings-catalog definition,
// are an error.
func Build(path string) (*Dictionary, error) {
	b := &builder{defs: map[string]*source{}}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		err = b.file(path, filepath.Base(path))
	} else {
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return err
			case d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != path:
				return filepath.SkipDir
			case d.IsDir() || !definitionFile(d.Name()):
				return nil
			}
			rel, _ := filepath.Rel(path, p)
			return b.file(p, filepath.ToSlash(rel))
		})
	}
	if err != nil {
		return nil, err
	}
	d := b.dictionary()
	if d.counts.Settings == 0 {
		return nil, fmt.Errorf("%s holds no settings-catalog definitions (JSON objects with an id and a baseUri/offsetUri or rootDefinitionId): nothing to install", path)
	}
	return d, nil
}

// definitionFile reports the file names Build reads.
func definitionFile(name string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, ".gz"))
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".jsonl")
}

type builder struct {
	defs map[string]*source // by id: a later file replaces an earlier one
}

func (b *builder) file(path, name string) error {
	if !definitionFile(filepath.Base(path)) {
		return fmt.Errorf("%s: not a definition file (.json, .jsonl, or either .gz)", name)
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	lower := strings.ToLower(path)
	if strings.HasSuffix(lower, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		r = zr
	}
	if strings.HasSuffix(strings.TrimSuffix(lower, ".gz"), ".jsonl") {
		return b.lines(r, name)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return b.value(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), name)
}

func (b *builder) lines(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := b.value(sc.Bytes(), fmt.Sprintf("%s line %d", name, n)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// value adds the definitions one JSON value holds, parsing it once: a list,
// a Graph collection ({"value": […]}) or a definition. An object of another
// shape (a number where a definition has text) is no definition, and is passed
// over like a template.
func (b *builder) value(data []byte, where string) error {
	var list []json.RawMessage
	if data = bytes.TrimSpace(data); len(data) > 0 && data[0] == '[' {
		if err := json.Unmarshal(data, &list); err != nil {
			return fmt.Errorf("%s: not JSON: %w", where, err)
		}
	} else {
		var v struct {
			source
			Value []json.RawMessage `json:"value"`
		}
		err := json.Unmarshal(data, &v)
		var otherShape *json.UnmarshalTypeError
		switch {
		case errors.As(err, &otherShape):
			return nil
		case err != nil:
			return fmt.Errorf("%s: not JSON: %w", where, err)
		case v.Value == nil:
			if v.isCatalog() || v.isIntent() {
				b.defs[v.ID] = &v.source
			}
			return nil
		}
		list = v.Value
	}
	for i, e := range list {
		if err := b.value(e, fmt.Sprintf("%s [%d]", where, i)); err != nil {
			return err
		}
	}
	return nil
}

// dictionary turns the sources into definitions, naming each settings-catalog
// category after the keywords its definitions share.
func (b *builder) dictionary() *Dictionary {
	categories := categoryNames(b.defs)
	ids := make([]string, 0, len(b.defs))
	for id := range b.defs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	d := &Dictionary{definitions: make(map[string]*Definition, len(ids))}
	descriptions := make([]string, len(ids))
	for i, id := range ids {
		s := b.defs[id]
		def := &Definition{ID: id, Name: strings.TrimSuffix(strings.TrimSpace(s.DisplayName), ":"), dict: d, index: i}
		descriptions[i] = strings.TrimSpace(s.Description)
		if s.isCatalog() {
			def.CSP = deref(s.BaseURI) + deref(s.OffsetURI)
			def.Category = categories[s.CategoryID]
			if s.RiskLevel != "" && s.RiskLevel != "low" {
				def.Risk = s.RiskLevel
			}
			for _, o := range s.Options {
				if o.ItemID != "" && strings.TrimSpace(o.DisplayName) != "" {
					def.options = append(def.options, option{value: o.ItemID, label: strings.TrimSpace(o.DisplayName)})
				}
			}
		} else {
			def.Intent = true
			for _, c := range s.Constraints {
				if !strings.HasSuffix(c.ODataType, "EnumConstraint") {
					continue
				}
				for _, v := range c.Values {
					if strings.TrimSpace(v.DisplayName) != "" {
						def.options = append(def.options, option{value: v.Value, label: strings.TrimSpace(v.DisplayName)})
					}
				}
			}
		}
		d.definitions[id] = def
	}
	d.descriptions = func() []string { return descriptions }
	d.count()
	return d
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// categoryNames names each category by a keyword every one of its
// definitions carries (Graph's category objects are not in the sources; their
// names are): a category path ("Microsoft Edge\HTTP authentication") when
// there is one; else the keyword fewest other definitions carry ("Setup
// Assistant" rather than "enrollment"), then the last in the first definition's
// keywords, where Intune puts the category ("Require Device Encryption",
// "BitLocker").
func categoryNames(defs map[string]*source) map[string]string {
	type category struct {
		size   int
		common map[string]bool
		first  *source // the definition with the smallest id: the keyword order to go by
	}
	categories := map[string]*category{}
	uses := map[string]int{}
	for _, s := range defs {
		if !s.isCatalog() || s.CategoryID == "" {
			continue
		}
		own := map[string]bool{}
		for _, k := range s.Keywords {
			if k = strings.TrimSpace(k); k != "" && !strings.HasPrefix(k, `\`) {
				own[k] = true
			}
		}
		for k := range own {
			uses[k]++
		}
		c := categories[s.CategoryID]
		if c == nil {
			categories[s.CategoryID] = &category{size: 1, common: own, first: s}
			continue
		}
		c.size++
		for k := range c.common {
			if !own[k] {
				delete(c.common, k)
			}
		}
		if s.ID < c.first.ID {
			c.first = s
		}
	}
	names := make(map[string]string, len(categories))
	for id, c := range categories {
		order := map[string]int{}
		for i, k := range c.first.Keywords {
			order[strings.TrimSpace(k)] = i
		}
		rank := func(k string) (path bool, length, elsewhere, at int) {
			return strings.Contains(k, `\`), len(k), uses[k] - c.size, order[k]
		}
		best := ""
		for k := range c.common {
			if best == "" {
				best = k
				continue
			}
			kPath, kLen, kElsewhere, kAt := rank(k)
			bPath, bLen, bElsewhere, bAt := rank(best)
			switch {
			case kPath != bPath:
				if kPath {
					best = k
				}
			case kPath && kLen != bLen:
				if kLen > bLen {
					best = k
				}
			case !kPath && kElsewhere != bElsewhere:
				if kElsewhere < bElsewhere {
					best = k
				}
			case kAt > bAt:
				best = k
			}
		}
		if best != "" {
			names[id] = categoryName(best)
		}
	}
	return names
}
