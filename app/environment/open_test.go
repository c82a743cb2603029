package environment_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"atlas/app/auth"
	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/environment"
)

// mkdir makes the folder (and its parents) and returns it, symlinks resolved.
func mkdir(t *testing.T, dir string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	return resolved
}

func symlink(t *testing.T, target, link string) string {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	return link
}

// TestConnectedFolderRulesAtSync: issue 17 — what ExportFolders.Open lets a sync
// read, checked on the folder as it is now and with its chooser's standing now.
func TestConnectedFolderRulesAtSync(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t)
	owner, err := auth.EnsureLocalOwner(ctx, d, "owner")
	if err != nil {
		t.Fatal(err)
	}
	var manager, removed int64
	for _, u := range []struct {
		email string
		id    *int64
	}{{"manager@acme.test", &manager}, {"gone@acme.test", &removed}} {
		if err := d.Write.QueryRow(`INSERT INTO users (email, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id`,
			u.email, u.email, db.Now(), db.Now()).Scan(u.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Write.Exec(`DELETE FROM users WHERE id = ?`, removed); err != nil {
		t.Fatal(err)
	}

	top := mkdir(t, t.TempDir())
	data := mkdir(t, filepath.Join(top, "data"))
	upload := mkdir(t, filepath.Join(data, environment.ExportsFolder, "environment-7", "upload-1"))
	demo := mkdir(t, filepath.Join(data, environment.ExportsFolder, "demo", "contoso", "hq"))
	restores := mkdir(t, filepath.Join(data, "restores", "prod", "1"))
	root := mkdir(t, filepath.Join(top, "root"))
	underRoot := mkdir(t, filepath.Join(root, "contoso"))
	flagRoot := mkdir(t, filepath.Join(top, "flag-root"))
	underFlagRoot := mkdir(t, filepath.Join(flagRoot, "fabrikam"))
	removedRoot := mkdir(t, filepath.Join(top, "removed-root"))
	underRemovedRoot := mkdir(t, filepath.Join(removedRoot, "northwind"))
	outside := mkdir(t, filepath.Join(top, "outside"))
	for _, dir := range []string{upload, demo, underRoot, underFlagRoot, outside} {
		if err := os.WriteFile(filepath.Join(dir, "policy.json"), []byte(`{}`), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	folders := &environment.ExportFolders{DB: d, DataDir: data, FlagRoots: []string{flagRoot}}
	if _, err := folders.AddRoot(ctx, owner.ID, root); err != nil {
		t.Fatal(err)
	}
	if _, err := folders.AddRoot(ctx, owner.ID, removedRoot); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Write.Exec(`DELETE FROM export_roots WHERE path = ?`, removedRoot); err != nil {
		t.Fatal(err)
	}

	// Swapped: each was connected as a folder, and is now a link (or behind one).
	links := mkdir(t, filepath.Join(top, "links"))
	toData := symlink(t, data, filepath.Join(links, "to-data"))
	toUpload := symlink(t, upload, filepath.Join(links, "to-upload"))
	toSlash := symlink(t, "/", filepath.Join(links, "to-slash"))
	toAllowed := symlink(t, underRoot, filepath.Join(root, "to-allowed"))
	mkdir(t, filepath.Join(outside, "sub"))
	behindLink := filepath.Join(symlink(t, outside, filepath.Join(top, "parent-link")), "sub")
	otherUpload := mkdir(t, filepath.Join(data, environment.ExportsFolder, "environment-9", "upload-1"))
	uploadSwapped := symlink(t, otherUpload, filepath.Join(data, environment.ExportsFolder, "environment-7", "upload-2"))

	const (
		linked     = "was replaced by a link, or a folder on its way was"
		inData     = "lies inside Atlas's data folder"
		holdsData  = "holds Atlas's data folder"
		noRoot     = "is under no export root now"
		zipGone    = "is no longer in Atlas's data folder: upload it again"
		unreadable = "cannot be read: connect the environment's export source again"
	)
	folder := func(path string, by int64) environment.Export {
		return environment.Export{Kind: "folder", Path: path, ConnectedBy: by}
	}
	zip := func(path string, by int64) environment.Export {
		return environment.Export{Kind: "zip", Path: path, ZipName: "contoso.zip", ConnectedBy: by}
	}
	tests := []struct {
		name   string
		export environment.Export
		want   string // the refusal; "" when it may be read
	}{
		{"the local owner's folder anywhere else", folder(outside, owner.ID), ""},
		{"a manager's folder under an export root", folder(underRoot, manager), ""},
		{"a manager's folder under an --export-root", folder(underFlagRoot, manager), ""},
		{"a folder of someone removed, under an export root", folder(underRoot, removed), ""},
		{"a folder of no one recorded, under an export root", folder(underRoot, 0), ""},
		{"an uploaded zip", zip(upload, manager), ""},
		{"the demo's folder, connected by the local owner", folder(demo, owner.ID), ""},

		{"a manager's folder outside the roots", folder(outside, manager), noRoot},
		{"a manager's folder whose root was removed", folder(underRemovedRoot, manager), noRoot},
		{"a folder of someone removed, outside the roots", folder(outside, removed), noRoot},
		{"a folder of no one recorded, outside the roots", folder(outside, 0), noRoot},
		{"a manager's folder in the exports folder", folder(demo, manager), inData},
		{"the data folder", folder(data, owner.ID), inData},
		{"a folder of the data folder outside its exports (restores)", folder(restores, owner.ID), inData},
		{"a folder holding the data folder", folder(top, owner.ID), holdsData},
		{"a zip no longer in the data folder", zip(outside, owner.ID), zipGone},

		{"replaced by a link to the data folder", folder(toData, owner.ID), linked},
		{"replaced by a link to another workspace's upload", folder(toUpload, owner.ID), linked},
		{"replaced by a link to /", folder(toSlash, owner.ID), linked},
		{"replaced by a link to a folder it may read", folder(toAllowed, manager), linked},
		{"a folder on its way replaced by a link", folder(behindLink, owner.ID), linked},
		{"an upload replaced by a link to another one", zip(uploadSwapped, manager), linked},
		{"gone", folder(filepath.Join(outside, "nope"), owner.ID), unreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, err := folders.Open(ctx, tt.export)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				defer root.Close()
				if _, err := fs.Stat(root.FS(), "policy.json"); err != nil {
					t.Errorf("the folder opened is not the one connected: %v", err)
				}
				return
			}
			var refused *environment.Refused
			if !errors.As(err, &refused) || !strings.Contains(refused.Message, tt.want) {
				t.Fatalf("err %v, want a refusal saying %q", err, tt.want)
			}
			// Never the path, nor where a link leads: a run's viewers may not see it.
			for _, secret := range []string{top, data, "/"} {
				if strings.Contains(refused.Message, secret+string(filepath.Separator)) || strings.Contains(refused.Message, " "+secret+" ") {
					t.Errorf("the refusal names %s: %s", secret, refused.Message)
				}
			}
		})
	}
}

// TestConnectedByComesFromTheAuditTrail: migration 0018 gives each existing
// connection the user who saved it last, as the audit trail records, so that
// its syncs are checked with that user's standing.
func TestConnectedByComesFromTheAuditTrail(t *testing.T) {
	d := dbtest.Open(t)
	m := dbtest.Migrations(t, d.Path)
	if err := m.Migrate(17); err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	for _, q := range []string{
		`INSERT INTO users (id, email, name, created_at, updated_at) VALUES (1, 'a@acme.test', 'A', '` + now + `', '` + now + `'), (2, 'b@acme.test', 'B', '` + now + `', '` + now + `')`,
		`INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (1, 'Acme', 'acme', '` + now + `', '` + now + `')`,
		`INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at) VALUES (1, 1, 'prod', 'Prod', '` + now + `', '` + now + `'), (2, 1, 'pilot', 'Pilot', '` + now + `', '` + now + `')`,
		`INSERT INTO provider_connections (id, workspace_id, managed_environment_id, source_kind, source_path, created_at, updated_at)
			VALUES (1, 1, 1, 'folder', '/exports/prod', '` + now + `', '` + now + `'), (2, 1, 2, 'folder', '/exports/pilot', '` + now + `', '` + now + `')`,
		// prod: saved by A, then by B; pilot's record: none.
		`INSERT INTO audit_events (workspace_id, user_id, action, record_type, record_id, created_at) VALUES
			(1, 1, 'connection.saved', 'provider_connection', 1, '` + now + `'), (1, 2, 'connection.saved', 'provider_connection', 1, '` + now + `'),
			(1, 1, 'operation.started', 'operation_run', 2, '` + now + `')`,
	} {
		if _, err := d.Write.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := m.Up(); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := d.Read.QueryRow(`SELECT group_concat(managed_environment_id || ':' || COALESCE(connected_by_user_id, 0), ' ') FROM provider_connections ORDER BY id`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "1:2 2:0" {
		t.Errorf("connected by %q, want prod's by B (2) and pilot's by no one (0)", got)
	}
}
