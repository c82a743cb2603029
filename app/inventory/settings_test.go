package inventory

import (
	"fmt"
	"strings"
	"testing"

	"atlas/app/intune"
)

func payload(t *testing.T, s string) any {
	t.Helper()
	v, err := intune.Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return intune.Normalize(v)
}

// rowsText renders rows one per line as "indent name = value [id]".
func rowsText(rows []Setting) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%s%s = %s [%s]\n", strings.Repeat("  ", r.Depth), r.Name, r.Value, r.ID)
	}
	return b.String()
}

func TestSettings(t *testing.T) {
	long := strings.Repeat("A", 200)
	tests := []struct {
		name string
		json string
		want string
	}{
		{"settings catalog: choices, children, collections, groups", `{"name":"x","settings":[
			{"settingInstance":{"settingDefinitionId":"device_vendor_msft_policy_config_lug_configure","groupSettingCollectionValue":[{"children":[
				{"settingDefinitionId":"device_vendor_msft_policy_config_lug_configure_group_type","choiceSettingValue":{
					"value":"device_vendor_msft_policy_config_lug_configure_group_type_users","children":[
					{"settingDefinitionId":"device_vendor_msft_policy_config_lug_configure_group_users","simpleSettingCollectionValue":[{"value":"a"},{"value":"b"}]}]}}]}]}},
			{"settingInstance":{"settingDefinitionId":"com.apple.screensaver_idletime","simpleSettingValue":{"value":300}}},
			{"settingInstance":{"settingDefinitionId":"device_vendor_msft_defender_tags","choiceSettingCollectionValue":[{"value":"device_vendor_msft_defender_tags_x"},{"value":"other"}]}}]}`,
			// In Normalize's order: by setting definition id.
			"Screensaver › idletime = 300 [com.apple.screensaver_idletime]\n" +
				"Defender › tags = x, other [device_vendor_msft_defender_tags]\n" +
				"Lug › configure = 1 item [device_vendor_msft_policy_config_lug_configure]\n" +
				"  group › type = users [device_vendor_msft_policy_config_lug_configure_group_type]\n" +
				"    group › users = a, b [device_vendor_msft_policy_config_lug_configure_group_users]\n"},
		{"admin template", `[{"definition@odata.bind":"https://graph/groupPolicyDefinitions('d1')","enabled":"false"},
			{"definition@odata.bind":"https://graph/groupPolicyDefinitions('d2')","enabled":"true","presentationValues":[
				{"presentation@odata.bind":"https://graph/groupPolicyDefinitions('d2')/presentations('p1')","value":"2"}]}]`,
			"Definition d1 = disabled [https://graph/groupPolicyDefinitions('d1')]\n" +
				"Definition d2 = enabled [https://graph/groupPolicyDefinitions('d2')]\n" +
				"  Presentation p1 = 2 [https://graph/groupPolicyDefinitions('d2')/presentations('p1')]\n"},
		{"properties: nulls skipped, OMA-URI rows, named items, embedded JSON, long values", `{"@odata.type":"#microsoft.graph.windows10CustomConfiguration",
			"displayName":"x","description":"d","notSet":null,"enabled":true,"tags":["a","b"],"empty":[],
			"omaSettings":[{"@odata.type":"#microsoft.graph.omaSettingString","displayName":"Lock","omaUri":"./Device/Lock","value":"<enabled/>"}],
			"rules":[{"ruleName":"r1","grace":1},{"grace":2}],"json":"{\"b\":1,\"a\":[2]}","blob":"` + long + `"}`,
			"blob = " + strings.Repeat("A", 160) + "… (200 characters) [blob]\n" +
				"empty = none [empty]\n" +
				"enabled = true [enabled]\n" +
				`json = {"a":[2],"b":1} [json]` + "\n" +
				"omaSettings = 1 item [omaSettings]\n" +
				"  Lock = <enabled/> [./Device/Lock]\n" +
				"rules = 2 items [rules]\n" +
				"  r1 =  [rules[0]]\n" +
				"    grace = 1 [rules[0].grace]\n" +
				"    ruleName = r1 [rules[0].ruleName]\n" +
				"  rules 2 =  [rules[1]]\n" +
				"    grace = 2 [rules[1].grace]\n" +
				"tags = a, b [tags]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rowsText(Settings(payload(t, tt.json))); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestAssignments(t *testing.T) {
	got := Assignments(payload(t, `{"assignments":[
		{"target":{"@odata.type":"#microsoft.graph.allLicensedUsersAssignmentTarget","deviceAndAppManagementAssignmentFilterId":"f1","deviceAndAppManagementAssignmentFilterType":"include"}},
		{"target":{"@odata.type":"#microsoft.graph.exclusionGroupAssignmentTarget","groupId":"g1"}},
		{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g2","groupName":"Pilot users"}}]}`))
	want := []Assignment{{"Include", "All users", "include f1"}, {"Exclude", "g1", ""}, {"Include", "Pilot users", ""}} // Normalize's order
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}
