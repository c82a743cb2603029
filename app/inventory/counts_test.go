package inventory

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"atlas/app/db"
	"atlas/app/db/dbtest"
	"atlas/app/intune"
)

// TestCountersMatchThePolicies: after random inserts, type, platform, source
// and presence changes, coverage changes and deletes, the counters of schema
// 0012 give exactly what counting the rows gives: the inventory hub's chips,
// facets and type sources, and the policies list's totals.
func TestCountersMatchThePolicies(t *testing.T) {
	d := dbtest.Open(t)
	ctx := context.Background()
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := d.Write.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	now := db.Now()
	exec(`INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (1, 'Acme', 'acme', ?1, ?1)`, now)
	exec(`INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at) VALUES (1, 1, 'prod', 'Production', ?1, ?1), (2, 1, 'test', 'Test', ?1, ?1)`, now)
	exec(`INSERT INTO policy_payloads (content_hash, canonical, created_at) VALUES ('h', '{}', ?)`, now)
	rng := rand.New(rand.NewPCG(13, 2))
	types, platforms := []string{"settingsCatalog", "compliance", "deviceConfiguration"}, []string{"windows", "macOS", "iOS"}
	sources := []any{nil, intune.TypeFromOData, intune.TypeFromLayout, intune.TypeFromShape}
	coverages := []intune.Coverage{intune.Restorable, intune.Partial, intune.Risk, intune.Dependencies}
	for i := range 400 {
		exec(`INSERT INTO policies (id, workspace_id, managed_environment_id, identity_key, policy_type, type_source, display_name, platform,
			content_hash, version_count, first_seen_at, last_seen_at, removed_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, 'h', 1, ?, ?, ?)`,
			i+1, 1+rng.IntN(2), fmt.Sprint(i), types[rng.IntN(3)], sources[rng.IntN(4)], fmt.Sprint("Policy ", i), platforms[rng.IntN(3)], now, now,
			[]any{nil, now}[rng.IntN(2)])
		exec(`INSERT INTO inventory_items (workspace_id, managed_environment_id, policy_id, coverage, coverage_reason, source_path, size_bytes, observed_at)
			SELECT workspace_id, managed_environment_id, id, ?, '', '', 0, ? FROM policies WHERE id = ?`, coverages[rng.IntN(4)], now, i+1)
	}
	for range 600 {
		id := 1 + rng.IntN(400)
		switch rng.IntN(6) {
		case 0: // a sync seeing the policy again: every column rewritten, most unchanged
			exec(`UPDATE policies SET policy_type = policy_type, platform = platform, type_source = type_source, removed_at = NULL WHERE id = ?`, id)
		case 1:
			exec(`UPDATE policies SET removed_at = ? WHERE id = ?`, now, id)
		case 2:
			exec(`UPDATE policies SET policy_type = ?, platform = ? WHERE id = ?`, types[rng.IntN(3)], platforms[rng.IntN(3)], id)
		case 3:
			exec(`UPDATE policies SET type_source = ? WHERE id = ?`, sources[rng.IntN(4)], id)
		case 4:
			exec(`INSERT INTO inventory_items (workspace_id, managed_environment_id, policy_id, coverage, coverage_reason, source_path, size_bytes, observed_at)
				SELECT workspace_id, managed_environment_id, id, ?, '', '', 0, ?2 FROM policies WHERE id = ?3
				ON CONFLICT (policy_id) DO UPDATE SET coverage = excluded.coverage, observed_at = excluded.observed_at`, coverages[rng.IntN(4)], now, id)
		case 5:
			exec(`DELETE FROM policies WHERE id = ?`, id) // its inventory item goes with it
		}
	}

	for env := int64(1); env <= 2; env++ {
		got, err := CoverageOf(ctx, d.Read, env)
		want := Coverage{Percent: -1}
		counts := map[string]int{}
		for _, class := range coverages {
			n := count(t, d, `SELECT count(*) FROM inventory_items WHERE managed_environment_id = ? AND coverage = ?`, env, class)
			counts[string(class)] = n
			want.Total += n
			want.Classes = append(want.Classes, CoverageCount{class, n})
		}
		if want.Total > 0 {
			want.Percent = counts[string(intune.Restorable)] * 100 / want.Total
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("environment %d: coverage %+v, %v; counting the items gives %+v", env, got, err, want)
		}
		gotTypes, gotPlatforms, err := Facets(ctx, d.Read, env)
		if err != nil {
			t.Fatal(err)
		}
		for column, got := range map[string][]Facet{"policy_type": gotTypes, "platform": gotPlatforms} {
			rows, err := d.Read.Query(`SELECT `+column+`, count(*) FROM policies WHERE managed_environment_id = ? AND removed_at IS NULL
				GROUP BY `+column+` ORDER BY count(*) DESC, `+column, env)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for rows.Next() {
				var v string
				var n int
				rows.Scan(&v, &n)
				want = append(want, fmt.Sprint(v, n))
			}
			rows.Close()
			var gotText []string
			for _, f := range got {
				gotText = append(gotText, fmt.Sprint(f.Value, f.Count))
			}
			if fmt.Sprint(gotText) != fmt.Sprint(want) {
				t.Errorf("environment %d: %s facets %v; counting the policies gives %v", env, column, gotText, want)
			}
		}
		sources, err := TypeSources(ctx, d.Read, env)
		want2 := fmt.Sprintf("%d typed by %s, %d by %s, %d by %s",
			count(t, d, `SELECT count(*) FROM policies WHERE managed_environment_id = ? AND removed_at IS NULL AND type_source = ?`, env, intune.TypeFromOData), typeSourceWords[intune.TypeFromOData],
			count(t, d, `SELECT count(*) FROM policies WHERE managed_environment_id = ? AND removed_at IS NULL AND type_source = ?`, env, intune.TypeFromLayout), typeSourceWords[intune.TypeFromLayout],
			count(t, d, `SELECT count(*) FROM policies WHERE managed_environment_id = ? AND removed_at IS NULL AND type_source = ?`, env, intune.TypeFromShape), typeSourceWords[intune.TypeFromShape])
		if err != nil || sources != want2 {
			t.Errorf("environment %d: type sources %q, %v; counting the policies gives %q", env, sources, err, want2)
		}
		for _, f := range []Filter{{}, {State: "removed"}, {State: "all"}, {Type: "compliance"}, {Platform: "macOS", State: "all"}, {Type: "settingsCatalog", Platform: "windows", State: "removed"}} {
			list, err := ListPolicies(ctx, d.Read, env, f)
			f.clean()
			where, args := f.where(env)
			if want := count(t, d, `SELECT count(*) FROM policies p WHERE `+where, args...); err != nil || list.Total != want {
				t.Errorf("environment %d, %+v: total %d, %v; counting the policies gives %d", env, f, list.Total, err, want)
			}
		}
	}
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Read.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
