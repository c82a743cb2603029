package inventory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"

	"atlas/app/access"
	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/navigation"
	"atlas/app/operation"
	"atlas/app/web"

	"github.com/uptrace/bunrouter"
)

// VersionWithHash is the latest version of a policy whose content is hash (a
// finding's evidence names content, not a version).
func VersionWithHash(ctx context.Context, q db.Querier, environmentID, policyID int64, hash string) (*Version, error) {
	var v Version
	err := q.QueryRowContext(ctx, `SELECT `+versionColumns+` FROM policy_versions
		WHERE managed_environment_id = ? AND policy_id = ? AND content_hash = ? ORDER BY version_number DESC LIMIT 1`,
		environmentID, policyID, hash).Scan(v.fields()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return &v, err
}

// VersionURL is the page of version number of a policy.
func VersionURL(env *access.Environment, policyID int64, number int) string {
	return env.URL(fmt.Sprintf("/policies/%d/versions/%d", policyID, number))
}

// Holder is a baseline snapshot or a backup set that holds a version.
type Holder struct {
	ID   int64
	Name string // the baseline's or the backup set's
	Slug string // the baseline's; "" for a backup set
	At   db.Time
}

// holdersLimit caps each list of holders on a version's page.
const holdersLimit = 20

// Through each holder's (id, policy_type) index, never a scan of all items: the
// workspace has few snapshots and the environment few backup sets (CROSS JOIN
// keeps SQLite's join order: profiles, their snapshots, then their items).
const (
	snapshotsHolding = `SELECT s.id, p.name, p.slug, s.captured_at FROM baseline_profiles p
		CROSS JOIN baseline_snapshots s ON s.baseline_profile_id = p.id
		CROSS JOIN baseline_snapshot_items i ON i.baseline_snapshot_id = s.id AND i.policy_type = ?
		WHERE p.workspace_id = ? AND i.policy_version_id = ? ORDER BY s.captured_at DESC, s.id DESC LIMIT ?`
	backupsHolding = `SELECT DISTINCT s.id, s.name, '', s.created_at FROM backup_sets s
		JOIN backup_items i ON i.backup_set_id = s.id AND i.policy_type = ?
		WHERE s.managed_environment_id = ? AND i.policy_version_id = ? ORDER BY s.created_at DESC, s.id DESC LIMIT ?`
)

func holders(ctx context.Context, q db.Querier, query string, policyType string, scopeID, versionID int64) ([]Holder, error) {
	rows, err := q.QueryContext(ctx, query, policyType, scopeID, versionID, holdersLimit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []Holder
	for rows.Next() {
		var h Holder
		if err := rows.Scan(&h.ID, &h.Name, &h.Slug, &h.At); err != nil {
			return nil, err
		}
		list = append(list, h)
	}
	return list, rows.Err()
}

type versionPage struct {
	web.Page
	Environment *access.Environment
	Policy      *Policy
	Version     *Version
	Related     navigation.RelatedContextSection
	Sections    []SettingSection
	Assignments []diff.Setting
	JSON        string
}

// Version is one captured state of a policy: where it came from, what holds
// it, and its settings as they were.
func (h *Handlers) Version(w http.ResponseWriter, req bunrouter.Request) error {
	ctx := req.Context()
	ws, env := access.MustWorkspace(ctx), access.MustEnvironment(ctx)
	pol, err := h.policyOf(req)
	if err != nil {
		return err
	}
	ver, canonical, err := h.versionOf(req, env, pol)
	if err != nil {
		return err
	}
	payload, err := DecodePayload(canonical)
	if err != nil {
		return err
	}
	names, err := h.objectNames(ctx, env.ID)
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Version %d", ver.Number)
	p := &versionPage{Page: web.Page{Title: title + " · " + pol.DisplayName, Section: "policies",
		Crumbs: policyCrumbs(ws, env, pol, title)}, Environment: env, Policy: pol, Version: ver, JSON: IndentJSON(canonical)}
	p.Sections, p.Assignments = sections(payload, names)
	if p.Related, err = h.versionRelated(ctx, ws, env, pol, ver, req.URL.RequestURI(), p.Title); err != nil {
		return err
	}
	return h.Views.Render(w, req.Request, http.StatusOK, "inventory/version", p)
}

// versionRelated: the parent policy, the run that captured it, and the baseline
// snapshots and backup sets holding it (spec 131).
func (h *Handlers) versionRelated(ctx context.Context, ws *access.Workspace, env *access.Environment, pol *Policy, ver *Version, here, title string) (navigation.RelatedContextSection, error) {
	l := navigation.NewEntries(navigation.PolicyVersion)
	l.Link("parent_policy", pol.DisplayName, pol.Type.Label, policyURL(env, pol))
	scope, err := operation.ViewerScope(ctx, h.Resolver)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	if err := h.Engine.RelateRun(ctx, h.DB.Read, l, "source_run", scope, ver.RunID, navigation.BackLink{Label: "Back to " + title, URL: here}); err != nil {
		return navigation.RelatedContextSection{}, err
	}
	snapshots, err := holders(ctx, h.DB.Read, snapshotsHolding, pol.Type.Key, ws.ID, ver.ID)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	for _, s := range snapshots {
		l.Link("snapshot_evidence", s.Name, fmt.Sprintf("snapshot #%d · %s", s.ID, s.At.Time.UTC().Format("2 Jan 2006")),
			web.SnapshotURL(ws.Slug, s.Slug, s.ID))
	}
	backups, err := holders(ctx, h.DB.Read, backupsHolding, pol.Type.Key, env.ID, ver.ID)
	if err != nil {
		return navigation.RelatedContextSection{}, err
	}
	for _, b := range backups {
		l.Link("backup_evidence", b.Name, fmt.Sprintf("backup set #%d", b.ID), env.URL(fmt.Sprintf("/backups/%d", b.ID)))
	}
	return l.Section(), nil
}

// changedLimit caps the changed policies a sync's page names; its counts say how many.
const changedLimit = 10

// RelatedToSync names on a sync's page the policies it changed: each new version it wrote.
func RelatedToSync(d *db.DB) func(ctx context.Context, run *operation.Run, env *access.Environment, l *navigation.Entries) error {
	return func(ctx context.Context, run *operation.Run, env *access.Environment, l *navigation.Entries) error {
		if env == nil {
			return nil
		}
		rows, err := d.Read.QueryContext(ctx, `SELECT p.id, p.display_name, v.version_number FROM policy_versions v
			JOIN policies p ON p.id = v.policy_id WHERE v.operation_run_id = ? AND v.managed_environment_id = ?
			ORDER BY p.display_name COLLATE NOCASE, p.id LIMIT ?`, run.ID, env.ID, changedLimit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name string
			var number int
			if err := rows.Scan(&id, &name, &number); err != nil {
				return err
			}
			l.Link("changed_policies", name, fmt.Sprintf("version %d", number), VersionURL(env, id, number))
		}
		return rows.Err()
	}
}
