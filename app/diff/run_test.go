package diff

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/intune"
	"atlas/app/shareddata"
)

// copyReal copies real export files into dir, keeping their layout below root.
func copyReal(t *testing.T, dir string, root []string, files ...string) {
	t.Helper()
	src := shareddata.Dir(t, append([]string{"intune"}, root...)...)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, f), b)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rewrite decodes a file, lets change edit it, and writes it back as UTF-8 JSON.
func rewrite(t *testing.T, path string, change func(v any)) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := intune.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	change(v)
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, out)
}

func setChoice(t testing.TB, def, value string) func(any) {
	return func(v any) { instance(t, v, def)["choiceSettingValue"].(map[string]any)["value"] = value }
}

const fileJSONChange = `{
  "changes": [
    {
      "path": "settings[device_vendor_msft_bitlocker_encryptionmethodbydrivetype]/` + xtsFixed + `",
      "section": "` + bitlockerTemplates + `",
      "label": "Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later) › Select the encryption method for fixed data drives",
      "csp": "./Device/Vendor/MSFT/BitLocker/EncryptionMethodByDriveType",
      "kind": "changed",
      "old": "XTS-AES 256-bit",
      "new": "XTS-AES 128-bit (default)",
      "severity": "high"
    }
  ]
}
`

func TestRunFiles(t *testing.T) {
	dir := t.TempDir()
	root, name := bitlockerFile[:len(bitlockerFile)-1], bitlockerFile[len(bitlockerFile)-1]
	copyReal(t, filepath.Join(dir, "a"), root, name)
	copyReal(t, filepath.Join(dir, "b"), root, name)
	a, b := filepath.Join(dir, "a", name), filepath.Join(dir, "b", name)
	rewrite(t, b, setChoice(t, xtsFixed, xtsFixed+"_6"))
	broken := filepath.Join(dir, "broken.json")
	writeFile(t, broken, []byte(`{"name": "cut short`))

	tests := []struct {
		name     string
		a, b     string
		asJSON   bool
		wantExit int
		want     string // the whole output, or for text a line it must hold
		wantErr  string
	}{
		{name: "same file as JSON", a: a, b: a, asJSON: true, wantExit: ExitSame, want: "{\n  \"changes\": []\n}\n"},
		{name: "same file as text", a: a, b: a, wantExit: ExitSame, want: "No changes; "},
		{name: "changed file as JSON", a: a, b: b, asJSON: true, wantExit: ExitDiffer, want: fileJSONChange},
		{name: "changed file as text", a: a, b: b, wantExit: ExitDiffer,
			want: bitlockerTemplates + "\n  ~ Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later) › Select the encryption method for fixed data drives: XTS-AES 256-bit → XTS-AES 128-bit (default)  [high]\n"},
		{name: "missing file", a: a, b: filepath.Join(dir, "nope.json"), wantExit: ExitTrouble, wantErr: "nope.json"},
		{name: "broken file", a: broken, b: a, wantExit: ExitTrouble, wantErr: "broken.json"},
		{name: "file against folder", a: a, b: dir, wantExit: ExitTrouble, wantErr: "a file with a file or an export with an export"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			code, err := Run(tt.a, tt.b, tt.asJSON, &out)
			if code != tt.wantExit {
				t.Errorf("exit %d, want %d (err %v)", code, tt.wantExit, err)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.asJSON && out.String() != tt.want || !tt.asJSON && !strings.Contains(out.String(), tt.want) {
				t.Errorf("output:\n%s\nwant:\n%s", out.String(), tt.want)
			}
		})
	}
}

// zipFolder writes the files below dir into a zip at path.
func zipFolder(t *testing.T, dir, path string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		w, err := zw.Create(filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, buf.Bytes())
}

type folderJSON struct {
	Unchanged, Changed, Added, Removed int
	Policies                           []struct {
		Name, Type, Status string
		Changes            []changeJSON
	}
	Errors []string
}

func TestRunFolders(t *testing.T) {
	root := []string{"CES2026-IntuneCD"}
	const (
		bitlocker  = "Backup/Settings Catalog/POC_WIN_D_CO_SBL_MSZT_BitLocker_mdm.json"
		firewall   = "Backup/Settings Catalog/POC_WIN_D_CO_SBL_MSZT_Firewall_microsoftSense.json"
		compliance = "Backup/Compliance Policies/Policies/POC_WIN_D_CO_SBL_CIS_Firewall_windows10CompliancePolicy.json"
		script     = "Backup/Scripts/Shell/[intune-my-macs] SCR-SYS-100 - Device Rename.json"
		report     = "Backup/Assignment Report/report.json"
	)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	copyReal(t, a, root, bitlocker, firewall, compliance, report)
	copyReal(t, b, root, bitlocker, firewall, script, report)
	rewrite(t, filepath.Join(b, bitlocker), setChoice(t, xtsFixed, xtsFixed+"_6"))

	t.Run("changed, added and removed policies", func(t *testing.T) {
		var out bytes.Buffer
		code, err := Run(a, b, true, &out)
		if err != nil || code != ExitDiffer {
			t.Fatalf("exit %d, err %v", code, err)
		}
		var got folderJSON
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.Unchanged != 1 || got.Changed != 1 || got.Added != 1 || got.Removed != 1 {
			t.Errorf("counts unchanged %d changed %d added %d removed %d, want 1 each", got.Unchanged, got.Changed, got.Added, got.Removed)
		}
		want := []string{
			"POC_WIN_D_CO_SBL_CIS_Firewall compliancePolicy removed",
			"POC_WIN_D_CO_SBL_MSZT_BitLocker settingsCatalog changed",
			"[intune-my-macs] SCR-SYS-100 - Device Rename shellScript added",
		}
		var policies []string
		for _, p := range got.Policies {
			policies = append(policies, p.Name+" "+p.Type+" "+p.Status)
			if p.Status == "changed" && (len(p.Changes) != 1 || p.Changes[0].New != "XTS-AES 128-bit (default)") {
				t.Errorf("changes of %s: %+v", p.Name, p.Changes)
			}
			if p.Status != "changed" && len(p.Changes) == 0 {
				t.Errorf("%s %s lists no rows", p.Name, p.Status)
			}
		}
		if strings.Join(policies, "\n") != strings.Join(want, "\n") {
			t.Errorf("policies:\n%s\nwant:\n%s", strings.Join(policies, "\n"), strings.Join(want, "\n"))
		}
	})
	t.Run("a folder against a zip of itself", func(t *testing.T) {
		zipped := filepath.Join(dir, "a.zip")
		zipFolder(t, a, zipped)
		var out bytes.Buffer
		code, err := Run(zipped, a, false, &out)
		if err != nil || code != ExitSame {
			t.Fatalf("exit %d, err %v", code, err)
		}
		if got := out.String(); got != "0 policies changed, 0 added, 0 removed, 3 unchanged\n" {
			t.Errorf("output %q", got)
		}
	})
	t.Run("a folder against itself", func(t *testing.T) {
		var out bytes.Buffer
		code, err := Run(a, a, false, &out)
		if err != nil || code != ExitSame {
			t.Fatalf("exit %d, err %v", code, err)
		}
		if got := out.String(); got != "0 policies changed, 0 added, 0 removed, 3 unchanged\n" {
			t.Errorf("output %q", got)
		}
	})
	t.Run("an unreadable file is trouble, the rest still compared", func(t *testing.T) {
		c := filepath.Join(dir, "c")
		copyReal(t, c, root, bitlocker, firewall, compliance)
		writeFile(t, filepath.Join(c, "Backup/Settings Catalog/broken_mdm.json"), []byte(`{"name":`))
		var out bytes.Buffer
		code, err := Run(a, c, false, &out)
		if code != ExitTrouble || err == nil || !strings.Contains(err.Error(), "broken_mdm.json") {
			t.Fatalf("exit %d, err %v", code, err)
		}
		if !strings.Contains(out.String(), "! ") || !strings.Contains(out.String(), "0 policies changed, 0 added, 0 removed, 3 unchanged") {
			t.Errorf("output:\n%s", out.String())
		}
	})
	t.Run("groups named by the export's migration table", func(t *testing.T) {
		d := filepath.Join(dir, "d")
		copyReal(t, d, root, bitlocker)
		rewrite(t, filepath.Join(d, bitlocker), func(v any) {
			v.(map[string]any)["assignments"] = []any{map[string]any{"target": map[string]any{
				"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "6f1c2b9e-0000-4000-8000-000000000001"}}}
		})
		writeFile(t, filepath.Join(d, "MigrationTable.json"), []byte(`{"Objects": [{"Id": "6f1c2b9e-0000-4000-8000-000000000001", "DisplayName": "Pilot devices"}]}`))
		var out bytes.Buffer
		if code, err := Run(a, d, false, &out); err != nil || code != ExitDiffer {
			t.Fatalf("exit %d, err %v", code, err)
		}
		if !strings.Contains(out.String(), "+ Group Pilot devices: Included") {
			t.Errorf("output:\n%s", out.String())
		}
	})
}
