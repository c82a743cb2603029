package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"atlas/app/db"
	"atlas/app/operation"
)

// CreateType is the operation run type that takes a backup set.
const CreateType = "backup.create"

// createContext is a backup.create run's context.
type createContext struct {
	Name      string    `json:"name"`
	Selection Selection `json:"selection"`
}

// CreateOperation is the backup.create operation type: it takes the set its run's
// context asks for, then applies the environment's retention.
func CreateOperation(d *db.DB) operation.Type {
	return operation.Type{Name: CreateType, Label: "Backup",
		Handler: func(ctx context.Context, run *operation.Run, p *operation.Progress) error {
			var c createContext
			if err := run.DecodeContext(&c); err != nil {
				return fmt.Errorf("read the run's context: %w", err)
			}
			set, err := Take(ctx, d, Capture{WorkspaceID: run.WorkspaceID, EnvironmentID: run.EnvironmentID, RunID: run.ID,
				UserID: run.InitiatedBy, Name: c.Name, Selection: c.Selection})
			if errors.Is(err, ErrNothingToBackUp) {
				if len(c.Selection.Types)+len(c.Selection.Names) == 0 {
					return errors.New("nothing to back up: the environment has no policy yet (sync it first)")
				}
				return fmt.Errorf("nothing to back up: no policy of the environment matches %s", c.Selection.Describe())
			}
			if err != nil {
				return err
			}
			p.SetTotal(set.ItemCount)
			p.Succeeded(set.ItemCount)
			deleted, err := ApplyRetention(context.WithoutCancel(ctx), d, run.EnvironmentID, run.CreatedAt)
			if err != nil {
				return fmt.Errorf("the set was taken, but applying retention failed: %w", err)
			}
			p.Add("deleted_by_retention", deleted)
			return nil
		}}
}

// StartRequest asks for a backup.create run of the environment; an empty name
// is the default one, of now.
func StartRequest(workspaceID, environmentID, userID int64, name string, sel Selection) operation.StartRequest {
	if name == "" {
		name = DefaultName(time.Now())
	}
	var m map[string]any
	b, _ := json.Marshal(createContext{Name: name, Selection: sel}) // strings only: cannot fail
	json.Unmarshal(b, &m)
	return operation.StartRequest{WorkspaceID: workspaceID, EnvironmentID: environmentID, Type: CreateType, Context: m, UserID: userID}
}
