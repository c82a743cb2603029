package baseline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"

	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/intune"
	"atlas/app/inventory"
	"atlas/app/operation"
)

// CaptureType is the operation run type of a capture.
const CaptureType = "baseline.capture"

// CaptureContext is a baseline.capture run's context: the profile, and the
// source — an environment's current policy versions, or an export folder.
type CaptureContext struct {
	ProfileID   int64  `json:"profile_id"`
	ProfileName string `json:"baseline_profile"`
	Folder      string `json:"folder,omitempty"`      // "": the run's environment
	SourceName  string `json:"source_name,omitempty"` // the folder's or zip's name
	// The folder's kind (folder, or zip expanded) and who named it: a capture
	// (a retry too) checks again that it may read it, as a sync does.
	SourceKind  string `json:"source_kind,omitempty"`
	ConnectedBy int64  `json:"connected_by,omitempty"`
}

// export is the folder the context names, for ExportFolders.Open.
func (c CaptureContext) export() environment.Export {
	e := environment.Export{Kind: c.SourceKind, Path: c.Folder, ConnectedBy: c.ConnectedBy}
	if e.Kind == "zip" {
		e.ZipName = c.SourceName
	}
	return e
}

// CaptureOperation is the baseline.capture operation type; a capture from a
// folder reads it only if folders still allow it.
func CaptureOperation(d *db.DB, folders *environment.ExportFolders) operation.Type {
	return operation.Type{Name: CaptureType, Label: "Baseline capture",
		Handler: func(ctx context.Context, run *operation.Run, p *operation.Progress) error {
			var c CaptureContext
			if err := run.DecodeContext(&c); err != nil {
				return fmt.Errorf("read the run's context: %w", err)
			}
			profile, err := ProfileByID(ctx, d.Read, run.WorkspaceID, c.ProfileID)
			if err != nil {
				return fmt.Errorf("the run's baseline profile: %w", err)
			}
			if profile.Status == Archived {
				return fmt.Errorf("the baseline %s is archived: restore it before capturing", profile.Name)
			}
			job := &capture{profile: profile, progress: p, summary: Summary{Name: c.SourceName}}
			if c.Folder != "" {
				job.summary.Source = "export"
				var root *os.Root
				if root, err = folders.Open(ctx, c.export()); err == nil {
					err = job.readExport(ctx, d, root)
					root.Close()
				}
			} else {
				job.summary.Source = "environment"
				err = job.readEnvironment(ctx, d.Read, run.WorkspaceID, run.EnvironmentID)
			}
			if err != nil {
				return err
			}
			return job.write(ctx, d, run)
		}}
}

// captured is one policy version a capture keeps.
type captured struct {
	policyType, graphType, displayName, platform, hash, sourcePath string
	versionID                                                      int64
}

type capture struct {
	profile    *Profile
	progress   *operation.Progress
	items      []captured
	notChosen  map[string]int // policies of types the profile does not select
	unreadable int
	summary    Summary
}

func (c *capture) keep(it captured) {
	if !c.profile.Captures(it.policyType) {
		if c.notChosen == nil {
			c.notChosen = map[string]int{}
		}
		c.notChosen[it.policyType]++
		c.progress.Skipped(1)
		return
	}
	c.items = append(c.items, it)
	c.progress.Succeeded(1)
}

// readEnvironment takes the environment's present policies at their current
// versions. A sync that did not read everything is a fidelity note.
func (c *capture) readEnvironment(ctx context.Context, q db.Querier, workspaceID, environmentID int64) error {
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(display_name, name) FROM managed_environments WHERE id = ? AND workspace_id = ?`,
		environmentID, workspaceID).Scan(&c.summary.Name); err != nil {
		return fmt.Errorf("the run's environment: %w", err)
	}
	sync, err := inventory.LastSync(ctx, q, environmentID)
	if errors.Is(err, inventory.ErrNoSync) {
		return errors.New("the environment has never been synced: sync it before capturing a baseline from it")
	}
	if err != nil {
		return err
	}
	if sync.Outcome != string(operation.Succeeded) {
		c.summary.Notes = append(c.summary.Notes, fmt.Sprintf("The environment's latest sync (run #%d) was %s: its policies are as far as it read.", sync.ID, sync.Badge()))
	}
	rows, err := q.QueryContext(ctx, `SELECT p.policy_type, COALESCE(p.graph_type, ''), p.display_name, p.platform, p.content_hash,
		COALESCE((SELECT v.id FROM policy_versions v WHERE v.policy_id = p.id AND v.content_hash = p.content_hash
			ORDER BY v.version_number DESC LIMIT 1), 0), COALESCE(i.source_path, '')
		FROM policies p LEFT JOIN inventory_items i ON i.policy_id = p.id
		WHERE p.managed_environment_id = ? AND p.workspace_id = ? AND p.removed_at IS NULL
		ORDER BY p.policy_type, p.display_name, p.id`, environmentID, workspaceID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var it captured
		if err := rows.Scan(&it.policyType, &it.graphType, &it.displayName, &it.platform, &it.hash, &it.versionID, &it.sourcePath); err != nil {
			return err
		}
		c.keep(it)
	}
	return rows.Err()
}

// readExport reads an export folder with the reader a sync uses, through the
// os.Root ExportFolders.Open opened on it; its payloads join the
// content-addressed store, so a baseline costs no copies. A file that cannot
// be read fails as an item (the run ends partial) and is a fidelity note.
func (c *capture) readExport(ctx context.Context, d *db.DB, root *os.Root) error {
	c.progress.SetTotal(intune.DetectLayout(root.FS()).Files)
	seen := map[string]string{}
	var payloads [][2]string // hash, canonical: written in batches
	flush := func() error {
		if len(payloads) == 0 {
			return nil
		}
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			for _, p := range payloads {
				if _, err := tx.ExecContext(ctx, `INSERT INTO policy_payloads (content_hash, canonical, created_at) VALUES (?, ?, ?)
					ON CONFLICT (content_hash) DO NOTHING`, p[0], p[1], db.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		payloads = payloads[:0]
		return err
	}
	err := intune.Read(root.FS(), func(e intune.Entry) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case e.Err != nil:
			c.unreadable++
			c.progress.Failed(e.Path, e.Err.Error())
			return nil
		case e.Object == nil:
			c.progress.Skipped(1)
			return nil
		}
		o := e.Object
		identity := o.Type.Key + "/" + o.GraphType + "/" + o.ExternalID + "/" + o.DisplayName
		if first, dup := seen[identity]; dup {
			c.progress.Warn(e.Path, fmt.Sprintf("the same policy as %s: this copy was not captured", first))
			c.progress.Skipped(1)
			return nil
		}
		seen[identity] = e.Path
		c.keep(captured{policyType: o.Type.Key, graphType: o.GraphType, displayName: o.DisplayName, platform: o.Platform,
			hash: o.Hash, sourcePath: o.SourcePath})
		if c.profile.Captures(o.Type.Key) {
			payloads = append(payloads, [2]string{o.Hash, string(o.Canonical)})
		}
		if len(payloads) >= 256 {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if c.unreadable > 0 {
		c.summary.Notes = append(c.summary.Notes, fmt.Sprintf("%d files of the export could not be read: their policies are not in the snapshot.", c.unreadable))
	}
	return flush()
}

// write stores the snapshot and its items in one transaction, with the
// summary: counts per type and the fidelity notes (types not captured and
// why, types whose export is partial).
func (c *capture) write(ctx context.Context, d *db.DB, run *operation.Run) error {
	counts := map[string]int{}
	for _, it := range c.items {
		counts[it.policyType]++
	}
	for key, n := range counts {
		t := typeInfo(key)
		c.summary.Types = append(c.summary.Types, TypeCount{Key: key, Label: t.Label, Count: n})
		if t.Coverage != intune.Restorable {
			c.summary.Notes = append(c.summary.Notes, fmt.Sprintf("%s (%d): %s (%s coverage).", t.Label, n, t.CoverageReason, t.Coverage))
		}
	}
	for key, n := range c.notChosen {
		c.summary.Notes = append(c.summary.Notes, fmt.Sprintf("%s: %d not captured, the profile does not select this type.", typeInfo(key).Label, n))
	}
	sort.Slice(c.summary.Types, func(i, j int) bool { return c.summary.Types[i].Label < c.summary.Types[j].Label })
	sort.Strings(c.summary.Notes)
	c.progress.Add("items", len(c.items))
	return d.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO baseline_snapshots (workspace_id, baseline_profile_id, captured_at, summary_jsonb,
			operation_run_id, source_environment_id, source_name, item_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			run.WorkspaceID, c.profile.ID, db.Now(), marshal(c.summary), run.ID, db.NullID(run.EnvironmentID), c.summary.Name, len(c.items))
		if err != nil {
			return err
		}
		snapshotID, _ := res.LastInsertId()
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO baseline_snapshot_items (baseline_snapshot_id, policy_type, graph_type, display_name,
			match_name, platform, content_hash, policy_version_id, source_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, it := range c.items {
			if _, err := stmt.ExecContext(ctx, snapshotID, it.policyType, db.NullString(it.graphType), it.displayName, MatchName(it.displayName),
				it.platform, it.hash, db.NullID(it.versionID), it.sourcePath); err != nil {
				return err
			}
		}
		return nil
	})
}

// typeInfo is a type's registry entry, or a bare one for a type this Atlas no longer knows.
func typeInfo(key string) intune.TypeInfo {
	if t, ok := intune.TypeByKey(key); ok {
		return t
	}
	return intune.TypeInfo{Key: key, Label: key, Coverage: intune.Restorable}
}
