package fault

import (
	"testing"
	"time"
)

func BenchmarkSample(b *testing.B) {
	s := &Spec{Delay: &Delay{Duration: time.Second, Chance: FromPercent(10)}, Abort: &Abort{HTTPStatus: 503, Chance: FromPercent(5)}}
	var r uint64 = 12345
	b.ReportAllocs()
	for b.Loop() {
		r = r*6364136223846793005 + 1442695040888963407
		_ = s.Sample(r, r>>17)
	}
}
