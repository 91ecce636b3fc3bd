package routehttp

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/meshroute/meshroute/route"
)

// maxRand draws the largest value, so each wait is the top of its range.
type maxRand struct{}

func (maxRand) Uint64() uint64 { return ^uint64(0) }

// seqRand returns its values in turn.
type seqRand struct {
	v []uint64
	i int
}

func (s *seqRand) Uint64() uint64 { x := s.v[s.i%len(s.v)]; s.i++; return x }

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		retry route.Retry
		rand  func() interface{ Uint64() uint64 }
		want  []time.Duration
	}{
		{
			name: "ranges grow as (2^n-1) x 25ms and are capped at 250ms",
			rand: func() interface{ Uint64() uint64 } {
				// interval-1 for each range: 25ms, 75ms, 175ms, then 375ms (capped to 250ms).
				return &seqRand{v: []uint64{uint64(25*ms) - 1, uint64(75*ms) - 1, uint64(175*ms) - 1, uint64(375*ms) - 1, uint64(375*ms) - 1}}
			},
			want: []time.Duration{25*ms - 1, 75*ms - 1, 175*ms - 1, 250 * ms, 250 * ms},
		},
		{
			name: "draws are fully jittered from zero",
			rand: func() interface{ Uint64() uint64 } { return &seqRand{v: []uint64{0}} },
			want: []time.Duration{0, 0, 0},
		},
		{
			name:  "a configured base sets the cap at ten times it",
			retry: route.Retry{Backoff: 100 * ms},
			rand: func() interface{ Uint64() uint64 } {
				return &seqRand{v: []uint64{uint64(100*ms) - 1, uint64(300*ms) - 1, uint64(700*ms) - 1, uint64(1500*ms) - 1, uint64(1500*ms) - 1}}
			},
			want: []time.Duration{100*ms - 1, 300*ms - 1, 700*ms - 1, 1000 * ms, 1000 * ms},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBackoff(&tc.retry, tc.rand())
			var got []time.Duration
			for range tc.want {
				got = append(got, b.next())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoffNeverExceedsTheCap(t *testing.T) {
	b := newBackoff(&route.Retry{Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}, maxRand{})
	for i := 0; i < 100; i++ {
		if w := b.next(); w < 0 || w > 20*time.Millisecond {
			t.Fatalf("wait %d = %v, want within [0, 20ms]", i, w)
		}
	}
}
