package operation

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// DemoCount counts to context.count with context.delay_ms per item: a harmless
// operation for demos, the browser test and the crash-recovery test. Every
// context.fail_every-th item fails, to show partial runs. No page offers it.
var DemoCount = Type{Name: "demo.count", Label: "Demo count", Handler: demoCount, Form: demoCountForm, Hidden: true}

type demoCountContext struct {
	Count     int `json:"count"`
	DelayMS   int `json:"delay_ms"`
	FailEvery int `json:"fail_every"`
}

func demoCount(ctx context.Context, run *Run, p *Progress) error {
	c := demoCountContext{Count: 20, DelayMS: 100}
	if err := run.DecodeContext(&c); err != nil {
		return fmt.Errorf("read the run's context: %w", err)
	}
	p.SetTotal(c.Count)
	for i := 1; i <= c.Count; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if c.DelayMS > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(c.DelayMS) * time.Millisecond):
			}
		}
		if c.FailEvery > 0 && i%c.FailEvery == 0 {
			p.Failed(fmt.Sprintf("item %d", i), "divisible by "+strconv.Itoa(c.FailEvery))
			continue
		}
		p.Succeeded(1)
	}
	return nil
}

// demoCountForm reads the optional fields count (1–1,000,000) and delay_ms (0–10,000).
func demoCountForm(form url.Values) (map[string]any, error) {
	c := map[string]any{}
	for _, f := range []struct {
		name     string
		min, max int
	}{{"count", 1, 1_000_000}, {"delay_ms", 0, 10_000}, {"fail_every", 0, 1_000_000}} {
		v := form.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < f.min || n > f.max {
			return nil, fmt.Errorf("%s must be a whole number from %d to %d", f.name, f.min, f.max)
		}
		c[f.name] = n
	}
	return c, nil
}
