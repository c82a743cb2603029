package baseline

import (
	"context"
	"encoding/json"
	"errors"

	"atlas/app/db"
	"atlas/app/environment"
	"atlas/app/operation"
	"atlas/app/web"
)

// Capture asks for a capture of p: from the environment (EnvironmentID), or
// from an export folder (Export, with EnvironmentID 0).
type Capture struct {
	WorkspaceID   int64
	Profile       *Profile
	EnvironmentID int64
	Export        environment.Export
	SourceName    string // the folder's or zip's name
	UserID        int64  // 0: the command line
	StartKey      string // the start form's (operation.StartRequest)
}

func (c Capture) request() operation.StartRequest {
	return operation.StartRequest{WorkspaceID: c.WorkspaceID, EnvironmentID: c.EnvironmentID, Type: CaptureType, UserID: c.UserID, StartKey: c.StartKey,
		Context: contextMap(CaptureContext{ProfileID: c.Profile.ID, ProfileName: c.Profile.Name, Folder: c.Export.Path, SourceName: c.SourceName,
			SourceKind: c.Export.Kind, ConnectedBy: c.Export.ConnectedBy})}
}

// StartCapture queues the capture, or returns the run it joins
// (operation.Engine.Start): the capture already active for the same source.
func StartCapture(ctx context.Context, engine *operation.Engine, c Capture) (*operation.Run, bool, error) {
	return engine.Start(ctx, c.request())
}

// CaptureNow runs the capture in this process (atlas baseline capture) and
// returns the completed run.
func CaptureNow(ctx context.Context, engine *operation.Engine, c Capture) (*operation.Run, error) {
	run, active, err := engine.Execute(ctx, c.request())
	if err == nil && active {
		return nil, web.Errorf(web.Conflict, "A capture from this source is already %s (run #%d): wait for it to finish.", run.Status, run.ID)
	}
	return run, err
}

// Compare asks for a compare of an environment against the profile's latest snapshot.
type Compare struct {
	WorkspaceID   int64
	Profile       *Profile
	EnvironmentID int64
	UserID        int64  // 0: the command line
	StartKey      string // the start form's (operation.StartRequest)
}

// request names the snapshot in the run's context: the profile's latest when
// the compare is asked for, so that the run says what it compared against.
func (c Compare) request(ctx context.Context, q db.Querier) (operation.StartRequest, error) {
	if c.Profile.Status == Archived {
		return operation.StartRequest{}, web.Errorf(web.Conflict, "The baseline %s is archived: restore it before comparing against it.", c.Profile.Name)
	}
	snapshot, err := LatestSnapshot(ctx, q, c.Profile.ID)
	if errors.Is(err, ErrNoSnapshot) {
		return operation.StartRequest{}, web.Errorf(web.Conflict, "The baseline %s has no snapshot yet: capture one before comparing against it.", c.Profile.Name)
	}
	if err != nil {
		return operation.StartRequest{}, err
	}
	return operation.StartRequest{WorkspaceID: c.WorkspaceID, EnvironmentID: c.EnvironmentID, Type: CompareType, UserID: c.UserID, StartKey: c.StartKey,
		Context: contextMap(CompareContext{ProfileID: c.Profile.ID, ProfileName: c.Profile.Name, SnapshotID: snapshot.ID})}, nil
}

// StartCompare queues the compare. One compare runs per environment at a
// time: the run it joins (operation.Engine.Start) is returned when it compares
// against the same profile, and is a conflict when it compares another.
func StartCompare(ctx context.Context, engine *operation.Engine, c Compare) (*operation.Run, bool, error) {
	req, err := c.request(ctx, engine.DB.Read)
	if err != nil {
		return nil, false, err
	}
	run, joined, err := engine.Start(ctx, req)
	if err == nil && joined {
		err = sameProfile(run, c.Profile)
	}
	return run, joined, err
}

// CompareNow runs the compare in this process (atlas compare) and returns the completed run.
func CompareNow(ctx context.Context, engine *operation.Engine, c Compare) (*operation.Run, error) {
	req, err := c.request(ctx, engine.DB.Read)
	if err != nil {
		return nil, err
	}
	run, active, err := engine.Execute(ctx, req)
	if err == nil && active {
		if err = sameProfile(run, c.Profile); err == nil {
			err = web.Errorf(web.Conflict, "A compare of this environment against %s is already %s (run #%d): wait for it to finish.", c.Profile.Name, run.Status, run.ID)
		}
	}
	return run, err
}

func sameProfile(active *operation.Run, p *Profile) error {
	var c CompareContext
	if err := active.DecodeContext(&c); err != nil {
		return err
	}
	if c.ProfileID != p.ID {
		return web.Errorf(web.Conflict, "This environment is being compared against %s (run #%d): start this compare once it has finished.", c.ProfileName, active.ID)
	}
	return nil
}

// contextMap turns a run context struct into the engine's map.
func contextMap(v any) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(v) // plain strings and numbers: cannot fail
	json.Unmarshal(b, &m)
	return m
}
