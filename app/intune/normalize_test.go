package intune

import (
	"encoding/json"
	"testing"
)

func mustDecode(t testing.TB, s string) any {
	t.Helper()
	v, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode(%s): %v", s, err)
	}
	return v
}

func TestNormalizeKeys(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"server-managed keys go at every depth",
			`{"id":"x","createdDateTime":"t","lastModifiedDateTime":"t","version":3,"settingCount":2,"name":"n","a":{"id":"0","version":"-1"}}`,
			`{"name":"n"}`},
		{"@odata.type is the type and stays",
			`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy"}`,
			`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy"}`},
		{"types Graph implies go, polymorphic ones stay",
			`{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","settings":[{"@odata.type":"#microsoft.graph.deviceManagementConfigurationSetting",` +
				`"settingInstance":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance","choiceSettingValue":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationChoiceSettingValue","value":"v"}}}]}`,
			`{"settings":[{"settingInstance":{"@odata.type":"#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance","choiceSettingValue":{"value":"v"}}}]}`},
		{"null, empty strings, lists and objects are absent, at any depth",
			`{"assignments":[],"roleScopeTagIds":[],"a":null,"b":"","c":{},"d":{"e":null,"f":{"g":[]}},"h":[null,"",[],{}],"k":0,"l":false}`,
			`{"h":[null,"",[],{}],"k":0,"l":false}`},
		{".NET JSON dates and ISO dates with offsets are ISO-8601 UTC to the millisecond",
			`{"a":"\/Date(1629482067709)\/","b":"\/Date(1629482067709+0200)\/","c":"2021-08-20T19:54:27.7098765+02:00","d":"2021-08-20T17:54:27.709Z",` +
				`"e":"\/Date(-62135596800000)\/","f":"0001-01-01T00:00:00Z","g":"2021-08-20","h":"/Date(x)/","i":"2021-08-20T17:54:27"}`,
			`{"a":"2021-08-20T17:54:27.709Z","b":"2021-08-20T17:54:27.709Z","c":"2021-08-20T17:54:27.709Z","d":"2021-08-20T17:54:27.709Z",` +
				`"e":"0001-01-01T00:00:00Z","f":"0001-01-01T00:00:00Z","g":"2021-08-20","h":"/Date(x)/","i":"2021-08-20T17:54:27"}`},
		{"OData control annotations go",
			`{"@odata.context":"c","@odata.id":"i","@odata.editLink":"e","@odata.etag":"W/1","@microsoft.graph.tips":"x","k":1}`,
			`{"k":1}`},
		{"property annotations go",
			`{"platforms@odata.type":"#p","assignments@odata.navigationLink":"l","assignments@odata.associationLink":"l","assignments@odata.context":"c","platforms":"windows10"}`,
			`{"platforms":"windows10"}`},
		{"action keys go",
			`{"#microsoft.graph.assign":{"title":"assign","target":"u"},"k":true}`,
			`{"k":true}`},
		{"@odata.bind is identity and stays",
			`{"definition@odata.bind":"https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('abc')","enabled":"true"}`,
			`{"definition@odata.bind":"https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('abc')","enabled":"true"}`},
		{"a string holding JSON becomes structure",
			`{"value":" {\"b\": [1, 2], \"a\": {\"id\": 7}} "}`,
			`{"value":{"@atlas.json":{"a":{"id":7},"b":[1,2]}}}`},
		{"strings that only look like JSON stay strings",
			`{"a":"{d48179be-ec20-11d1-b6b8-00c04fa372a7}","b":"[SWC] - Intune-Users","c":"{{DEVICEREGISTRATION}}"}`,
			`{"a":"{d48179be-ec20-11d1-b6b8-00c04fa372a7}","b":"[SWC] - Intune-Users","c":"{{DEVICEREGISTRATION}}"}`},
		{"numbers stay exact",
			`{"big":123456789012345678901234567890,"f":1.10,"e":1E+2}`,
			`{"big":123456789012345678901234567890,"e":1E+2,"f":1.10}`},
		{"strings are escaped as JSON needs and no more",
			`{"s":"<a href=\"x\">&</a>\u0001\t\u2028"}`,
			"{\"s\":\"<a href=\\\"x\\\">&</a>\\u0001\\t\u2028\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(Canonical(Normalize(mustDecode(t, tt.in))))
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestNormalizeArrayOrder(t *testing.T) {
	tests := []struct {
		name, a, b string
	}{
		{"settings by settingDefinitionId",
			`{"settings":[{"id":"0","settingInstance":{"settingDefinitionId":"b"}},{"id":"1","settingInstance":{"settingDefinitionId":"a"}}]}`,
			`{"settings":[{"id":"0","settingInstance":{"settingDefinitionId":"a"}},{"id":"1","settingInstance":{"settingDefinitionId":"b"}}]}`},
		{"children by settingDefinitionId",
			`{"choiceSettingValue":{"children":[{"settingDefinitionId":"y"},{"settingDefinitionId":"x"}]}}`,
			`{"choiceSettingValue":{"children":[{"settingDefinitionId":"x"},{"settingDefinitionId":"y"}]}}`},
		{"assignments by target",
			`{"assignments":[{"id":"p_g2","target":{"@odata.type":"#g","groupId":"g2"}},{"id":"p_g1","target":{"@odata.type":"#g","groupId":"g1","deviceAndAppManagementAssignmentFilterId":"f"}}]}`,
			`{"assignments":[{"id":"x","target":{"@odata.type":"#g","groupId":"g1","deviceAndAppManagementAssignmentFilterId":"f"}},{"target":{"@odata.type":"#g","groupId":"g2"}}]}`},
		{"roleScopeTagIds",
			`{"roleScopeTagIds":["5","0"]}`,
			`{"roleScopeTagIds":["0","5"]}`},
		{"omaSettings by omaUri",
			`{"omaSettings":[{"omaUri":"./B","value":1},{"omaUri":"./A","value":2}]}`,
			`{"omaSettings":[{"omaUri":"./A","value":2},{"omaUri":"./B","value":1}]}`},
		{"admin-template file by definition",
			`[{"definition@odata.bind":"d2","enabled":"true"},{"definition@odata.bind":"d1","enabled":"false"}]`,
			`[{"definition@odata.bind":"d1","enabled":"false"},{"definition@odata.bind":"d2","enabled":"true"}]`},
		{"definitionValues and presentationValues",
			`{"definitionValues":[{"definition":{"displayName":"B"},"presentationValues":[{"presentation@odata.bind":"p2"},{"presentation@odata.bind":"p1"}]},{"definition":{"displayName":"A"}}]}`,
			`{"definitionValues":[{"definition":{"displayName":"A"}},{"definition":{"displayName":"B"},"presentationValues":[{"presentation@odata.bind":"p1"},{"presentation@odata.bind":"p2"}]}]}`},
		{"scheduled actions by rule and action type",
			`{"scheduledActionsForRule":[{"ruleName":"r","scheduledActionConfigurations":[{"actionType":"notification"},{"actionType":"block"}]}]}`,
			`{"scheduledActionsForRule":[{"ruleName":"r","scheduledActionConfigurations":[{"actionType":"block"},{"actionType":"notification"}]}]}`},
		{"role permissions",
			`{"rolePermissions":[{"resourceActions":[{"allowedResourceActions":["B/Read","A/Read"]}]}]}`,
			`{"rolePermissions":[{"resourceActions":[{"allowedResourceActions":["A/Read","B/Read"]}]}]}`},
		{"equal identities fall back to the whole element",
			`{"assignments":[{"target":{"groupId":"g"},"intent":"b"},{"target":{"groupId":"g"},"intent":"a"}]}`,
			`{"assignments":[{"target":{"groupId":"g"},"intent":"a"},{"target":{"groupId":"g"},"intent":"b"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := Canonical(Normalize(mustDecode(t, tt.a)))
			b := Canonical(Normalize(mustDecode(t, tt.b)))
			if string(a) != string(b) {
				t.Errorf("reordered arrays differ:\n%s\n%s", a, b)
			}
		})
	}
}

func TestNormalizeKeepsOrderedArrays(t *testing.T) {
	a := Canonical(Normalize(mustDecode(t, `{"simpleSettingCollectionValue":[{"value":"b"},{"value":"a"}]}`)))
	want := `{"simpleSettingCollectionValue":[{"value":"b"},{"value":"a"}]}`
	if string(a) != want {
		t.Errorf("got %s, want %s", a, want)
	}
}

func TestNormalizeLeavesInputAlone(t *testing.T) {
	in := mustDecode(t, `{"id":"x","roleScopeTagIds":["1","0"]}`)
	Normalize(in)
	if got := string(Canonical(in)); got != `{"id":"x","roleScopeTagIds":["1","0"]}` {
		t.Errorf("input changed to %s", got)
	}
}

func TestCanonicalGoValues(t *testing.T) {
	v := map[string]any{"b": 1, "a": []string{"x"}, "c": 2.5, "d": json.Number("7")}
	if got := string(Canonical(v)); got != `{"a":["x"],"b":1,"c":2.5,"d":7}` {
		t.Errorf("got %s", got)
	}
}

func TestHash(t *testing.T) {
	if got := Hash([]byte("{}")); got != "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" {
		t.Errorf("Hash({}) = %s", got)
	}
}
