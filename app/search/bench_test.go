package search

import (
	"context"
	"strings"
	"testing"
	"time"

	"atlas/app/access"
	"atlas/app/db/dbtest"
)

// BenchmarkFind searches 100,000 policies in 400 environments of 20 workspaces
// as a member of one workspace: most matches are other customers' and must be
// passed over without a scan.
func BenchmarkFind(b *testing.B) {
	d := dbtest.Open(b)
	ctx := context.Background()
	for _, stmt := range []string{
		`INSERT INTO users (id, email, name, created_at, updated_at) VALUES (1, 'me@test', 'Me', 'x', 'x')`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
		 INSERT INTO workspaces (id, name, slug, created_at, updated_at) SELECT i, 'Customer ' || i, 'c' || i, 'x', 'x' FROM n`,
		`INSERT INTO workspace_memberships (workspace_id, user_id, role, created_at, updated_at) VALUES (1, 1, 'owner', 'x', 'x')`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)
		 INSERT INTO managed_environments (id, workspace_id, slug, name, created_at, updated_at)
		 SELECT i, (i - 1) / 20 + 1, 'e' || i, 'Environment ' || i, 'x', 'x' FROM n`,
		`INSERT INTO policy_payloads (content_hash, canonical, created_at) VALUES ('h', '{}', 'x')`,
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
		 INSERT INTO policies (workspace_id, managed_environment_id, identity_key, policy_type, display_name, platform,
		   content_hash, version_count, first_seen_at, last_seen_at)
		 SELECT ((i - 1) % 400) / 20 + 1, (i - 1) % 400 + 1, 'k' || i, 'compliance',
		   CASE i % 4 WHEN 0 THEN 'Windows Firewall rules ' WHEN 1 THEN 'BitLocker encryption ' WHEN 2 THEN 'Edge security baseline '
		   ELSE 'Defender antivirus ' END || i, 'windows', 'h', 1, 'x', 'x' FROM n`,
	} {
		start := time.Now()
		if _, err := d.Write.ExecContext(ctx, stmt); err != nil {
			b.Fatal(err)
		}
		if strings.Contains(stmt, "INSERT INTO policies") {
			b.Logf("100,000 policies and their index rows written in %v", time.Since(start).Round(time.Millisecond))
		}
	}
	h := &Handlers{DB: d, Resolver: &access.Resolver{DB: d}}
	for _, q := range []string{"firewall", "defender 4711", "nothing like it"} {
		b.Run(q, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := h.Find(ctx, 1, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
