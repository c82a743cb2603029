package inventory

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"atlas/app/intune"
)

// Setting is one row of a policy's settings as the detail page shows them
// (UI.md: readable labels first, ids in small grey text).
type Setting struct {
	Depth int    // nesting: children of a choice or a group are one deeper
	Name  string // readable label
	ID    string // the setting definition id or JSON path
	Value string
}

// Indent marks a nested row: no-break spaces per level and an arrow (CSP
// forbids style attributes, and the text reads right when copied too).
func (s Setting) Indent() string {
	if s.Depth == 0 {
		return ""
	}
	return strings.Repeat("\u00a0\u00a0\u00a0", min(s.Depth, 6)-1) + "↳ "
}

// DecodePayload parses a stored canonical payload, keeping numbers exact.
func DecodePayload(canonical []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(canonical))
	dec.UseNumber()
	var v any
	return v, dec.Decode(&v)
}

// Settings renders a payload readably: a settings-catalog policy as definition →
// value rows, an administrative template as definition → state with its
// presentation values, anything else as its properties (nested ones indented).
// Identity and presentation keys (name, description, assignments) are left to
// the page's header and its assignments section.
func Settings(payload any) []Setting {
	switch v := payload.(type) {
	case []any:
		return adminTemplateRows(v)
	case map[string]any:
		if list, ok := v["settings"].([]any); ok && len(list) > 0 && isInstanceList(list) {
			var rows []Setting
			for _, s := range list {
				inst, _ := s.(map[string]any)["settingInstance"].(map[string]any)
				rows = append(rows, instanceRows(inst, nil, 0)...)
			}
			return rows
		}
		return propertyRows(v, "", 0)
	}
	return nil
}

func isInstanceList(list []any) bool {
	for _, s := range list {
		m, _ := s.(map[string]any)
		if _, ok := m["settingInstance"].(map[string]any); !ok {
			return false
		}
	}
	return true
}

// instanceRows renders one settings-catalog setting instance and its children;
// a child is labelled by what its id adds to its nearest ancestor's.
func instanceRows(inst map[string]any, ancestors []string, depth int) []Setting {
	id, _ := inst["settingDefinitionId"].(string)
	row := Setting{Depth: depth, Name: settingLabel(id), ID: id}
	for i := len(ancestors) - 1; i >= 0; i-- {
		if rest, ok := strings.CutPrefix(id, ancestors[i]+"_"); ok && rest != "" {
			row.Name = strings.ReplaceAll(rest, "_", " › ")
			break
		}
	}
	ancestors = append(ancestors[:len(ancestors):len(ancestors)], id)
	var children []any
	switch {
	case inst["choiceSettingValue"] != nil:
		v, _ := inst["choiceSettingValue"].(map[string]any)
		row.Value = choiceLabel(id, v["value"])
		children, _ = v["children"].([]any)
	case inst["simpleSettingValue"] != nil:
		v, _ := inst["simpleSettingValue"].(map[string]any)
		row.Value = scalar(v["value"])
	case inst["choiceSettingCollectionValue"] != nil:
		var labels []string
		for _, c := range asList(inst["choiceSettingCollectionValue"]) {
			labels = append(labels, choiceLabel(id, c["value"]))
		}
		row.Value = strings.Join(labels, ", ")
	case inst["simpleSettingCollectionValue"] != nil:
		var values []string
		for _, c := range asList(inst["simpleSettingCollectionValue"]) {
			values = append(values, scalar(c["value"]))
		}
		row.Value = strings.Join(values, ", ")
	case inst["groupSettingCollectionValue"] != nil:
		groups := asList(inst["groupSettingCollectionValue"])
		row.Value = plural(len(groups), "item")
		rows := []Setting{row}
		for i, g := range groups {
			items, _ := g["children"].([]any)
			if len(groups) > 1 {
				rows = append(rows, Setting{Depth: depth + 1, Name: fmt.Sprintf("Item %d", i+1)})
			}
			for _, c := range items {
				if m, ok := c.(map[string]any); ok {
					rows = append(rows, instanceRows(m, ancestors, depth+1+min(1, len(groups)-1))...)
				}
			}
		}
		return rows
	case inst["groupSettingValue"] != nil:
		v, _ := inst["groupSettingValue"].(map[string]any)
		children, _ = v["children"].([]any)
	}
	rows := []Setting{row}
	for _, c := range children {
		if m, ok := c.(map[string]any); ok {
			rows = append(rows, instanceRows(m, ancestors, depth+1)...)
		}
	}
	return rows
}

func asList(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// definitionPrefixes are the CSP paths every setting id of a kind starts with;
// they say nothing a person needs.
var definitionPrefixes = []string{"device_vendor_msft_policy_config_", "user_vendor_msft_policy_config_",
	"device_vendor_msft_", "user_vendor_msft_", "vendor_msft_", "com.apple."}

// settingLabel turns "device_vendor_msft_policy_config_defender_allowarchivescanning"
// into "Defender › allowarchivescanning": the area, then the setting.
func settingLabel(id string) string {
	rest := id
	for _, p := range definitionPrefixes {
		if strings.HasPrefix(rest, p) {
			rest = rest[len(p):]
			break
		}
	}
	parts := strings.FieldsFunc(rest, func(r rune) bool { return r == '_' || r == '.' })
	switch len(parts) {
	case 0:
		return id
	case 1:
		return parts[0]
	}
	area := strings.Join(parts[:len(parts)-1], " ")
	return strings.ToUpper(area[:1]) + area[1:] + " › " + parts[len(parts)-1]
}

// choiceLabel shows a choice by what follows its definition id
// ("…_allowarchivescanning_1" → "1").
func choiceLabel(id string, v any) string {
	s := scalar(v)
	if rest, ok := strings.CutPrefix(s, id+"_"); ok && rest != "" {
		return rest
	}
	return s
}

// adminTemplateRows renders the definition values of an administrative template.
func adminTemplateRows(values []any) []Setting {
	var rows []Setting
	for _, e := range asList(values) {
		def := scalar(e["definition@odata.bind"])
		state := "disabled"
		if b := scalar(e["enabled"]); b == "true" {
			state = "enabled"
		}
		rows = append(rows, Setting{Name: "Definition " + graphKey(def, "groupPolicyDefinitions"), ID: def, Value: state})
		for _, pv := range asList(e["presentationValues"]) {
			pres := scalar(pv["presentation@odata.bind"])
			value := scalar(pv["value"])
			if value == "" && pv["values"] != nil {
				value = scalar(pv["values"])
			}
			rows = append(rows, Setting{Depth: 1, Name: "Presentation " + graphKey(pres, "presentations"), ID: pres, Value: value})
		}
	}
	return rows
}

// graphKey pulls the key out of "…/collection('key')…", or returns ref unchanged.
func graphKey(ref, collection string) string {
	_, after, ok := strings.Cut(ref, collection+"('")
	if !ok {
		return ref
	}
	key, _, _ := strings.Cut(after, "')")
	return key
}

// presentationKeys are shown by the page elsewhere, not as settings.
var presentationKeys = map[string]bool{"@odata.type": true, "displayName": true, "name": true, "description": true, "assignments": true}

const longValue = 160

// propertyRows renders any other payload as its properties, nested ones indented.
func propertyRows(m map[string]any, path string, depth int) []Setting {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		// Graph writes null for what is not configured: nothing to read there.
		if v == nil || depth == 0 && presentationKeys[k] || k == "@odata.type" {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var rows []Setting
	for _, k := range keys {
		p := k
		if path != "" {
			p = path + "." + k
		}
		rows = append(rows, valueRows(k, p, m[k], depth)...)
	}
	return rows
}

func valueRows(name, path string, v any, depth int) []Setting {
	switch x := v.(type) {
	case map[string]any:
		if uri, ok := x["omaUri"].(string); ok {
			// An OMA-URI setting reads as its name and value.
			return []Setting{{Depth: depth, Name: name, ID: uri, Value: valueText(x["value"])}}
		}
		if inner, ok := x[intune.EmbeddedJSONKey]; ok && len(x) == 1 {
			return []Setting{{Depth: depth, Name: name, ID: path, Value: clip(string(intune.Canonical(inner)))}}
		}
		if t, ok := x["@odata.type"].(string); ok && len(x) == 1 {
			return []Setting{{Depth: depth, Name: name, ID: path, Value: strings.TrimPrefix(t, "#microsoft.graph.")}}
		}
		return append([]Setting{{Depth: depth, Name: name, ID: path}}, propertyRows(x, path, depth+1)...)
	case []any:
		if len(x) == 0 {
			return []Setting{{Depth: depth, Name: name, ID: path, Value: "none"}}
		}
		if allScalars(x) {
			values := make([]string, len(x))
			for i, e := range x {
				values[i] = scalar(e)
			}
			return []Setting{{Depth: depth, Name: name, ID: path, Value: clip(strings.Join(values, ", "))}}
		}
		rows := []Setting{{Depth: depth, Name: name, ID: path, Value: plural(len(x), "item")}}
		for i, e := range x {
			rows = append(rows, valueRows(itemName(e, fmt.Sprintf("%s %d", name, i+1)), fmt.Sprintf("%s[%d]", path, i), e, depth+1)...)
		}
		return rows
	}
	return []Setting{{Depth: depth, Name: name, ID: path, Value: clip(scalar(v))}}
}

// itemNames are the properties that name an element of a list, best first.
var itemNames = []string{"displayName", "name", "omaUri", "ruleName", "actionType", "locale", "key"}

// itemName labels a list element by its own name when it has one.
func itemName(e any, fallback string) string {
	m, _ := e.(map[string]any)
	for _, k := range itemNames {
		if s, ok := m[k].(string); ok && s != "" {
			return s
		}
	}
	return fallback
}

func allScalars(list []any) bool {
	for _, e := range list {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// valueText renders any value on one line, clipped.
func valueText(v any) string {
	if m, ok := v.(map[string]any); ok && len(m) == 1 && m[intune.EmbeddedJSONKey] != nil {
		v = m[intune.EmbeddedJSONKey]
	}
	return clip(scalar(v))
}

// scalar renders a JSON scalar as text ("" for null).
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return fmt.Sprint(x)
	}
	return string(intune.Canonical(v))
}

// clip shortens long values (base64 scripts, certificates) for the table.
func clip(s string) string {
	if r := []rune(s); len(r) > longValue {
		return string(r[:longValue]) + fmt.Sprintf("… (%d characters)", len(r))
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Assignment is one target of a policy: included or excluded, whom, and filter.
type Assignment struct {
	Intent string // Include or Exclude
	Target string
	Filter string
}

// assignmentTargets name the Graph target types that are not a group.
var assignmentTargets = map[string]string{
	"allDevicesAssignmentTarget":       "All devices",
	"allLicensedUsersAssignmentTarget": "All users",
}

// Assignments lists the payload's assignments; group targets show the group's
// name when the export has it (IntuneCD), else its id.
func Assignments(payload any) []Assignment {
	m, _ := payload.(map[string]any)
	var list []Assignment
	for _, a := range asList(m["assignments"]) {
		t, _ := a["target"].(map[string]any)
		kind := strings.TrimPrefix(scalar(t["@odata.type"]), "#microsoft.graph.")
		as := Assignment{Intent: "Include", Target: assignmentTargets[kind]}
		if strings.HasPrefix(kind, "exclusion") {
			as.Intent = "Exclude"
		}
		if as.Target == "" {
			as.Target = cmp.Or(scalar(t["groupName"]), scalar(t["groupId"]), kind)
		}
		if id := scalar(t["deviceAndAppManagementAssignmentFilterId"]); id != "" {
			as.Filter = scalar(t["deviceAndAppManagementAssignmentFilterType"]) + " " + id
		}
		list = append(list, as)
	}
	return list
}

// indentJSON lays canonical JSON out for reading.
func indentJSON(canonical []byte) string {
	var b bytes.Buffer
	if err := json.Indent(&b, canonical, "", "  "); err != nil {
		return string(canonical)
	}
	return b.String()
}
