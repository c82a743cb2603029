package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"atlas/app/baseline"
	"atlas/app/finding"
	"atlas/app/operation"
	"atlas/app/workspace"
)

// Capture is what atlas baseline capture did.
type Capture struct {
	Run      *operation.Run
	Profile  *baseline.Profile
	Snapshot *baseline.Snapshot // nil when the run failed before writing one
}

// CaptureBaseline captures a snapshot into the workspace's profile profileSlug
// (created, name = slug, when there is none) from the environment
// environmentSlug, or from the export folder or zip at from, in this process.
func (d *Data) CaptureBaseline(ctx context.Context, workspaceSlug, profileSlug, environmentSlug, from string) (*Capture, error) {
	if (environmentSlug == "") == (from == "") {
		return nil, &UsageError{errors.New("give either --environment E or --from PATH")}
	}
	wsID, err := workspace.IDBySlug(ctx, d.DB.Read, workspaceSlug)
	if err != nil {
		return nil, classify(fmt.Errorf("workspace %q: %w", workspaceSlug, err))
	}
	req := baseline.Capture{WorkspaceID: wsID}
	if environmentSlug != "" {
		if _, req.EnvironmentID, err = d.environmentIDs(ctx, workspaceSlug, environmentSlug); err != nil {
			return nil, err
		}
	} else {
		export, cleanup, err := d.exportFolder(ctx, from)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		req.Export, req.SourceName = export, filepath.Base(from)
	}
	err = d.DB.Tx(ctx, func(tx *sql.Tx) error {
		req.Profile, err = baseline.EnsureProfile(ctx, tx, wsID, 0, profileSlug)
		return err
	})
	if err != nil {
		return nil, classify(err)
	}
	run, err := baseline.CaptureNow(ctx, d.Engine, req)
	if err != nil {
		return nil, classify(err)
	}
	c := &Capture{Run: run, Profile: req.Profile}
	c.Snapshot, err = baseline.SnapshotOfRun(ctx, d.DB.Read, run.ID)
	if errors.Is(err, baseline.ErrNoSnapshot) {
		err = nil
	}
	return c, err
}

// PrintCapture writes what a capture did: one line, or with asJSON one object
// (run_id, status, outcome, profile, snapshot_id, items).
func PrintCapture(w io.Writer, c *Capture, asJSON bool) error {
	snapshotID, items := int64(0), 0
	if c.Snapshot != nil {
		snapshotID, items = c.Snapshot.ID, c.Snapshot.ItemCount
	}
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]any{"run_id": c.Run.ID, "status": c.Run.Status, "outcome": c.Run.Outcome,
			"profile": c.Profile.Slug, "snapshot_id": snapshotID, "items": items})
	}
	if c.Snapshot == nil {
		fmt.Fprintf(w, "Run #%d %s: no snapshot of baseline %s was captured\n", c.Run.ID, c.Run.Outcome, c.Profile.Slug)
	} else {
		fmt.Fprintf(w, "Run #%d %s: baseline %s, snapshot #%d of %d policies from %s\n", c.Run.ID, c.Run.Outcome, c.Profile.Slug,
			snapshotID, items, c.Snapshot.SourceName)
		for _, note := range c.Snapshot.Summary.Notes {
			fmt.Fprintf(w, "  note: %s\n", note)
		}
	}
	printFailures(w, c.Run.Failure)
	return nil
}

// Comparison is what atlas compare did.
type Comparison struct {
	Run          *operation.Run
	OpenFindings int // open or acknowledged afterwards, for the environment and profile
}

// Compare runs a drift compare of the environment against the profile's
// latest snapshot in this process.
func (d *Data) Compare(ctx context.Context, workspaceSlug, environmentSlug, profileSlug string) (*Comparison, error) {
	wsID, envID, err := d.environmentIDs(ctx, workspaceSlug, environmentSlug)
	if err != nil {
		return nil, err
	}
	profile, err := baseline.ProfileBySlug(ctx, d.DB.Read, wsID, profileSlug)
	if err != nil {
		return nil, &NotFoundError{fmt.Errorf("baseline %q in workspace %q: not found", profileSlug, workspaceSlug)}
	}
	run, err := baseline.CompareNow(ctx, d.Engine, baseline.Compare{WorkspaceID: wsID, Profile: profile, EnvironmentID: envID})
	if err != nil {
		return nil, classify(err)
	}
	open, err := finding.CountOpen(ctx, d.DB.Read, envID, profile.ID)
	return &Comparison{Run: run, OpenFindings: open}, err
}

// PrintComparison writes what a compare did: one line, or with asJSON one
// object (run_id, status, outcome, summary_counts, open_findings).
func PrintComparison(w io.Writer, c *Comparison, asJSON bool) error {
	counts := map[string]int{}
	for _, k := range []string{"missing", "drifted", "unexpected", "opened", "updated", "resolved", "reopened"} {
		counts[k] = c.Run.Counts[k]
	}
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]any{"run_id": c.Run.ID, "status": c.Run.Status, "outcome": c.Run.Outcome,
			"summary_counts": counts, "open_findings": c.OpenFindings})
	}
	fmt.Fprintf(w, "Run #%d %s: %d missing, %d drifted, %d unexpected; findings %d opened, %d updated, %d resolved, %d reopened; %d open\n",
		c.Run.ID, c.Run.Outcome, counts["missing"], counts["drifted"], counts["unexpected"], counts["opened"], counts["updated"],
		counts["resolved"], counts["reopened"], c.OpenFindings)
	printFailures(w, c.Run.Failure)
	return nil
}

// OpenFindings lists the environment's open (and acknowledged) findings, most severe first.
func (d *Data) OpenFindings(ctx context.Context, workspaceSlug, environmentSlug string) ([]*finding.Finding, error) {
	_, envID, err := d.environmentIDs(ctx, workspaceSlug, environmentSlug)
	if err != nil {
		return nil, err
	}
	return finding.ListOpen(ctx, d.DB.Read, envID)
}

// PrintFindings writes findings one a line (type, subject, severity, status,
// first seen, last seen), or with asJSON one array of objects with those keys.
func PrintFindings(w io.Writer, list []*finding.Finding, asJSON bool) error {
	if asJSON {
		out := make([]map[string]any, 0, len(list))
		for _, f := range list {
			out = append(out, map[string]any{"id": f.ID, "type": f.Type, "subject": f.SubjectName, "severity": f.Severity,
				"status": f.Status, "profile": f.ProfileSlug, "first_seen": f.FirstSeenAt, "last_seen": f.LastSeenAt})
		}
		return json.NewEncoder(w).Encode(out)
	}
	if len(list) == 0 {
		fmt.Fprintln(w, "No open findings.")
		return nil
	}
	for _, f := range list {
		fmt.Fprintf(w, "%-6s  %-17s  %-12s  %s  (baseline %s; first seen %s, last seen %s)\n", f.Severity, f.Type, f.Status, f.SubjectName,
			f.ProfileSlug, f.FirstSeenAt.Format("2006-01-02 15:04"), f.LastSeenAt.Format("2006-01-02 15:04"))
	}
	return nil
}
