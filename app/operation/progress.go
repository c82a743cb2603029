package operation

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"

	"atlas/app/db"
)

// Progress is how a handler reports counts as it goes. Counts are kept in memory
// and written at most every flushEvery, so a 100,000-item run is not slowed by them.
type Progress struct {
	engine  *Engine
	runID   int64
	mu      sync.Mutex
	counts  Counts
	items   []ItemError
	omitted int
	flushed time.Time
}

// SetTotal says how many items the run will process (the progress bar's maximum).
func (p *Progress) SetTotal(n int) { p.change(func(c Counts) { c["total"] = n }) }

// Succeeded counts n items done.
func (p *Progress) Succeeded(n int) {
	p.change(func(c Counts) { c["succeeded"] += n; c["processed"] += n })
}

// Skipped counts n items deliberately left alone.
func (p *Progress) Skipped(n int) {
	p.change(func(c Counts) { c["skipped"] += n; c["processed"] += n })
}

// Failed counts one item that could not be processed; the first ones are kept, with
// their reason, in failure_summary.
func (p *Progress) Failed(item, reason string) {
	p.change(func(c Counts) {
		c["failed"]++
		c["processed"]++
		if len(p.items) < maxItemErrors {
			p.items = append(p.items, ItemError{Item: item, Reason: reason})
		} else {
			p.omitted++
		}
	})
}

// Warn lists an item handled with a warning in failure_summary; it counts as
// neither failed nor processed and leaves a succeeded run succeeded.
func (p *Progress) Warn(item, reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.items) < maxItemErrors {
		p.items = append(p.items, ItemError{Item: item, Reason: reason, Warning: true})
	} else {
		p.omitted++
	}
}

// Add adds n to a type's own counter (e.g. versions_created).
func (p *Progress) Add(counter string, n int) { p.change(func(c Counts) { c[counter] += n }) }

func (p *Progress) change(f func(Counts)) {
	now := time.Now()
	p.mu.Lock()
	f(p.counts)
	due := now.Sub(p.flushed) >= flushEvery
	var snap Counts
	if due {
		p.flushed = now
		snap = maps.Clone(p.counts)
	}
	p.mu.Unlock()
	if due {
		p.write(snap)
	}
}

func (p *Progress) write(counts Counts) {
	e := p.engine
	if _, err := e.DB.Write.ExecContext(context.Background(), `UPDATE operation_runs SET summary_counts = ?, heartbeat_at = ? WHERE id = ? AND status = 'running'`,
		marshal(counts), db.Format(e.Now()), p.runID); err != nil {
		// The counts are written again at the next flush and at completion.
		slog.Warn("operations: write progress", "run", p.runID, "err", err)
	}
}

func (p *Progress) snapshot() Counts {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.counts)
}

func (p *Progress) itemErrors() ([]ItemError, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]ItemError(nil), p.items...), p.omitted
}
