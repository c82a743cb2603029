package main

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// twoPolicies is an export of a compliance policy and a settings catalog policy.
var twoPolicies = map[string]string{
	"CompliancePolicies/Win.json": `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"c1","displayName":"Win","passwordRequired":true}`,
	"SettingsCatalog/Edge.json":   `{"@odata.type":"#microsoft.graph.deviceManagementConfigurationPolicy","id":"s1","name":"Edge","platforms":"windows10","technologies":"mdm","settings":[]}`,
}

// backupFixture is a data folder with workspace contoso, environments prod
// (synced from the export of files, by slash path) and pilot (empty), and the
// export's folder.
func backupFixture(t *testing.T, files map[string]string) (data, export string) {
	t.Helper()
	data, export = filepath.Join(t.TempDir(), "data"), t.TempDir()
	for name, content := range files {
		path := filepath.Join(export, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range []string{"workspace add --slug contoso --name Contoso", "environment add --workspace contoso --slug prod --name Production",
		"environment add --workspace contoso --slug pilot --name Pilot", "sync --workspace contoso --environment prod " + export} {
		if code := run(append(strings.Fields(args), "--data", data), strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			t.Fatalf("%s: exit %d", args, code)
		}
	}
	return data, export
}

func TestBackupCommand(t *testing.T) {
	data, _ := backupFixture(t, twoPolicies)
	tests := []struct {
		name   string
		args   string
		status int
		stdout []string
		stderr string
	}{
		{"create", "backup create --workspace contoso --environment prod --name Friday --json", 0,
			[]string{`"run_id":2`, `"status":"completed"`, `"outcome":"succeeded"`, `"backup_id":1`, `"item_count":2`}, ""},
		{"create of one type", "backup create --workspace contoso --environment prod --type settingsCatalog", 0,
			[]string{"Run #3 succeeded: backup #2 \"Backup 20", "1 item\n"}, ""},
		{"list", "backup list --workspace contoso --environment prod", 0, []string{"#2  ", "#1  ", "Friday  2 items  complete"}, ""},
		{"list as JSON", "backup list --workspace contoso --environment prod --json", 0, []string{`"name":"Friday"`, `"item_count":2`, `"pinned":false`}, ""},
		{"empty environment", "backup create --workspace contoso --environment pilot --json", 1, []string{`"outcome":"failed"`, `"backup_id":0`}, ""},
		{"unknown type", "backup create --workspace contoso --environment prod --type frobs", 2, nil, `There is no policy type "frobs"`},
		{"unknown environment", "backup list --workspace contoso --environment nope", 1, nil, `environment "nope"`},
		{"no environment", "backup create --workspace contoso", 2, nil, "--environment is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(append(strings.Fields(tt.args), "--data", data), strings.NewReader(""), &stdout, &stderr)
			if got != tt.status || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %.300q (want %q)", got, tt.status, stderr.String(), tt.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
			if strings.Contains(tt.args, "--json") && tt.status != 2 {
				var v map[string]any
				if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
					t.Errorf("--json printed no JSON object: %v", err)
				}
			}
		})
	}
}

func TestRestoreCommand(t *testing.T) {
	data, _ := backupFixture(t, twoPolicies)
	if code := run([]string{"backup", "create", "--workspace", "contoso", "--environment", "prod", "--data", data}, strings.NewReader(""), io.Discard, io.Discard); code != 0 {
		t.Fatalf("backup create: exit %d", code)
	}
	tests := []struct {
		name   string
		args   string
		status int
		stdout []string
		stderr string
	}{
		{"preview into an empty environment", "restore --workspace contoso --environment pilot --backup 1 --preview --json", 0,
			[]string{`"action":"recreate"`, `"name":"Win"`, `"name":"Edge"`, `"type":"compliancePolicy"`, `"kind":"added"`, `"warnings":[]`}, ""},
		{"preview of one policy as text", "restore --workspace contoso --environment prod --backup 1 --policy win --preview", 0,
			[]string{`skip      Compliance policy "Win": identical`}, ""},
		{"neither --preview nor --yes", "restore --workspace contoso --environment pilot --backup 1", 2, nil, "--preview to see what the restore would do, or --yes to apply it"},
		{"both --preview and --yes", "restore --workspace contoso --environment pilot --backup 1 --preview --yes", 2, nil, "not both"},
		{"apply", "restore --workspace contoso --environment pilot --backup 1 --type compliancePolicy --yes --json", 0,
			[]string{`"run_id":3`, `"status":"completed"`, `"outcome":"succeeded"`, `"pre_restore_backup_id":2`, `restores/pilot/3"`,
				`"action":"recreate"`, `"result":"written"`, `"file":"CompliancePolicies/Win.json"`}, ""},
		{"apply as text", "restore --workspace contoso --environment pilot --backup 1 --policy Win --yes", 0,
			[]string{"Run #4 succeeded", "Backup #3 taken first", `recreate  written  Compliance policy "Win"  CompliancePolicies/Win.json`}, ""}, // pilot is not synced yet: still missing
		{"no backup", "restore --workspace contoso --environment pilot --preview", 2, nil, "--backup ID is required"},
		{"unknown backup", "restore --workspace contoso --environment pilot --backup 9 --preview", 1, nil, "no backup #9"},
		{"unknown layout", "restore --workspace contoso --environment pilot --backup 1 --layout excel --preview", 2, nil, `--layout "excel"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			got := run(append(strings.Fields(tt.args), "--data", data), strings.NewReader(""), &stdout, &stderr)
			if got != tt.status || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %.300q (want %q)", got, tt.status, stderr.String(), tt.stderr)
			}
			if tt.status != 0 && strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
				t.Errorf("error is not one line: %q", stderr.String())
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}

// TestRestoreCommandWritesOnlyInItsFolder: issue 17's attack through atlas
// itself: an export whose @odata.type and technologies climb to a file
// outside the data folder, synced, backed up and restored in IntuneCD's
// layout, writes its files in the restore's folder and leaves that file alone.
func TestRestoreCommandWritesOnlyInItsFolder(t *testing.T) {
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim+".json", []byte("original"), 0o600); err != nil {
		t.Fatal(err)
	}
	climb := strings.Repeat("../", 40) + strings.TrimPrefix(filepath.ToSlash(victim), "/")
	data, _ := backupFixture(t, map[string]string{
		"DeviceConfiguration/x.json": `{"@odata.type":"#microsoft.graph.x/` + climb + `","id":"d1","displayName":"Type"}`,
		"SettingsCatalog/y.json":     `{"id":"s1","name":"Technologies","platforms":"windows10","technologies":"mdm,` + climb + `","settings":[]}`,
	})
	if code := run(strings.Fields("backup create --workspace contoso --environment prod --data "+data), strings.NewReader(""), io.Discard, io.Discard); code != 0 {
		t.Fatalf("backup create: exit %d", code)
	}
	var stdout bytes.Buffer
	code := run(strings.Fields("restore --workspace contoso --environment pilot --backup 1 --layout intunecd --yes --json --data "+data),
		strings.NewReader(""), &stdout, io.Discard)
	if b, _ := os.ReadFile(victim + ".json"); string(b) != "original" {
		t.Errorf("the file outside the data folder was overwritten: %q", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(victim)); len(entries) != 1 {
		t.Errorf("files written beside it: %v", entries)
	}
	if code != 0 {
		t.Fatalf("restore: exit %d\n%s", code, stdout.String())
	}
	var res struct {
		Output string `json:"output"`
		Items  []struct {
			Result, File string
		} `json:"items"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 {
		t.Fatalf("items %+v", res.Items)
	}
	for _, it := range res.Items {
		if _, err := os.Stat(filepath.Join(res.Output, filepath.FromSlash(it.File))); it.Result != "written" || err != nil || !fs.ValidPath(it.File) {
			t.Errorf("item %+v: not written inside %s (%v)", it, res.Output, err)
		}
	}
}
