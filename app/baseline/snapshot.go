package baseline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"atlas/app/db"
	"atlas/app/web"
)

// Snapshot is a baseline snapshot (spec 131): a profile's policies as captured at one moment.
type Snapshot struct {
	ID                  int64
	WorkspaceID         int64
	ProfileID           int64
	CapturedAt          time.Time
	Summary             Summary
	RunID               int64
	SourceEnvironmentID int64 // 0: an export folder or zip
	SourceName          string
	ItemCount           int
}

// Summary is summary_jsonb: what a snapshot holds per type, where it came
// from, and what it could not hold (fidelity notes).
type Summary struct {
	Source string      `json:"source"` // "environment" or "export"
	Name   string      `json:"source_name"`
	Types  []TypeCount `json:"types"`
	Notes  []string    `json:"notes,omitempty"`
}

// TypeCount is how many policies of one type a snapshot holds.
type TypeCount struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

const snapshotColumns = `s.id, s.workspace_id, s.baseline_profile_id, s.captured_at, s.summary_jsonb, COALESCE(s.operation_run_id, 0),
	COALESCE(s.source_environment_id, 0), s.source_name, s.item_count`

func scanSnapshot(row db.Row) (*Snapshot, error) {
	var s Snapshot
	var at db.Time
	var summary string
	if err := row.Scan(&s.ID, &s.WorkspaceID, &s.ProfileID, &at, &summary, &s.RunID, &s.SourceEnvironmentID, &s.SourceName, &s.ItemCount); err != nil {
		return nil, err
	}
	s.CapturedAt = at.Time
	if err := json.Unmarshal([]byte(summary), &s.Summary); err != nil {
		return nil, fmt.Errorf("snapshot %d summary_jsonb: %w", s.ID, err)
	}
	return &s, nil
}

// ErrNoSnapshot is a compare's answer for a profile never captured.
var ErrNoSnapshot = errors.New("the baseline has no snapshot yet: capture one first")

// LatestSnapshot is the profile's newest snapshot, or ErrNoSnapshot.
func LatestSnapshot(ctx context.Context, q db.Querier, profileID int64) (*Snapshot, error) {
	s, err := scanSnapshot(q.QueryRowContext(ctx, `SELECT `+snapshotColumns+` FROM baseline_snapshots s
		WHERE s.baseline_profile_id = ? ORDER BY s.captured_at DESC, s.id DESC LIMIT 1`, profileID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSnapshot
	}
	return s, err
}

// SnapshotByID loads a snapshot of the profile; one of another profile is not found.
func SnapshotByID(ctx context.Context, q db.Querier, profileID, id int64) (*Snapshot, error) {
	s, err := scanSnapshot(q.QueryRowContext(ctx, `SELECT `+snapshotColumns+` FROM baseline_snapshots s WHERE s.baseline_profile_id = ? AND s.id = ?`, profileID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return s, err
}

// SnapshotOfRun is the snapshot a capture run wrote.
func SnapshotOfRun(ctx context.Context, q db.Querier, runID int64) (*Snapshot, error) {
	s, err := scanSnapshot(q.QueryRowContext(ctx, `SELECT `+snapshotColumns+` FROM baseline_snapshots s WHERE s.operation_run_id = ?`, runID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSnapshot
	}
	return s, err
}

// Snapshots lists the profile's snapshots, newest first.
func Snapshots(ctx context.Context, q db.Querier, profileID int64) ([]*Snapshot, error) {
	return db.Collect(ctx, q, scanSnapshot, `SELECT `+snapshotColumns+` FROM baseline_snapshots s
		WHERE s.baseline_profile_id = ? ORDER BY s.captured_at DESC, s.id DESC`, profileID)
}

// Item is one policy of a snapshot.
type Item struct {
	ID              int64
	PolicyType      string
	GraphType       string
	DisplayName     string
	MatchName       string
	Platform        string
	ContentHash     string
	PolicyVersionID int64
	SourcePath      string
	// SubjectKey names the item for findings and pins (set by Items).
	SubjectKey string
}

// Items lists a snapshot's policies by type and name, each with its subject key:
// type and match name, made unique with the Graph type and then a number
// when a snapshot holds namesakes (IntuneCD's default enrollment configurations).
func Items(ctx context.Context, q db.Querier, snapshotID int64) ([]*Item, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, policy_type, COALESCE(graph_type, ''), display_name, match_name, platform, content_hash,
		COALESCE(policy_version_id, 0), source_path FROM baseline_snapshot_items WHERE baseline_snapshot_id = ?
		ORDER BY policy_type, match_name, graph_type, id`, snapshotID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var list []*Item
	namesakes := map[string]int{}
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.ID, &it.PolicyType, &it.GraphType, &it.DisplayName, &it.MatchName, &it.Platform, &it.ContentHash,
			&it.PolicyVersionID, &it.SourcePath); err != nil {
			return nil, err
		}
		namesakes[subjectKey(it.PolicyType, it.MatchName)]++
		list = append(list, &it)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	taken := map[string]int{}
	for _, it := range list {
		key := subjectKey(it.PolicyType, it.MatchName)
		if namesakes[key] > 1 {
			key += "/" + it.GraphType
		}
		if taken[key]++; taken[key] > 1 {
			key = fmt.Sprintf("%s#%d", key, taken[key])
		}
		it.SubjectKey = key
	}
	return list, nil
}
