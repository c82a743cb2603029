package auth

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"atlas/app/web"
)

// Sign-in throttling (issue 8).
const (
	freeFailures = 5                // failures before a key backs off
	firstBackoff = 30 * time.Second // the back-off at the 5th failure, doubling with each further one
	maxBackoff   = 15 * time.Minute
	forgetAfter  = time.Hour // a key idle this long starts afresh; longer than maxBackoff
	maxKeys      = 10_000    // per map: past it, the least recently seen idle key is dropped
)

// Throttle slows password guessing under two keys, and refuses an attempt
// before any hashing. The account key (the email, case-insensitive) backs off
// after freeFailures wrong passwords for that account, wherever they came
// from. The client address backs off once it has failed on freeFailures
// distinct accounts: that stops one password sprayed over many accounts,
// while guessing at one account does not lock other people behind the same
// address out (every local client is 127.0.0.1): that account's key stops
// the guessing. Attempts in flight count as failures to be, so a burst of
// concurrent guesses cannot all pass the check before the first one fails.
type Throttle struct {
	mu        sync.Mutex
	now       func() time.Time
	accounts  map[accountKey]*accountRecord
	addresses map[string]*addressRecord
}

// NewThrottle returns a throttle that remembers nothing yet.
func NewThrottle() *Throttle {
	return &Throttle{now: time.Now, accounts: map[accountKey]*accountRecord{}, addresses: map[string]*addressRecord{}}
}

// accountKey is a digest of the folded email, so a key stays small whatever was typed.
type accountKey [sha256.Size]byte

func accountKeyOf(email string) accountKey {
	return sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
}

// tally is what a key's back-off is decided from.
type tally struct {
	failures int       // an address counts the accounts it failed on
	inFlight int       // an address counts the accounts it is trying and has not failed on
	until    time.Time // no new attempt before then
}

// wait is how long a new attempt must wait, 0 when it may start now. Before the
// back-off starts, attempts in flight use up the free ones; after each
// back-off one more attempt may run.
func (c tally) wait(now time.Time) time.Duration {
	if now.Before(c.until) {
		return c.until.Sub(now)
	}
	if c.inFlight >= max(freeFailures-c.failures, 1) {
		return backoffAfter(c.failures + c.inFlight)
	}
	return 0
}

// backoffAfter is the back-off after n failures: firstBackoff at the
// freeFailures-th, doubling with each further one, at most maxBackoff.
func backoffAfter(n int) time.Duration {
	d := firstBackoff
	for i := freeFailures; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

type accountRecord struct {
	tally
	seen time.Time
}

func (r *accountRecord) lastSeen() time.Time { return r.seen }
func (r *accountRecord) busy() bool          { return r.inFlight > 0 }

type addressRecord struct {
	until time.Time
	seen  time.Time
	// accounts tried from this address, until one signs in without a failure here.
	accounts map[accountKey]*addressTry
}

type addressTry struct {
	inFlight int
	failed   bool
}

func (r *addressRecord) lastSeen() time.Time { return r.seen }

func (r *addressRecord) busy() bool {
	for _, try := range r.accounts {
		if try.inFlight > 0 {
			return true
		}
	}
	return false
}

func (r *addressRecord) tally() tally {
	c := tally{until: r.until}
	for _, try := range r.accounts {
		switch {
		case try.failed:
			c.failures++
		case try.inFlight > 0:
			c.inFlight++
		}
	}
	return c
}

// Attempt is one admitted sign-in attempt; End must be called once it is decided.
type Attempt struct {
	throttle *Throttle
	key      accountKey
	account  *accountRecord
	address  *addressRecord
	try      *addressTry
}

// Begin admits one sign-in attempt for email from the client address, or
// refuses it with a TooManyRequests error that says how long to wait.
func (t *Throttle) Begin(email, address string) (*Attempt, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	key := accountKeyOf(email)
	account, addr := current(t.accounts, key, now), current(t.addresses, address, now)
	var wait time.Duration
	if account != nil {
		wait = account.wait(now)
	}
	var try *addressTry
	if addr != nil {
		try = addr.accounts[key]
		if try == nil { // an account new to this address: the address's own budget applies
			wait = max(wait, addr.tally().wait(now))
		}
	}
	if wait > 0 {
		return nil, &web.Error{Code: web.TooManyRequests, RetryAfter: wait,
			Message: fmt.Sprintf("Too many failed sign-ins. Try again in %s.", web.Duration(wait.Round(time.Second)))}
	}
	if account == nil {
		account = &accountRecord{}
		keep(t.accounts, key, account)
	}
	if addr == nil {
		addr = &addressRecord{accounts: map[accountKey]*addressTry{}}
		keep(t.addresses, address, addr)
	}
	if try == nil {
		try = &addressTry{}
		addr.accounts[key] = try
	}
	account.inFlight++
	try.inFlight++
	account.seen, addr.seen = now, now
	return &Attempt{throttle: t, key: key, account: account, address: addr, try: try}, nil
}

// End records how the attempt went: nil (signed in) clears the account's
// failures; wrong credentials count a failure for the account and, the first
// time for this account, for the address; any other error (busy, internal)
// counts nothing.
func (a *Attempt) End(err error) {
	t := a.throttle
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	a.account.inFlight--
	a.try.inFlight--
	a.account.seen, a.address.seen = now, now
	switch {
	case err == nil:
		a.account.failures, a.account.until = 0, time.Time{}
	case errors.Is(err, errBadCredentials):
		a.account.failures++
		if a.account.failures >= freeFailures {
			a.account.until = now.Add(backoffAfter(a.account.failures))
		}
		if !a.try.failed {
			a.try.failed = true
			if failures := a.address.tally().failures; failures >= freeFailures {
				a.address.until = now.Add(backoffAfter(failures))
			}
		}
	}
	if a.try.inFlight == 0 && !a.try.failed {
		delete(a.address.accounts, a.key)
	}
}

type throttleRecord interface {
	lastSeen() time.Time
	busy() bool
}

// current is m[k], or nil when there is none or it was idle for forgetAfter (then it is dropped).
func current[K comparable, R throttleRecord](m map[K]R, k K, now time.Time) R {
	r, ok := m[k]
	if ok && !r.busy() && now.Sub(r.lastSeen()) >= forgetAfter {
		delete(m, k)
		ok = false
	}
	if !ok {
		var none R
		return none
	}
	return r
}

// keep stores r under k; a full map first drops its least recently seen record
// without attempts in flight. Keys are created only by admitted attempts, which
// the address back-off bounds, so this is a safety net rather than a policy.
func keep[K comparable, R throttleRecord](m map[K]R, k K, r R) {
	if len(m) >= maxKeys {
		var oldest K
		var oldestSeen time.Time
		found := false
		for key, rec := range m {
			if !rec.busy() && (!found || rec.lastSeen().Before(oldestSeen)) {
				oldest, oldestSeen, found = key, rec.lastSeen(), true
			}
		}
		if found {
			delete(m, oldest)
		}
	}
	m[k] = r
}
