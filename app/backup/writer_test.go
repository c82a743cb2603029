package backup_test

import (
	"archive/zip"
	"encoding/json"
	"io/fs"
	"net/http"
	"slices"
	"strings"
	"testing"

	"atlas/app/backup"
	"atlas/app/intune"
)

// memorySink keeps written files in memory.
type memorySink map[string][]byte

func (m memorySink) WriteFile(name string, data []byte) error {
	m[name] = data
	return nil
}

func (m memorySink) names() []string {
	var list []string
	for n := range m {
		list = append(list, n)
	}
	slices.Sort(list)
	return list
}

func (m memorySink) json(t *testing.T, name string) any {
	t.Helper()
	b, ok := m[name]
	if !ok {
		t.Fatalf("no file %s; files: %q", name, m.names())
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// writerDocuments are policies whose writing each tool does its own way.
func writerDocuments() []backup.Document {
	normalized := func(js string) any {
		v, err := intune.Decode([]byte(js))
		if err != nil {
			panic(err)
		}
		return intune.Normalize(v)
	}
	return []backup.Document{
		{Type: "settingsCatalog", Name: "Edge: security", ExternalID: "sc-1", Payload: normalized(
			`{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","name":"Edge: security","technologies":"mdm,microsoftSense","settings":[]}`)},
		{Type: "compliancePolicy", GraphType: "#microsoft.graph.windows10CompliancePolicy", Name: "Win", ExternalID: "cp-1", Payload: normalized(
			`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","displayName":"Win","assignments":[
				{"target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g-1","groupName":"Pilot users"}}]}`)},
		{Type: "compliancePolicy", GraphType: "#microsoft.graph.windows10CompliancePolicy", Name: "Win", Payload: normalized(
			`{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","displayName":"Win","passwordRequired":true}`)},
		{Type: "adminTemplate", GraphType: "#microsoft.graph.groupPolicyConfiguration", Name: "Edge ADMX", Payload: normalized(
			`[{"definition@odata.bind":"https://graph.microsoft.com/beta/deviceManagement/groupPolicyDefinitions('d1')","enabled":"true"}]`)},
		{Type: "appConfiguration", GraphType: "#microsoft.graph.iosMobileAppConfiguration", Name: "Outlook", Payload: normalized(
			`{"@odata.type":"#microsoft.graph.iosMobileAppConfiguration","displayName":"Outlook","payloadJson":"{\"a\": 1}"}`)},
		{Type: "shellScript", Name: "Dock", Payload: normalized(`{"displayName":"Dock","fileName":"dock.sh","scriptContent":"ZWNobyBoaQ=="}`)},
		{Type: "remediation", GraphType: "#microsoft.graph.deviceHealthScript", Name: "Fix", Payload: normalized(
			`{"@odata.type":"#microsoft.graph.deviceHealthScript","displayName":"Fix","detectionScriptContent":"ZXhpdCAx","remediationScriptContent":"ZXhpdCAw"}`)},
	}
}

func writeAll(t *testing.T, layout string) memorySink {
	t.Helper()
	sink := memorySink{}
	w, err := backup.NewWriter(sink, layout)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range writerDocuments() {
		if _, err := w.Write(doc); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close("tenant-1"); err != nil {
		t.Fatal(err)
	}
	return sink
}

// TestWriterFollowsEachTool: folder and file names as each tool writes them,
// the files each tool's import needs beside the policies, and the forms each
// tool reads.
func TestWriterFollowsEachTool(t *testing.T) {
	t.Run("IntuneManagement", func(t *testing.T) {
		sink := writeAll(t, intune.IntuneManagement)
		want := []string{"AdministrativeTemplates/Edge ADMX.json", "AppConfigurationManagedDevice/Outlook.json", "CompliancePolicies/Win (2).json",
			"CompliancePolicies/Win.json", "DeviceHealthScripts/Fix.json", "MacScripts/Dock.json", "MigrationTable.json", "SettingsCatalog/Edge security.json"}
		if got := sink.names(); !slices.Equal(got, want) {
			t.Errorf("files %q, want %q", got, want)
		}
		sc := sink.json(t, "SettingsCatalog/Edge security.json").(map[string]any)
		if sc["@odata.type"] != "#microsoft.graph.deviceManagementConfigurationPolicy" || sc["id"] != "sc-1" {
			t.Errorf("settings catalog written without its type or id: %v", sc)
		}
		admx, ok := sink.json(t, "AdministrativeTemplates/Edge ADMX.json").(map[string]any)
		if !ok || admx["displayName"] != "Edge ADMX" || len(admx["definitionValues"].([]any)) != 1 {
			t.Errorf("an administrative template is not the policy object holding its values: %v", admx)
		}
		table := sink.json(t, "MigrationTable.json").(map[string]any)
		if table["TenantId"] != "tenant-1" || !strings.Contains(string(sink["MigrationTable.json"]), `"DisplayName": "Pilot users"`) {
			t.Errorf("MigrationTable.json lacks the tenant or the assignments' groups: %s", sink["MigrationTable.json"])
		}
		if app := sink.json(t, "AppConfigurationManagedDevice/Outlook.json").(map[string]any); app["payloadJson"] != `{"a":1}` {
			t.Errorf("JSON held in a string is not written back as a string: %v", app["payloadJson"])
		}
	})
	t.Run("IntuneCD", func(t *testing.T) {
		sink := writeAll(t, intune.IntuneCD)
		want := []string{"App Configuration/Outlook_iosMobileAppConfiguration.json",
			"Compliance Policies/Policies/Win_windows10CompliancePolicy (2).json", "Compliance Policies/Policies/Win_windows10CompliancePolicy.json",
			"Group Policy Configurations/Edge ADMX_groupPolicyConfiguration.json",
			"Proactive Remediations/Fix_deviceHealthScript.json", "Proactive Remediations/Script Data/Fix_DetectionScript.ps1",
			"Proactive Remediations/Script Data/Fix_RemediationScript.ps1", "Scripts/Shell/Dock.json", "Scripts/Shell/Script Data/dock.sh",
			"Settings Catalog/Edge_ security_microsoftSense.json"}
		if got := sink.names(); !slices.Equal(got, want) {
			t.Errorf("files %q, want %q", got, want)
		}
		if sc := sink.json(t, "Settings Catalog/Edge_ security_microsoftSense.json").(map[string]any); sc["@odata.type"] != nil {
			t.Error("IntuneCD writes no type on a settings catalog policy")
		}
		if got := string(sink["Scripts/Shell/Script Data/dock.sh"]); got != "echo hi" {
			t.Errorf("script data %q, want the decoded script", got)
		}
	})
	t.Run("IntuneBackupAndRestore", func(t *testing.T) {
		sink := writeAll(t, intune.IntuneBackupAndRestore)
		want := []string{"Administrative Templates/Edge ADMX.json", "Device Compliance Policies/Assignments/Win.json",
			"Device Compliance Policies/Win (2).json", "Device Compliance Policies/Win.json", "Device Health Scripts/Fix.json",
			"Mobile App Configurations/Outlook.json", "Settings Catalog/Edge_ security.json", "Shell Scripts/Dock.json"}
		if got := sink.names(); !slices.Equal(got, want) {
			t.Errorf("files %q, want %q", got, want)
		}
		if _, isList := sink.json(t, "Administrative Templates/Edge ADMX.json").([]any); !isList {
			t.Error("IntuneBackupAndRestore's administrative template is not the list of its values")
		}
		if win := sink.json(t, "Device Compliance Policies/Win.json").(map[string]any); win["assignments"] != nil {
			t.Error("assignments are written inside the policy: IntuneBackupAndRestore posts the file as it is")
		}
		if a, ok := sink.json(t, "Device Compliance Policies/Assignments/Win.json").([]any); !ok || len(a) != 1 {
			t.Errorf("the assignments file does not hold the policy's assignments: %s", sink["Device Compliance Policies/Assignments/Win.json"])
		}
	})
}

// TestDownload: "Download as zip" sends the whole set in the chosen layout
// (the environment's own by default), a zip Atlas itself reads as that layout.
func TestDownload(t *testing.T) {
	s := newSite(t)
	id := s.backup(t, "prod", "Friday")
	for _, tt := range []struct {
		query, layout, file string
	}{
		{"", intune.IntuneManagement, "SettingsCatalog/Defender baseline.json"}, // prod's export is IntuneManagement's
		{"?layout=intunecd", intune.IntuneCD, "Settings Catalog/Defender baseline_mdm.json"},
		{"?layout=intunebackupandrestore", intune.IntuneBackupAndRestore, "Device Compliance Policies/Assignments/Windows compliance.json"},
	} {
		r := s.ro.Get(setPath("prod", id) + "/download" + tt.query)
		if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/zip" ||
			!strings.Contains(r.Header.Get("Content-Disposition"), "Friday (") {
			t.Fatalf("download %s: %d %s %s", tt.query, r.Status, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
		}
		zr, err := zip.NewReader(strings.NewReader(r.Body), int64(len(r.Body)))
		if err != nil {
			t.Fatal(err)
		}
		if got := intune.DetectLayout(zr); got.Kind != tt.layout {
			t.Errorf("download %s is read as %s (%s)", tt.query, got.Kind, got.Verdict)
		}
		if _, err := fs.Stat(zr, tt.file); err != nil {
			t.Errorf("download %s lacks %s", tt.query, tt.file)
		}
	}
	if r := s.ro.Get(setPath("prod", id) + "/download?layout=excel"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown layout: %d, want 422", r.Status)
	}
}
