package match

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// remoteIPWant is netip.ParseAddrPort's answer, which remoteIP must give.
func remoteIPWant(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr()
	}
	return netip.Addr{}
}

func TestRemoteIPAgreesWithParseAddrPort(t *testing.T) {
	for _, s := range []string{
		"127.0.0.1:8080", "10.1.2.3:0", "255.255.255.255:65535", "1.2.3.4:65536", "1.2.3:80", "1.2.3.4.5:80",
		"01.2.3.4:80", "0.0.0.0:1", "1.2.3.4", "1.2.3.4:", "1.2.3.4:x", "256.1.1.1:80", "[::1]:80",
		"[fe80::1%eth0]:443", "", ":80", "a.b.c.d:80", "1..2.3:80", "1.2.3.4:080", "1.2.3.4:000001",
	} {
		t.Run(s, func(t *testing.T) {
			if diff := cmp.Diff(remoteIPWant(s), remoteIP(s), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("remoteIP(%q) (-ParseAddrPort +got):\n%s", s, diff)
			}
		})
	}
}

func FuzzRemoteIP(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", "[::1]:80", "1.2.3.4:65536", "01.2.3.4:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := remoteIP(s), remoteIPWant(s); got != want {
			t.Errorf("remoteIP(%q) = %v, ParseAddrPort gives %v", s, got, want)
		}
	})
}

func BenchmarkRemoteIP(b *testing.B) {
	for _, s := range []string{"127.0.0.1:54321", "[::1]:54321"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = remoteIP(s)
			}
		})
	}
}
