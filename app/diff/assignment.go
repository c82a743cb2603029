package diff

import "strings"

// assignments flattens a policy's assignments, one row per target (a group,
// all devices, all users), with intent and filter in the value. It reports
// false, adding nothing, for a list of another shape.
func (f *flat) assignments(path string, v any) bool {
	list, ok := v.([]any)
	if !ok {
		return false
	}
	if len(list) == 0 {
		f.value(path, SectionAssignments, "Assignments", list)
		return true
	}
	objects, ok := keyedObjects(list, func(m map[string]any) (string, bool) {
		t, ok := m["target"].(map[string]any)
		key, _, _ := describeTarget(t, nil)
		return escapeItem(key), ok
	})
	if !ok {
		return false
	}
	for _, o := range objects {
		t := o.m["target"].(map[string]any)
		_, label, group := describeTarget(t, f.names)
		f.leaf(row{path: path + "[" + o.key + "]", section: SectionAssignments, label: label, key: group,
			display: assignmentText(o.m, t, f.names), raw: canonical(o.m)})
	}
	// No order row: Normalize sorts assignments by target, their order means nothing.
	return true
}

// targetKinds are the assignment target types by their @odata.type; scope is
// what severity rules look at ("all" widens a policy to everyone).
var targetKinds = map[string]struct{ key, label string }{
	"groupAssignmentTarget":            {"group", "Group"},
	"exclusionGroupAssignmentTarget":   {"exclude", "Excluded group"},
	"allDevicesAssignmentTarget":       {allDevicesKey, "All devices"},
	"allLicensedUsersAssignmentTarget": {allUsersKey, "All users"},
}

const (
	allDevicesKey = "all devices"
	allUsersKey   = "all users"
)

// describeTarget names a target: its stable key (kind and group), its label and
// the group's raw id or name. The label names the group as the export does:
// its groupName (IntuneCD), else its name in names, else its id.
func describeTarget(t map[string]any, names Names) (key, label, group string) {
	typ, _ := t["@odata.type"].(string)
	typ = strings.TrimPrefix(typ, "#microsoft.graph.")
	kind, ok := targetKinds[typ]
	if !ok {
		kind.key, kind.label = typ, humanKey(typ)
	}
	group, _ = t["groupId"].(string)
	name, _ := t["groupName"].(string)
	if group == "" {
		group = name
	}
	if name == "" {
		name = names[group]
	}
	if name == "" {
		name = group
	}
	if group == "" {
		return kind.key, kind.label, ""
	}
	return kind.key + ":" + group, kind.label + " " + name, group
}

// assignmentText reads an assignment's effect: include or exclude, its intent,
// and its assignment filter, by its name in names where the export has one.
func assignmentText(m, t map[string]any, names Names) string {
	typ, _ := t["@odata.type"].(string)
	parts := []string{"Included"}
	if strings.Contains(typ, "exclusion") {
		parts[0] = "Excluded"
	}
	if intent, ok := m["intent"].(string); ok && intent != "" {
		parts = append(parts, "intent "+intent)
	}
	filterType, _ := t["deviceAndAppManagementAssignmentFilterType"].(string)
	if filterType != "" && filterType != "none" {
		id := scalarText(t["deviceAndAppManagementAssignmentFilterId"])
		if name := names[id]; name != "" {
			id = name
		}
		parts = append(parts, "filter "+id+" ("+filterType+")")
	}
	return strings.Join(parts, " · ")
}
