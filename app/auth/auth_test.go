package auth

import (
	"strings"
	"testing"
	"time"
)

func TestPasswordHash(t *testing.T) {
	hash := HashPassword("correct horse")
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash %q is not argon2id PHC", hash)
	}
	if hash == HashPassword("correct horse") {
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
		ok, err := CheckPassword(tt.hash, tt.password)
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("CheckPassword(%q, %q) = %v, %v", tt.hash, tt.password, ok, err)
		}
	}
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
