package demo

import (
	"context"
	"fmt"

	"atlas/app/db"
	"atlas/app/web"
)

// ScalePage is a page of a LoadScale dataset that issue 13 measures, signed in
// as the owner with Workspace selected.
type ScalePage struct {
	Name, Workspace, Path string
}

// ScalePages lists issue 13's pages on a LoadScale dataset: the heavy
// workspace, its heavy environment (prod) and its thousand-policy one (pilot).
func ScalePages(ctx context.Context, q db.Querier) ([]ScalePage, error) {
	var ws, profile string
	var longPolicy, syncRun, openFinding, snapshot, thousandSet int64
	err := q.QueryRowContext(ctx, `SELECT w.slug, b.slug,
		(SELECT p.id FROM policies p JOIN managed_environments e ON e.id = p.managed_environment_id
			WHERE e.workspace_id = w.id AND e.slug = 'prod' AND p.version_count = 50 ORDER BY p.id LIMIT 1),
		(SELECT r.id FROM operation_runs r JOIN managed_environments e ON e.id = r.managed_environment_id
			WHERE e.workspace_id = w.id AND e.slug = 'prod' AND r.type = 'inventory.sync' AND r.outcome = 'partial' ORDER BY r.id DESC LIMIT 1),
		(SELECT f.id FROM findings f JOIN managed_environments e ON e.id = f.managed_environment_id
			WHERE e.workspace_id = w.id AND e.slug = 'prod' AND f.finding_type = 'setting_drift' AND f.status = 'open' ORDER BY f.id LIMIT 1),
		(SELECT max(s.id) FROM baseline_snapshots s WHERE s.baseline_profile_id = b.id),
		(SELECT max(s.id) FROM backup_sets s JOIN managed_environments e ON e.id = s.managed_environment_id
			WHERE e.workspace_id = w.id AND e.slug = 'pilot')
		FROM workspaces w JOIN baseline_profiles b ON b.workspace_id = w.id ORDER BY w.id LIMIT 1`).
		Scan(&ws, &profile, &longPolicy, &syncRun, &openFinding, &snapshot, &thousandSet)
	if err != nil {
		return nil, fmt.Errorf("not a LoadScale dataset: %w", err)
	}
	prod := func(rest string) string { return web.EnvironmentURL(ws, "prod", rest) }
	return []ScalePage{
		{"workspace hub", ws, web.WorkspaceURL(ws, "")},
		{"environment dashboard", ws, prod("")},
		{"inventory hub", ws, prod("/inventory")},
		{"policies list, first page", ws, prod("/policies")},
		{"policies list, page 500", ws, prod("/policies?page=500")},
		{"policy detail, 50 versions", ws, prod(fmt.Sprintf("/policies/%d", longPolicy))},
		{"version diff", ws, prod(fmt.Sprintf("/policies/%d/diff?from=49&to=50", longPolicy))},
		{"operations feed", ws, web.WorkspaceURL(ws, "/operations?environment=all")},
		{"operations feed, environment + outcome", ws, web.WorkspaceURL(ws, "/operations?environment=prod&outcome=failed")},
		{"run detail", ws, web.RunURL(syncRun)},
		{"findings list, open high", ws, prod("/findings?status=open&severity=high")},
		{"finding detail", ws, prod(fmt.Sprintf("/findings/%d", openFinding))},
		{"baseline snapshot detail", ws, web.SnapshotURL(ws, profile, snapshot)},
		{"backups list", ws, web.EnvironmentURL(ws, "pilot", "/backups")},
		{"backup set, 1,000 rows", ws, web.EnvironmentURL(ws, "pilot", fmt.Sprintf("/backups/%d", thousandSet))},
	}, nil
}
