package diff

import (
	"bytes"
	"encoding/json"
)

// intents flattens an endpoint-security intent's settings — a list of
// {definitionId, valueJson, value} — into one row per setting, keyed by its
// definition id and named by the intent definitions of the dictionary. It
// reports false, adding nothing, for a list of another shape.
func (f *flat) intents(path string, v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	settings, ok := keyedObjects(list, func(m map[string]any) (string, bool) {
		id, ok := m["definitionId"].(string)
		return escapeItem(id), ok && id != ""
	})
	if !ok {
		return false
	}
	for _, s := range settings {
		label := f.label(s.m["definitionId"].(string), "", nil)
		r := row{path: path + "[" + s.key + "]", section: SectionSettings, named: label, key: label.def, raw: canonical(s.m)}
		r.display, r.id = intentValue(label, s.m)
		f.leaf(r)
	}
	// No order row: the settings of an intent are a set.
	return true
}

// intentValue reads an intent setting's value: valueJson decoded (value holds
// the same where an export keeps both), an enum value by its label.
func intentValue(label *settingLabel, m map[string]any) (display, id string) {
	v := m["value"]
	if text, ok := m["valueJson"].(string); ok {
		dec := json.NewDecoder(bytes.NewReader([]byte(text)))
		dec.UseNumber()
		var decoded any
		if dec.Decode(&decoded) == nil {
			v = decoded
		}
	}
	if !isScalar(v) {
		return canonical(v), ""
	}
	text := scalarText(v)
	if label.known != nil {
		if option, ok := label.known.OptionLabel(text); ok {
			return option, text
		}
	}
	return text, ""
}
