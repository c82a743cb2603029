package demo_test

import (
	"context"
	"testing"

	"atlas/app/apptest"
	"atlas/app/demo"
)

// BenchmarkLoad is the time of `atlas demo` on a fresh database (its three
// demo users' argon2 password hashes included).
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		e := apptest.New(b)
		b.StartTimer()
		if _, err := demo.Load(context.Background(), e.Data.DB, e.Data.Engine, e.Dir, e.Data.Owner.ID, demo.Options{Now: anchor}); err != nil {
			b.Fatal(err)
		}
	}
}
