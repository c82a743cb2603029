package diff

import (
	"regexp"
	"strings"
)

// templates flattens administrative-template definition values (a top-level
// array in some exports, definitionValues in others): one row per definition
// saying enabled or disabled, one per presentation value. It reports false,
// adding nothing, for a list of another shape.
func (f *flat) templates(path, section, label string, v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	definitions, ok := keyedObjects(list, func(m map[string]any) (string, bool) {
		key, _, ok := templateRef(m, "definition")
		return escapeItem(key), ok
	})
	if !ok {
		return false
	}
	t := f.sub()
	for _, d := range definitions {
		m := d.m
		_, name, _ := templateRef(m, "definition")
		item := path + "[" + d.key + "]"
		defLabel := joinLabel(label, name)
		values, _ := m["presentationValues"].([]any)
		compared := m
		if len(values) > 0 {
			compared = without(m, "presentationValues")
		}
		t.leaf(row{path: item, section: section, label: defLabel, key: d.key, display: enabledText(m["enabled"]), raw: canonical(compared)})
		if len(values) > 0 && !t.presentations(item, section, defLabel, values) {
			return false
		}
	}
	// No order rows: Normalize sorts definition and presentation values.
	f.rows = append(f.rows, t.rows...)
	return true
}

func (f *flat) presentations(path, section, label string, values []any) bool {
	options, ok := keyedObjects(values, func(m map[string]any) (string, bool) {
		if key, _, ok := templateRef(m, "presentation"); ok {
			return escapeItem(key), true
		}
		return "#" + fingerprint(m), true
	})
	if !ok {
		return false
	}
	for _, o := range options {
		name := "Option"
		if _, n, ok := templateRef(o.m, "presentation"); ok {
			name = n
		}
		f.leaf(row{path: path + "[" + o.key + "]", section: section, label: joinLabel(label, name), key: o.key,
			display: presentationText(o.m), raw: canonical(o.m)})
	}
	return true
}

var boundID = regexp.MustCompile(`\('([^']*)'\)\s*$`)

// templateRef finds what a definition or presentation value refers to, by its
// X@odata.bind link or an expanded X object, and a name to show for it: the
// expanded object's display name, or a short form of the id (there is no
// catalog of definitions offline).
func templateRef(m map[string]any, field string) (key, name string, ok bool) {
	if bind, ok := m[field+"@odata.bind"].(string); ok {
		id := bind
		if s := boundID.FindStringSubmatch(bind); s != nil {
			id = s[1]
		}
		return id, humanKey(field) + " " + shortID(id), true
	}
	if d, ok := m[field].(map[string]any); ok {
		id, _ := d["id"].(string)
		name, _ := d["displayName"].(string)
		if name == "" {
			name, _ = d["label"].(string)
		}
		if cat, _ := d["categoryPath"].(string); cat != "" && name != "" {
			name = strings.Trim(strings.ReplaceAll(cat, `\`, " › "), " ›") + " › " + name
		}
		switch {
		case id != "" && name != "":
			return id, name, true
		case id != "":
			return id, humanKey(field) + " " + shortID(id), true
		case name != "":
			return name, name, true
		}
		return canonical(d), humanKey(field), true
	}
	return "", "", false
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func enabledText(v any) string {
	switch scalarText(v) {
	case "true":
		return "Enabled"
	case "false":
		return "Disabled"
	}
	return scalarText(v)
}

// presentationText reads a presentation value: a single value, or a list of
// name=value pairs.
func presentationText(m map[string]any) string {
	if v, ok := m["value"]; ok && isScalar(v) {
		return scalarText(v)
	}
	if vs, ok := m["values"].([]any); ok {
		parts := make([]string, 0, len(vs))
		for _, e := range vs {
			if p, ok := e.(map[string]any); ok && p["name"] != nil {
				parts = append(parts, scalarText(p["name"])+"="+scalarText(p["value"]))
			} else {
				parts = append(parts, scalarText(e))
			}
		}
		return strings.Join(parts, ", ")
	}
	return canonical(m)
}
