package demo

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"atlas/app/db"
)

// bulkLoad runs load with the writer set for a one-shot bulk load: no fsync,
// no foreign key checks (the tests check the generator's keys), statement
// journals in memory, a large page cache. The schema version is marked dirty
// until load succeeds, so a crash (or a failure) half-way leaves a database
// that Atlas refuses to open rather than one missing indexes, triggers or
// rows: the folder is deleted and the load run again.
func bulkLoad(ctx context.Context, d *db.DB, load func(context.Context) error) error {
	for _, pragma := range []string{`PRAGMA synchronous = OFF`, `PRAGMA foreign_keys = OFF`, `PRAGMA temp_store = MEMORY`,
		`PRAGMA cache_size = -262144`, // 256 MiB: index inserts stay in memory
		`UPDATE schema_migrations SET dirty = 1`} {
		if _, err := d.Write.ExecContext(ctx, pragma); err != nil {
			return err
		}
	}
	if err := load(ctx); err != nil {
		return err
	}
	for _, pragma := range []string{`UPDATE schema_migrations SET dirty = 0`, `PRAGMA foreign_keys = ON`, `PRAGMA synchronous = NORMAL`} {
		if _, err := d.Write.ExecContext(ctx, pragma); err != nil {
			return err
		}
	}
	return nil
}

// A bulkStep writes the rows of some tables. Their secondary indexes are
// dropped before it and created again after it from their own definitions
// (sorting the loaded rows once costs far less than updating every index at
// every insert). So are the insert triggers named, and what each would have
// written row by row is written after it in one statement: the tables are
// empty before the load, so that is what every row of the table gives.
type bulkStep struct {
	write    func(context.Context) error
	tables   []string
	triggers []deferredTrigger
}

type deferredTrigger struct {
	name    string
	rebuild func(context.Context, *sql.Tx) error
}

// rebuildBy is a rebuild in one statement.
func rebuildBy(query string) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, query)
		return err
	}
}

// Rebuilds of the search index's insert triggers (migration 0011).
var (
	rebuildPolicySearch = deferredTrigger{"search_policy_insert", rebuildBy(`INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
		SELECT 3 * 1099511627776 + id, display_name, workspace_id, managed_environment_id, '/policies/' || id FROM policies`)}
	rebuildFindingSearch = deferredTrigger{"search_finding_insert", rebuildBy(`INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
		SELECT 5 * 1099511627776 + id, COALESCE(subject_display_name, subject_key), workspace_id, managed_environment_id, '/findings/' || id FROM findings`)}
	rebuildBackupSearch = deferredTrigger{"search_backup_insert", rebuildBy(`INSERT INTO search_index (rowid, label, workspace_id, managed_environment_id, path)
		SELECT 6 * 1099511627776 + id, name, workspace_id, managed_environment_id, '/backups/' || id FROM backup_sets`)}
)

func (s bulkStep) run(ctx context.Context, d *db.DB) error {
	var definitions []string // indexes, then triggers, as created again
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		names := []string{}
		for _, t := range s.triggers {
			names = append(names, t.name)
		}
		type object struct{ kind, name, definition string }
		objects, err := db.Collect(ctx, tx, func(row db.Row) (o object, err error) {
			return o, row.Scan(&o.kind, &o.name, &o.definition)
		}, `SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL
			AND (type = 'index' AND tbl_name IN (SELECT value FROM json_each(?)) OR type = 'trigger' AND name IN (SELECT value FROM json_each(?)))
			ORDER BY type, rowid`, jsonText(s.tables), jsonText(names))
		if err != nil {
			return err
		}
		for _, o := range objects {
			if _, err := tx.ExecContext(ctx, `DROP `+strings.ToUpper(o.kind)+` "`+o.name+`"`); err != nil {
				return err
			}
			definitions = append(definitions, o.definition)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.write(ctx); err != nil {
		return err
	}
	return d.Tx(ctx, func(tx *sql.Tx) error {
		for _, t := range s.triggers {
			if err := t.rebuild(ctx, tx); err != nil {
				return err
			}
		}
		for _, definition := range definitions {
			if _, err := tx.ExecContext(ctx, definition); err != nil {
				return err
			}
		}
		return nil
	})
}

// runDays are the rows of operation_run_days (migrations 0010, 0017) as its
// insert trigger would add the runs up: the view operation_run_day_shares in Go,
// summed while the runs are written (the SQL over a million runs sorts two
// million rows).
type runDays map[runDayKey]*runDay

type runDayKey struct {
	workspace, environment int64 // environment 0: the workspace's own runs
	day                    string
}

type runDay struct{ runs, failedPartial, timed, durationMS int64 }

// add counts a finished run (started, completed and with an outcome: timed)
// in its environment's day. Timestamps are whole milliseconds, so the
// difference is what the view's rounded julianday gives.
func (d runDays) add(workspace, environment int64, created, started, completed time.Time, outcome string) {
	k := runDayKey{workspace, environment, db.Format(created)[:10]}
	c := d[k]
	if c == nil {
		c = &runDay{}
		d[k] = c
	}
	c.runs++
	c.timed++
	c.durationMS += completed.Sub(started).Milliseconds()
	if outcome == "failed" || outcome == "partial" {
		c.failedPartial++
	}
}

func (d runDays) write(ctx context.Context, tx *sql.Tx) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for k, c := range d {
		if _, err := stmt.ExecContext(ctx, k.workspace, k.environment, k.day, c.runs, c.failedPartial, c.timed, c.durationMS); err != nil {
			return err
		}
	}
	return nil
}
