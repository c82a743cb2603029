package intune

import (
	"strings"
	"testing"
)

func TestTypeLookups(t *testing.T) {
	tests := []struct {
		name      string
		graph     string
		dir, base string
		wantKey   string
	}{
		{"settings catalog by Graph type", "#microsoft.graph.deviceManagementConfigurationPolicy", "x", "a.json", "settingsCatalog"},
		{"Graph type first, folder second", "#microsoft.graph.windowsUpdateForBusinessConfiguration", "Backup/Device Configurations", "a.json", "updateRing"},
		{"unknown device configuration by suffix", "#microsoft.graph.windows10VpnConfiguration", "", "a.json", "deviceConfiguration"},
		{"unknown compliance type by suffix", "#microsoft.graph.linuxCompliancePolicy", "", "a.json", "compliancePolicy"},
		{"enrollment restriction is not a device configuration", "#microsoft.graph.deviceEnrollmentLimitConfiguration", "", "a.json", "enrollmentConfiguration"},
		{"ESP", "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration", "", "a.json", "enrollmentStatusPage"},
		{"IntuneManagement folder", "", "WINDOWS/IntuneManagement/SettingsCatalog", "a.json", "settingsCatalog"},
		{"IntuneCD folder", "", "Backup/Settings Catalog", "a.json", "settingsCatalog"},
		{"IntuneCD nested folder", "", "Backup/Compliance Policies/Message Templates", "a.json", "notificationTemplate"},
		{"IntuneCD shell scripts", "", "Backup/Scripts/Shell", "a.json", "shellScript"},
		{"IntuneCD PowerShell scripts", "", "Backup/Scripts/Powershell", "a.json", "powershellScript"},
		{"IntuneCD scope tags", "", "Backup/Scope Tags", "Default.json", "scopeTag"},
		{"IntuneBackupAndRestore admin templates", "", "Administrative Templates", "a.json", "adminTemplate"},
		{"securedworkstation ADMX", "", "ENT/JSON/DeviceConfigurationADMX", "a.json", "adminTemplate"},
		{"securedworkstation compliance", "", "ENT/JSON/DeviceCompliance", "a.json", "compliancePolicy"},
		{"IntuneCD technology suffix", "", "elsewhere", "Wi-Fi_appleRemoteManagement.json", "settingsCatalog"},
		{"IntuneCD Graph type suffix", "", "elsewhere", "Limit_deviceEnrollmentLimitConfiguration.json", "enrollmentConfiguration"},
		{"IntuneBackupAndRestore intents, one folder per template", "", "Backup/Device Management Intents/Microsoft Defender Antivirus", "a.json", "endpointSecurityIntent"},
		{"IntuneBackupAndRestore app configuration", "", "Backup/App Configuration Policies", "a.json", "appConfiguration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _, skip, err := objectOf(tt.dir+"/"+tt.base, map[string]any{"@odata.type": tt.graph, "displayName": "x"})
			if err != nil || skip != "" {
				t.Fatalf("objectOf: %v %q", err, skip)
			}
			if o.Type.Key != tt.wantKey {
				t.Errorf("type = %s, want %s", o.Type.Key, tt.wantKey)
			}
		})
	}
}

func TestCoverageByGraphType(t *testing.T) {
	tests := map[string]Coverage{
		"#microsoft.graph.windows10GeneralConfiguration":                        Restorable,
		"#microsoft.graph.windows10CustomConfiguration":                         Partial,
		"#microsoft.graph.iosEnterpriseWiFiConfiguration":                       Dependencies,
		"#microsoft.graph.windowsWifiConfiguration":                             Partial,
		"#microsoft.graph.windows10VpnConfiguration":                            Dependencies,
		"#microsoft.graph.windowsDeliveryOptimizationConfiguration":             Partial, // the type's own coverage
		"#microsoft.graph.deviceManagementConfigurationPolicy":                  Restorable,
		"#microsoft.graph.deviceEnrollmentWindowsHelloForBusinessConfiguration": Partial,
	}
	for graphType, want := range tests {
		o, _, _, err := objectOf("x.json", map[string]any{"@odata.type": graphType})
		if err != nil {
			t.Fatal(err)
		}
		if o.Type.Coverage != want || o.Type.CoverageReason == "" {
			t.Errorf("%s: coverage %s (%s), want %s", graphType, o.Type.Coverage, o.Type.CoverageReason, want)
		}
	}
}

func TestPlatformOf(t *testing.T) {
	tests := map[string]string{
		"windows10": Windows, "#microsoft.graph.windows10CompliancePolicy": Windows, "macOS": MacOS,
		"iOS": IOS, "#microsoft.graph.iosManagedAppProtection": IOS, "androidEnterprise": Android,
		"#microsoft.graph.aospDeviceOwnerCompliancePolicy": Android, "linux": Linux, "windows10,macOS": AnyOS,
		"#microsoft.graph.roleScopeTag": "", "": "",
	}
	for in, want := range tests {
		if got := platformOf(in); got != want {
			t.Errorf("platformOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTypes(t *testing.T) {
	seen := map[string]bool{}
	coverage := map[Coverage]bool{Restorable: true, Partial: true, Risk: true, Dependencies: true}
	for _, ti := range Types() {
		if seen[ti.Key] {
			t.Errorf("key %s listed twice", ti.Key)
		}
		seen[ti.Key] = true
		if ti.Label == "" || ti.CoverageReason == "" || !coverage[ti.Coverage] {
			t.Errorf("%s: incomplete %+v", ti.Key, ti)
		}
		if got, ok := TypeByKey(ti.Key); !ok || got != ti {
			t.Errorf("TypeByKey(%s) = %+v, %v", ti.Key, got, ok)
		}
	}
	for _, key := range []string{"settingsCatalog", "compliancePolicy", "deviceConfiguration", "adminTemplate", "updateRing",
		"driverUpdateProfile", "appProtection", "shellScript", "customAttribute", "roleDefinition", "scopeTag",
		"enrollmentConfiguration", "enrollmentStatusPage", "notificationTemplate", "other"} {
		if !seen[key] {
			t.Errorf("type %s missing", key)
		}
	}
	if _, ok := TypeByKey("nope"); ok {
		t.Error("TypeByKey(nope) found a type")
	}
}

func TestRegistryNamesAreUnique(t *testing.T) {
	graph, folders := map[string]string{}, map[string]string{}
	for _, r := range registry {
		for _, g := range r.graphTypes {
			if prev, ok := graph[g]; ok && prev != r.Key {
				t.Errorf("Graph type %s is both %s and %s", g, prev, r.Key)
			}
			graph[g] = r.Key
		}
		for _, f := range r.folders {
			if prev, ok := folders[foldName(f)]; ok && prev != r.Key {
				t.Errorf("folder %s is both %s and %s", f, prev, r.Key)
			}
			folders[foldName(f)] = r.Key
		}
	}
}

// TestTypeByShape: a file with no @odata.type in a folder no tool names is
// typed by the properties only one type has (issue 9), and says so.
func TestTypeByShape(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{"settings catalog: settings[].settingInstance", `{"name":"n","settings":[{"settingInstance":{"settingDefinitionId":"a"}}]}`, "settingsCatalog"},
		{"settings catalog: settings with technologies", `{"name":"n","technologies":"mdm","settings":[]}`, "settingsCatalog"},
		{"intent: settingsDelta", `{"displayName":"n","settingsDelta":[{"definitionId":"d","valueJson":"true"}]}`, "endpointSecurityIntent"},
		{"intent: templateId with settings", `{"displayName":"n","templateId":"t","settings":[]}`, "endpointSecurityIntent"},
		{"intent: settings of definition ids", `{"settings":[{"definitionId":"d","valueJson":"1"}]}`, "endpointSecurityIntent"},
		{"intent settings: a bare list of definition ids", `[{"definitionId":"d","valueJson":"1"}]`, "endpointSecurityIntent"},
		{"admin template: definitionValues", `{"displayName":"n","definitionValues":[]}`, "adminTemplate"},
		{"admin template: a bare list of definition binds", `[{"definition@odata.bind":"d","enabled":"true"}]`, "adminTemplate"},
		{"admin template: PowerShell's list of one", `{"definition@odata.bind":"d","enabled":true}`, "adminTemplate"},
		{"PowerShell script: scriptContent with runAsAccount", `{"displayName":"n","scriptContent":"x","runAsAccount":"system","fileName":"a.ps1"}`, "powershellScript"},
		{"shell script: the same with a schedule", `{"displayName":"n","scriptContent":"x","runAsAccount":"user","executionFrequency":"PT0S","fileName":"a.zsh"}`, "shellScript"},
		{"remediation: detectionScriptContent", `{"displayName":"n","detectionScriptContent":"x"}`, "remediation"},
		{"no policy at all", `{"displayName":"n","colour":"blue"}`, "other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, value, skip, err := objectOf("Graph request bodies/n.json", mustDecode(t, tt.doc))
			if err != nil || skip != "" {
				t.Fatalf("objectOf: %v %q", err, skip)
			}
			wantSource, wantWarnings := TypeFromShape, 0
			if tt.want == Other.Key {
				wantSource, wantWarnings = "", 1
			}
			if o.Type.Key != tt.want || o.TypeSource != wantSource || len(o.Warnings) != wantWarnings {
				t.Errorf("%s by %q %v, want %s by %q", o.Type.Key, o.TypeSource, o.Warnings, tt.want, wantSource)
			}
			bind := strings.Contains(tt.doc, "definition@odata.bind")
			if _, isList := value.([]any); isList != bind {
				t.Errorf("value to normalise %v: a list of definition values is a list, every other file an object", value)
			}
		})
	}
}

// TestTypeSources: the Graph type first, the layout's names (folder, IntuneCD's
// file name) second, the shape last.
func TestTypeSources(t *testing.T) {
	tests := []struct {
		p, doc, want string
	}{
		{"Graph/a.json", `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","scriptContent":"x","runAsAccount":"system"}`, TypeFromOData},
		{"Device Management Scripts/a.json", `{"@odata.type":"#microsoft.graph.somethingNew","detectionScriptContent":"x"}`, TypeFromLayout},
		{"Backup/x/Edge_mdm.json", `{"name":"Edge","settings":[{"settingInstance":{}}]}`, TypeFromLayout},
		{"Graph/a.json", `{"name":"Edge","settings":[{"settingInstance":{}}]}`, TypeFromShape},
	}
	for _, tt := range tests {
		o, _, _, err := objectOf(tt.p, mustDecode(t, tt.doc))
		if err != nil || o.TypeSource != tt.want {
			t.Errorf("%s %s: typed by %q (%v), want %q", tt.p, tt.doc, o.TypeSource, err, tt.want)
		}
	}
}
