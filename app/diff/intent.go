package diff

import (
	"strings"

	"atlas/app/intune"
)

// intentSettings flattens an endpoint-security intent's settings (its
// settings, or IntuneBackupAndRestore's settingsDelta) into one row per
// setting definition, keyed like the settings catalog: "settings[<definitionId>]".
// It reports false, adding nothing, when the value is not such a list.
func (f *flat) intentSettings(path string, v any) bool {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return false
	}
	settings, ok := keyedObjects(list, func(m map[string]any) (string, bool) {
		def, ok := m["definitionId"].(string)
		return escapeItem(def), ok
	})
	if !ok {
		return false
	}
	for _, s := range settings {
		def := s.m["definitionId"].(string)
		section, label := intentName(def)
		// The whole instance is compared: its value, its valueJson and its type.
		f.leaf(row{path: path + "[" + s.key + "]", section: section, label: label, key: def,
			display: intentText(intentValue(s.m)), raw: canonical(s.m)})
	}
	return true
}

// intentName reads an intent setting's definition id,
// "deviceConfiguration--windows10EndpointProtectionConfiguration_firewallBlockStatefulFTP":
// the section is the profile it comes from, the label its property.
func intentName(def string) (section, label string) {
	_, rest, ok := strings.Cut(def, "--")
	if !ok {
		rest = def
	}
	group, name, ok := strings.Cut(rest, "_")
	if !ok {
		return SectionSettings, humanKey(rest)
	}
	section = humanKey(group)
	return section, joinLabel(section, humanKey(name))
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
		if v, err := intune.Decode([]byte(x)); err == nil {
			return v
		}
		return x
	}
	return nil
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
