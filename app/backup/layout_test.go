package backup_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"atlas/app"
	"atlas/app/apptest"
	"atlas/app/backup"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/shareddata"
)

// sharedExports are the real exports of ../shared/data/intune.
var sharedExports = []string{"OpenIntuneBaseline", "CES2026-IntuneCD", "Azure-securedworkstation"}

// stored is a policy as an environment holds it, by identity key.
type stored struct {
	name, typ, hash string
	payload         any
}

func policiesOf(t *testing.T, q *sql.DB, environmentID int64) map[string]stored {
	t.Helper()
	rows, err := q.Query(`SELECT p.identity_key, p.display_name, p.policy_type, p.content_hash, pl.canonical FROM policies p
		JOIN policy_payloads pl ON pl.content_hash = p.content_hash WHERE p.managed_environment_id = ? AND p.removed_at IS NULL`, environmentID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	m := map[string]stored{}
	for rows.Next() {
		var key string
		var s stored
		var canonical []byte
		if err := rows.Scan(&key, &s.name, &s.typ, &s.hash, &canonical); err != nil {
			t.Fatal(err)
		}
		if s.payload, err = inventory.DecodePayload(canonical); err != nil {
			t.Fatal(err)
		}
		m[key] = s
	}
	return m
}

func environmentID(t *testing.T, e *apptest.Env, slug string) int64 {
	t.Helper()
	var id int64
	if err := e.Data.DB.Read.QueryRow(`SELECT e.id FROM managed_environments e JOIN workspaces w ON w.id = e.workspace_id
		WHERE w.slug = 'rt' AND e.slug = ?`, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// checkRoundTrip syncs folder into a new environment of workspace rt and checks
// every policy of from against it: same identities and hashes (assignments
// included: in IntuneBackupAndRestore's layout they come back from its
// Assignments/ files). An administrative template kept as a bare list of values
// (IntuneBackupAndRestore's form) is written as the policy object the other
// tools read: there the values must be the same.
func checkRoundTrip(t *testing.T, e *apptest.Env, from map[string]stored, folder, slug, layout string) {
	t.Helper()
	if got := intune.DetectLayout(os.DirFS(folder)); got.Kind != layout {
		t.Errorf("the written folder is detected as %q (%s), want %q", got.Kind, got.Verdict, layout)
	}
	ctx := context.Background()
	if err := e.Data.AddEnvironment(ctx, "rt", slug, slug); err != nil {
		t.Fatal(err)
	}
	// A sync never reads inside the data folder, where restores are written: it reads a copy.
	export := filepath.Join(t.TempDir(), slug)
	if err := os.CopyFS(export, os.DirFS(folder)); err != nil {
		t.Fatal(err)
	}
	run, err := e.Data.Sync(ctx, "rt", slug, export)
	if err != nil || run.Outcome != "succeeded" {
		t.Fatalf("sync of the written folder: %v, run %+v %+v", err, run, run.Failure)
	}
	back := policiesOf(t, e.Data.DB.Read, environmentID(t, e, slug))
	if len(back) != len(from) {
		t.Errorf("%d policies read back, want %d", len(back), len(from))
	}
	for key, want := range from {
		got, ok := back[key]
		switch {
		case !ok:
			t.Errorf("%s %q was not read back (identity %s)", want.typ, want.name, key)
		case got.name != want.name || got.typ != want.typ:
			t.Errorf("%s %q read back as %s %q", want.typ, want.name, got.typ, got.name)
		case want.typ == "adminTemplate" && reflect.TypeOf(want.payload) != reflect.TypeOf(got.payload):
			// One side is the bare list of values, the other the object holding them.
			wantValues, gotValues := want.payload, got.payload
			if m, isObject := want.payload.(map[string]any); isObject {
				wantValues = m["definitionValues"]
			} else {
				gotValues = got.payload.(map[string]any)["definitionValues"]
			}
			if !reflect.DeepEqual(wantValues, gotValues) {
				t.Errorf("administrative template %q: its values changed in the other form", want.name)
			}
		case got.hash != want.hash:
			a, _ := json.Marshal(want.payload)
			b, _ := json.Marshal(got.payload)
			t.Errorf("%s %q: hash changed\nwas  %.600s\nnow  %.600s", want.typ, want.name, a, b)
		}
	}
}

// TestLayoutRoundTrip: each real export, synced and backed up, restored (with
// its assignments) into an empty environment in each tool's layout, writes a
// folder Atlas's detector recognises as that layout and that, synced into a new
// environment, gives every policy its original content.
func TestLayoutRoundTrip(t *testing.T) {
	root := shareddata.Dir(t, "intune")
	e := apptest.New(t)
	ctx := context.Background()
	if err := e.Data.AddWorkspace(ctx, "rt", "Round trip"); err != nil {
		t.Fatal(err)
	}
	for _, export := range sharedExports {
		t.Run(export, func(t *testing.T) {
			slug := strings.ToLower(strings.ReplaceAll(export, "-", ""))
			if err := e.Data.AddEnvironment(ctx, "rt", slug, export); err != nil {
				t.Fatal(err)
			}
			if run, err := e.Data.Sync(ctx, "rt", slug, filepath.Join(root, export)); err != nil || run.Outcome == "failed" {
				t.Fatalf("sync %s: %v %+v", export, err, run)
			}
			_, set, err := e.Data.CreateBackup(ctx, "rt", slug, "", nil)
			if err != nil || set == nil {
				t.Fatalf("backup: %v", err)
			}
			from := policiesOf(t, e.Data.DB.Read, environmentID(t, e, slug))
			for _, layout := range backup.Layouts {
				t.Run(layout.Label, func(t *testing.T) {
					empty := fmt.Sprintf("%s-into-%s", slug, layout.Kind)
					if err := e.Data.AddEnvironment(ctx, "rt", empty, empty); err != nil {
						t.Fatal(err)
					}
					var out strings.Builder
					run, err := e.Data.ApplyRestore(ctx, &out, "rt", empty, app.RestoreOptions{BackupID: set.ID, Layout: layout.Kind, WithAssignments: true}, true)
					if err != nil || run.Outcome != "succeeded" {
						t.Fatalf("restore: %v %+v", err, run)
					}
					var res struct{ Output string }
					if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
						t.Fatal(err)
					}
					checkRoundTrip(t, e, from, res.Output, fmt.Sprintf("%s-%s", slug, layout.Kind), layout.Kind)
				})
			}
		})
	}
}
