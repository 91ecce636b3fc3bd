package routehttp

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSPIFFE(t *testing.T) {
	tests := []struct {
		name   string
		id     string
		ns, sa string
		ok     bool
	}{
		{"istio identity gives namespace and service account", "spiffe://cluster.local/ns/bookinfo/sa/productpage", "bookinfo", "productpage", true},
		{"any trust domain is accepted", "spiffe://example.org/ns/a/sa/b", "a", "b", true},
		{"not a spiffe URI", "https://cluster.local/ns/a/sa/b", "", "", false},
		{"missing sa segment", "spiffe://cluster.local/ns/a", "", "", false},
		{"empty namespace", "spiffe://cluster.local/ns//sa/b", "", "", false},
		{"empty service account", "spiffe://cluster.local/ns/a/sa/", "", "", false},
		{"extra path after the service account", "spiffe://cluster.local/ns/a/sa/b/c", "", "", false},
		{"no path", "spiffe://cluster.local", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, sa, ok := ParseSPIFFE(tc.id)
			if ns != tc.ns || sa != tc.sa || ok != tc.ok {
				t.Errorf("ParseSPIFFE(%q) = %q, %q, %v; want %q, %q, %v", tc.id, ns, sa, ok, tc.ns, tc.sa, tc.ok)
			}
		})
	}
}

func FuzzParseSPIFFE(f *testing.F) {
	for _, s := range []string{"spiffe://cluster.local/ns/a/sa/b", "spiffe://", "spiffe://x/ns//sa/", "ns/a/sa/b", "spiffe://td/ns/a/sa/b/sa/c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		ns, sa, ok := ParseSPIFFE(id)
		if !ok {
			if ns != "" || sa != "" {
				t.Fatalf("rejected %q but returned %q, %q", id, ns, sa)
			}
			return
		}
		// Whatever is accepted must rebuild into the same ID's path.
		if ns == "" || sa == "" {
			t.Fatalf("accepted %q with an empty part", id)
		}
		want := "/ns/" + ns + "/sa/" + sa
		if len(id) < len(want) || id[len(id)-len(want):] != want {
			t.Fatalf("accepted %q as ns=%q sa=%q, which does not end the ID", id, ns, sa)
		}
	})
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"pairs separated by commas", "app=web,version=v1", map[string]string{"app": "web", "version": "v1"}},
		{"spaces around keys and values are trimmed", " app = web , version=v1 ", map[string]string{"app": "web", "version": "v1"}},
		{"pairs without = are skipped", "app=web,junk,version=v1", map[string]string{"app": "web", "version": "v1"}},
		{"empty key is skipped", "=x,app=web", map[string]string{"app": "web"}},
		{"empty value is kept", "canary=", map[string]string{"canary": ""}},
		{"later duplicate wins", "app=a,app=b", map[string]string{"app": "b"}},
		{"nothing parses to nil", ",,", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ParseLabels(tc.in)); diff != "" {
				t.Errorf("ParseLabels(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{"a=b,c=d", "", "=", ",=,", "a==b", " a = b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for k := range ParseLabels(s) {
			if k == "" {
				t.Fatalf("ParseLabels(%q) produced an empty key", s)
			}
		}
	})
}

func TestIdentityFuncs(t *testing.T) {
	spiffe, _ := url.Parse("spiffe://cluster.local/ns/frontend/sa/web")
	other, _ := url.Parse("https://example.com/not-spiffe")
	withPeer := func(uris ...*url.URL) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{{URIs: uris}}}
		return r
	}
	labelsOf := func(ns, sa string) map[string]string { return map[string]string{"app": sa, "ns": ns} }
	headers := httptest.NewRequest("GET", "/", nil)
	headers.Header.Set("X-Source-Namespace", "batch")
	headers.Header.Set("X-Source-Labels", "app=cron,tier=jobs")
	tests := []struct {
		name string
		f    IdentityFunc
		r    *http.Request
		want Identity
	}{
		{"peer identity reads the SPIFFE URI SAN", PeerIdentity(nil), withPeer(spiffe), Identity{Namespace: "frontend"}},
		{"peer identity maps namespace and service account to labels", PeerIdentity(labelsOf), withPeer(spiffe), Identity{Namespace: "frontend", Labels: map[string]string{"app": "web", "ns": "frontend"}}},
		{"peer identity skips URIs that are not SPIFFE IDs", PeerIdentity(nil), withPeer(other, spiffe), Identity{Namespace: "frontend"}},
		{"plain-text request has no peer identity", PeerIdentity(nil), httptest.NewRequest("GET", "/", nil), Identity{}},
		{"header identity trusts the configured headers", HeaderIdentity("x-source-namespace", "x-source-labels"), headers, Identity{Namespace: "batch", Labels: map[string]string{"app": "cron", "tier": "jobs"}}},
		{"header identity without the headers is empty", HeaderIdentity("x-source-namespace", "x-source-labels"), httptest.NewRequest("GET", "/", nil), Identity{}},
		{"static identity is the same for every request", StaticIdentity("shop", map[string]string{"app": "cart"}), httptest.NewRequest("GET", "/", nil), Identity{Namespace: "shop", Labels: map[string]string{"app": "cart"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.f(tc.r)); diff != "" {
				t.Errorf("identity (-want +got):\n%s", diff)
			}
		})
	}
}
