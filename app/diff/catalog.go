package diff

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"atlas/app/catalog"
)

// errShape means a payload is not the shape its key promises; the generic
// flattening then takes it, so nothing is ever lost.
var errShape = errors.New("unexpected shape")

// catalog flattens a settings-catalog policy's settings[].settingInstance trees
// into one row per setting definition (choice, simple, collections, groups,
// nested children), keyed by settingDefinitionId. It reports false, adding
// nothing, when the value is not such a list.
func (f *flat) catalog(v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	settings, ok := keyedObjects(list, func(m map[string]any) (string, bool) {
		inst, _ := m["settingInstance"].(map[string]any)
		def, ok := inst["settingDefinitionId"].(string)
		return escapeItem(def), ok
	})
	if !ok {
		return false
	}
	c := f.sub()
	for _, s := range settings {
		inst := s.m["settingInstance"].(map[string]any)
		def := inst["settingDefinitionId"].(string)
		// Anything beside the instance (IntuneManagement's wrapper @odata.type)
		// is bookkeeping, compared with the template references.
		meta := map[string]any{}
		lift(s.m, meta, "setting.", slices.DeleteFunc(sortedKeys(s.m), func(k string) bool { return k == "settingInstance" })...)
		if err := c.instance("settings["+s.key+"]", "", nil, f.sectionOf(def), inst, "", meta); err != nil {
			return false
		}
	}
	f.rows = append(f.rows, c.rows...)
	f.unkeyed = append(f.unkeyed, c.unkeyed...)
	return true
}

// instance flattens one setting instance. fold carries the compared text of
// enclosing structure that has no row of its own (a group collection item).
func (f *flat) instance(path, parentDef string, parentLabel *settingLabel, section string, inst map[string]any, fold string, meta map[string]any) error {
	def, ok := inst["settingDefinitionId"].(string)
	if !ok {
		return errShape
	}
	label := f.label(def, parentDef, parentLabel)
	r := row{path: path, section: section, named: label, key: def}
	// Template references tie a setting to the template it was made from: a
	// row of their own, so that two policies setting the same value do not
	// read as "1 → 1" because one came from a template.
	if meta == nil {
		meta = map[string]any{}
	}
	defer f.templateRow(r, meta)
	inst = lift(inst, meta, "", "settingInstanceTemplateReference", "auditRuleInformation")
	switch {
	case inst["choiceSettingValue"] != nil:
		cv, ok := inst["choiceSettingValue"].(map[string]any)
		if !ok {
			return errShape
		}
		value, _ := cv["value"].(string)
		r.display, r.id = label.choice(value)
		// A choice value's own type says nothing (IntuneCD drops it).
		core := lift(withoutChildren(cv), meta, "choiceSettingValue.", valueMeta...)
		r.raw = fold + canonical(with(inst, "choiceSettingValue", core))
		f.leaf(r)
		return f.children(path, def, label, section, cv["children"], "")
	case inst["simpleSettingValue"] != nil:
		sv, ok := inst["simpleSettingValue"].(map[string]any)
		if !ok {
			return errShape
		}
		r.display = scalarText(sv["value"])
		core := lift(sv, meta, "simpleSettingValue.", simpleValueMeta...)
		r.raw = fold + canonical(with(inst, "simpleSettingValue", core))
		f.leaf(r)
		return nil
	case inst["simpleSettingCollectionValue"] != nil:
		return f.collection(r, inst, "simpleSettingCollectionValue", fold, meta, simpleValueMeta, func(path string, e map[string]any, fold string) error {
			f.leaf(row{path: path, section: section, named: label, key: def, display: scalarText(e["value"]), raw: fold + canonical(e)})
			return nil
		})
	case inst["choiceSettingCollectionValue"] != nil:
		return f.collection(r, inst, "choiceSettingCollectionValue", fold, meta, valueMeta, func(path string, e map[string]any, fold string) error {
			value, _ := e["value"].(string)
			display, id := label.choice(value)
			f.leaf(row{path: path, section: section, named: label, key: def, display: display, id: id, raw: fold + canonical(withoutChildren(e))})
			return f.children(path, def, label, section, e["children"], "")
		})
	case inst["groupSettingCollectionValue"] != nil:
		return f.collection(r, inst, "groupSettingCollectionValue", fold, meta, valueMeta, func(path string, e map[string]any, fold string) error {
			return f.group(path, def, label, section, e, fold)
		})
	case inst["groupSettingValue"] != nil:
		g, ok := inst["groupSettingValue"].(map[string]any)
		if !ok {
			return errShape
		}
		g = lift(g, meta, "groupSettingValue.", valueMeta...)
		return f.group(path, def, label, section, g, fold+canonical(without(inst, "groupSettingValue")))
	}
	// An instance of a kind this engine does not know: compared whole.
	r.display, r.raw = "configured", fold+canonical(inst)
	f.leaf(r)
	return nil
}

// templateRow records a setting's template references, if it has any.
func (f *flat) templateRow(owner row, meta map[string]any) {
	if len(meta) == 0 {
		return
	}
	var ids []string
	for _, k := range sortedKeys(meta) {
		ref, _ := meta[k].(map[string]any)
		for _, idKey := range []string{"settingInstanceTemplateId", "settingValueTemplateId"} {
			if id, ok := ref[idKey].(string); ok && id != "" {
				ids = append(ids, strings.TrimSuffix(idKey, "TemplateId")+" "+id)
			}
		}
	}
	display := "none"
	if len(ids) > 0 {
		display = strings.Join(ids, ", ")
	}
	f.leaf(row{path: owner.path + "#template", section: owner.section, named: owner.named, suffix: " › template reference",
		key: owner.key, display: display, raw: canonical(meta), meta: true, owner: owner.path})
}

// valueMeta are the bookkeeping fields of a choice or group value: its
// template reference and its type (which IntuneCD drops). A simple value
// keeps its type: it tells a number from a string.
var (
	valueMeta       = []string{"settingValueTemplateReference", "@odata.type"}
	simpleValueMeta = []string{"settingValueTemplateReference"}
)

// lift returns a copy of m without keys, which it moves to meta under prefix.
func lift(m, meta map[string]any, prefix string, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if slices.Contains(keys, k) {
			meta[prefix+k] = v
		} else {
			out[k] = v
		}
	}
	return out
}

// collection flattens a collection instance: one row per element, keyed by the
// element's value or, for groups, by a key child or a fingerprint. The
// instance's own fields fold into every element's compared text.
func (f *flat) collection(r row, inst map[string]any, field, fold string, meta map[string]any, liftKeys []string, element func(path string, e map[string]any, fold string) error) error {
	list, ok := inst[field].([]any)
	if !ok {
		return errShape
	}
	fold += canonical(without(inst, field))
	if len(list) == 0 {
		r.display, r.raw, r.empty = "(none)", fold+"[]", true
		f.leaf(r)
		return nil
	}
	seen := make(map[string]int, len(list))
	items := make([]string, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return errShape
		}
		lifted := map[string]any{}
		m = lift(m, lifted, "", liftKeys...)
		key, fingerprinted := elementKey(r.key, m)
		key = dedupe(seen, key)
		for k, v := range lifted {
			meta[field+"["+key+"]."+k] = v
		}
		items = append(items, key)
		item := r.path + "[" + key + "]"
		if fingerprinted {
			f.unkeyed = append(f.unkeyed, unkeyed{array: r.path, item: item})
		}
		if err := element(item, m, fold); err != nil {
			return err
		}
	}
	f.orderRow(r.path, r.section, r.name(), items)
	return nil
}

// group flattens one group of child settings. Its own fields fold into its
// children; a group without children gets a row of its own.
func (f *flat) group(path, def string, label *settingLabel, section string, g map[string]any, fold string) error {
	kids, ok := g["children"].([]any)
	if !ok && g["children"] != nil {
		return errShape
	}
	fold += canonical(withoutChildren(g))
	if len(kids) == 0 {
		f.leaf(row{path: path, section: section, named: label, key: def, display: "(empty group)", raw: fold, empty: true})
		return nil
	}
	return f.children(path, def, label, section, g["children"], fold)
}

// children flattens child instances under their parent, keyed by definition id.
func (f *flat) children(path, parentDef string, parentLabel *settingLabel, section string, v any, fold string) error {
	if v == nil {
		return nil
	}
	kids, ok := v.([]any)
	if !ok {
		return errShape
	}
	seen := make(map[string]int, len(kids))
	for _, k := range kids {
		inst, ok := k.(map[string]any)
		if !ok {
			return errShape
		}
		def, ok := inst["settingDefinitionId"].(string)
		if !ok {
			return errShape
		}
		child := path + "/" + dedupe(seen, escapeSegment(def))
		if err := f.instance(child, parentDef, parentLabel, section, inst, fold, nil); err != nil {
			return err
		}
	}
	return nil
}

// elementKey names a collection element: a simple or choice value names
// itself; a group is named by a child that reads like a key (…_key,
// …_identifier, …_name), else by a fingerprint of its content.
func elementKey(def string, e map[string]any) (key string, fingerprinted bool) {
	if v, ok := e["value"]; ok && isScalar(v) {
		return escapeItem(scalarText(v)), false
	}
	kids, _ := e["children"].([]any)
	for _, suffix := range []string{"_key", "_keytobereplaced", "_identifier", "_name"} {
		for _, k := range kids {
			inst, _ := k.(map[string]any)
			id, _ := inst["settingDefinitionId"].(string)
			if v := instanceValue(inst); v != "" && strings.HasSuffix(id, suffix) {
				return escapeItem(v), false
			}
		}
	}
	return "#" + fingerprint(bare(e)), true
}

// instanceValue is a simple or choice instance's value, or "".
func instanceValue(inst map[string]any) string {
	for _, field := range []string{"simpleSettingValue", "choiceSettingValue"} {
		v, _ := inst[field].(map[string]any)
		if s, ok := v["value"].(string); ok {
			return s
		}
	}
	return ""
}

// bare strips bookkeeping (template references, types) from a whole tree, so
// that an element's fingerprint is the same in every export format.
func bare(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			switch k {
			case "@odata.type", "settingValueTemplateReference", "settingInstanceTemplateReference", "auditRuleInformation":
			default:
				m[k] = bare(e)
			}
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = bare(e)
		}
		return a
	}
	return v
}

// keyed is one object of a list under its key in paths.
type keyed struct {
	key string
	m   map[string]any
}

// keyedObjects names each object of a list by keyOf (which escapes), and
// numbers duplicates (k, k#2…). It reports false when an element is not an
// object or keyOf cannot name it.
func keyedObjects(list []any, keyOf func(map[string]any) (string, bool)) ([]keyed, bool) {
	out := make([]keyed, 0, len(list))
	seen := make(map[string]int, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		key, ok := keyOf(m)
		if !ok {
			return nil, false
		}
		out = append(out, keyed{dedupe(seen, key), m})
	}
	return out, true
}

func dedupe(seen map[string]int, key string) string {
	n := seen[key]
	seen[key]++
	if n > 0 {
		return fmt.Sprintf("%s#%d", key, n+1)
	}
	return key
}

// withoutChildren leaves out a value's child settings when they have rows of
// their own; an empty or null list stays, so that it still counts.
func withoutChildren(m map[string]any) map[string]any {
	if kids, ok := m["children"].([]any); ok && len(kids) > 0 {
		return without(m, "children")
	}
	return m
}

// without returns a shallow copy of m lacking key.
func without(m map[string]any, key string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// with returns a shallow copy of m with key set to v.
func with(m map[string]any, key string, v any) map[string]any {
	out := without(m, key)
	out[key] = v
	return out
}

// settingLabel names a setting when it is shown: most rows never change, and
// making labels is the costliest part of flattening.
type settingLabel struct {
	parent         *settingLabel
	def, parentDef string
	known          *catalog.Definition // what the dictionary says of it; nil when it does not know it
}

// label looks a setting up in the dictionary.
func (f *flat) label(def, parentDef string, parent *settingLabel) *settingLabel {
	known, _ := f.dict.Lookup(def)
	return &settingLabel{parent: parent, def: def, parentDef: parentDef, known: known}
}

// sectionOf is a top-level setting's section: its category in the
// dictionary, else its CSP area.
func (f *flat) sectionOf(def string) string {
	if known, ok := f.dict.Lookup(def); ok && known.Category != "" {
		return known.Category
	}
	return categoryOf(def)
}

// String is the setting's full label: its parents' names and its own, the
// dictionary's where it has them; a setting it does not know reads as before
// there was one ("BitLocker › Fixed drives encryption type").
func (l *settingLabel) String() string {
	if l == nil {
		return ""
	}
	if l.known == nil || l.known.Name == "" {
		if l.parent == nil {
			return settingName(l.def, "")
		}
		return joinLabel(l.parent.String(), ownName(l.def, l.parentDef))
	}
	return joinLabel(l.parent.String(), l.known.Name)
}

// about is what a page shows of the setting beside its value.
func (l *settingLabel) about() About {
	a := About{Name: ownName(l.def, l.parentDef), Unlisted: l.known == nil, known: l.known}
	if l.known != nil {
		if l.known.Name != "" {
			a.Name = l.known.Name
		}
		a.CSP, a.Category, a.Risk = l.known.CSP, l.known.Category, l.known.Risk
	}
	for p := l.parent; p != nil; p = p.parent {
		a.Depth++
	}
	return a
}

// choice reads a choice value: the option's label in the dictionary, else
// words made from its id; the raw id is kept for grey text.
func (l *settingLabel) choice(value string) (display, id string) {
	if l.known != nil {
		if label, ok := l.known.OptionLabel(value); ok {
			return label, value
		}
	}
	return choiceText(l.def, value)
}
