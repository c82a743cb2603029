package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"atlas/app/web"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (RFC 9106's second recommended option, 64 MiB).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 2
	argonKeyLen  = 32
)

// hashSlots bounds the argon2 work of the whole process: each run holds its
// memory parameter (64 MiB) for a few hundred milliseconds, and unbounded
// sign-in attempts grew a server to 10 GB (issue 8). Every hash and check in
// Atlas goes through deriveKey, so a new route that hashes is bounded too.
var hashSlots = make(chan struct{}, 2)

// HashingMemory is the most memory new hashes hold at once, in bytes: two runs
// of 64 MiB.
const HashingMemory = 2 * argonMemory * 1024

// hashWait is how long a hash waits for a slot before the request is refused.
const hashWait = 2 * time.Second

// ErrBusy is returned when no hashing slot came free within hashWait; the
// error page (or the sign-in form) answers 429 with Retry-After.
var ErrBusy = &web.Error{Code: web.TooManyRequests, RetryAfter: hashWait,
	Message: "Atlas is busy checking other passwords. Try again in a moment."}

// deriveKey runs argon2id in one of the process's hashing slots.
func deriveKey(ctx context.Context, password, salt []byte, passes, memory uint32, threads uint8, keyLen uint32) ([]byte, error) {
	wait := time.NewTimer(hashWait)
	defer wait.Stop()
	select {
	case hashSlots <- struct{}{}:
	case <-wait.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-hashSlots }()
	return argon2.IDKey(password, salt, passes, memory, threads, keyLen), nil
}

// cheapHashes is set by UseCheapHashes, in tests only.
var cheapHashes atomic.Bool

// UseCheapHashes makes the hashes made from now on cost one pass over 64 KiB:
// tests that sign many people in under the race detector spent minutes in
// argon2 (seconds a hash). A check reads the cost from the hash, so both kinds
// verify. It panics outside a test binary: a served Atlas never hashes cheaply.
func UseCheapHashes() {
	if !testing.Testing() {
		panic("auth: cheap password hashes outside a test")
	}
	cheapHashes.Store(true)
}

// HashPassword returns a PHC-format argon2id hash of password with a random salt.
func HashPassword(ctx context.Context, password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	passes, memory := uint32(argonTime), uint32(argonMemory)
	if cheapHashes.Load() {
		passes, memory = 1, 64
	}
	key, err := deriveKey(ctx, []byte(password), salt, passes, memory, argonThreads, argonKeyLen)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memory, passes, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

var errBadHash = errors.New("unrecognised password hash")

// CheckPassword reports whether password matches a hash made by HashPassword,
// with the parameters written in the hash (so older hashes stay valid).
func CheckPassword(ctx context.Context, hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var memory, passes uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &passes, &threads); err != nil {
		return false, errBadHash
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got, err := deriveKey(ctx, []byte(password), salt, passes, memory, threads, uint32(len(want)))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
