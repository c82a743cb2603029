package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app"
)

func TestCommandLine(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	huge := strings.Repeat("x", 9<<20) // a name is at most 200 characters
	tests := []struct {
		name   string
		args   string
		stdin  string
		status int
		stderr string
	}{
		{"workspace add", "workspace add --slug contoso --name Contoso", "", 0, ""},
		{"duplicate workspace", "workspace add --slug contoso --name Again", "", 2, "already exists"},
		{"invalid slug", "workspace add --slug Con_toso --name X", "", 2, "not a valid slug"},
		{"missing value", "workspace add --slug contoso", "", 2, "--name is required"},
		{"unknown flag", "workspace add --colour red", "", 2, "flag provided but not defined: -colour"},
		{"unknown command", "frobnicate", "", 2, "unknown command"},
		{"environment add", "environment add --workspace contoso --slug prod --name Production", "", 0, ""},
		{"environment named as another", "environment add --workspace contoso --slug prod-2 --name PRODUCTION", "", 2, "already has this name"},
		{"environment of unknown workspace", "environment add --workspace nope --slug prod --name P", "", 1, `workspace "nope"`},
		{"user add", "user add --email op@contoso.test --name Op --password-stdin", "s3cret-pass\n", 0, ""},
		{"user add short password", "user add --email x@contoso.test --name X --password-stdin", "short\n", 2, "at least 8"},
		{"user add with a huge name", "user add --email big@contoso.test --name " + huge + " --password-stdin", "s3cret-pass\n", 2, "A name is at most 200 characters; this one has 9,437,184."},
		{"user add with a huge email", "user add --email " + huge + "@contoso.test --name Big --password-stdin", "s3cret-pass\n", 2, "an email address is at most 254 characters"},
		{"workspace add with a huge name", "workspace add --slug big --name " + huge, "", 2, "A name is at most 200 characters"},
		{"environment add with a huge name", "environment add --workspace contoso --slug big --name " + huge, "", 2, "A name is at most 200 characters"},
		{"user add without stdin flag", "user add --email y@contoso.test --name Y", "", 2, "--password-stdin"},
		{"member add with environment", "member add --workspace contoso --email op@contoso.test --role operator --environment prod", "", 0, ""},
		{"member add invalid role", "member add --workspace contoso --email op@contoso.test --role boss", "", 2, "invalid role"},
		{"member add unknown user", "member add --workspace contoso --email who@contoso.test --role readonly", "", 1, "No user has this email"},
		{"member add unknown environment", "member add --workspace contoso --email op@contoso.test --role readonly --environment nope", "", 1, `environment "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(strings.Fields(tt.args), "--data", data)
			got := run(args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if got != tt.status || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %.300q (want %q)", got, tt.status, stderr.String(), tt.stderr)
			}
			if tt.status != 0 && (strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 || stderr.Len() > 200) {
				t.Errorf("error is not one short line: %.300q", stderr.String())
			}
		})
	}

	d, err := app.OpenData(context.Background(), data, "someone")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var workspaces, environments, owners, envMembers, users int
	d.DB.Read.QueryRow(`SELECT count(*) FROM workspaces`).Scan(&workspaces)
	d.DB.Read.QueryRow(`SELECT count(*) FROM managed_environments`).Scan(&environments)
	d.DB.Read.QueryRow(`SELECT count(*) FROM workspace_memberships m JOIN users u ON u.id = m.user_id WHERE u.is_local_owner = 1 AND m.role = 'owner'`).Scan(&owners)
	d.DB.Read.QueryRow(`SELECT count(*) FROM managed_environment_memberships`).Scan(&envMembers)
	d.DB.Read.QueryRow(`SELECT count(*) FROM users`).Scan(&users)
	if workspaces != 1 || environments != 1 || owners != 1 || envMembers != 1 || users != 2 {
		t.Errorf("workspaces %d, environments %d, local owner memberships %d, env members %d, users %d; want 1 1 1 1 2",
			workspaces, environments, owners, envMembers, users)
	}
	if d.Owner.Name == "someone" {
		t.Error("the local owner was created again on a later open")
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	if run([]string{"version"}, nil, &stdout, &stdout) != 0 || !strings.HasPrefix(stdout.String(), "atlas ") {
		t.Errorf("version printed %q", stdout.String())
	}
}

func TestDiffCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.json", `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"1","displayName":"P","passwordMinimumLength":8}`)
	same := write("same.json", `{"passwordMinimumLength":8,"displayName":"P","@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"2","lastModifiedDateTime":"2026-01-01T00:00:00Z"}`)
	longer := write("b.json", `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"1","displayName":"P","passwordMinimumLength":14}`)
	broken := write("broken.json", `{"displayName":`)
	for _, tt := range []struct {
		name   string
		args   []string
		status int
		stdout string
	}{
		{"same content, other ids and times", []string{"diff", a, same}, 0, ""},
		{"changed value", []string{"diff", a, longer}, 1, "8 → 14"},
		{"json after the paths", []string{"diff", a, longer, "--json"}, 1, `"changes": [`},
		{"unreadable file", []string{"diff", a, broken}, 2, ""},
		{"one path", []string{"diff", a}, 2, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.args, nil, &stdout, &stderr); got != tt.status || !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q", got, tt.status, stdout.String(), stderr.String())
			}
		})
	}
}

func TestSyncCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	export := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(export, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("CompliancePolicies/Win.json", `{"@odata.type":"#microsoft.graph.windows10CompliancePolicy","id":"c1","displayName":"Win"}`)
	write("CompliancePolicies/Mac.json", `{"@odata.type":"#microsoft.graph.macOSCompliancePolicy","id":"c2","displayName":"Mac"}`)
	for _, args := range []string{"workspace add --slug contoso --name Contoso", "environment add --workspace contoso --slug prod --name Production"} {
		if code := run(append(strings.Fields(args), "--data", data), strings.NewReader(""), io.Discard, io.Discard); code != 0 {
			t.Fatalf("%s: exit %d", args, code)
		}
	}
	tests := []struct {
		name   string
		before func()
		args   string
		status int
		stdout []string
		stderr string
	}{
		{"first sync", func() {}, "sync --workspace contoso --environment prod --json EXPORT", 0,
			[]string{`"outcome":"succeeded"`, `"status":"completed"`, `"run_id":1`, `"created":2`, `"files":2`, `"failed":0`, `"skipped":0`, `"failure_summary":null`}, ""},
		{"same export again", func() {}, "sync --workspace contoso --environment prod EXPORT", 0,
			[]string{"Run #2 succeeded: 2 files, 2 seen, 0 created, 0 changed, 2 unchanged, 0 removed, 0 skipped, 0 failed"}, ""},
		{"an unreadable file", func() { write("CompliancePolicies/Broken.json", `{"displayName":`) }, "sync --json --workspace contoso --environment prod EXPORT", 1,
			[]string{`"outcome":"partial"`, `"failed":1`, `"item":"CompliancePolicies/Broken.json"`}, ""},
		{"unknown environment", func() {}, "sync --workspace contoso --environment nope EXPORT", 1, nil, `environment "nope"`},
		{"missing export", func() {}, "sync --workspace contoso --environment prod /nonexistent/export", 2, nil, "cannot be read"},
		{"no path", func() {}, "sync --workspace contoso --environment prod", 2, nil, "takes 1 argument"},
		{"no environment", func() {}, "sync --workspace contoso EXPORT", 2, nil, "--environment is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.before()
			var stdout, stderr bytes.Buffer
			args := append(strings.Fields(strings.ReplaceAll(tt.args, "EXPORT", export)), "--data", data)
			got := run(args, strings.NewReader(""), &stdout, &stderr)
			if got != tt.status || !strings.Contains(stderr.String(), tt.stderr) {
				t.Fatalf("exit %d (want %d), stderr %.300q (want %q)", got, tt.status, stderr.String(), tt.stderr)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
				}
			}
		})
	}
}

// TestDemoCommand: the demo fills an empty data folder, refuses it once it has
// data (one line, status 1), and --force loads it again.
func TestDemoCommand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	tests := []struct {
		args   string
		status int
		stdout string
		stderr string
	}{
		// (one load: a race-instrumented demo takes a while)
		{"workspace add --slug acme --name Acme", 0, "", ""},
		{"demo", 1, "", "already has workspaces"},
		{"demo --force", 0, "password: ", ""},
		// issue 13: the large dataset is for an empty data folder only
		{"demo --scale large", 2, "", "is not empty: --scale fills an empty one"},
		{"demo --scale huge", 2, "", "--scale is large or medium"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		got := run(append(strings.Fields(tt.args), "--data", data), nil, &stdout, &stderr)
		if got != tt.status || !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
			t.Fatalf("%s: exit %d (want %d), stdout %q, stderr %q", tt.args, got, tt.status, stdout.String(), stderr.String())
		}
		if tt.status != 0 && strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
			t.Errorf("%s: error is not one line: %q", tt.args, stderr.String())
		}
	}
}

// TestUnusableDataFolder: a data folder Atlas cannot create or write stops every
// command at start with one line naming the folder and what to do.
func TestUnusableDataFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	underFile := filepath.Join(file, "data")
	readOnly := filepath.Join(t.TempDir(), "data")
	for _, tt := range []struct {
		name, data, want string
		prepare          func(t *testing.T)
	}{
		{"folder under a file", underFile, "the data folder " + underFile + " cannot be created (not a directory): choose another folder with --data", func(*testing.T) {}},
		{"read-only database", readOnly, "the database in the data folder " + readOnly + " is read-only (permission denied)", func(t *testing.T) {
			if os.Geteuid() == 0 {
				t.Skip("running as root, whom file modes do not stop (TestOpenErrorSaysWhatToDo covers the message)")
			}
			d, err := app.OpenData(context.Background(), readOnly, "owner")
			if err != nil {
				t.Fatal(err)
			}
			d.Close()
			os.Chmod(filepath.Join(readOnly, "atlas.db"), 0o400)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.prepare(t)
			for _, args := range []string{"serve --no-browser --addr 127.0.0.1:0", "workspace add --slug a --name A"} {
				var stderr bytes.Buffer
				got := run(append(strings.Fields(args), "--data", tt.data), nil, io.Discard, &stderr)
				if got != 1 || !strings.Contains(stderr.String(), tt.want) || strings.Count(strings.TrimSpace(stderr.String()), "\n") > 0 {
					t.Errorf("%s: exit %d (want 1), stderr %q (want one line with %q)", args, got, stderr.String(), tt.want)
				}
			}
		})
	}
}
