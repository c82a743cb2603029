package diff

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"atlas/app/catalog"
	"atlas/app/intune"
)

// row is one comparable value of a payload: a setting, a property, an
// assignment, a script. Flattening is lossless: two payloads with equal rows
// have equal canonical JSON, which is what makes "no changes" trustworthy.
type row struct {
	path, section, label, key string
	named                     *settingLabel // the label, made when needed
	suffix                    string        // added to the made label
	display, id               string        // what people read, and the raw id behind it
	raw                       string        // what is compared
	text                      bool          // multi-line text: a change is shown line by line
	empty                     bool          // an empty object or array
	order                     bool          // the order of an array's elements
	meta                      bool          // a setting's template references
	owner                     string        // for a meta row: the setting's row
	items                     []string      // for an order row: the elements' keys in order
}

// flat is the rows of one payload, and the array elements that had no natural
// key (identified by a fingerprint of their content).
type flat struct {
	rows    []row
	unkeyed []unkeyed
	byPath  []int               // row indexes in path order, made by holds
	dict    *catalog.Dictionary // names settings and their options
	names   Names               // names groups and filters
}

type unkeyed struct{ array, item string }

func flatten(v any, names Names) *flat {
	f := &flat{dict: catalog.Active(), names: names}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			f.value("", SectionSettings, "", x)
		}
		f.root(x)
	case []any:
		if !f.templates("", SectionSettings, "", x) {
			f.value("", SectionSettings, "", x)
		}
	case nil: // no policy: every row of the other side is added or removed
	default:
		f.value("", SectionSettings, "", v)
	}
	f.unique()
	return f
}

// root flattens a policy object: well-known keys get their own handling, the
// rest are properties by dotted path.
func (f *flat) root(m map[string]any) {
	for _, k := range sortedKeys(m) {
		v, path := m[k], escapeKey(k)
		label := humanKey(k)
		switch {
		case k == "settings" && f.catalog(v):
		case (k == "settings" || k == "settingsDelta") && f.intents(path, v):
		case k == "assignments" && f.assignments(path, v):
		case k == "definitionValues" && f.templates(path, SectionSettings, "", v):
		case scriptKeys[k] != "":
			f.text(path, SectionScript, scriptKeys[k], v)
		case propertyKeys[k]:
			f.value(path, SectionProperties, label, v)
		default:
			f.value(path, SectionSettings, label, v)
		}
	}
}

// propertyKeys are a policy's identity and bookkeeping, not its configuration.
var propertyKeys = map[string]bool{
	"@odata.type": true, "displayName": true, "name": true, "description": true,
	"roleScopeTagIds": true, "platforms": true, "technologies": true,
	"templateReference": true, "creationSource": true, "priorityMetaData": true,
	"supportsScopeTags": true, "isAssigned": true, "fileName": true,
}

// value flattens any JSON value generically: objects by key, arrays by the
// natural key of their elements, scalars as one row.
func (f *flat) value(path, section, label string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			f.leaf(row{path: path, section: section, label: label, key: path, display: "{}", raw: "{}", empty: true})
			return
		}
		for _, k := range sortedKeys(x) {
			f.value(join(path, k), section, joinLabel(label, humanKey(k)), x[k])
		}
	case []any:
		f.array(path, section, label, x)
	default:
		f.leaf(row{path: path, section: section, label: label, key: path, display: scalarText(v), raw: canonical(v)})
	}
}

// array flattens elements under their natural key; elements without one are
// named by a fingerprint of their content and paired later (pairUnkeyed).
func (f *flat) array(path, section, label string, a []any) {
	if len(a) == 0 {
		f.leaf(row{path: path, section: section, label: label, key: path, display: "(none)", raw: "[]", empty: true})
		return
	}
	seen := make(map[string]int, len(a))
	items := make([]string, 0, len(a))
	for _, e := range a {
		key, itemLabel := naturalKey(e)
		fingerprinted := key == ""
		if fingerprinted {
			key = "#" + fingerprint(e)
		} else {
			key = escapeItem(key)
		}
		key = dedupe(seen, key)
		items = append(items, key)
		item := path + "[" + key + "]"
		if fingerprinted {
			f.unkeyed = append(f.unkeyed, unkeyed{array: path, item: item})
		}
		if isScalar(e) {
			f.leaf(row{path: item, section: section, label: label, key: path, display: scalarText(e), raw: canonical(e)})
			continue
		}
		if m, ok := e.(map[string]any); ok && !fingerprinted {
			f.item(item, section, joinLabel(label, itemLabel), m)
			continue
		}
		f.value(item, section, joinLabel(label, itemLabel), e)
	}
	f.orderRow(path, section, label, items)
}

// orderRow records the order of an array's elements; it is a change only when
// the elements both sides share come in another order.
func (f *flat) orderRow(path, section, label string, items []string) {
	if len(items) < 2 {
		return
	}
	orderLabel := "Order"
	if label != "" {
		orderLabel = label + " › order"
	}
	f.leaf(row{path: path + "#order", section: section, label: orderLabel, key: path,
		display: strings.Join(items, ", "), raw: strings.Join(items, "\x00"), order: true, items: items})
}

// item flattens an array element object named by a natural key. Its key
// field keeps a row of its own: which field named it is part of the payload.
func (f *flat) item(path, section, label string, m map[string]any) {
	if len(m) == 0 {
		f.value(path, section, label, m)
		return
	}
	for _, k := range sortedKeys(m) {
		if k == "value" { // an OMA-URI's or a key/value pair's value is the item itself
			if base64Values[scalarText(m["@odata.type"])] {
				f.text(join(path, k), section, label, m[k])
			} else {
				f.value(join(path, k), section, label, m[k])
			}
			continue
		}
		f.value(join(path, k), section, joinLabel(label, humanKey(k)), m[k])
	}
}

// sub is an empty flat that names things as f does, for rows that join f's
// only when a whole list has the shape they expect.
func (f *flat) sub() *flat { return &flat{dict: f.dict, names: f.names} }

// about is what the dictionary says of a setting row; zero for other rows.
func (r *row) about() About {
	if r.named == nil {
		return About{}
	}
	a := r.named.about()
	a.Name += r.suffix
	return a
}

func (r *row) name() string {
	if r.named != nil {
		return r.named.String() + r.suffix
	}
	return r.label
}

func (f *flat) leaf(r row) { f.rows = append(f.rows, r) }

// naturalKeyFields name an element's identity, first found wins.
var naturalKeyFields = []string{
	"omaUri", "settingDefinitionId", "definitionId", "definition@odata.bind", "presentation@odata.bind",
	"ruleName", "actionType", "locale", "mobileAppIdentifier", "displayName", "name", "key",
}

func naturalKey(e any) (key, label string) {
	switch x := e.(type) {
	case map[string]any:
		field, key := naturalKeyField(x)
		if field == "omaUri" {
			return key, omaLabel(key)
		}
		return key, key
	case []any:
		return "", ""
	}
	return scalarText(e), scalarText(e)
}

// naturalKeyField finds the field that names an element, and its text.
func naturalKeyField(m map[string]any) (field, key string) {
	for _, k := range naturalKeyFields {
		v, ok := m[k]
		if !ok || v == nil {
			continue
		}
		key = scalarText(v)
		if !isScalar(v) {
			key = canonical(v)
		}
		if key != "" {
			return k, key
		}
	}
	return "", ""
}

// pairUnkeyed matches, in each array, the one element without a natural key
// that only the old side has with the one only the new side has: editing one
// field of such an element then reads as that field changing, not as the whole
// element removed and added. The common name keeps Compare symmetric.
func pairUnkeyed(a, b *flat) {
	if len(a.unkeyed) == 0 || len(b.unkeyed) == 0 {
		return
	}
	ga, gb := a.groups(), b.groups()
	// Outer arrays first: pairing an element renames the arrays inside it.
	arrays := sortedArrays(ga)
	for i := 0; i < len(arrays); i++ {
		array := arrays[i]
		oldOnly, newOnly := minus(ga[array], gb[array]), minus(gb[array], ga[array])
		if len(oldOnly) != 1 || len(newOnly) != 1 {
			continue
		}
		common := array + "[#paired]"
		a.rename(oldOnly[0], common)
		b.rename(newOnly[0], common)
		ga, gb = a.groups(), b.groups()
		arrays = sortedArrays(ga)
		i = slices.Index(arrays, array)
	}
}

// groups lists the fingerprinted elements by their array.
func (f *flat) groups() map[string]map[string]bool {
	g := map[string]map[string]bool{}
	for _, u := range f.unkeyed {
		if g[u.array] == nil {
			g[u.array] = map[string]bool{}
		}
		g[u.array][u.item] = true
	}
	return g
}

func sortedArrays(g map[string]map[string]bool) []string {
	arrays := make([]string, 0, len(g))
	for a := range g {
		arrays = append(arrays, a)
	}
	slices.SortFunc(arrays, func(x, y string) int {
		if len(x) != len(y) {
			return len(x) - len(y)
		}
		return strings.Compare(x, y)
	})
	return arrays
}

// minus lists the items of x that y lacks.
func minus(x, y map[string]bool) []string {
	var out []string
	for item := range x {
		if !y[item] {
			out = append(out, item)
		}
	}
	return out
}

func (f *flat) rename(from, to string) {
	for i := range f.rows {
		if p, ok := under(f.rows[i].path, from); ok {
			f.rows[i].path = to + p
		}
	}
	for i := range f.unkeyed {
		if p, ok := under(f.unkeyed[i].array, from); ok {
			f.unkeyed[i].array = to + p
		}
		if p, ok := under(f.unkeyed[i].item, from); ok {
			f.unkeyed[i].item = to + p
		}
	}
}

// under reports whether path is prefix itself or lies below it, and the rest.
func under(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return "", false
	}
	if rest == "" || prefix == "" || strings.ContainsRune(".[/#", rune(rest[0])) {
		return rest, true
	}
	return "", false
}

// holds reports whether a row other than an order or template row lies at
// path (unless strictly) or below it. Rows with a common prefix sit together
// in path order, so only those are looked at.
func (f *flat) holds(path string, strictly bool) bool {
	if f.byPath == nil {
		f.byPath = make([]int, len(f.rows))
		for i := range f.byPath {
			f.byPath[i] = i
		}
		slices.SortFunc(f.byPath, func(i, j int) int { return strings.Compare(f.rows[i].path, f.rows[j].path) })
	}
	start, _ := slices.BinarySearchFunc(f.byPath, path, func(i int, p string) int { return strings.Compare(f.rows[i].path, p) })
	for _, i := range f.byPath[start:] {
		r := &f.rows[i]
		if !strings.HasPrefix(r.path, path) {
			return false
		}
		if rest, ok := under(r.path, path); ok && (rest != "" || !strictly) && !r.order && !r.meta {
			return true
		}
	}
	return false
}

// unique makes every path distinct, whatever strange keys a payload holds.
func (f *flat) unique() {
	seen := make(map[string]int, len(f.rows))
	for i := range f.rows {
		p := f.rows[i].path
		if n := seen[p]; n > 0 {
			f.rows[i].path = fmt.Sprintf("%s#dup%d", p, n+1)
		}
		seen[p]++
	}
}

// Paths are built so that two different payloads never flatten to the same
// paths: the characters that end a part are escaped inside it. An object key
// follows "." and ends at ".", "[", "/" or "#"; a setting id follows "/"; an
// element key sits in brackets, where "#" marks duplicates and fingerprints.
func escapeKey(k string) string {
	if k == "" {
		return `""` // not the path of the object itself
	}
	return escape(k, `\.[/#"`)
}
func escapeSegment(k string) string { return escape(k, `\/[#`) }
func escapeItem(k string) string    { return escape(k, `\]#`) }

func escape(k, special string) string {
	if !strings.ContainsAny(k, special) {
		return k
	}
	var b strings.Builder
	for _, r := range k {
		if strings.ContainsRune(special, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func join(path, k string) string {
	if path == "" {
		return escapeKey(k)
	}
	return path + "." + escapeKey(k)
}

func joinLabel(parent, child string) string {
	switch {
	case child == "":
		return parent
	case parent == "":
		return child
	}
	return parent + " › " + child
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func isScalar(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	return true
}

// scalarText is how a scalar reads: strings without quotes, null as "null".
func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "null"
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return canonical(v)
}

func fingerprint(v any) string {
	h := fnv.New64a()
	h.Write([]byte(canonical(v)))
	return fmt.Sprintf("%016x", h.Sum64())
}

func canonical(v any) string { return string(intune.Canonical(v)) }
