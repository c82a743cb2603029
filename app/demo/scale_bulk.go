package demo

import (
	"context"
	"database/sql"

	"atlas/app/db"
)

// bulkLoad runs load with the writer set for a one-shot bulk load: no fsync,
// statement journals in memory, a large page cache. The schema version is
// marked dirty until load succeeds, so a crash (or a failure) half-way leaves
// a database that Atlas refuses to open rather than one missing indexes,
// triggers or rows: the folder is deleted and the load run again.
func bulkLoad(ctx context.Context, d *db.DB, load func(context.Context) error) error {
	for _, pragma := range []string{`PRAGMA synchronous = OFF`, `PRAGMA temp_store = MEMORY`,
		`PRAGMA cache_size = -262144`, // 256 MiB: index inserts stay in memory
		`UPDATE schema_migrations SET dirty = 1`} {
		if _, err := d.Write.ExecContext(ctx, pragma); err != nil {
			return err
		}
	}
	if err := load(ctx); err != nil {
		return err
	}
	for _, pragma := range []string{`UPDATE schema_migrations SET dirty = 0`, `PRAGMA synchronous = NORMAL`} {
		if _, err := d.Write.ExecContext(ctx, pragma); err != nil {
			return err
		}
	}
	return nil
}

// withoutIndexes runs load with table's secondary indexes dropped, then
// creates them again from their own definitions: sorting the loaded rows once
// costs far less than updating every index at every insert.
func withoutIndexes(ctx context.Context, d *db.DB, table string, load func(context.Context) error) error {
	return withoutSchema(ctx, d, "index", table, nil, load)
}

// withoutTriggers runs load with table's triggers dropped, then derives what
// they would have written with rebuild and creates them again.
func withoutTriggers(ctx context.Context, d *db.DB, table string, rebuild func(context.Context, *sql.Tx) error, load func(context.Context) error) error {
	return withoutSchema(ctx, d, "trigger", table, rebuild, load)
}

func withoutSchema(ctx context.Context, d *db.DB, kind, table string, rebuild func(context.Context, *sql.Tx) error, load func(context.Context) error) error {
	type object struct{ name, definition string }
	var objects []object
	err := d.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		objects, err = db.Collect(ctx, tx, func(row db.Row) (o object, err error) {
			return o, row.Scan(&o.name, &o.definition)
		}, `SELECT name, sql FROM sqlite_schema WHERE type = ? AND tbl_name = ? AND sql IS NOT NULL ORDER BY rowid`, kind, table)
		if err != nil {
			return err
		}
		for _, o := range objects {
			if _, err := tx.ExecContext(ctx, `DROP `+kind+` "`+o.name+`"`); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := load(ctx); err != nil {
		return err
	}
	return d.Tx(ctx, func(tx *sql.Tx) error {
		if rebuild != nil {
			if err := rebuild(ctx, tx); err != nil {
				return err
			}
		}
		for _, o := range objects {
			if _, err := tx.ExecContext(ctx, o.definition); err != nil {
				return err
			}
		}
		return nil
	})
}

// rebuildRunDays writes the run-day counters (migration 0010) from the runs,
// as the migration does: what its triggers would have added up run by run.
func rebuildRunDays(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM operation_run_days`); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO operation_run_days (workspace_id, environment_id, day, runs, failed_partial, timed, duration_ms)
		SELECT workspace_id, environment_id, day, count(*), sum(failed_partial), sum(timed), sum(duration_ms)
		FROM operation_run_day_shares GROUP BY workspace_id, environment_id, day`)
	return err
}
