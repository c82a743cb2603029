package demo

import (
	"context"
	"runtime"
	"sync"
)

// inParallel runs work(i) for every i below n on all cores and hands each
// result to use in the order of i, the workers never more than a window ahead
// of it: the database sees the same writes in the same order whatever the
// schedule, while both cores build what is written.
func inParallel[T any](ctx context.Context, n int, work func(i int) (T, error), use func(i int, v T) error) error {
	const window = 1024
	type result struct {
		v   T
		err error
	}
	results := make([]chan result, n)
	for i := range results {
		results[i] = make(chan result, 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	ahead := make(chan struct{}, window)
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	var workers sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		workers.Go(func() {
			for i := range next {
				v, err := work(i)
				results[i] <- result{v, err}
			}
		})
	}
	err := func() error {
		for i := range n {
			var r result
			select {
			case r = <-results[i]:
			case <-ctx.Done():
				return ctx.Err()
			}
			<-ahead
			if r.err != nil {
				return r.err
			}
			if err := use(i, r.v); err != nil {
				return err
			}
		}
		return nil
	}()
	cancel()
	workers.Wait()
	return err
}
