package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBaselineCommands: atlas baseline capture, atlas compare and atlas
// findings, their JSON and their exit statuses.
func TestBaselineCommands(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	golden, tenant := t.TempDir(), t.TempDir()
	write := func(dir, name, content string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(golden, "CompliancePolicies/Win.json", `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"c1","displayName":"Win compliance - v1.0","passwordMinimumLength":14}`)
	write(golden, "CompliancePolicies/Mac.json", `{"@odata.type":"#microsoft.graph.macOSCompliancePolicy","id":"c2","displayName":"Mac compliance","passwordMinimumLength":12}`)
	// The tenant: the Windows policy a release later with a shorter password, the Mac one absent.
	write(tenant, "CompliancePolicies/Win.json", `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"t1","displayName":"Win compliance - v1.1","passwordMinimumLength":8}`)
	for _, args := range []string{"workspace add --slug contoso --name Contoso", "environment add --workspace contoso --slug prod --name Production",
		"sync --workspace contoso --environment prod " + tenant} {
		if code := run(append(strings.Fields(args), "--data", data), strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			t.Fatalf("%s: exit %d", args, code)
		}
	}
	tests := []struct {
		name   string
		args   string
		status int
		stdout []string
		stderr string
	}{
		{"capture from a folder", "baseline capture --workspace contoso --profile golden --from GOLDEN --json", 0,
			[]string{`"run_id":2`, `"status":"completed"`, `"outcome":"succeeded"`, `"profile":"golden"`, `"snapshot_id":1`, `"items":2`}, ""},
		{"compare with drift", "compare --workspace contoso --environment prod --profile golden --json", 1,
			[]string{`"outcome":"succeeded"`, `"summary_counts":{"drifted":1,"missing":1,"opened":2,"reopened":0,"resolved":0,"unexpected":0,"updated":0}`, `"open_findings":2`}, ""},
		{"compare again, as text", "compare --workspace contoso --environment prod --profile golden", 1,
			[]string{"0 opened, 2 updated, 0 resolved, 0 reopened; 2 open"}, ""},
		{"findings", "findings --workspace contoso --environment prod", 0,
			[]string{"high    setting_drift      open          Win compliance - v1.0", "missing_policy", "Mac compliance"}, ""},
		{"capture from an environment", "baseline capture --workspace contoso --profile tenant --environment prod", 0,
			[]string{"baseline tenant, snapshot #2 of 1 policies from Production"}, ""},
		{"compare with no drift", "compare --workspace contoso --environment prod --profile tenant --json", 0, []string{`"open_findings":0`}, ""},
		{"unknown profile", "compare --workspace contoso --environment prod --profile nope", 2, nil, `baseline "nope"`},
		{"unknown environment", "compare --workspace contoso --environment nope --profile golden", 2, nil, `environment "nope"`},
		{"no profile", "compare --workspace contoso --environment prod", 2, nil, "--profile is required"},
		{"neither source", "baseline capture --workspace contoso --profile golden", 2, nil, "either --environment E or --from PATH"},
		{"both sources", "baseline capture --workspace contoso --profile golden --environment prod --from GOLDEN", 2, nil, "either --environment E or --from PATH"},
		{"bad profile slug", "baseline capture --workspace contoso --profile Not_A_Slug --from GOLDEN", 2, nil, "not a valid slug"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(strings.Fields(strings.ReplaceAll(tt.args, "GOLDEN", golden)), "--data", data)
			got := run(args, strings.NewReader(""), &stdout, &stderr)
			if got != tt.status || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d (want %d), stdout %.500q, stderr %.300q (want %q)", got, tt.status, stdout.String(), stderr.String(), tt.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}

	var stdout bytes.Buffer
	if code := run([]string{"findings", "--workspace", "contoso", "--environment", "prod", "--json", "--data", data}, nil, &stdout, io.Discard); code != 0 {
		t.Fatalf("findings --json: exit %d", code)
	}
	var list []struct{ Type, Subject, Severity, Status, Profile string }
	if err := json.Unmarshal(stdout.Bytes(), &list); err != nil || len(list) != 2 {
		t.Fatalf("findings --json: %v\n%s", err, stdout.String())
	}
	if list[0].Type != "setting_drift" || list[0].Severity != "high" || list[0].Status != "open" || list[1].Type != "missing_policy" {
		t.Errorf("findings --json, most severe first: %+v", list)
	}
}
