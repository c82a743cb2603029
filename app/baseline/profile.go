// Package baseline holds baselines (spec 131 BaselineProfile, BaselineSnapshot):
// workspace-owned profiles, snapshots of a reference environment's policy
// versions or of an export folder, and the two operations built on them —
// baseline.capture and drift.compare, which matches an environment's policies
// to a snapshot's and hands what differs to app/finding.
package baseline

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"atlas/app/audit"
	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/intune"
	"atlas/app/web"
)

// Status of a profile (spec 131).
const (
	Draft    = "draft"
	Active   = "active"
	Archived = "archived"
)

// Statuses lists a profile's statuses.
var Statuses = []string{Draft, Active, Archived}

// Capture modes: every policy type, or the profile's selected types.
const (
	CaptureFull     = "full"
	CaptureSelected = "selected"
)

// Profile is a baseline profile: a golden configuration's name, what a capture
// takes and how a compare judges.
type Profile struct {
	ID               int64
	WorkspaceID      int64
	Name             string
	Slug             string
	Status           string
	CaptureMode      string
	SelectedTypes    []string // intune type keys, capture mode selected
	ReportUnexpected bool     // compares report the environment's policies the baseline lacks
	Overrides        []Override
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Override ranks a profile's findings its own way: a setting path (or the
// start of one) or a policy type, and the severity it gets.
type Override struct {
	Path       string        `json:"path,omitempty"`
	PolicyType string        `json:"policy_type,omitempty"`
	Severity   diff.Severity `json:"severity"`
}

// Captures reports whether the profile's snapshots hold policies of type key.
func (p *Profile) Captures(key string) bool {
	return p.CaptureMode == CaptureFull || slices.Contains(p.SelectedTypes, key)
}

const profileColumns = `id, workspace_id, name, slug, status, capture_mode, selected_types, report_unexpected, severity_overrides, created_at, updated_at`

func scanProfile(row db.Row) (*Profile, error) {
	var p Profile
	var types, overrides string
	var created, updated db.Time
	if err := row.Scan(&p.ID, &p.WorkspaceID, &p.Name, &p.Slug, &p.Status, &p.CaptureMode, &types, &p.ReportUnexpected, &overrides, &created, &updated); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(types), &p.SelectedTypes); err != nil {
		return nil, fmt.Errorf("profile %d selected_types: %w", p.ID, err)
	}
	if err := json.Unmarshal([]byte(overrides), &p.Overrides); err != nil {
		return nil, fmt.Errorf("profile %d severity_overrides: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = created.Time, updated.Time
	return &p, nil
}

// ProfileBySlug loads a profile of the workspace; one of another workspace is not found.
func ProfileBySlug(ctx context.Context, q db.Querier, workspaceID int64, slug string) (*Profile, error) {
	p, err := scanProfile(q.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM baseline_profiles WHERE workspace_id = ? AND slug = ?`, workspaceID, slug))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return p, err
}

// ProfileByID loads a profile of the workspace by id.
func ProfileByID(ctx context.Context, q db.Querier, workspaceID, id int64) (*Profile, error) {
	p, err := scanProfile(q.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM baseline_profiles WHERE workspace_id = ? AND id = ?`, workspaceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, web.ErrNotFound
	}
	return p, err
}

// Profiles lists the workspace's profiles by name.
func Profiles(ctx context.Context, q db.Querier, workspaceID int64) ([]*Profile, error) {
	return db.Collect(ctx, q, scanProfile, `SELECT `+profileColumns+` FROM baseline_profiles WHERE workspace_id = ? ORDER BY name COLLATE NOCASE, id`, workspaceID)
}

// Settings are a profile's fields as a person sets them.
type Settings struct {
	Name             string
	Slug             string
	Status           string
	CaptureMode      string
	SelectedTypes    []string
	ReportUnexpected bool
	Overrides        []Override
}

// check validates settings; field errors name the form's fields.
func (s *Settings) check() web.FieldErrors {
	errs := web.FieldErrors{}
	s.Slug = strings.TrimSpace(s.Slug)
	var err error
	if s.Name, err = web.ParseName(s.Name); err != nil {
		errs["name"] = err.Error()
	}
	if err := web.ValidateSlug(s.Slug); err != nil {
		errs["slug"] = err.Error()
	}
	if !slices.Contains(Statuses, s.Status) {
		errs["status"] = "Choose draft, active or archived."
	}
	switch s.CaptureMode {
	case CaptureFull:
		s.SelectedTypes = nil
	case CaptureSelected:
		if len(s.SelectedTypes) == 0 {
			errs["types"] = "Select at least one policy type, or capture every type."
		}
		for _, key := range s.SelectedTypes {
			if _, ok := intune.TypeByKey(key); !ok {
				errs["types"] = fmt.Sprintf("There is no policy type %q.", key)
			}
		}
	default:
		errs["capture_mode"] = "Choose full or selected."
	}
	for _, o := range s.Overrides {
		switch {
		case !slices.Contains([]diff.Severity{diff.High, diff.Medium, diff.Low}, o.Severity):
			errs["overrides"] = "A severity override gives high, medium or low."
		case (o.Path == "") == (o.PolicyType == ""):
			errs["overrides"] = "A severity override names a setting path or a policy type."
		case o.PolicyType != "":
			if _, ok := intune.TypeByKey(o.PolicyType); !ok {
				errs["overrides"] = fmt.Sprintf("There is no policy type %q.", o.PolicyType)
			}
		}
	}
	if errs.Any() {
		return errs
	}
	return nil
}

// CreateProfile adds a profile to the workspace.
func CreateProfile(ctx context.Context, tx *sql.Tx, workspaceID, userID int64, s Settings) (*Profile, error) {
	if errs := s.check(); errs != nil {
		return nil, errs
	}
	now := db.Now()
	res, err := tx.ExecContext(ctx, `INSERT INTO baseline_profiles (workspace_id, name, slug, status, capture_mode, selected_types,
		report_unexpected, severity_overrides, created_by_user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		workspaceID, s.Name, s.Slug, s.Status, s.CaptureMode, marshal(orEmpty(s.SelectedTypes)), s.ReportUnexpected, marshal(orEmpty(s.Overrides)),
		db.NullID(userID), now, now)
	if db.IsUniqueViolation(err) {
		return nil, web.FieldErrors{"slug": fmt.Sprintf("The workspace already has a baseline %q.", s.Slug)}
	}
	if err != nil {
		return nil, err
	}
	id, _ := res.LastInsertId()
	if err := audit.Record(ctx, tx, audit.Event{WorkspaceID: workspaceID, UserID: userID, Action: "baseline.created",
		RecordType: "baseline_profile", RecordID: id, RecordLabel: s.Name}); err != nil {
		return nil, err
	}
	return ProfileByID(ctx, tx, workspaceID, id)
}

// UpdateProfile saves a profile's settings.
func UpdateProfile(ctx context.Context, tx *sql.Tx, p *Profile, userID int64, s Settings) error {
	if errs := s.check(); errs != nil {
		return errs
	}
	_, err := tx.ExecContext(ctx, `UPDATE baseline_profiles SET name = ?, slug = ?, status = ?, capture_mode = ?, selected_types = ?,
		report_unexpected = ?, severity_overrides = ?, updated_at = ? WHERE id = ?`,
		s.Name, s.Slug, s.Status, s.CaptureMode, marshal(orEmpty(s.SelectedTypes)), s.ReportUnexpected, marshal(orEmpty(s.Overrides)), db.Now(), p.ID)
	if db.IsUniqueViolation(err) {
		return web.FieldErrors{"slug": fmt.Sprintf("The workspace already has a baseline %q.", s.Slug)}
	}
	if err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{WorkspaceID: p.WorkspaceID, UserID: userID, Action: "baseline.updated",
		RecordType: "baseline_profile", RecordID: p.ID, RecordLabel: s.Name})
}

// EnsureProfile returns the workspace's profile slug, creating it (name =
// slug, active, full capture) when there is none: atlas baseline capture.
func EnsureProfile(ctx context.Context, tx *sql.Tx, workspaceID, userID int64, slug string) (*Profile, error) {
	p, err := scanProfile(tx.QueryRowContext(ctx, `SELECT `+profileColumns+` FROM baseline_profiles WHERE workspace_id = ? AND slug = ?`, workspaceID, slug))
	if !errors.Is(err, sql.ErrNoRows) {
		return p, err
	}
	return CreateProfile(ctx, tx, workspaceID, userID, Settings{Name: slug, Slug: slug, Status: Active, CaptureMode: CaptureFull})
}

// orEmpty stores a nil list as [] rather than null.
func orEmpty[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data: cannot happen
	}
	return string(b)
}
