package app_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"atlas/app"
	"atlas/app/demo"
	"atlas/app/operation"
)

// BenchmarkDataBackupRestore: atlas data backup of the demo data plus 1,000,000
// operation runs while the database is open (as under atlas serve), then atlas
// data restore of that copy into the closed folder. It reports the copy's size.
func BenchmarkDataBackupRestore(b *testing.B) {
	ctx := context.Background()
	dir := filepath.Join(b.TempDir(), "data")
	data, err := app.OpenData(ctx, dir, "owner")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := demo.Load(ctx, data.DB, data.Engine, data.Dir, data.Owner.ID, demo.Options{}); err != nil {
		b.Fatal(err)
	}
	var ws int64
	var envs []int64
	rows, err := data.DB.Read.Query(`SELECT workspace_id, id FROM managed_environments WHERE workspace_id = (SELECT min(id) FROM workspaces) ORDER BY id`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&ws, &id)
		envs = append(envs, id)
	}
	rows.Close()
	if err := operation.GenerateRuns(ctx, data.DB, ws, envs, 1_000_000, time.Now()); err != nil {
		b.Fatal(err)
	}
	backup := filepath.Join(b.TempDir(), "backup.db")
	b.Run("backup", func(b *testing.B) {
		for b.Loop() {
			os.Remove(backup)
			if err := app.BackupData(ctx, dir, backup, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
		st, _ := os.Stat(backup)
		b.ReportMetric(float64(st.Size())/(1<<20), "MiB")
	})
	data.Close()
	b.Run("restore", func(b *testing.B) {
		for b.Loop() {
			if err := app.RestoreData(ctx, dir, backup, io.Discard); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			kept, _ := filepath.Glob(filepath.Join(dir, "atlas.db.before-restore-*"))
			for _, f := range kept {
				os.Remove(f)
			}
			b.StartTimer()
		}
	})
}
