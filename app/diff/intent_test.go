package diff

import (
	"slices"
	"testing"

	"atlas/app/intune"
)

// TestIntentSettingsByDefinition: an endpoint-security intent's settings are
// rows keyed by definition id like the settings catalog's; value and
// valueJson are one setting; a setting stored differently that reads the same
// is no change.
func TestIntentSettingsByDefinition(t *testing.T) {
	const (
		ftp   = "deviceConfiguration--windows10EndpointProtectionConfiguration_firewallBlockStatefulFTP"
		guard = "deviceConfiguration--windows10EndpointProtectionConfiguration_dmaGuardDeviceEnumerationPolicy"
		limit = "deviceConfiguration--windows10EndpointProtectionConfiguration_localSecurityOptionsMachineInactivityLimit"
	)
	old := mustNormalize(t, `{"displayName":"EP","settings":[
		{"@odata.type":"#microsoft.graph.deviceManagementBooleanSettingInstance","id":"1","definitionId":"`+ftp+`","valueJson":"true","value":true},
		{"@odata.type":"#microsoft.graph.deviceManagementStringSettingInstance","id":"2","definitionId":"`+guard+`","valueJson":"\"deviceDefault\"","value":"deviceDefault"}]}`)
	new := mustNormalize(t, `{"displayName":"EP","settings":[
		{"@odata.type":"#microsoft.graph.deviceManagementStringSettingInstance","id":"7","definitionId":"`+guard+`","valueJson":"\"deviceDefault\""},
		{"@odata.type":"#microsoft.graph.deviceManagementIntegerSettingInstance","id":"8","definitionId":"`+limit+`","valueJson":"5","value":5},
		{"@odata.type":"#microsoft.graph.deviceManagementBooleanSettingInstance","id":"9","definitionId":"`+ftp+`","valueJson":"false","value":false}]}`)
	// Named and valued by the dictionary's intent definitions (labels have tests of their own).
	want := []Change{
		{Path: "settings[" + ftp + "]", Section: SectionSettings, Key: ftp, Kind: Changed, Old: "Disabled", New: "Allow", OldID: "true", NewID: "false"},
		{Path: "settings[" + limit + "]", Section: SectionSettings, Key: limit, Kind: Added, New: "5"},
	}
	res := Payloads(old, new)
	for i := range res.Changes {
		if res.Changes[i].Label == "" {
			t.Errorf("%s has no label", res.Changes[i].Path)
		}
		res.Changes[i].Label, res.Changes[i].Severity, res.Changes[i].About = "", "", About{} // labels and severities have tests of their own
	}
	if !slices.Equal(res.Changes, want) {
		t.Errorf("changes:\n got %+v\nwant %+v", res.Changes, want)
	}
	// The DMA guard setting lost its value and kept its valueJson: it reads the same.
	if res.ReadSame != 1 || res.Unchanged != 2 {
		t.Errorf("%d rows read the same, %d unchanged; want 1 and 2 (the DMA guard setting, the name)", res.ReadSame, res.Unchanged)
	}
}

// TestRowsThatReadTheSameAreNoChanges: issue 9's "none → none" — a row
// stored differently on each side whose old and new values read the same is
// never a change row; the difference is counted, not lost.
func TestRowsThatReadTheSameAreNoChanges(t *testing.T) {
	const def = "device_vendor_msft_bitlocker_requiredeviceencryption"
	tests := []struct {
		name     string
		old, new string
	}{
		{"a number written as a string", `{"passwordMinimumLength":"8"}`, `{"passwordMinimumLength":8}`},
		{"template bookkeeping without template ids", `{"settings":[{"settingInstance":{"settingDefinitionId":"` + def + `","choiceSettingValue":{"value":"` + def + `_1"},"settingInstanceTemplateReference":{"useTemplateDefault":false}}}]}`,
			`{"settings":[{"settingInstance":{"settingDefinitionId":"` + def + `","choiceSettingValue":{"value":"` + def + `_1"},"settingInstanceTemplateReference":{"useTemplateDefault":true}}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Payloads(mustNormalize(t, tt.old), mustNormalize(t, tt.new))
			if len(res.Changes) != 0 || res.ReadSame != 1 {
				t.Errorf("%d changes %+v, %d reading the same; want none and 1", len(res.Changes), res.Changes, res.ReadSame)
			}
		})
	}
}

func mustNormalize(t *testing.T, doc string) any {
	t.Helper()
	v, err := intune.Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return intune.Normalize(v)
}
