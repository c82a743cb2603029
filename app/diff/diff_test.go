package diff

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// decoded reads a real export file as decoded, not yet normalised JSON, so a
// test can change it the way an admin would before normalising both sides.
func decoded(t testing.TB, elem ...string) any {
	t.Helper()
	p := shareddata.Dir(t, append([]string{"intune"}, elem[:len(elem)-1]...)...)
	b, err := os.ReadFile(filepath.Join(p, elem[len(elem)-1]))
	if err != nil {
		t.Fatal(err)
	}
	v, err := intune.Decode(b)
	if err != nil {
		t.Fatalf("decoding %s: %v", elem[len(elem)-1], err)
	}
	return v
}

// instance finds a setting instance anywhere in a settings-catalog tree.
func instance(t testing.TB, v any, def string) map[string]any {
	t.Helper()
	var found map[string]any
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if x["settingDefinitionId"] == def && found == nil {
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
	walk(v)
	if found == nil {
		t.Fatalf("no setting %s", def)
	}
	return found
}

func reverseArrays(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = reverseArrays(e)
		}
	case []any:
		for i, e := range x {
			x[i] = reverseArrays(e)
		}
		slices.Reverse(x)
	}
	return v
}

var (
	bitlockerFile = []string{"CES2026-IntuneCD", "Backup", "Settings Catalog", "POC_WIN_D_CO_SBL_MSZT_BitLocker_mdm.json"}
	scriptFile    = []string{"CES2026-IntuneCD", "Backup", "Scripts", "Shell", "[intune-my-macs] SCR-SYS-100 - Device Rename.json"}
	templateFile  = []string{"Azure-securedworkstation", "ENT", "JSON", "DeviceConfigurationADMX", "Enterprise-Edge Version 85 - Computer.json"}
	omaFile       = []string{"Azure-securedworkstation", "ENT", "JSON", "DeviceConfiguration", "Enterprise-Config-Win10-Custom-CSP_17-11-2020-17-00-43.json"}
	complianceOIB = []string{"OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "CompliancePolicies"}
)

const (
	xtsFixed = "device_vendor_msft_bitlocker_encryptionmethodbydrivetype_encryptionmethodwithxtsfdvdropdown_name"
	// bitlockerTemplates is Intune's category of most BitLocker settings.
	bitlockerTemplates = "Administrative Templates › Windows Components › BitLocker Drive Encryption"
)

func TestCompareFamilies(t *testing.T) {
	compliance := func(t testing.TB) []string {
		entries, err := os.ReadDir(shareddata.Dir(t, append([]string{"intune"}, complianceOIB...)...))
		if err != nil || len(entries) == 0 {
			t.Fatalf("no compliance policies: %v", err)
		}
		return append(slices.Clone(complianceOIB), entries[0].Name())
	}
	tests := []struct {
		name   string
		file   func(testing.TB) []string
		change func(t testing.TB, v any)
		want   []Change // Path, Section, Label, Kind, Old, New, Severity are compared
	}{
		{
			name: "same settings catalog", file: fixed(bitlockerFile),
			change: func(testing.TB, any) {},
		},
		{
			name: "reordered settings, children and assignments", file: fixed(bitlockerFile),
			change: func(_ testing.TB, v any) { reverseArrays(v) },
		},
		{
			name: "nested choice value changed", file: fixed(bitlockerFile),
			change: func(t testing.TB, v any) {
				instance(t, v, xtsFixed)["choiceSettingValue"].(map[string]any)["value"] = xtsFixed + "_6"
			},
			want: []Change{{
				Path:    "settings[device_vendor_msft_bitlocker_encryptionmethodbydrivetype]/" + xtsFixed,
				Section: bitlockerTemplates, Label: "Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later) › Select the encryption method for fixed data drives",
				Kind: Changed, Old: "XTS-AES 256-bit", New: "XTS-AES 128-bit (default)", Severity: High,
			}},
		},
		{
			name: "top-level choice value changed", file: fixed(bitlockerFile),
			change: func(t testing.TB, v any) {
				const def = "device_vendor_msft_bitlocker_allowwarningforotherdiskencryption"
				instance(t, v, def)["choiceSettingValue"].(map[string]any)["value"] = def + "_1"
			},
			want: []Change{{
				Path:    "settings[device_vendor_msft_bitlocker_allowwarningforotherdiskencryption]",
				Section: "BitLocker", Label: "Allow Warning For Other Disk Encryption",
				Kind: Changed, Old: "Disabled", New: "Enabled", Severity: High,
			}},
		},
		{
			name: "setting added", file: fixed(bitlockerFile),
			change: func(_ testing.TB, v any) {
				m := v.(map[string]any)
				m["settings"] = append(m["settings"].([]any), map[string]any{"id": "99", "settingInstance": map[string]any{
					"@odata.type":         "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
					"settingDefinitionId": "device_vendor_msft_policy_config_update_activehoursstart",
					"simpleSettingValue": map[string]any{
						"@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue", "value": json.Number("8"),
					},
				}})
			},
			want: []Change{{
				Path:    "settings[device_vendor_msft_policy_config_update_activehoursstart]",
				Section: "Windows Update For Business", Label: "Active Hours Start", Kind: Added, New: "8", Severity: Medium,
			}},
		},
		{
			name: "setting removed", file: fixed(bitlockerFile),
			change: func(_ testing.TB, v any) {
				m := v.(map[string]any)
				m["settings"] = slices.DeleteFunc(m["settings"].([]any), func(s any) bool {
					return s.(map[string]any)["settingInstance"].(map[string]any)["settingDefinitionId"] == "device_vendor_msft_bitlocker_requiredeviceencryption"
				})
			},
			want: []Change{{
				Path:    "settings[device_vendor_msft_bitlocker_requiredeviceencryption]",
				Section: "BitLocker", Label: "Require Device Encryption", Kind: Removed, Old: "Enabled", Severity: High,
			}},
		},
		{
			name: "group assignment added", file: fixed(bitlockerFile),
			change: func(_ testing.TB, v any) {
				m := v.(map[string]any)
				m["assignments"] = append(m["assignments"].([]any), map[string]any{"target": map[string]any{
					"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "5f6d7e8a",
					"deviceAndAppManagementAssignmentFilterId": "f1", "deviceAndAppManagementAssignmentFilterType": "include",
				}})
			},
			want: []Change{{
				Path: "assignments[group:5f6d7e8a]", Section: "Assignments", Label: "Group 5f6d7e8a",
				Kind: Added, New: "Included · filter f1 (include)", Severity: Medium,
			}},
		},
		{
			name: "assignment widened to all users", file: fixed(bitlockerFile),
			change: func(_ testing.TB, v any) {
				m := v.(map[string]any)
				m["assignments"] = append(m["assignments"].([]any), map[string]any{"target": map[string]any{
					"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget", "deviceAndAppManagementAssignmentFilterType": "none",
				}})
			},
			want: []Change{{
				Path: "assignments[all users]", Section: "Assignments", Label: "All users", Kind: Added, New: "Included", Severity: High,
			}},
		},
		{
			name: "assignment filter added", file: fixed([]string{"Azure-securedworkstation", "ENT", "JSON", "DeviceCompliance", "ENT-Compliance-ATP.json"}),
			change: func(_ testing.TB, v any) {
				for _, a := range v.(map[string]any)["assignments"].([]any) {
					if t := a.(map[string]any)["target"].(map[string]any); t["groupId"] == "Enterprise Workstation Users" {
						t["deviceAndAppManagementAssignmentFilterId"] = "f1"
						t["deviceAndAppManagementAssignmentFilterType"] = "exclude"
					}
				}
			},
			want: []Change{{
				Path: "assignments[group:Enterprise Workstation Users]", Section: "Assignments", Label: "Group Enterprise Workstation Users",
				Kind: Changed, Old: "Included", New: "Included · filter f1 (exclude)", Severity: Medium,
			}},
		},
		{
			name: "description changed", file: fixed(bitlockerFile),
			change: func(_ testing.TB, v any) { v.(map[string]any)["description"] = "Pilot ring" },
			want: []Change{{
				Path: "description", Section: "Properties", Label: "Description", Kind: Added, Old: "", New: "Pilot ring", Severity: Low, // "" is no description
			}},
		},
		{
			name: "script line changed", file: fixed(scriptFile),
			change: func(t testing.TB, v any) {
				m := v.(map[string]any)
				b, err := base64.StdEncoding.DecodeString(m["scriptContent"].(string))
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(string(b), "\n")
				lines[2] = "set -euo pipefail"
				m["scriptContent"] = base64.StdEncoding.EncodeToString([]byte(strings.Join(lines, "\n")))
			},
			want: []Change{{
				Path: "scriptContent#line00001", Section: "Script", Label: "Script content › line 3",
				Kind: Changed, Old: "#set -x", New: "set -euo pipefail", Severity: Medium,
			}},
		},
		{
			name: "administrative template disabled", file: fixed(templateFile),
			change: func(_ testing.TB, v any) {
				for _, e := range v.([]any) {
					if m := e.(map[string]any); strings.Contains(m["definition@odata.bind"].(string), "06b9c400") {
						m["enabled"] = "false"
					}
				}
			},
			want: []Change{{
				Path: "[06b9c400-f1ed-4046-b8cb-02af3ae8e38d]", Section: "Settings", Label: "Definition 06b9c400",
				Kind: Changed, Old: "Enabled", New: "Disabled", Severity: Medium,
			}},
		},
		{
			name: "administrative template option changed", file: fixed(templateFile),
			change: func(_ testing.TB, v any) {
				for _, e := range v.([]any) {
					if m := e.(map[string]any); strings.Contains(m["definition@odata.bind"].(string), "75c20a0b") {
						m["presentationValues"].([]any)[0].(map[string]any)["value"] = "1"
					}
				}
			},
			want: []Change{{
				Path:    "[75c20a0b-f76e-4131-892a-1f47dd6534e4][6f605b7e-ca35-4f6a-b616-0cf85f5e9580]",
				Section: "Settings", Label: "Definition 75c20a0b › Presentation 6f605b7e", Kind: Changed, Old: "2", New: "1", Severity: Medium,
			}},
		},
		{
			name: "OMA-URI value changed", file: fixed(omaFile),
			change: func(_ testing.TB, v any) {
				for _, e := range v.(map[string]any)["omaSettings"].([]any) {
					if m := e.(map[string]any); strings.HasSuffix(m["omaUri"].(string), "/EnterpriseProxyServersAreAuthoritative") {
						m["value"] = json.Number("0")
					}
				}
			},
			want: []Change{{
				Path:    "omaSettings[./Device/Vendor/MSFT/Policy/Config/NetworkIsolation/EnterpriseProxyServersAreAuthoritative].value",
				Section: "Settings", Label: "OMA settings › Network isolation › Enterprise proxy servers are authoritative",
				Kind: Changed, Old: "1", New: "0", Severity: Medium,
			}},
		},
		{
			name: "OMA-URI XML line changed", file: fixed([]string{"Azure-securedworkstation", "PAW", "JSON", "DeviceConfiguration", "PAW-Win10-AppLocker-Custom-CSP_25-11-2020-17-42-11.json"}),
			change: func(t testing.TB, v any) {
				for _, e := range v.(map[string]any)["omaSettings"].([]any) {
					if m := e.(map[string]any); strings.Contains(m["omaUri"].(string), "/EXE/") {
						b, err := base64.StdEncoding.DecodeString(m["value"].(string))
						if err != nil {
							t.Fatal(err)
						}
						xml := strings.Replace(string(b), `EnforcementMode="Enabled"`, `EnforcementMode="AuditOnly"`, 1)
						m["value"] = base64.StdEncoding.EncodeToString([]byte(xml))
					}
				}
			},
			want: []Change{{
				Path:    "omaSettings[./Vendor/MSFT/AppLocker/ApplicationLaunchRestrictions/Native/EXE/Policy].value#line00001",
				Section: "Settings", Label: "OMA settings › Exe › Policy › line 1", Kind: Changed,
				Old: `<RuleCollection Type="Exe" EnforcementMode="Enabled">`, New: `<RuleCollection Type="Exe" EnforcementMode="AuditOnly">`, Severity: Medium,
			}},
		},
		{
			name: "compliance password length changed", file: compliance,
			change: func(_ testing.TB, v any) { v.(map[string]any)["passwordMinimumLength"] = json.Number("16") },
			want: []Change{{
				Path: "passwordMinimumLength", Section: "Settings", Label: "Password minimum length", Kind: Added, Severity: High, // it was null: absent
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file(t)
			old := intune.Normalize(decoded(t, file...))
			changed := decoded(t, file...)
			tt.change(t, changed)
			res := Payloads(old, intune.Normalize(changed))
			got := res.Changes
			for i := range got {
				got[i].Key, got[i].OldID, got[i].NewID, got[i].About = "", "", "", About{}
				if tt.name == "compliance password length changed" {
					got[i].Old, got[i].New = "", "" // the file's own value varies
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("changes:\n got %+v\nwant %+v", got, tt.want)
			}
			if res.Unchanged == 0 {
				t.Errorf("no unchanged rows counted")
			}
		})
	}
}

func fixed(file []string) func(testing.TB) []string {
	return func(testing.TB) []string { return file }
}

// Every real export compared with itself has no changes, and compared with
// nothing has every row removed and a mirror image the other way.
func TestCompareEveryRealFileWithItself(t *testing.T) {
	root := shareddata.Dir(t, "intune")
	files := 0
	err := intune.Read(os.DirFS(root), func(e intune.Entry) error {
		if e.Object == nil {
			return nil
		}
		files++
		again := intune.Normalize(e.Object.Payload)
		res := Payloads(e.Object.Payload, again)
		if len(res.Changes) != 0 || res.Unchanged == 0 {
			t.Errorf("%s against itself: %d changes (%v), %d unchanged", e.Path, len(res.Changes), res.Changes, res.Unchanged)
		}
		gone := Compare(e.Object.Payload, nil)
		if len(gone) != res.Unchanged {
			t.Errorf("%s removed: %d changes, want one per row (%d)", e.Path, len(gone), res.Unchanged)
		}
		checkMirror(t, e.Object.Payload, nil)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 200 {
		t.Errorf("read %d real files, want the 200+ of ../shared/data", files)
	}
}

// checkMirror asserts that Compare(b, a) is Compare(a, b) seen from the other
// side: added and removed swap, old and new swap.
func checkMirror(t testing.TB, a, b any) {
	t.Helper()
	ab, ba := Compare(a, b), Compare(b, a)
	if len(ab) != len(ba) {
		t.Fatalf("mirror: %d changes one way, %d the other\n%.600v\n%.600v", len(ab), len(ba), ab, ba)
	}
	swap := map[Kind]Kind{Added: Removed, Removed: Added, Changed: Changed}
	for i, x := range ab {
		y := ba[i]
		if x.Path != y.Path || x.Section != y.Section || x.Kind != swap[y.Kind] || x.Old != y.New || x.New != y.Old || x.OldID != y.NewID || x.NewID != y.OldID {
			t.Fatalf("mirror: change %d is %.600v one way and %.600v the other", i, x, y)
		}
	}
}

func TestSettings(t *testing.T) {
	v := intune.Normalize(decoded(t, bitlockerFile...))
	got := Settings(v)
	if len(got) != Payloads(v, v).Unchanged {
		t.Errorf("%d settings, but comparing with itself counts %d unchanged", len(got), Payloads(v, v).Unchanged)
	}
	// A child of a choice option: the portal's names, nested under its parent.
	parent := slices.IndexFunc(got, func(s Setting) bool { return s.Key == "device_vendor_msft_bitlocker_encryptionmethodbydrivetype" })
	child := slices.IndexFunc(got, func(s Setting) bool { return s.Key == xtsFixed })
	if parent < 0 || child != parent+1 { // the fixed-drive child comes first ("fdv" < "os" < "rdv")
		t.Fatalf("the encryption method (row %d) and its fixed-drive child (row %d) are not together", parent, child)
	}
	p, c := got[parent], got[child]
	if p.Value != "Enabled" || p.About.Depth != 0 || p.About.Name != "Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later)" {
		t.Errorf("parent row %+v", p)
	}
	if c.Path != "settings[device_vendor_msft_bitlocker_encryptionmethodbydrivetype]/"+xtsFixed || c.Section != bitlockerTemplates ||
		c.Label != p.About.Name+" › Select the encryption method for fixed data drives" || c.Value != "XTS-AES 256-bit" || c.ValueID != xtsFixed+"_7" {
		t.Errorf("child row %+v", c)
	}
	if a := c.About; a.Name != "Select the encryption method for fixed data drives" || a.Depth != 1 || a.Unlisted ||
		a.CSP != "./Device/Vendor/MSFT/BitLocker/EncryptionMethodByDriveType" {
		t.Errorf("child row's dictionary entry %+v", a)
	}
	if d := p.About.Description(); !strings.Contains(d, "cipher strength") {
		t.Errorf("parent row's description %q", d)
	}
	if got[0].Section == SectionProperties || got[len(got)-1].Section != SectionAssignments {
		t.Errorf("settings not in page order: first %+v, last %+v", got[0], got[len(got)-1])
	}
	seen := map[string]bool{}
	for i, s := range got {
		if i > 0 && s.Section != got[i-1].Section && seen[s.Section] {
			t.Errorf("section %q comes twice", s.Section)
		}
		seen[s.Section] = true
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		changes []Change
		want    string
	}{
		{nil, "No changes"},
		{[]Change{{Section: "BitLocker", Kind: Changed}, {Section: "Defender", Kind: Changed}, {Section: "Defender", Kind: Changed}, {Section: "Settings", Kind: Added}},
			"3 settings changed, 1 added"},
		{[]Change{{Section: "Firewall", Kind: Removed}, {Section: SectionAssignments, Kind: Added}, {Section: SectionProperties, Kind: Changed}},
			"1 setting removed; 1 property changed; 1 assignment added"},
		{[]Change{{Section: SectionScript, Kind: Changed}, {Section: SectionScript, Kind: Added}},
			"1 script line changed, 1 added"},
	}
	for _, tt := range tests {
		if got := Summary(tt.changes); got != tt.want {
			t.Errorf("Summary(%v) = %q, want %q", tt.changes, got, tt.want)
		}
	}
}

func TestLabels(t *testing.T) {
	tests := []struct{ in, want string }{
		{settingName("device_vendor_msft_bitlocker_fixeddrivesencryptiontype", ""), "BitLocker › Fixed drives encryption type"},
		{settingName("device_vendor_msft_policy_config_defender_attacksurfacereductionrules", ""), "Defender › Attack surface reduction rules"},
		{settingName("device_vendor_msft_policy_config_admx_credssp_allowencryptionoracle", ""), "Credssp › Allow encryption oracle"},
		{settingName("com.apple.mcx.filevault2_enable", ""), "MCX FileVault 2 › Enable"},
		{humanKey("passwordMinimumLength"), "Password minimum length"},
		{humanKey("bitLockerEnabled"), "BitLocker enabled"},
		{humanKey("osMinimumVersion"), "OS minimum version"},
		{omaLabel("./Device/Vendor/MSFT/Policy/Config/Defender/AllowArchiveScanning"), "Defender › Allow archive scanning"},
		// "d" and "r" endings only follow an e: "maxd" is not a word.
		{settingName("device_vendor_msft_policy_config_defender_archivemaxdepth", ""), "Defender › Archive max depth"},
		{settingName("device_vendor_msft_bitlocker_usedspaceonly", ""), "BitLocker › Used space only"},
	}
	for _, tt := range tests {
		if tt.in != tt.want {
			t.Errorf("label %q, want %q", tt.in, tt.want)
		}
	}
}

func TestSeverityRules(t *testing.T) {
	tests := []struct {
		name string
		c    Change
		want Severity
	}{
		{"assignment to all devices", Change{Section: SectionAssignments, Path: "assignments[all devices]", Kind: Added}, High},
		{"assignment to all users changed", Change{Section: SectionAssignments, Path: "assignments[all users]", Kind: Changed}, High},
		{"all users assignment removed", Change{Section: SectionAssignments, Path: "assignments[all users]", Kind: Removed}, Medium},
		{"exclusion removed", Change{Section: SectionAssignments, Path: "assignments[exclude:g1]", Kind: Removed}, High},
		{"group assignment added", Change{Section: SectionAssignments, Path: "assignments[group:g1]", Kind: Added}, Medium},
		{"description changed", Change{Section: SectionProperties, Path: "description", Kind: Changed}, Low},
		{"name removed", Change{Section: SectionProperties, Path: "displayName", Kind: Removed}, Low},
		{"policy template changed", Change{Section: SectionProperties, Path: "templateReference.templateId", Kind: Changed}, Low},
		{"scope tags changed", Change{Section: SectionProperties, Path: "roleScopeTagIds[0]", Kind: Added}, Medium},
		{"template reference removed", Change{Section: "Defender", Path: "settings[x]#template", Kind: Removed}, Low},
		{"any setting removed", Change{Section: "Start", Path: "settings[device_vendor_msft_policy_config_start_hidesleep]", Kind: Removed}, High},
		{"firewall setting added", Change{Section: "Firewall", Key: "vendor_msft_firewall_mdmstore_global_disablestatefulftp", Kind: Added}, High},
		{"password property changed", Change{Section: SectionSettings, Key: "passwordMinimumLength", Label: "Password minimum length", Kind: Changed}, High},
		{"LSA protection changed", Change{Section: "Local security authority", Key: "device_vendor_msft_policy_config_lsa_configurelsaprotectedprocess", Kind: Changed}, High},
		{"ASR rule changed", Change{Section: "Defender", Key: "device_vendor_msft_policy_config_defender_attacksurfacereductionrules", Kind: Changed}, High},
		{"script line changed", Change{Section: SectionScript, Path: "scriptContent#line00001", Kind: Changed}, Medium},
		{"script line removed", Change{Section: SectionScript, Path: "scriptContent#line00002", Kind: Removed}, Medium},
		{"other setting changed", Change{Section: "Start", Key: "device_vendor_msft_policy_config_start_hidesleep", Kind: Changed}, Medium},
		{"setting Intune rates high risk", Change{Section: "Wi-Fi", Key: "device_vendor_msft_policy_config_wifi_allowmanualwificonfiguration", Kind: Changed, About: About{Risk: "high"}}, High},
		{"setting in a security category of Intune", Change{Section: "Settings", Key: "x_y", Label: "Accounts Limit Local Account Use", Kind: Changed,
			About: About{Category: "Local Policies Security Options › Credential Delegation"}}, High},
	}
	for _, tt := range tests {
		if r := ruleFor(&tt.c); r.severity != tt.want {
			t.Errorf("%s: %s by rule %q, want %s", tt.name, r.severity, r.why, tt.want)
		}
	}
	if sev, why := Judge(Change{Section: "Firewall", Key: "vendor_msft_firewall_mdmstore_global_disablestatefulftp", Kind: Changed}); sev != High || why != "security setting" {
		t.Errorf("Judge of a firewall setting: %s by %q, want high by \"security setting\"", sev, why)
	}
}

// TestAddingToAnOrderedList: one element added anywhere in a list whose order
// counts is exactly one "added" row (and taken out again, one "removed" row);
// the elements both sides share keep their order, so there is no order row.
func TestAddingToAnOrderedList(t *testing.T) {
	const (
		extensions = `{"@odata.type":"#microsoft.graph.windows10GeneralConfiguration","displayName":"Restrictions",
			"defenderFileExtensionsToExclude":[%s]}`
		apps = `{"@odata.type":"#microsoft.graph.iosGeneralDeviceConfiguration","displayName":"iOS",
			"appsVisibilityList":[%s]}`
		catalog = `{"name":"Defender","platforms":"windows10","technologies":"mdm","settings":[{"id":"0","settingInstance":{
			"@odata.type":"#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
			"settingDefinitionId":"device_vendor_msft_policy_config_defender_excludedextensions",
			"simpleSettingCollectionValue":[%s]}}]}`
	)
	app := func(name string) string { return `{"name":"` + name + `"}` }
	value := func(v string) string {
		return `{"@odata.type":"#microsoft.graph.deviceManagementConfigurationStringSettingValue","value":"` + v + `"}`
	}
	tests := []struct {
		name, payload, before, after string
		path                         string // of the one row
	}{
		{"string at the end", extensions, `".log",".tmp"`, `".log",".tmp",".bak"`, "defenderFileExtensionsToExclude[.bak]"},
		{"string at the front", extensions, `".log",".tmp"`, `".bak",".log",".tmp"`, "defenderFileExtensionsToExclude[.bak]"},
		{"string in the middle", extensions, `".log",".tmp",".dmp"`, `".log",".bak",".tmp",".dmp"`, "defenderFileExtensionsToExclude[.bak]"},
		{"second string", extensions, `".log"`, `".bak",".log"`, "defenderFileExtensionsToExclude[.bak]"},
		{"named object in the middle", apps, app("Mail") + "," + app("Teams"), app("Mail") + "," + app("Edge") + "," + app("Teams"), "appsVisibilityList[Edge]"},
		{"settings catalog collection value at the front", catalog, value(".log") + "," + value(".tmp"), value(".bak") + "," + value(".log") + "," + value(".tmp"),
			"settings[device_vendor_msft_policy_config_defender_excludedextensions][.bak]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse := func(items string) any {
				v, err := intune.Decode([]byte(strings.Replace(tt.payload, "%s", items, 1)))
				if err != nil {
					t.Fatal(err)
				}
				return intune.Normalize(v)
			}
			before, after := parse(tt.before), parse(tt.after)
			for kind, changes := range map[Kind][]Change{Added: Compare(before, after), Removed: Compare(after, before)} {
				if len(changes) != 1 || changes[0].Kind != kind || !strings.HasPrefix(changes[0].Path, tt.path) {
					t.Errorf("want one row: %s %s; got %d:", kind, tt.path, len(changes))
					for _, c := range changes {
						t.Errorf("  %s %s: %q → %q", c.Kind, c.Path, c.Old, c.New)
					}
				}
			}
		})
	}
}
