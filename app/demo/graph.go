package demo

import (
	"encoding/base64"
	"maps"
	"strings"
)

// This file builds Graph-shaped payloads (as Intune's Graph beta API returns
// them) and the edits that turn one version of a policy into the next. A
// payload is a plain map so an edit can change any of it; a body is a function
// so every export gets its own copy to edit.

// obj is a Graph object, written as key/value pairs for short tables.
type obj = map[string]any

const graphType = "#microsoft.graph."

// body builds a policy's payload at its first version.
type body func() obj

// graph is an object of Graph type t with the given properties.
func graph(t string, props obj) body {
	return func() obj {
		p := clone(props).(obj)
		p["@odata.type"] = graphType + t
		return p
	}
}

// clone deep-copies a payload so edits never reach a template's table.
func clone(v any) any {
	switch x := v.(type) {
	case obj:
		m := make(obj, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = clone(e)
		}
		return l
	}
	return v
}

// Settings catalog: a policy holds settings, each a settingInstance tree.

// catalog is a settings catalog policy (deviceManagementConfigurationPolicy).
func catalog(platforms, technologies, description string, instances ...obj) body {
	return func() obj {
		settings := make([]any, len(instances))
		for i, inst := range instances {
			settings[i] = setting(clone(inst).(obj))
		}
		return obj{
			"@odata.type":  graphType + "deviceManagementConfigurationPolicy",
			"description":  description,
			"platforms":    platforms,
			"technologies": technologies,
			"settings":     settings,
			"templateReference": obj{
				"templateId": "", "templateFamily": "none", "templateDisplayName": nil, "templateDisplayVersion": nil,
			},
		}
	}
}

func setting(inst obj) obj {
	return obj{"@odata.type": graphType + "deviceManagementConfigurationSetting", "settingInstance": inst}
}

// choice is a choice setting: its value is the definition id and an option
// ("…_1"), and choosing it may reveal children.
func choice(id, option string, children ...obj) obj {
	return obj{
		"@odata.type":         graphType + "deviceManagementConfigurationChoiceSettingInstance",
		"settingDefinitionId": id,
		"choiceSettingValue": obj{
			"@odata.type": graphType + "deviceManagementConfigurationChoiceSettingValue",
			"value":       id + "_" + option,
			"children":    instances(children),
		},
	}
}

// simple is a simple setting holding an integer or a string.
func simple(id string, value any) obj {
	kind := "String"
	if _, ok := value.(int); ok {
		kind = "Integer"
	}
	return obj{
		"@odata.type":         graphType + "deviceManagementConfigurationSimpleSettingInstance",
		"settingDefinitionId": id,
		"simpleSettingValue":  obj{"@odata.type": graphType + "deviceManagementConfiguration" + kind + "SettingValue", "value": value},
	}
}

// simpleList is a simple setting collection (a list of strings).
func simpleList(id string, values ...string) obj {
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = obj{"@odata.type": graphType + "deviceManagementConfigurationStringSettingValue", "value": v}
	}
	return obj{
		"@odata.type":                  graphType + "deviceManagementConfigurationSimpleSettingCollectionInstance",
		"settingDefinitionId":          id,
		"simpleSettingCollectionValue": list,
	}
}

// groupList is a group setting collection: each group is a list of children.
func groupList(id string, groups ...[]obj) obj {
	list := make([]any, len(groups))
	for i, g := range groups {
		list[i] = obj{"@odata.type": graphType + "deviceManagementConfigurationGroupSettingValue", "children": instances(g)}
	}
	return obj{
		"@odata.type":                 graphType + "deviceManagementConfigurationGroupSettingCollectionInstance",
		"settingDefinitionId":         id,
		"groupSettingCollectionValue": list,
	}
}

func instances(list []obj) []any {
	out := make([]any, len(list))
	for i, inst := range list {
		out[i] = inst
	}
	return out
}

// Other shapes.

// script is base64 script content, as Graph exports it.
func script(lines ...string) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Join(lines, "\r\n") + "\r\n"))
}

// omaSetting is one row of a custom (OMA-URI) profile.
func omaSetting(kind, name, uri string, value any) obj {
	return obj{"@odata.type": graphType + "omaSetting" + kind, "displayName": name, "description": "", "omaUri": uri, "value": value}
}

// admxValue is one definition value of an administrative template.
func admxValue(definition string, enabled bool, presentations ...obj) obj {
	list := make([]any, len(presentations))
	for i, pv := range presentations {
		pv = clone(pv).(obj)
		pv["presentation@odata.bind"] = definitionRef(definition) + "/presentations('" + pv["presentation@odata.bind"].(string) + "')"
		list[i] = pv
	}
	return obj{"enabled": enabled, "definition@odata.bind": definitionRef(definition), "presentationValues": list}
}

func definitionRef(definition string) string {
	return "https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('" + definition + "')"
}

// admxText is a text presentation value of an administrative template (its
// presentation id is completed by admxValue).
func admxText(presentation, value string) obj {
	return obj{"@odata.type": graphType + "groupPolicyPresentationValueText", "value": value, "presentation@odata.bind": presentation}
}

// appID names an app an app protection policy targets.
func appID(platform, id string) obj {
	key := map[string]string{"ios": "bundleId", "android": "packageId"}[platform]
	return obj{"mobileAppIdentifier": obj{"@odata.type": graphType + platform + "MobileAppIdentifier", key: id}}
}

// Edits: how one version of a policy becomes the next.

// state is a policy as one export holds it: the payload, and whom it is
// assigned to (group names, or allDevices / allUsers), which the export turns
// into Graph assignments with the tenant's group ids.
type state struct {
	p       obj
	targets []string
}

// edit changes a policy in place.
type edit func(s *state)

// instanceByID finds a setting instance anywhere in a settings catalog tree.
func instanceByID(p obj, id string) obj {
	var found obj
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case obj:
			if x["settingDefinitionId"] == id && found == nil {
				found = x
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(p["settings"])
	if found == nil {
		panic("demo: no setting " + id) // a mistake in the catalogue, caught by the tests
	}
	return found
}

// setChoice picks another option of a choice setting.
func setChoice(id, option string) edit {
	return func(s *state) { instanceByID(s.p, id)["choiceSettingValue"].(obj)["value"] = id + "_" + option }
}

// setSimple changes the value of a simple setting.
func setSimple(id string, value any) edit {
	return func(s *state) { instanceByID(s.p, id)["simpleSettingValue"].(obj)["value"] = value }
}

// addSetting adds a setting to a settings catalog policy.
func addSetting(inst obj) edit {
	return func(s *state) { s.p["settings"] = append(s.p["settings"].([]any), setting(clone(inst).(obj))) }
}

// set changes top-level properties.
func set(props obj) edit {
	return func(s *state) { maps.Copy(s.p, clone(props).(obj)) }
}

// appendTo adds an entry to a list property (an OMA-URI row, an ADMX value).
func appendTo(key string, entry obj) edit {
	return func(s *state) { s.p[key] = append(s.p[key].([]any), clone(entry).(obj)) }
}

// editScript replaces one line of a base64 script property.
func editScript(key, old, replacement string) edit {
	return func(s *state) {
		b, err := base64.StdEncoding.DecodeString(s.p[key].(string))
		if err != nil || !strings.Contains(string(b), old) {
			panic("demo: script " + key + " has no line " + old) // a mistake in the catalogue
		}
		s.p[key] = base64.StdEncoding.EncodeToString([]byte(strings.Replace(string(b), old, replacement, 1)))
	}
}

// assignTo replaces the policy's targets (an assignment widened or narrowed).
func assignTo(targets ...string) edit {
	return func(s *state) { s.targets = targets }
}
