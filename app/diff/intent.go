package diff

import (
	"bytes"
	"encoding/json"
	"strings"

	"atlas/app/intune"
)

// intents flattens an endpoint-security intent's settings (its settings, or
// IntuneBackupAndRestore's settingsDelta) — a list of {definitionId,
// valueJson, value} — into one row per setting, keyed like the settings
// catalog ("settings[<definitionId>]") and named by the intent definitions of
// the dictionary. It reports false, adding nothing, for a list of another shape.
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
		// The whole instance is compared: its value, its valueJson and its type.
		r := row{path: path + "[" + s.key + "]", section: SectionSettings, named: label, key: label.def, raw: canonical(s.m)}
		r.display, r.id = intentDisplay(label, intentValue(s.m))
		f.leaf(r)
	}
	// No order row: the settings of an intent are a set.
	return true
}

// intentValue is what an intent setting is set to: its value, else what its
// valueJson holds (Graph sends both; some exports keep only valueJson).
func intentValue(m map[string]any) any {
	if v, ok := m["value"]; ok {
		return v
	}
	switch x := m["valueJson"].(type) {
	case map[string]any: // JSON text, already expanded by intune.Normalize
		return x[intune.EmbeddedJSONKey]
	case string:
		dec := json.NewDecoder(bytes.NewReader([]byte(x)))
		dec.UseNumber()
		var decoded any
		if dec.Decode(&decoded) == nil {
			return decoded
		}
		return x
	}
	return nil
}

// intentDisplay shows a value: an enum by its option label, a complex
// setting's settings as "name = value" pairs.
func intentDisplay(label *settingLabel, v any) (display, id string) {
	if !isScalar(v) {
		return intentText(v), ""
	}
	text := scalarText(v)
	if label.known != nil {
		if option, ok := label.known.OptionLabel(text); ok {
			return option, text
		}
	}
	return text, ""
}

// intentText shows a value: a scalar as it is, a complex setting's settings
// as "name = value" pairs, a list joined by commas.
func intentText(v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if def, ok := m["definitionId"].(string); ok {
					parts = append(parts, humanKey(def[strings.LastIndexByte(def, '_')+1:])+" = "+intentText(intentValue(m)))
					continue
				}
			}
			parts = append(parts, intentText(e))
		}
		return strings.Join(parts, "; ")
	case map[string]any:
		return canonical(x)
	}
	return scalarText(v)
}
