package kubesource

import (
	"context"
	"testing"
	"time"
)

func TestSettle(t *testing.T) {
	tests := []struct {
		name    string
		settler settler
		signals int // sent every millisecond while settling
		cancel  bool
		want    bool
		atLeast time.Duration
		atMost  time.Duration
	}{
		{"no debounce returns at once", settler{0, 0, nil}, 0, false, true, 0, time.Second},
		{"a quiet period ends the wait", settler{20 * time.Millisecond, time.Second, nil}, 0, false, true, 20 * time.Millisecond, 5 * time.Second},
		{"a stream of signals is cut off at the max delay", settler{time.Hour, 30 * time.Millisecond, nil}, 1000, false, true, 30 * time.Millisecond, 5 * time.Second},
		{"a cancelled context ends the wait unsettled", settler{time.Hour, time.Hour, nil}, 0, true, false, 0, 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signal := make(chan struct{}, 1)
			tt.settler.signal = signal
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for range tt.signals {
					select {
					case <-stop:
						return
					default:
					}
					select {
					case signal <- struct{}{}:
					default:
					}
					time.Sleep(time.Millisecond)
				}
			}()
			start := time.Now()
			got := tt.settler.settle(ctx)
			took := time.Since(start)
			if got != tt.want {
				t.Errorf("settle = %v, want %v", got, tt.want)
			}
			if took < tt.atLeast || took > tt.atMost {
				t.Errorf("settle took %v, want between %v and %v", took, tt.atLeast, tt.atMost)
			}
		})
	}
}
