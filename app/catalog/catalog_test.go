package catalog

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/shareddata"
)

func TestEmbeddedDictionary(t *testing.T) {
	d := Embedded()
	c := d.Counts()
	if c.Settings != 18320 || c.Intents != 4506 || c.Options < 32000 || c.Categories < 900 {
		t.Errorf("counts %+v, want the 18,320 settings-catalog and 4,506 intent definitions of ../shared/data/settings-catalog", c)
	}
	rde, ok := d.Lookup("device_vendor_msft_bitlocker_requiredeviceencryption")
	if !ok {
		t.Fatal("Require Device Encryption is not in the dictionary")
	}
	if rde.Name != "Require Device Encryption" || rde.CSP != "./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption" ||
		rde.Category != "BitLocker" || rde.Intent || !strings.Contains(rde.Description(), "require encryption") {
		t.Errorf("Require Device Encryption: %+v (description %q)", rde, rde.Description())
	}
	for value, want := range map[string]string{
		"device_vendor_msft_bitlocker_requiredeviceencryption_1": "Enabled",
		"device_vendor_msft_bitlocker_requiredeviceencryption_0": "Disabled",
	} {
		if got, ok := rde.OptionLabel(value); !ok || got != want {
			t.Errorf("option %s: %q, want %q", value, got, want)
		}
	}
	for _, value := range []string{"device_vendor_msft_bitlocker_requiredeviceencryption_7", "1", "other_setting_1", ""} {
		if got, ok := rde.OptionLabel(value); ok {
			t.Errorf("option %q: %q, want none", value, got)
		}
	}
	// A child of a choice option is a definition of its own.
	child, ok := d.Lookup("device_vendor_msft_bitlocker_encryptionmethodbydrivetype_encryptionmethodwithxtsosdropdown_name")
	if label, _ := child.OptionLabel(child.ID + "_7"); !ok || child.Name != "Select the encryption method for operating system drives" || label != "XTS-AES 256-bit" {
		t.Errorf("operating-system drive encryption method: %+v, option 7 %q", child, label)
	}
	// Categories are named after the keywords Intune gives them.
	if ce, _ := d.Lookup("device_vendor_msft_bitlocker_encryptionmethodbydrivetype"); ce.Category != "Administrative Templates › Windows Components › BitLocker Drive Encryption" {
		t.Errorf("category of the encryption method %q", ce.Category)
	}
	if wifi, _ := d.Lookup("device_vendor_msft_policy_config_wifi_allowmanualwificonfiguration"); wifi.Risk != "high" {
		t.Errorf("risk of manual Wi-Fi configuration %q, want Intune's high", wifi.Risk)
	}
	intent, ok := d.Lookup("admx--microsoftedge_SSLVersionMin")
	if label, _ := intent.OptionLabel("notConfigured"); !ok || !intent.Intent || intent.Name != "Minimum SSL version enabled" || label != "Not configured" {
		t.Errorf("intent setting %+v, option notConfigured %q", intent, label)
	}
	if _, ok := d.Lookup("device_vendor_msft_bitlocker_encryptnetworkdrives"); ok {
		t.Error("an id that is in no source was found")
	}
	if _, ok := (*Dictionary)(nil).Lookup("device_vendor_msft_bitlocker_requiredeviceencryption"); ok {
		t.Error("a nil dictionary knew a setting")
	}
}

// TestEmbeddedDictionaryIsCurrent fails when dictionary.bin was not
// regenerated after the generator or the sources changed: run
// go generate ./app/catalog.
func TestEmbeddedDictionaryIsCurrent(t *testing.T) {
	built, err := Build(shareddata.Dir(t, "settings-catalog"))
	if err != nil {
		t.Fatal(err)
	}
	// Compared before compression: what matters is what the dictionary says.
	freshCore, freshDescs := built.parts()
	core, descs := Embedded().parts()
	if !bytes.Equal(freshCore.Bytes(), core.Bytes()) || !bytes.Equal(freshDescs.Bytes(), descs.Bytes()) {
		t.Errorf("the embedded dictionary (%s) is not what the generator makes of ../shared/data/settings-catalog (%s): run go generate ./app/catalog",
			Embedded().Counts(), built.Counts())
	}
}

// Definitions in the forms Build reads: Graph's own objects (one a file, a
// list, a collection), the trimmed jsonl form, gzip-compressed or not.
const (
	graphChoice = `{"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingDefinition",
		"id": "device_vendor_msft_test_newsetting", "displayName": "A New Setting", "description": "Newer than the built-in dictionary.",
		"baseUri": "./Device/Vendor/MSFT/Test", "offsetUri": "/NewSetting", "categoryId": "c1", "keywords": ["A New Setting", "Test Area"],
		"riskLevel": "low", "options": [{"itemId": "device_vendor_msft_test_newsetting_1", "displayName": "On"},
		{"itemId": "device_vendor_msft_test_newsetting_0", "displayName": "Off"}]}`
	graphSimple = `{"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingDefinition",
		"id": "device_vendor_msft_test_count", "displayName": "Count", "baseUri": "./Device/Vendor/MSFT/Test", "offsetUri": "/Count",
		"categoryId": "c1", "keywords": ["Count", "Test Area"], "riskLevel": "high"}`
	jsonlRequire = `{"id":"device_vendor_msft_bitlocker_requiredeviceencryption","displayName":"Require Device Encryption (newer)","type":"deviceManagementConfigurationChoiceSettingDefinition","baseUri":"./Device/Vendor/MSFT/BitLocker","offsetUri":"/RequireDeviceEncryption","categoryId":"c2","keywords":["BitLocker"],"options":[{"itemId":"device_vendor_msft_bitlocker_requiredeviceencryption_1","displayName":"Switched on","value":1}]}`
	intentSSL    = `{"id": "admx--microsoftedge_SSLVersionMin", "valueType": "string", "displayName": "Minimum SSL version", "isTopLevel": true,
		"constraints": [{"@odata.type": "#microsoft.graph.deviceManagementEnumConstraint", "values": [{"value": "enabled", "displayName": "On"}]}]}`
	template = `{"id":"0385b795-0f2f-44ac-8602-9f65bf6adede_1","displayName":"Endpoint detection and response","templateFamily":"endpointSecurityEndpointDetectionAndResponse","version":1}`
)

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFiles(t testing.TB, dir string, files map[string][]byte) string {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// newer is a folder of definitions in every form Build reads.
func newer(t testing.TB) string {
	return writeFiles(t, t.TempDir(), map[string][]byte{
		"DCv2/Settings/device_vendor_msft_test_newsetting.json": []byte("\xEF\xBB\xBF" + graphChoice),
		"DCv2/list.json":               []byte(`{"@odata.context": "x", "value": [` + graphSimple + `]}`),
		"dcv2-settings.jsonl.gz":       gzipped(t, jsonlRequire+"\n\n"),
		"DCv1/Settings/ssl.json":       []byte(`[` + intentSSL + `]`),
		"dcv2-templates.jsonl":         []byte(template + "\n"),
		"README.md":                    []byte("not read"),
		".git/objects/not-a-file.json": []byte("not JSON, and in a hidden folder"),
	})
}

func TestBuild(t *testing.T) {
	d, err := Build(newer(t))
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Counts(); c != (Counts{Settings: 3, Options: 3, Intents: 1, Categories: 2}) {
		t.Errorf("counts %+v", c)
	}
	def, ok := d.Lookup("device_vendor_msft_test_newsetting")
	if label, _ := def.OptionLabel("device_vendor_msft_test_newsetting_0"); !ok || def.Name != "A New Setting" ||
		def.CSP != "./Device/Vendor/MSFT/Test/NewSetting" || def.Category != "Test Area" || def.Description() != "Newer than the built-in dictionary." || label != "Off" {
		t.Errorf("Graph definition read as %+v, option 0 %q", def, label)
	}
	if count, _ := d.Lookup("device_vendor_msft_test_count"); count.Risk != "high" || count.Category != "Test Area" {
		t.Errorf("definition from a collection read as %+v", count)
	}
	if rde, _ := d.Lookup("device_vendor_msft_bitlocker_requiredeviceencryption"); rde.Name != "Require Device Encryption (newer)" {
		t.Errorf("definition from gzip-compressed JSON lines read as %+v", rde)
	}
	if ssl, _ := d.Lookup("admx--microsoftedge_SSLVersionMin"); !ssl.Intent || ssl.Name != "Minimum SSL version" {
		t.Errorf("intent definition read as %+v", ssl)
	}
	// What Build reads survives encoding.
	var b bytes.Buffer
	if err := d.Encode(&b); err != nil {
		t.Fatal(err)
	}
	again, err := Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if rt, _ := again.Lookup("device_vendor_msft_test_newsetting"); rt.Description() != def.Description() || rt.Name != def.Name || rt.CSP != def.CSP {
		t.Errorf("after encoding: %+v", rt)
	}
	if label, _ := again.Lookup("device_vendor_msft_bitlocker_requiredeviceencryption"); label == nil {
		t.Error("after encoding the BitLocker definition is gone")
	} else if l, _ := label.OptionLabel("device_vendor_msft_bitlocker_requiredeviceencryption_1"); l != "Switched on" {
		t.Errorf("after encoding option 1 reads %q", l)
	}

	// One file alone, as the source keeps it.
	one, err := Build(filepath.Join(newer(t), "dcv2-settings.jsonl.gz"))
	if err != nil || one.Counts().Settings != 1 {
		t.Errorf("one .jsonl.gz file: %v, %+v", err, one)
	}
}

func TestBuildRefusesBadInput(t *testing.T) {
	tests := []struct {
		name  string
		files map[string][]byte
		path  string // inside the folder; "" for the folder
		want  string
	}{
		{"not JSON", map[string][]byte{"a.json": []byte(graphChoice), "b.json": []byte(`{"id": "cut short`)}, "", "b.json: not JSON"},
		{"a bad line", map[string][]byte{"s.jsonl": []byte(jsonlRequire + "\n{oops}\n")}, "", "s.jsonl line 2: not JSON"},
		{"not gzip", map[string][]byte{"s.jsonl.gz": []byte(jsonlRequire)}, "", "s.jsonl.gz"},
		{"only templates and intents", map[string][]byte{"t.json": []byte("[" + template + "," + intentSSL + "]")}, "", "holds no settings-catalog definitions"},
		{"an empty folder", map[string][]byte{}, "", "holds no settings-catalog definitions"},
		{"a file of another kind", map[string][]byte{"defs.txt": []byte(graphChoice)}, "defs.txt", "not a definition file"},
		{"nothing there", map[string][]byte{}, "missing", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, t.TempDir(), tt.files)
			d, err := Build(filepath.Join(dir, tt.path))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Build: %v (%v), want an error saying %q", err, d, tt.want)
			}
		})
	}
}

// TestInstalledDictionaryIsPreferred: a dictionary installed in the data
// folder is used instead of the embedded one; without one, or with one that
// cannot be read, the embedded one is.
func TestInstalledDictionaryIsPreferred(t *testing.T) {
	d, err := Build(newer(t))
	if err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	path, size, err := d.Install(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dataDir, InstalledFile) || size == 0 {
		t.Errorf("installed %s (%d bytes)", path, size)
	}
	entries, _ := os.ReadDir(dataDir)
	if len(entries) != 1 {
		t.Errorf("the data folder holds %d files after the install, want the dictionary alone", len(entries))
	}
	nameIn := func(d *Dictionary) string {
		def, _ := d.Lookup("device_vendor_msft_bitlocker_requiredeviceencryption")
		return def.Name
	}
	if got := nameIn(Load(dataDir)); got != "Require Device Encryption (newer)" {
		t.Errorf("with an installed dictionary: %q", got)
	}
	if got := nameIn(Load(t.TempDir())); got != "Require Device Encryption" {
		t.Errorf("without an installed dictionary: %q", got)
	}
	t.Cleanup(func() { Use("") })
	Use(dataDir)
	if got := nameIn(Active()); got != "Require Device Encryption (newer)" {
		t.Errorf("Active after Use(the data folder): %q", got)
	}
	Use("")
	if Active() != Embedded() {
		t.Error("Active after Use(\"\") is not the embedded dictionary")
	}

	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, InstalledFile), []byte("atlas settings dictionary 1\n\x05abc"), 0o600); err != nil {
		t.Fatal(err)
	}
	if Load(broken) != Embedded() {
		t.Error("a damaged installed dictionary was used")
	}
	if _, _, err := d.Install(filepath.Join(broken, "missing")); err == nil {
		t.Error("installing into a missing folder succeeded")
	}
}
