package inventory

import (
	"context"
	"errors"
	"maps"
	"os"

	"atlas/app/db"
	"atlas/app/diff"
	"atlas/app/environment"
	"atlas/app/intune"
)

// objectNames are the display names the environment's export gives the groups
// and filters its policies' assignments reference (IntuneManagement's
// migration table), read from the connected export when a page shows them.
// None without a connection, or when the export names none: rows show ids.
func objectNames(ctx context.Context, q db.Querier, environmentIDs ...int64) (diff.Names, error) {
	names := diff.Names{}
	for _, id := range environmentIDs {
		conn, err := environment.ConnectionOf(ctx, q, id)
		if errors.Is(err, environment.ErrNoConnection) {
			continue
		}
		if err != nil {
			return nil, err
		}
		maps.Copy(names, intune.ObjectNames(os.DirFS(conn.SourcePath)))
	}
	return names, nil
}
