package inventory

import (
	"context"
	"errors"
	"maps"

	"atlas/app/diff"
	"atlas/app/environment"
	"atlas/app/intune"
)

// objectNames are the display names the environment's export gives the groups
// and filters its policies' assignments reference (IntuneManagement's
// migration table), read from the connected export when a page shows them, as
// a sync reads it: checked again, through an os.Root. None without a
// connection, when the export may not be read now, or when it names none:
// rows show ids.
func (h *Handlers) objectNames(ctx context.Context, environmentIDs ...int64) (diff.Names, error) {
	names := diff.Names{}
	for _, id := range environmentIDs {
		conn, err := environment.ConnectionOf(ctx, h.DB.Read, id)
		if errors.Is(err, environment.ErrNoConnection) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var refused *environment.Refused
		root, err := h.Folders.Open(ctx, conn.Export())
		if errors.As(err, &refused) {
			continue
		}
		if err != nil {
			return nil, err
		}
		maps.Copy(names, intune.ObjectNames(root.FS()))
		root.Close()
	}
	return names, nil
}
