package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/catalog"
	"atlas/app/shareddata"
)

// bitlockerPair writes the OpenIntuneBaseline BitLocker policy and a copy with
// Require Device Encryption turned off, and returns both paths.
func bitlockerPair(t *testing.T) (before, after string) {
	t.Helper()
	src := filepath.Join(shareddata.Dir(t, "intune", "OpenIntuneBaseline", "WINDOWS", "IntuneManagement", "SettingsCatalog"),
		"Win - OIB - ES - Encryption - D - BitLocker (OS Disk) - v3.7.json")
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	before, after = filepath.Join(dir, "before.json"), filepath.Join(dir, "after.json")
	// The file is UTF-16 (IntuneManagement under Windows PowerShell): edit its text as such.
	on := utf16le(`"device_vendor_msft_bitlocker_requiredeviceencryption_1"`)
	if bytes.Count(b, on) != 1 {
		t.Fatalf("%s holds Require Device Encryption = 1 %d times, want once", src, bytes.Count(b, on))
	}
	off := bytes.Replace(b, on, utf16le(`"device_vendor_msft_bitlocker_requiredeviceencryption_0"`), 1)
	for p, content := range map[string][]byte{before: b, after: off} {
		if err := os.WriteFile(p, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return before, after
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), 0)
	}
	return b
}

type diffJSON struct {
	Changes []struct{ Path, Section, Label, CSP, Kind, Old, New, Severity string }
}

// diffJSONOf runs atlas diff --json over a data folder and decodes its output.
func diffJSONOf(t *testing.T, data, a, b string) diffJSON {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"diff", "--json", "--data", data, a, b}, nil, &stdout, &stderr); code != 1 {
		t.Fatalf("atlas diff: exit %d, stderr %s", code, stderr.String())
	}
	var out diffJSON
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("atlas diff --json: %v\n%s", err, stdout.String())
	}
	return out
}

// TestDiffSpeaksIntune: atlas diff --json labels the OpenIntuneBaseline
// BitLocker policy's setting and values as Intune's portal does.
func TestDiffSpeaksIntune(t *testing.T) {
	before, after := bitlockerPair(t)
	out := diffJSONOf(t, t.TempDir(), before, after)
	if len(out.Changes) != 1 {
		t.Fatalf("changes %+v, want one", out.Changes)
	}
	c := out.Changes[0]
	if c.Label != "Require Device Encryption" || c.Old != "Enabled" || c.New != "Disabled" || c.Section != "BitLocker" ||
		c.CSP != "./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption" || c.Kind != "changed" || c.Severity != "high" {
		t.Errorf("change %+v, want Require Device Encryption: Enabled → Disabled", c)
	}
}

// newerDefinitions is a folder of Graph's setting definitions, as a newer
// download (pl4nty/intune-change-tracking's DCv2/Settings) holds them.
func newerDefinitions(t *testing.T) string {
	dir := filepath.Join(t.TempDir(), "DCv2", "Settings")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	def := `{"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingDefinition",
		"id": "device_vendor_msft_bitlocker_requiredeviceencryption", "displayName": "Require Device Encryption (2027)",
		"description": "Newer words.", "baseUri": "./Device/Vendor/MSFT/BitLocker", "offsetUri": "/RequireDeviceEncryption",
		"categoryId": "c", "keywords": ["BitLocker"], "riskLevel": "low", "options": [
		{"itemId": "device_vendor_msft_bitlocker_requiredeviceencryption_0", "displayName": "Off"},
		{"itemId": "device_vendor_msft_bitlocker_requiredeviceencryption_1", "displayName": "On"}]}`
	if err := os.WriteFile(filepath.Join(dir, "device_vendor_msft_bitlocker_requiredeviceencryption.json"), []byte(def), 0o600); err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(filepath.Dir(dir))
}

// TestCatalogImport: atlas catalog import installs a newer dictionary into the
// data folder, and atlas diff over that folder names settings from it; bad
// input installs nothing and leaves the installed dictionary as it was.
func TestCatalogImport(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	installed := filepath.Join(data, catalog.InstalledFile)
	before, after := bitlockerPair(t)
	t.Cleanup(func() { catalog.Use("") })

	var stdout, stderr bytes.Buffer
	if code := run([]string{"catalog", "import", "--data", data, newerDefinitions(t)}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("import: exit %d, stderr %s", code, stderr.String())
	}
	if want := "1 settings-catalog definitions with 2 option labels in 1 categories, 0 intent setting definitions"; !strings.Contains(stdout.String(), want) ||
		!strings.Contains(stdout.String(), installed) {
		t.Errorf("import printed %q, want the file and %q", stdout.String(), want)
	}
	if c := diffJSONOf(t, data, before, after).Changes; len(c) != 1 || c[0].Label != "Require Device Encryption (2027)" || c[0].Old != "On" || c[0].New != "Off" {
		t.Errorf("with the installed dictionary: %+v", c)
	}
	if c := diffJSONOf(t, t.TempDir(), before, after).Changes; len(c) != 1 || c[0].Label != "Require Device Encryption" {
		t.Errorf("over another data folder: %+v", c)
	}
	good, err := os.ReadFile(installed)
	if err != nil {
		t.Fatal(err)
	}

	brokenDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(brokenDir, "a.json"), []byte(`{"id": "cut short`), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	for _, tt := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"not JSON", []string{"catalog", "import", "--data", data, brokenDir}, "a.json: not JSON"},
		{"no definitions", []string{"catalog", "import", "--data", data, empty}, "holds no settings-catalog definitions"},
		{"no such path", []string{"catalog", "import", "--data", data, filepath.Join(empty, "nope")}, "no such file"},
		{"no path", []string{"catalog", "import", "--data", data}, "takes 1 argument"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.stderr)
			}
			if now, err := os.ReadFile(installed); err != nil || !bytes.Equal(now, good) {
				t.Errorf("the installed dictionary changed (%v)", err)
			}
			if entries, _ := os.ReadDir(data); len(entries) != 1 {
				t.Errorf("the data folder holds %d files, want the dictionary alone", len(entries))
			}
		})
	}
}
