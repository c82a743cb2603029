package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	ctx := context.Background()
	hash, err := HashPassword(ctx, "correct horse")
	if err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q (%v) is not argon2id PHC", hash, err)
	}
	if again, _ := HashPassword(ctx, "correct horse"); hash == again {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tt := range []struct {
		hash, password string
		ok             bool
		err            bool
	}{
		{hash, "correct horse", true, false},
		{hash, "correct horsE", false, false},
		{hash, "", false, false},
		{"$bcrypt$whatever", "x", false, true},
		{strings.Replace(hash, "$argon2id$", "$argon2i$", 1), "correct horse", false, true},
		{hash[:len(hash)-10] + "!!!!", "correct horse", false, true},
	} {
		ok, err := CheckPassword(ctx, tt.hash, tt.password)
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("CheckPassword(%q, %q) = %v, %v", tt.hash, tt.password, ok, err)
		}
	}
}

// TestCheapHashes: a test binary may make cheap hashes, which check as any
// other; hashes of the full cost made before still check.
func TestCheapHashes(t *testing.T) {
	ctx := context.Background()
	full, err := HashPassword(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	UseCheapHashes()
	t.Cleanup(func() { cheapHashes.Store(false) })
	cheap, err := HashPassword(ctx, "correct horse")
	if err != nil || !strings.HasPrefix(cheap, "$argon2id$v=19$m=64,t=1,p=2$") {
		t.Fatalf("cheap hash %q (%v)", cheap, err)
	}
	for _, hash := range []string{full, cheap} {
		if ok, err := CheckPassword(ctx, hash, "correct horse"); !ok || err != nil {
			t.Errorf("CheckPassword(%q) = %v, %v", hash, ok, err)
		}
		if ok, _ := CheckPassword(ctx, hash, "correct horsE"); ok {
			t.Errorf("CheckPassword(%q) accepts another password", hash)
		}
	}
}

// TestHashingIsBounded: with two hashes running, a third waits for a slot and
// is refused as busy (429, Retry-After) when none comes free in time, or runs
// as soon as one does.
func TestHashingIsBounded(t *testing.T) {
	ctx := context.Background()
	hash, err := HashPassword(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	hashSlots <- struct{}{}
	hashSlots <- struct{}{}
	if _, err := CheckPassword(ctx, hash, "correct horse"); !errors.Is(err, ErrBusy) {
		t.Fatalf("check with both slots taken: %v, want ErrBusy", err)
	}
	if _, err := HashPassword(ctx, "another one"); !errors.Is(err, ErrBusy) {
		t.Fatalf("hash with both slots taken: %v, want ErrBusy", err)
	}
	if ErrBusy.Status() != 429 || ErrBusy.RetryAfter <= 0 {
		t.Errorf("ErrBusy answers %d with Retry-After %v", ErrBusy.Status(), ErrBusy.RetryAfter)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := CheckPassword(cancelled, hash, "correct horse"); !errors.Is(err, context.Canceled) {
		t.Errorf("a request gone while waiting: %v", err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		<-hashSlots
	}()
	if ok, err := CheckPassword(ctx, hash, "correct horse"); !ok || err != nil {
		t.Errorf("check after a slot came free: %v, %v", ok, err)
	}
	<-hashSlots
}

func TestLaunchTokens(t *testing.T) {
	l := NewLauncher()
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	a, b := l.Issue(), l.Issue()
	if a == b || len(a) < 43 {
		t.Fatalf("tokens %q %q: not unique or shorter than 256 bits", a, b)
	}
	if !l.Redeem(a) {
		t.Error("a fresh token was refused")
	}
	if l.Redeem(a) {
		t.Error("a token was accepted twice")
	}
	if l.Redeem("") || l.Redeem("guess") {
		t.Error("an unknown token was accepted")
	}
	now = now.Add(launchTTL + time.Second)
	if l.Redeem(b) {
		t.Error("an expired token was accepted")
	}
}

func TestLocalEmail(t *testing.T) {
	for name, want := range map[string]string{"root": "root@atlas.localhost", "Ana María": "anamara@atlas.localhost", "DOMAIN\\jo": "domainjo@atlas.localhost", "ü": "owner@atlas.localhost"} {
		if got := localEmail(name); got != want {
			t.Errorf("localEmail(%q) = %q, want %q", name, got, want)
		}
	}
}
