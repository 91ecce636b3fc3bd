package policy

import (
	"errors"
	"testing"
	"time"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// feed delivers n results r to the endpoint at target (other picks get
// 200), and reports whether all n were delivered before it was ejected.
func feed(t *testing.T, rt *Runtime, tg *Target, target string, n int, r Result) int {
	t.Helper()
	got := 0
	for i := 0; i < 200 && got < n; i++ {
		l, err := rt.Pick(tg, &match.Request{}, nil)
		if err != nil {
			t.Fatalf("Pick: %v", err)
		}
		if l.Addr == target {
			l.Release(r)
			got++
		} else {
			l.Release(Result{Status: 200})
		}
	}
	return got
}

// reachable reports whether 30 round-robin picks reach a.
func reachable(t *testing.T, rt *Runtime, tg *Target, a string) bool {
	t.Helper()
	return countPicks(t, rt, tg, &match.Request{}, 30)[a] > 0
}

func TestOutlierTimeline(t *testing.T) {
	clk := newFakeClock()
	p := outlierPolicy(&networking.OutlierDetection{Consecutive_5XxErrors: u32(3), Interval: dur(10 * time.Second),
		BaseEjectionTime: dur(30 * time.Second), MaxEjectionPercent: 100})
	rt, tg, _ := newTestRuntime(t, endpoints(3), p, WithClock(clk.Now))
	steps := []struct {
		name     string
		at       time.Duration // since start
		fail     int           // 503s fed to host 1 at this step
		wantIn   bool          // host 1 reachable after the step
		wantEjNo uint64        // ejections so far
	}{
		{"healthy at start", 0, 0, true, 0},
		{"three consecutive 5xx eject at once", 1 * time.Second, 3, false, 1},
		{"still out when the base ejection time has passed but no sweep ran since", 31 * time.Second, 0, false, 1},
		{"returns at the first interval sweep after its time", 40 * time.Second, 0, true, 1},
		{"a second ejection lasts twice the base time", 41 * time.Second, 3, false, 2},
		{"still out after 59s", 100 * time.Second, 0, false, 2},
		{"returns after 2×30s at the next sweep", 110 * time.Second, 0, true, 2},
		{"healthy intervals lower the multiplier; ejected again", 200 * time.Second, 3, false, 3},
		{"back to a single base ejection time", 240 * time.Second, 0, true, 3},
	}
	start := clk.Now()
	for _, s := range steps {
		clk.Advance(start.Add(s.at).Sub(clk.Now()))
		if s.fail > 0 {
			if got := feed(t, rt, tg, addr(1), s.fail, Result{Status: 503}); got != s.fail {
				t.Fatalf("%s: delivered %d of %d failures", s.name, got, s.fail)
			}
		}
		if got := reachable(t, rt, tg, addr(1)); got != s.wantIn {
			t.Errorf("%s (t=%v): host reachable = %v, want %v", s.name, s.at, got, s.wantIn)
		}
		if got := rt.Stats()[0].Ejections; got != s.wantEjNo {
			t.Errorf("%s: ejections = %d, want %d", s.name, got, s.wantEjNo)
		}
	}
}

func TestOutlierRules(t *testing.T) {
	tests := []struct {
		name    string
		od      *networking.OutlierDetection
		hosts   int
		results []Result // fed to host 1, in order
		ejected bool
	}{
		{"consecutive5xxErrors defaults to 5 when the block is present", &networking.OutlierDetection{MaxEjectionPercent: 100}, 3,
			rep(5, Result{Status: 500}), true},
		{"four 5xx do not reach the default", &networking.OutlierDetection{MaxEjectionPercent: 100}, 3,
			rep(4, Result{Status: 500}), false},
		{"a success resets the consecutive count", &networking.OutlierDetection{Consecutive_5XxErrors: u32(3), MaxEjectionPercent: 100}, 3,
			[]Result{{Status: 500}, {Status: 500}, {Status: 200}, {Status: 500}, {Status: 500}}, false},
		{"consecutive5xxErrors 0 disables 5xx ejection", &networking.OutlierDetection{Consecutive_5XxErrors: u32(0), MaxEjectionPercent: 100}, 3,
			rep(20, Result{Status: 500}), false},
		{"4xx are not errors", &networking.OutlierDetection{Consecutive_5XxErrors: u32(2), MaxEjectionPercent: 100}, 3,
			rep(10, Result{Status: 404}), false},
		{"gateway errors count 502, 503, 504", &networking.OutlierDetection{Consecutive_5XxErrors: u32(0), ConsecutiveGatewayErrors: u32(3), MaxEjectionPercent: 100}, 3,
			[]Result{{Status: 502}, {Status: 503}, {Status: 504}}, true},
		{"a 500 breaks a run of gateway errors", &networking.OutlierDetection{Consecutive_5XxErrors: u32(0), ConsecutiveGatewayErrors: u32(3), MaxEjectionPercent: 100}, 3,
			[]Result{{Status: 502}, {Status: 503}, {Status: 500}, {Status: 504}}, false},
		{"local-origin failures count as 5xx when not split", &networking.OutlierDetection{Consecutive_5XxErrors: u32(3), MaxEjectionPercent: 100}, 3,
			rep(3, Result{LocalOrigin: true, Err: errors.New("connection refused")}), true},
		{"split: local-origin failures count only toward consecutiveLocalOriginFailures", &networking.OutlierDetection{Consecutive_5XxErrors: u32(10),
			SplitExternalLocalOriginErrors: true, ConsecutiveLocalOriginFailures: u32(2), MaxEjectionPercent: 100}, 3,
			rep(2, Result{LocalOrigin: true}), true},
		{"split: local-origin failures do not add to the 5xx count", &networking.OutlierDetection{Consecutive_5XxErrors: u32(3),
			SplitExternalLocalOriginErrors: true, ConsecutiveLocalOriginFailures: u32(0), MaxEjectionPercent: 100}, 3,
			[]Result{{Status: 500}, {Status: 500}, {LocalOrigin: true}, {LocalOrigin: true}}, false},
		{"outlierDetectionHttpErrorCodes: only the listed codes count", &networking.OutlierDetection{Consecutive_5XxErrors: u32(2),
			OutlierDetectionHttpErrorCodes: []uint32{500}, MaxEjectionPercent: 100}, 3,
			[]Result{{Status: 503}, {Status: 503}, {Status: 500}}, false},
		{"outlierDetectionHttpErrorCodes: listed codes eject", &networking.OutlierDetection{Consecutive_5XxErrors: u32(2),
			OutlierDetectionHttpErrorCodes: []uint32{429, 500}, MaxEjectionPercent: 100}, 3,
			[]Result{{Status: 429}, {Status: 500}}, true},
		{"maxEjectionPercent still ejects one host when none is ejected", &networking.OutlierDetection{Consecutive_5XxErrors: u32(1), MaxEjectionPercent: 10}, 3,
			rep(1, Result{Status: 500}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt, tg, _ := newTestRuntime(t, endpoints(tc.hosts), outlierPolicy(tc.od), WithClock(newFakeClock().Now))
			for _, r := range tc.results {
				if feed(t, rt, tg, addr(1), 1, r) != 1 {
					t.Fatal("host ejected before all results were fed")
				}
			}
			if got := !reachable(t, rt, tg, addr(1)); got != tc.ejected {
				t.Errorf("ejected = %v, want %v", got, tc.ejected)
			}
		})
	}
	t.Run("without outlierDetection nothing is ever ejected", func(t *testing.T) {
		rt, tg, _ := newTestRuntime(t, endpoints(2), lbPolicy(networking.LoadBalancerSettings_ROUND_ROBIN))
		feed(t, rt, tg, addr(1), 50, Result{Status: 503})
		if !reachable(t, rt, tg, addr(1)) {
			t.Error("host ejected without an outlierDetection block")
		}
	})
}

func rep(n int, r Result) []Result {
	out := make([]Result, n)
	for i := range out {
		out[i] = r
	}
	return out
}

func TestMaxEjectionPercent(t *testing.T) {
	rt, tg, _ := newTestRuntime(t, endpoints(10), outlierPolicy(&networking.OutlierDetection{Consecutive_5XxErrors: u32(1)}), WithClock(newFakeClock().Now))
	feed(t, rt, tg, addr(1), 1, Result{Status: 500})
	feed(t, rt, tg, addr(2), 1, Result{Status: 500})
	s := rt.Stats()[0]
	if s.Ejected != 1 || s.Ejections != 1 {
		t.Errorf("default 10%% of 10 hosts: ejected %d (total %d), want 1", s.Ejected, s.Ejections)
	}
	if !reachable(t, rt, tg, addr(2)) {
		t.Errorf("second failing host was ejected beyond maxEjectionPercent")
	}
}

func TestPanicMode(t *testing.T) {
	t.Run("below minHealthPercent ejections are ignored", func(t *testing.T) {
		od := &networking.OutlierDetection{Consecutive_5XxErrors: u32(1), MaxEjectionPercent: 100, MinHealthPercent: 60}
		rt, tg, _ := newTestRuntime(t, endpoints(2), outlierPolicy(od), WithClock(newFakeClock().Now))
		feed(t, rt, tg, addr(1), 1, Result{Status: 500})
		if rt.Stats()[0].Ejected != 1 {
			t.Fatal("host not ejected")
		}
		if !reachable(t, rt, tg, addr(1)) {
			t.Error("healthy 50% < minHealthPercent 60%: panic mode should balance over all hosts")
		}
	})
	t.Run("minHealthPercent 0 disables panic: all ejected means no healthy upstream", func(t *testing.T) {
		od := &networking.OutlierDetection{Consecutive_5XxErrors: u32(1), MaxEjectionPercent: 100}
		rt, tg, _ := newTestRuntime(t, endpoints(1), outlierPolicy(od), WithClock(newFakeClock().Now))
		feed(t, rt, tg, addr(1), 1, Result{Status: 500})
		if _, err := rt.Pick(tg, &match.Request{}, nil); !errors.Is(err, ErrNoHealthyUpstream) {
			t.Errorf("Pick = %v, want ErrNoHealthyUpstream", err)
		}
	})
}

func TestEjectionTimeCap(t *testing.T) {
	clk := newFakeClock()
	od := &networking.OutlierDetection{Consecutive_5XxErrors: u32(1), MaxEjectionPercent: 100, BaseEjectionTime: dur(200 * time.Second), Interval: dur(time.Second)}
	rt, tg, _ := newTestRuntime(t, endpoints(2), outlierPolicy(od), WithClock(clk.Now))
	feed(t, rt, tg, addr(1), 1, Result{Status: 500}) // 200s
	clk.Advance(201 * time.Second)
	feed(t, rt, tg, addr(1), 1, Result{Status: 500}) // 400s capped to 300s
	clk.Advance(299 * time.Second)
	if reachable(t, rt, tg, addr(1)) {
		t.Fatal("returned before 300s")
	}
	clk.Advance(2 * time.Second)
	if !reachable(t, rt, tg, addr(1)) {
		t.Error("ejection time not capped at 300s")
	}
}
