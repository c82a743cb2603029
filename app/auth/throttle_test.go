package auth

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"atlas/app/web"
)

// attempt is one step of a throttle scenario: at a moment, an email tried from
// an address, and what became of it.
type attempt struct {
	at      time.Duration // since the scenario's start
	email   string
	address string
	// end: "fail" (wrong password), "ok" (signed in), "busy" (no hashing slot),
	// "hold" (still in flight), or "end N fail" for the held step N.
	end  string
	wait time.Duration // 0: admitted; otherwise refused, with this Retry-After
}

// repeat is n copies of a step.
func repeat(n int, a attempt) []attempt {
	out := make([]attempt, n)
	for i := range out {
		out[i] = a
	}
	return out
}

func steps(groups ...[]attempt) []attempt {
	var out []attempt
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one(a attempt) []attempt { return []attempt{a} }

const ana, bo, home, away = "ana@contoso.test", "bo@contoso.test", "127.0.0.1", "10.0.0.7"

func TestThrottle(t *testing.T) {
	distinct := func(n int, prefix, address, end string, at time.Duration) []attempt { // n different accounts
		var out []attempt
		for i := range n {
			out = append(out, attempt{at: at, email: fmt.Sprintf("%s%d@contoso.test", prefix, i), address: address, end: end})
		}
		return out
	}
	for _, tt := range []struct {
		name  string
		steps []attempt
	}{
		{"five failures, then 30 s back-off", steps(
			repeat(5, attempt{email: ana, address: home, end: "fail"}),
			one(attempt{email: ana, address: home, wait: 30 * time.Second}),
			one(attempt{at: 29 * time.Second, email: ana, address: home, wait: time.Second}),
			one(attempt{at: 30 * time.Second, email: ana, address: home, end: "fail"}),
			one(attempt{at: 30 * time.Second, email: ana, address: home, wait: time.Minute}),
			one(attempt{at: 90 * time.Second, email: ana, address: home, end: "fail"}),
			one(attempt{at: 90 * time.Second, email: ana, address: home, wait: 2 * time.Minute}),
		)},
		{"the back-off is capped at 15 minutes", steps(
			repeat(5, attempt{email: ana, address: home, end: "fail"}),
			one(attempt{at: time.Minute, email: ana, address: home, end: "fail"}),
			one(attempt{at: 3 * time.Minute, email: ana, address: home, end: "fail"}),
			one(attempt{at: 6 * time.Minute, email: ana, address: home, end: "fail"}),
			one(attempt{at: 11 * time.Minute, email: ana, address: home, end: "fail"}),
			one(attempt{at: 20 * time.Minute, email: ana, address: home, end: "fail"}),
			one(attempt{at: 20 * time.Minute, email: ana, address: home, wait: 15 * time.Minute}),
		)},
		{"the account is keyed by email in any case, from any address", steps(
			repeat(3, attempt{email: "Ana@Contoso.test", address: home, end: "fail"}),
			repeat(2, attempt{email: " ana@contoso.TEST", address: away, end: "fail"}),
			one(attempt{email: ana, address: "10.9.9.9", wait: 30 * time.Second}),
		)},
		{"a success resets the account", steps(
			repeat(4, attempt{email: ana, address: home, end: "fail"}),
			one(attempt{email: ana, address: home, end: "ok"}),
			repeat(4, attempt{email: ana, address: home, end: "fail"}),
			one(attempt{email: ana, address: home, end: "fail"}),
			one(attempt{email: ana, address: home, wait: 30 * time.Second}),
		)},
		{"a busy or failed check is not a failure", steps(
			repeat(10, attempt{email: ana, address: home, end: "busy"}),
			repeat(4, attempt{email: ana, address: home, end: "fail"}),
			one(attempt{email: ana, address: home, end: "fail"}),
		)},
		{"guessing at one account does not lock another out behind the same address", steps(
			repeat(5, attempt{email: ana, address: home, end: "fail"}),
			repeat(20, attempt{email: ana, address: home, wait: 30 * time.Second}),
			one(attempt{email: bo, address: home, end: "ok"}),
		)},
		{"an address backs off after failing on 5 distinct accounts", steps(
			distinct(5, "user", home, "fail", 0),
			one(attempt{email: bo, address: home, wait: 30 * time.Second}),
			one(attempt{email: bo, address: away, end: "ok"}),
			one(attempt{email: "user0@contoso.test", address: home, end: "fail"}), // an account already tried: its own key decides
			one(attempt{at: 30 * time.Second, email: bo, address: home, end: "fail"}),
			one(attempt{at: 30 * time.Second, email: ana, address: home, wait: time.Minute}),
		)},
		{"attempts in flight count: a burst on one account hashes at most 5 times", steps(
			repeat(5, attempt{email: ana, address: home, end: "hold"}),
			repeat(95, attempt{email: ana, address: home, wait: 30 * time.Second}),
			one(attempt{email: bo, address: home, end: "ok"}),
			one(attempt{email: ana, address: home, end: "end 0 fail", wait: 30 * time.Second}),
		)},
		{"attempts in flight count: a spray admits 5 accounts", steps(
			distinct(5, "user", home, "hold", 0),
			one(attempt{email: ana, address: home, wait: 30 * time.Second}),
			one(attempt{email: ana, address: away, end: "ok"}),
		)},
		{"an idle hour forgets accounts and addresses", steps(
			repeat(5, attempt{email: ana, address: home, end: "fail"}),
			distinct(5, "user", away, "fail", 0),
			repeat(5, attempt{at: time.Hour, email: ana, address: home, end: "fail"}),
			distinct(2, "other", away, "fail", time.Hour),
		)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
			now := start
			th := NewThrottle()
			th.now = func() time.Time { return now }
			held := map[int]*Attempt{}
			for i, s := range tt.steps {
				now = start.Add(s.at)
				var n int
				if _, err := fmt.Sscanf(s.end, "end %d fail", &n); err == nil {
					held[n].End(errBadCredentials)
				}
				a, err := th.Begin(s.email, s.address)
				var refused *web.Error
				switch {
				case s.wait == 0 && err != nil:
					t.Fatalf("step %d (%s from %s at %v): refused: %v", i, s.email, s.address, s.at, err)
				case s.wait == 0:
				case !errors.As(err, &refused) || refused.Code != web.TooManyRequests:
					t.Fatalf("step %d (%s from %s at %v): admitted, want refused for %v", i, s.email, s.address, s.at, s.wait)
				case refused.RetryAfter != s.wait:
					t.Fatalf("step %d: retry after %v, want %v", i, refused.RetryAfter, s.wait)
				}
				if err != nil {
					continue
				}
				switch s.end {
				case "fail":
					a.End(errBadCredentials)
				case "ok":
					a.End(nil)
				case "busy":
					a.End(ErrBusy)
				case "hold":
					held[i] = a
				}
			}
		})
	}
}

// TestThrottleStaysBounded: the maps never grow past maxKeys whatever is tried.
func TestThrottleStaysBounded(t *testing.T) {
	now := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	th := NewThrottle()
	th.now = func() time.Time { return now }
	for i := range maxKeys + 50 {
		now = now.Add(time.Millisecond)
		a, err := th.Begin(fmt.Sprintf("user%d@contoso.test", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		if err != nil {
			t.Fatalf("attempt %d refused: %v", i, err)
		}
		a.End(errBadCredentials)
	}
	if len(th.accounts) > maxKeys || len(th.addresses) > maxKeys {
		t.Errorf("%d accounts and %d addresses kept, at most %d each", len(th.accounts), len(th.addresses), maxKeys)
	}
	if _, kept := th.accounts[accountKeyOf("user0@contoso.test")]; kept {
		t.Error("the least recently seen account was kept when the map was full")
	}
	if _, kept := th.accounts[accountKeyOf(fmt.Sprintf("user%d@contoso.test", maxKeys+49))]; !kept {
		t.Error("the newest account was dropped")
	}
}
