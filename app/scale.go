package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"atlas/app/demo"
)

// LoadScaleDemo fills an empty data folder with the dataset of a scale
// (atlas demo --scale large|medium), its history ending today. A folder that
// holds anything is refused: the dataset is for measuring, never mixed with work.
func LoadScaleDemo(ctx context.Context, dir, osUser, scale string, w io.Writer) error {
	sc, ok := demo.Scales[scale]
	if !ok {
		return &UsageError{Err: fmt.Errorf("--scale is large or medium, not %q", scale)}
	}
	entries, err := os.ReadDir(dir)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	case len(entries) > 0:
		return &UsageError{Err: fmt.Errorf("the data folder %s is not empty: --scale fills an empty one (choose another with --data)", dir)}
	}
	data, err := OpenData(ctx, dir, osUser)
	if err != nil {
		return err
	}
	defer data.Close()
	s, err := demo.LoadScale(ctx, data.DB, data.Owner.ID, sc, time.Now().UTC().Truncate(24*time.Hour))
	if err != nil {
		return err
	}
	s.Print(w)
	return nil
}
