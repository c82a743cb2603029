package demo

import (
	"context"
	"fmt"

	"atlas/app/db"
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
	return []ScalePage{
		{"workspace hub", ws, "/admin"},
		{"environment dashboard", ws, "/admin/t/prod"},
		{"inventory hub", ws, "/admin/t/prod/inventory"},
		{"policies list, first page", ws, "/admin/t/prod/policies"},
		{"policies list, page 500", ws, "/admin/t/prod/policies?page=500"},
		{"policy detail, 50 versions", ws, fmt.Sprintf("/admin/t/prod/policies/%d", longPolicy)},
		{"version diff", ws, fmt.Sprintf("/admin/t/prod/policies/%d/diff?from=49&to=50", longPolicy)},
		{"operations feed", ws, "/admin/operations?environment=all"},
		{"operations feed, environment + outcome", ws, "/admin/operations?environment=prod&outcome=failed"},
		{"run detail", ws, fmt.Sprintf("/admin/operations/%d", syncRun)},
		{"findings list, open high", ws, "/admin/t/prod/findings?status=open&severity=high"},
		{"finding detail", ws, fmt.Sprintf("/admin/t/prod/findings/%d", openFinding)},
		{"baseline snapshot detail", ws, fmt.Sprintf("/admin/baselines/%s/snapshots/%d", profile, snapshot)},
		{"backups list", ws, "/admin/t/pilot/backups"},
		{"backup set, 1,000 rows", ws, fmt.Sprintf("/admin/t/pilot/backups/%d", thousandSet)},
	}, nil
}
