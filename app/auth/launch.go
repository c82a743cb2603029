package auth

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"
)

// launchTTL keeps the printed launch URL short-lived.
const launchTTL = 10 * time.Minute

// Launcher issues the one-time tokens of the launch URL that signs the local owner in.
type Launcher struct {
	mu     sync.Mutex
	tokens map[string]time.Time
	now    func() time.Time
}

// NewLauncher returns an empty launcher.
func NewLauncher() *Launcher {
	return &Launcher{tokens: map[string]time.Time{}, now: time.Now}
}

// Issue returns a fresh random token (256 bits) valid once, for launchTTL.
func (l *Launcher) Issue() string {
	b := make([]byte, 32)
	rand.Read(b)
	token := base64.RawURLEncoding.EncodeToString(b)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.tokens[token] = l.now().Add(launchTTL)
	return token
}

// Redeem consumes token and reports whether it was issued, unused and unexpired.
func (l *Launcher) Redeem(token string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	expires, ok := l.tokens[token]
	delete(l.tokens, token)
	return ok && l.now().Before(expires)
}
