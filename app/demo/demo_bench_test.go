package demo_test

import (
	"context"
	"testing"

	"atlas/app/auth"
	"atlas/app/db/dbtest"
	"atlas/app/demo"
)

// BenchmarkLoad is the time of `atlas demo` on a fresh database (its three
// demo users' argon2 password hashes included).
func BenchmarkLoad(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		d := dbtest.Open(b)
		owner, err := auth.EnsureLocalOwner(context.Background(), d, "owner")
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		b.StartTimer()
		if _, err := demo.Load(context.Background(), d, dir, owner.ID, demo.Options{Now: anchor}); err != nil {
			b.Fatal(err)
		}
	}
}
