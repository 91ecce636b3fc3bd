package routehttp

import (
	"math/rand/v2"
	"time"

	"github.com/meshroute/meshroute/route"
)

// Envoy's retry backoff defaults: 25ms base interval, 10× base cap.
const (
	DefaultBackoffBase = 25 * time.Millisecond
	backoffCapFactor   = 10
)

// backoff is Envoy's JitteredExponentialBackOffStrategy for one request:
// before retry n it waits a random time below (2^n − 1) × base, never more
// than the cap. Once (2^n − 1) × base passes the cap the interval stops
// growing, so later waits are drawn below that last interval and clipped to
// the cap (as Envoy's min(random % interval, max)).
type backoff struct {
	base, max time.Duration
	n         uint
	rand      rand.Source
}

func newBackoff(r *route.Retry, src rand.Source) backoff {
	b := backoff{base: r.Backoff, max: r.MaxBackoff, n: 1, rand: src}
	if b.base <= 0 {
		b.base = DefaultBackoffBase
	}
	if b.max <= 0 {
		b.max = backoffCapFactor * b.base
	}
	return b
}

// next returns the wait before the next retry.
func (b *backoff) next() time.Duration {
	interval := time.Duration((uint64(1)<<b.n)-1) * b.base
	if interval <= 0 || interval < b.base { // overflowed
		interval = b.max + 1
	}
	if interval <= b.max {
		b.n++
	}
	wait := time.Duration(b.rand.Uint64() % uint64(interval))
	return min(wait, b.max)
}
