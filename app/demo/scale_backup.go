package demo

import (
	"context"
	"database/sql"
	"fmt"

	"atlas/app/db"
)

// writeBackups gives every environment its share of the backup sets, each
// taken by one of its latest succeeded backup runs and holding every present
// policy at its current version (copied by SQL: a set costs rows, not
// payloads). The heavy environment keeps two: its sets are 25,000 items each.
func (g *scaleGen) writeBackups(ctx context.Context) error {
	heavy := g.envs[0]
	want := map[*scaleEnv]int{heavy: min(2, g.sc.BackupSets)}
	share(g.envs[1:], g.sc.BackupSets-want[heavy], func(e *scaleEnv, n int) { want[e] = n })
	return g.d.Tx(ctx, func(tx *sql.Tx) error {
		st, err := prepare(ctx, tx,
			`INSERT INTO backup_sets (workspace_id, managed_environment_id, name, status, item_count, operation_run_id, created_by_user_id, created_at)
				VALUES (?, ?, ?, 'complete', ?, ?, ?, ?)`,
			`INSERT INTO backup_items (backup_set_id, policy_id, policy_version_id, content_hash, identity_key, external_id,
				policy_type, graph_type, display_name, platform, coverage, coverage_reason)
				SELECT ?, p.id, v.id, p.content_hash, p.identity_key, p.external_id, p.policy_type, p.graph_type, p.display_name,
					p.platform, i.coverage, i.coverage_reason
				FROM policies p JOIN inventory_items i ON i.policy_id = p.id
				JOIN policy_versions v ON v.policy_id = p.id AND v.version_number = p.version_count
				WHERE p.managed_environment_id = ?`)
		if err != nil {
			return err
		}
		defer st.close()
		for _, e := range g.envs {
			runs := e.backups[max(0, len(e.backups)-want[e]):]
			if len(runs) < want[e] {
				return fmt.Errorf("environment %s/%s: %d backup runs for %d sets: too few runs for the scale", e.ws.slug, e.slug, len(e.backups), want[e])
			}
			for _, run := range runs {
				sunday := run.at.AddDate(0, 0, -int(run.at.Weekday()))
				res, err := st[0].ExecContext(ctx, e.workspaceID, e.id, "Weekly backup "+sunday.Format("2006-01-02"), len(e.present),
					run.id, g.owner, db.Format(run.at))
				if err != nil {
					return err
				}
				id, _ := res.LastInsertId()
				if _, err := st[1].ExecContext(ctx, id, e.id); err != nil {
					return err
				}
				g.sum.BackupSets++
				g.sum.BackupItems += len(e.present)
			}
		}
		return nil
	})
}
