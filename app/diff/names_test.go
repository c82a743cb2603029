package diff

import (
	"testing"

	"atlas/app/intune"
)

// payloadOf decodes and normalises a payload written in a test.
func payloadOf(t testing.TB, s string) any {
	t.Helper()
	v, err := intune.Decode([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return intune.Normalize(v)
}

// choicePolicy is a settings-catalog policy with one choice setting and, when
// child is not "", one child choice under its option.
func choicePolicy(t testing.TB, def, value, child, childValue string) any {
	t.Helper()
	children := `[]`
	if child != "" {
		children = `[{"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
			"settingDefinitionId": "` + child + `", "choiceSettingValue": {"value": "` + childValue + `", "children": []}}]`
	}
	return payloadOf(t, `{"name": "P", "settings": [{"settingInstance": {
		"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
		"settingDefinitionId": "`+def+`", "choiceSettingValue": {"value": "`+value+`", "children": `+children+`}}}]}`)
}

// TestSettingNames: settings read with the dictionary's names, option labels,
// CSP paths and nesting; ids it does not know read as the humaniser makes them,
// marked unlisted.
func TestSettingNames(t *testing.T) {
	const (
		rde     = "device_vendor_msft_bitlocker_requiredeviceencryption"
		method  = "device_vendor_msft_bitlocker_encryptionmethodbydrivetype"
		osDrive = method + "_encryptionmethodwithxtsosdropdown_name"
		unknown = "device_vendor_msft_bitlocker_encryptnetworkdrives"
	)
	tests := []struct {
		name    string
		payload any
		path    string
		want    Setting // Label, Section, Value, ValueID and About's Name, Depth, CSP, Unlisted are compared
	}{
		{"known choice", choicePolicy(t, rde, rde+"_1", "", ""), "settings[" + rde + "]", Setting{
			Section: "BitLocker", Label: "Require Device Encryption", Value: "Enabled", ValueID: rde + "_1",
			About: About{Name: "Require Device Encryption", CSP: "./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption"}}},
		{"nested child of a choice option", choicePolicy(t, method, method+"_1", osDrive, osDrive+"_7"), "settings[" + method + "]/" + osDrive, Setting{
			Section: bitlockerTemplates,
			Label:   "Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later) › Select the encryption method for operating system drives",
			Value:   "XTS-AES 256-bit", ValueID: osDrive + "_7",
			About: About{Name: "Select the encryption method for operating system drives", Depth: 1, CSP: "./Device/Vendor/MSFT/BitLocker/EncryptionMethodByDriveType"}}},
		{"an option the dictionary does not know", choicePolicy(t, rde, rde+"_9", "", ""), "settings[" + rde + "]", Setting{
			Section: "BitLocker", Label: "Require Device Encryption", Value: "9", ValueID: rde + "_9",
			About: About{Name: "Require Device Encryption", CSP: "./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption"}}},
		{"a setting the dictionary does not know", choicePolicy(t, unknown, unknown+"_1", "", ""), "settings[" + unknown + "]", Setting{
			Section: "BitLocker", Label: "BitLocker › Encrypt network drives", Value: "1", ValueID: unknown + "_1",
			About: About{Name: "Encrypt network drives", Unlisted: true}}},
		{"an unknown child of a known setting", choicePolicy(t, rde, rde+"_1", rde+"_newchild", rde+"_newchild_1"), "settings[" + rde + "]/" + rde + "_newchild", Setting{
			Section: "BitLocker", Label: "Require Device Encryption › New child", Value: "1", ValueID: rde + "_newchild_1",
			About: About{Name: "New child", Depth: 1, Unlisted: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := settingAt(Settings(tt.payload), tt.path)
			if !ok {
				t.Fatalf("no row at %s in %+v", tt.path, Settings(tt.payload))
			}
			got.Path, got.Key, got.About.known, got.About.Category = "", "", nil, ""
			if got != tt.want {
				t.Errorf("row\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func settingAt(rows []Setting, path string) (Setting, bool) {
	for _, s := range rows {
		if s.Path == path {
			return s, true
		}
	}
	return Setting{}, false
}

// TestIntentSettings: an endpoint-security intent's settings are rows keyed by
// definition id, named by the dictionary's intent definitions, enum values by
// their labels; a change of value is one changed row.
func TestIntentSettings(t *testing.T) {
	const (
		standardUsers = "deviceConfiguration--windows10EndpointProtectionConfiguration_bitLockerAllowStandardUserEncryption"
		sslMin        = "admx--microsoftedge_SSLVersionMin"
		unknown       = "deviceConfiguration--windows10EndpointProtectionConfiguration_firewallSomethingNew"
	)
	intent := func(ssl string) any {
		return payloadOf(t, `{"displayName": "Disk encryption", "templateId": "d1174162-1dd2-4976-affc-6667049ab0ae", "settings": [
			{"@odata.type": "#microsoft.graph.deviceManagementBooleanSettingInstance", "definitionId": "`+standardUsers+`", "valueJson": "true", "value": true},
			{"@odata.type": "#microsoft.graph.deviceManagementStringSettingInstance", "definitionId": "`+sslMin+`", "valueJson": "\"`+ssl+`\"", "value": "`+ssl+`"},
			{"@odata.type": "#microsoft.graph.deviceManagementIntegerSettingInstance", "definitionId": "`+unknown+`", "valueJson": "5", "value": 5}]}`)
	}
	rows := Settings(intent("enabled"))
	for _, want := range []Setting{
		{Path: "settings[" + standardUsers + "]", Label: "Allow standard users to enable encryption during Autopilot", Value: "true"},
		{Path: "settings[" + sslMin + "]", Label: "Minimum SSL version enabled", Value: "Enabled", ValueID: "enabled"},
		{Path: "settings[" + unknown + "]", Label: "Firewall something new", Value: "5"},
	} {
		got, ok := settingAt(rows, want.Path)
		if !ok || got.Label != want.Label || got.Value != want.Value || got.ValueID != want.ValueID || got.Section != SectionSettings {
			t.Errorf("row %s: got %+v, want %+v", want.Path, got, want)
		}
		if got.About.Unlisted != (want.Path == "settings["+unknown+"]") {
			t.Errorf("row %s: unlisted %v", want.Path, got.About.Unlisted)
		}
	}
	changes := Compare(intent("enabled"), intent("disabled"))
	if len(changes) != 1 || changes[0].Label != "Minimum SSL version enabled" || changes[0].Old != "Enabled" || changes[0].New != "Disabled" {
		t.Errorf("changes %+v, want the SSL version Enabled → Disabled", changes)
	}
}

// TestGroupNames: an assignment names its group by the export's groupName,
// else by the export's migration table (Names), else by its id; a filter
// likewise. The key stays the id, so renaming a group is no change.
func TestGroupNames(t *testing.T) {
	policy := func(target string) any {
		return payloadOf(t, `{"displayName": "P", "assignments": [{"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", `+target+`}}]}`)
	}
	names := Names{"g1": "Pilot devices", "f1": "Windows 11 only"}
	tests := []struct {
		name   string
		target string
		names  Names
		path   string
		label  string
		value  string
	}{
		{"groupName in the export (IntuneCD)", `"groupId": "g1", "groupName": "From the export"`, names, "assignments[group:g1]", "Group From the export", "Included"},
		{"name from the migration table", `"groupId": "g1", "deviceAndAppManagementAssignmentFilterId": "f1", "deviceAndAppManagementAssignmentFilterType": "include"`,
			names, "assignments[group:g1]", "Group Pilot devices", "Included · filter Windows 11 only (include)"},
		{"no name anywhere", `"groupId": "g2"`, names, "assignments[group:g2]", "Group g2", "Included"},
		{"no names given", `"groupId": "g1"`, nil, "assignments[group:g1]", "Group g1", "Included"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := tt.names.Settings(policy(tt.target))
			got, ok := settingAt(rows, tt.path)
			if !ok || got.Label != tt.label || got.Value != tt.value {
				t.Errorf("assignment row %+v, want label %q value %q", got, tt.label, tt.value)
			}
		})
	}
	// The group renamed in the directory: the same assignment, which reads the same — no change.
	if c := names.Compare(policy(`"groupId": "g1"`), policy(`"groupId": "g1", "groupName": "Renamed"`)); len(c) != 0 {
		t.Errorf("renaming the group in the export: %+v, want no change (the same group, included)", c)
	}
}
