package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/kubesource"
)

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string // namespaces, then probe URLs
		wantErr string
	}{
		{"namespaces are split on commas and blanks dropped", []string{"-namespaces", "shop, pay,,"}, []string{"shop", "pay"}, ""},
		{"probes repeat", []string{"-probe", "http://a.b/x", "-probe", "https://c.d:8443/"}, []string{"http://a.b/x", "https://c.d:8443/"}, ""},
		{"a probe must be an absolute http URL", []string{"-probe", "reviews/"}, nil, "is not an absolute http or https URL"},
		{"stray arguments are refused", []string{"shop"}, nil, "unexpected arguments"},
		{"a negative debounce is refused", []string{"-debounce", "-1s"}, nil, "-debounce must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c, err := parseFlags(tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseFlags error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := append([]string(nil), c.namespaces...)
			for _, u := range c.probes {
				got = append(got, u.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestHelpExitsZeroAndExplains(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"-h"}, &stdout, &stderr); code != 0 {
		t.Errorf("-h exited %d, want 0", code)
	}
	for _, want := range []string{"Usage: kubewatch", "-kubeconfig", "-probe", "-in-cluster"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stderr.String())
		}
	}
	if _, err := parseFlags([]string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("parseFlags(-h) = %v, want flag.ErrHelp", err)
	}
}

func TestMissingKubeconfigIsReported(t *testing.T) {
	var stdout, stderr bytes.Buffer
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	if code := run(context.Background(), []string{"-kubeconfig", t.TempDir() + "/none"}, &stdout, &stderr); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "kubewatch: finding the cluster:") {
		t.Errorf("stderr = %q, want it to say the cluster was not found", stderr.String())
	}
}

func TestPrinterShowsChangesSkippedObjectsAndProbes(t *testing.T) {
	host := "reviews.shop.svc.cluster.local"
	cfg := &route.Config{
		VirtualServices: []*route.VirtualService{{
			Meta: route.Meta{Namespace: "shop", Name: "reviews"},
			Spec: &networking.VirtualService{Hosts: []string{host}, Http: []*networking.HTTPRoute{{
				Name:  "all",
				Route: []*networking.HTTPRouteDestination{{Destination: &networking.Destination{Host: host, Subset: "v2"}}},
			}}},
		}},
		DestinationRules: []*route.DestinationRule{{
			Meta: route.Meta{Namespace: "shop", Name: "reviews"},
			Spec: &networking.DestinationRule{Host: host, Subsets: []*networking.Subset{{Name: "v2", Labels: map[string]string{"version": "v2"}}}},
		}},
	}
	tbl, err := route.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p := &printer{
		out:             &out,
		probes:          []*url.URL{{Scheme: "http", Host: host, Path: "/"}},
		sourceNamespace: "shop",
		now:             func() time.Time { return time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC) },
	}
	bad := route.ObjectRef{Kind: route.KindVirtualService, Namespace: "shop", Name: "broken"}
	p.change(kubesource.Change{
		Table:   tbl,
		Added:   []route.ObjectRef{{Kind: route.KindDestinationRule, Namespace: "shop", Name: "reviews"}, bad},
		Updated: []route.ObjectRef{{Kind: route.KindVirtualService, Namespace: "shop", Name: "reviews"}},
		Skipped: []kubesource.Skipped{{Object: bad, Problems: route.Problems{{Object: bad, Field: "spec", Rule: "needs at least one of http, tcp or tls routes"}}}},
	})
	p.change(kubesource.Change{Table: tbl, Err: errors.New("boom")})
	want := `--- 2026-11-23T15:00:00Z
+ DestinationRule shop/reviews
+ VirtualService shop/broken
~ VirtualService shop/reviews
! skipped VirtualService shop/broken:
    VirtualService shop/broken: spec: needs at least one of http, tcp or tls routes
http://reviews.shop.svc.cluster.local/ → route reviews.shop.svc.cluster.local subset v2 by VirtualService shop/reviews rule "all"
--- 2026-11-23T15:00:00Z
not applied, previous table kept: boom
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}
