package intunetest

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// Intent is an endpoint-security intent made of real data, for want of a real
// intent export: the secured-workstation endpoint protection profile's
// settings, each under Intune's intent setting definition of the same name
// ("deviceConfiguration--windows10EndpointProtectionConfiguration_<property>",
// from ../shared/data/settings-catalog/dcv1-settings.jsonl.gz), as Graph
// returns them: value and valueJson.
type Intent struct {
	Name     string
	Object   map[string]any // the intent as IntuneManagement exports it: no settings
	Settings []any          // its setting instances, by definition id
}

// endpointProtection is the real profile an Intent is made from.
var endpointProtection = []string{"intune", "Azure-securedworkstation", "ENT", "JSON", "DeviceConfiguration",
	"Enterprise-Config-Win10-Endpoint-Protection-UI_17-11-2020-17-00-43.json"}

const intentDefinitionPrefix = "deviceConfiguration--windows10EndpointProtectionConfiguration_"

// intentInstanceTypes are the Graph types of intent setting instances, by
// the definitions' valueType.
var intentInstanceTypes = map[string]string{
	"boolean": "#microsoft.graph.deviceManagementBooleanSettingInstance",
	"integer": "#microsoft.graph.deviceManagementIntegerSettingInstance",
	"string":  "#microsoft.graph.deviceManagementStringSettingInstance",
}

// RealIntent makes the Intent (see Intent).
func RealIntent(tb testing.TB) Intent {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(shareddata.Dir(tb, endpointProtection...)))
	if err != nil {
		tb.Fatal(err)
	}
	v, err := intune.Decode(raw)
	if err != nil {
		tb.Fatal(err)
	}
	profile := v.(map[string]any)
	valueTypes := intentDefinitions(tb)
	var settings []any
	for k, value := range profile {
		def := intentDefinitionPrefix + k
		instanceType := intentInstanceTypes[valueTypes[def]]
		if instanceType == "" || value == nil || value == "" {
			continue
		}
		valueJSON, err := json.Marshal(value)
		if err != nil {
			tb.Fatal(err)
		}
		settings = append(settings, map[string]any{"@odata.type": instanceType, "id": def, "definitionId": def,
			"valueJson": string(valueJSON), "value": value})
	}
	slices.SortFunc(settings, func(a, b any) int {
		return strings.Compare(a.(map[string]any)["definitionId"].(string), b.(map[string]any)["definitionId"].(string))
	})
	name := profile["displayName"].(string)
	return Intent{Name: name, Settings: settings, Object: map[string]any{
		"@odata.type": "#microsoft.graph.deviceManagementIntent", "id": profile["id"], "displayName": name,
		"description": profile["description"], "isAssigned": false, "lastModifiedDateTime": profile["lastModifiedDateTime"],
		"templateId":      "00000000-0000-0000-0000-00000000e5e1", // no real template: a legacy endpoint protection one
		"roleScopeTagIds": []any{"0"},
	}}
}

// intentDefinitions reads the valueType of every intent setting definition
// of the endpoint protection profile.
func intentDefinitions(tb testing.TB) map[string]string {
	tb.Helper()
	f, err := os.Open(filepath.Join(shareddata.Dir(tb, "settings-catalog"), "dcv1-settings.jsonl.gz"))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	types := map[string]string{}
	lines := bufio.NewScanner(z)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		if !strings.Contains(lines.Text(), intentDefinitionPrefix) {
			continue
		}
		var d struct{ ID, ValueType string }
		if err := json.Unmarshal(lines.Bytes(), &d); err != nil {
			tb.Fatal(err)
		}
		types[d.ID] = d.ValueType
	}
	if err := lines.Err(); err != nil || len(types) == 0 {
		tb.Fatalf("intent definitions: %d, %v", len(types), err)
	}
	return types
}

// SettingsFile is the "<name>_Settings.json" IntuneManagement writes beside an
// intent: a JSON string holding `{ "settings": [...] }` as text, CRLF inside.
func (i Intent) SettingsFile(tb testing.TB, enc Encoding) []byte {
	tb.Helper()
	list := Encode(tb, i.Settings, UTF8)
	text := "{ \"settings\": " + strings.TrimSpace(string(list)) + "\n}"
	return Encode(tb, strings.ReplaceAll(text, "\n", "\r\n"), enc)
}

// WritePair writes the intent and its settings file into dir/EndpointSecurity,
// as IntuneManagement does; it returns the intent file's path.
func (i Intent) WritePair(tb testing.TB, dir string, enc Encoding) string {
	tb.Helper()
	file := filepath.Join(dir, "EndpointSecurity", i.Name+".json")
	if err := WriteFile(file, Encode(tb, i.Object, enc)); err != nil {
		tb.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "EndpointSecurity", i.Name+"_Settings.json"), i.SettingsFile(tb, enc)); err != nil {
		tb.Fatal(err)
	}
	return file
}

// With returns a copy of the intent object with key set to v.
func (i Intent) With(key string, v any) map[string]any {
	m := make(map[string]any, len(i.Object)+1)
	for k, e := range i.Object {
		m[k] = e
	}
	m[key] = v
	return m
}
