package kubesource

import (
	"context"
	"time"
)

// settler waits for a signal channel to be quiet: the debounce shared by
// Source and EndpointWatcher.
type settler struct {
	debounce, maxDelay time.Duration
	signal             <-chan struct{}
}

// settle returns once no signal has arrived for the debounce period, or
// the maximum delay has passed; false when ctx ends first.
func (s settler) settle(ctx context.Context) bool {
	if s.debounce == 0 {
		return true
	}
	deadline := time.Now().Add(s.maxDelay)
	quiet := time.NewTimer(min(s.debounce, s.maxDelay))
	defer quiet.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-quiet.C:
			return true
		case <-s.signal:
			left := time.Until(deadline)
			if left <= 0 {
				return true
			}
			quiet.Reset(min(s.debounce, left))
		}
	}
}
