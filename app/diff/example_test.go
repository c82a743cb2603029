package diff_test

import (
	"encoding/json"
	"fmt"

	"atlas/app/diff"
	"atlas/app/intune"
)

func payload(s string) any {
	v, err := intune.Decode([]byte(s))
	if err != nil {
		panic(err)
	}
	return intune.Normalize(v)
}

func ExampleCompare() {
	const def = "device_vendor_msft_bitlocker_encryptionmethodbydrivetype"
	const child = def + "_encryptionmethodwithxtsosdropdown_name"
	policy := func(method, group string) any {
		return payload(`{"name": "BitLocker", "settings": [{"settingInstance": {
			"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
			"settingDefinitionId": "` + def + `",
			"choiceSettingValue": {"value": "` + def + `_1", "children": [{
				"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
				"settingDefinitionId": "` + child + `",
				"choiceSettingValue": {"value": "` + child + `_` + method + `", "children": []}}]}}}],
			"assignments": [{"target": {"@odata.type": "#microsoft.graph.` + group + `"}}]}`)
	}
	res := diff.Payloads(policy("6", "groupAssignmentTarget"), policy("7", "allDevicesAssignmentTarget"))
	for _, c := range res.Changes {
		fmt.Printf("%s | %s | %s: %q → %q (%s)\n", c.Section, c.Kind, c.Label, c.Old, c.New, c.Severity)
	}
	fmt.Println(diff.Summary(res.Changes), "·", res.Unchanged, "unchanged")
	// Output:
	// Administrative Templates › Windows Components › BitLocker Drive Encryption | changed | Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later) › Select the encryption method for operating system drives: "XTS-AES 128-bit (default)" → "XTS-AES 256-bit" (high)
	// Assignments | added | All devices: "" → "Included" (high)
	// Assignments | removed | Group: "Included" → "" (medium)
	// 1 setting changed; 1 assignment added, 1 removed · 2 unchanged
}

func ExampleSettings() {
	v := payload(`{"displayName": "Baseline", "passwordMinimumLength": 14, "omaSettings": [
		{"omaUri": "./Device/Vendor/MSFT/Policy/Config/Defender/AllowArchiveScanning", "value": 1}]}`)
	for _, s := range diff.Settings(v) {
		out, _ := json.Marshal(s.Value)
		fmt.Printf("%s | %s = %s\n", s.Section, s.Label, out)
	}
	// Output:
	// Settings | OMA settings › Defender › Allow archive scanning › OMA URI = "./Device/Vendor/MSFT/Policy/Config/Defender/AllowArchiveScanning"
	// Settings | OMA settings › Defender › Allow archive scanning = "1"
	// Settings | Password minimum length = "14"
	// Properties | Display name = "Baseline"
}
