package routegrpc

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

func TestAuthorityFromTarget(t *testing.T) {
	tests := []struct {
		name, target, want string
	}{
		{"dns scheme with empty authority gives the endpoint", "dns:///reviews:9080", "reviews:9080"},
		{"dns scheme with a resolver authority gives the endpoint", "dns://8.8.8.8/reviews.default.svc.cluster.local:9080", "reviews.default.svc.cluster.local:9080"},
		{"passthrough gives the address", "passthrough:///10.0.0.1:80", "10.0.0.1:80"},
		{"a target without a scheme is its own authority", "reviews:9080", "reviews:9080"},
		{"a bare host keeps no port", "reviews", "reviews"},
		{"unix socket gives localhost", "unix:///tmp/sock", "localhost"},
		{"unix without slashes gives localhost", "unix:/tmp/sock", "localhost"},
		{"a query string is not part of the authority", "xds:///reviews:9080?x=1", "reviews:9080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, authorityFromTarget(tt.target)); diff != "" {
				t.Errorf("authorityFromTarget(%q) (-want +got):\n%s", tt.target, diff)
			}
		})
	}
}

func FuzzAuthorityFromTarget(f *testing.F) {
	for _, s := range []string{"dns:///reviews:9080", "dns://8.8.8.8/a:1", "unix:/x", "a", "://", ":///", "x://y?z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, target string) {
		got := authorityFromTarget(target)
		if got != "localhost" && !strings.Contains(target, got) {
			t.Errorf("authorityFromTarget(%q) = %q, not part of the target", target, got)
		}
		if strings.ContainsRune(got, '?') && strings.Contains(target, "://") {
			t.Errorf("authorityFromTarget(%q) = %q keeps a query", target, got)
		}
	})
}

func TestClientRequestView(t *testing.T) {
	b := serve(t, &backend{name: "v1"})
	type view struct {
		Method, Authority, Path, Namespace, App string
		Port                                    uint32
	}
	tests := []struct {
		name   string
		target string
		opts   []Option
		want   view
	}{
		{"authority comes from the dial target", "dns:///" + b.addr, nil,
			view{"POST", b.addr, "/grpc.testing.TestService/UnaryCall", "", "", portOf(b.addr)}},
		{"WithAuthority overrides the target", b.addr, []Option{WithAuthority("reviews:9080")},
			view{"POST", "reviews:9080", "/grpc.testing.TestService/UnaryCall", "", "", 9080}},
		{"WithWorkload sets the source identity", b.addr, []Option{WithAuthority("reviews"), WithWorkload("shop", map[string]string{"app": "productpage"})},
			view{"POST", "reviews", "/grpc.testing.TestService/UnaryCall", "shop", "productpage", 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var got view
			capture := withDecide(func(r *match.Request) route.Decision {
				mu.Lock()
				got = view{r.Method, r.Authority, r.Path, r.SourceNamespace, r.SourceLabels["app"], r.Port}
				mu.Unlock()
				return route.Decision{Action: route.ActionRoute}
			})
			c := dial(t, tt.target, append([]Option{capture}, tt.opts...)...)
			if _, err := c.UnaryCall(context.Background(), &testpb.SimpleRequest{}); err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request view (-want +got):\n%s", diff)
			}
		})
	}
}

func portOf(addr string) uint32 {
	var p uint32
	for _, c := range addr[strings.LastIndexByte(addr, ':')+1:] {
		p = p*10 + uint32(c-'0')
	}
	return p
}
