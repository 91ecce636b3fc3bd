package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const shopYAML = "testdata/shop.yaml"

// decideJSON runs routectl decide and decodes its one JSON object.
func decideJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errOut := run(t, "", append([]string{"decide"}, args...)...)
	if code != exitOK {
		t.Fatalf("decide %q: exit %d, stderr:\n%s", args, code, errOut)
	}
	var got map[string]any
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("decide %q: output is not one JSON object: %v\n%s", args, err, out)
	}
	if dec.More() {
		t.Fatalf("decide %q: more than one JSON value:\n%s", args, out)
	}
	return got
}

func TestDecidePrintsTheIssueKeys(t *testing.T) {
	shop := []string{"-f", shopYAML, "--namespace", "shop", "--seed", "1"}
	defaultRetries := map[string]any{"attempts": 2.0, "retryOn": "connect-failure,refused-stream,unavailable,cancelled"}
	tests := []struct {
		name string
		args []string
		want map[string]any
	}{
		{
			name: "a matched route prints destination, rewrite-free path and authority, timeout, retries, fault, mirrors, headers, cors and the merged policy",
			args: append(shop, "-H", "end-user: jason", "GET", "http://reviews:9080/a"),
			want: map[string]any{
				"virtualService":  "shop/reviews",
				"rule":            map[string]any{"index": 0.0, "name": "jason"},
				"action":          "route",
				"destination":     map[string]any{"host": "reviews.shop.svc.cluster.local", "subset": "v2", "port": 9080.0},
				"destinationRule": "shop/reviews",
				"path":            "/a",
				"authority":       "reviews:9080",
				"timeout":         "3s",
				"retries":         map[string]any{"attempts": 4.0, "perTryTimeout": "500ms", "retryOn": "5xx,reset"},
				"fault": map[string]any{
					"delay": map[string]any{"fixedDelay": "2s", "percent": 100.0, "injected": true},
					"abort": map[string]any{"grpcStatus": "UNAVAILABLE", "percent": 0.0, "injected": false},
				},
				"mirrors": []any{map[string]any{"host": "reviews.shop.svc.cluster.local", "subset": "v1", "percent": 100.0,
					"port": 9080.0}}, // no port in the mirror: the port the request is addressed to, as Istio
				"requestHeaders":  map[string]any{"set": map[string]any{"X-From": "mesh"}, "add": map[string]any{"X-Trace": "1"}, "remove": []any{"X-Debug"}},
				"responseHeaders": map[string]any{"set": map[string]any{"X-Version": "v2"}},
				"cors": map[string]any{
					"allowOrigins": []any{map[string]any{"exact": "https://example.com"}},
					"allowMethods": []any{"GET", "POST"},
					"maxAge":       "86400s",
				},
				"policy": map[string]any{
					"loadBalancer":   map[string]any{"simple": "ROUND_ROBIN"},
					"connectionPool": map[string]any{"tcp": map[string]any{"maxConnections": 10.0}},
				},
			},
		},
		{
			name: "redirect prints location and code, keeps the query, and no destination",
			args: append(shop, "GET", "http://reviews:9080/old?x=1"),
			want: map[string]any{
				"virtualService": "shop/reviews", "rule": map[string]any{"index": 1.0, "name": "old"}, "action": "redirect",
				"redirect": map[string]any{"location": "http://reviews:9080/new?x=1", "code": 302.0},
			},
		},
		{
			name: "direct response prints its status and omits an empty body",
			args: append(shop, "GET", "http://reviews/health"),
			want: map[string]any{
				"virtualService": "shop/reviews", "rule": map[string]any{"index": 2.0, "name": "health"}, "action": "directResponse",
				"directResponse": map[string]any{"status": 204.0},
			},
		},
		{
			name: "a subset no DestinationRule defines is unavailable, with the destination it names",
			args: append(shop, "GET", "http://reviews/v3"),
			want: map[string]any{
				"virtualService": "shop/reviews", "rule": map[string]any{"index": 3.0, "name": "v3"}, "action": "unavailable",
				"destination": map[string]any{"host": "reviews.shop.svc.cluster.local", "subset": "v3", "port": 80.0}, "destinationRule": "shop/reviews",
				"status": 503.0, "reason": `no healthy upstream: subset "v3" of reviews.shop.svc.cluster.local is not defined by any DestinationRule`,
			},
		},
		{
			name: "rewrite replaces the matched prefix and the authority; unset timeout is the seeds' 15s; unset retries are Istio's default",
			args: append(shop, "GET", "http://reviews/api/x?q=1"),
			want: map[string]any{
				"virtualService": "shop/reviews", "rule": map[string]any{"index": 4.0, "name": "rest"}, "action": "route",
				"destination": map[string]any{"host": "reviews.shop.svc.cluster.local", "subset": "v1", "port": 80.0}, "destinationRule": "shop/reviews",
				"path": "/v1/api/x?q=1", "authority": "reviews-internal", "timeout": "15s", "retries": defaultRetries,
				"policy": map[string]any{"loadBalancer": map[string]any{"simple": "ROUND_ROBIN"}},
			},
		},
		{
			name: "--source-labels picks the DestinationRule a workloadSelector gives the caller",
			args: append(shop, "--source-labels", "track=canary", "GET", "http://reviews/api/x"),
			want: map[string]any{
				"virtualService": "shop/reviews", "rule": map[string]any{"index": 4.0, "name": "rest"}, "action": "route",
				"destination": map[string]any{"host": "reviews.shop.svc.cluster.local", "subset": "v1", "port": 80.0}, "destinationRule": "shop/reviews-canary",
				"path": "/v1/api/x", "authority": "reviews-internal", "timeout": "15s", "retries": defaultRetries,
				"policy": map[string]any{"loadBalancer": map[string]any{"simple": "LEAST_REQUEST"}},
			},
		},
		{
			name: "--istio drops the default timeout to 0s",
			args: append(shop, "--istio", "GET", "http://reviews/api/x"),
			want: map[string]any{
				"virtualService": "shop/reviews", "rule": map[string]any{"index": 4.0, "name": "rest"}, "action": "route",
				"destination": map[string]any{"host": "reviews.shop.svc.cluster.local", "subset": "v1", "port": 80.0}, "destinationRule": "shop/reviews",
				"path": "/v1/api/x", "authority": "reviews-internal", "timeout": "0s", "retries": defaultRetries,
				"policy": map[string]any{"loadBalancer": map[string]any{"simple": "ROUND_ROBIN"}},
			},
		},
		{
			name: "no rule matching is noRoute and nothing else",
			args: append(shop, "GET", "http://reviews/other"),
			want: map[string]any{"action": "noRoute"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, decideJSON(t, tt.args...)); diff != "" {
				t.Errorf("decide %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// callerYAML routes by caller, gateway and port.
const callerYAML = "testdata/callers.yaml"

func TestDecideRequestFlags(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantSubset string
	}{
		{"--source-labels selects the caller's rule", []string{"--source-labels", "app=reviews,version=v2", "GET", "http://ratings/"}, "v2"},
		{"without labels the caller gets the catch-all", []string{"GET", "http://ratings/"}, "v1"},
		{"--source-namespace selects the namespace's rule", []string{"--source-namespace", "test", "GET", "http://ratings.default/"}, "v3"},
		{"--source-namespace: a bare name is not the service from another namespace", []string{"--source-namespace", "test", "GET", "http://ratings/"}, ""},
		{"--port matches the destination port", []string{"--port", "9443", "GET", "http://ratings/"}, "v4"},
		{"the URL's port is the destination port", []string{"GET", "http://ratings:9443/"}, "v4"},
		{"-H headers match case-insensitively by name", []string{"-H", "X-Canary: yes", "-H", "other: 1", "GET", "http://ratings/"}, "canary"},
		{"--gateway decides in the gateway's view", []string{"--gateway", "istio-system/public", "GET", "http://ratings.example.com/"}, "public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := decideJSON(t, append([]string{"-f", callerYAML}, tt.args...)...)
			dest, _ := got["destination"].(map[string]any)
			var want any = tt.wantSubset
			if tt.wantSubset == "" {
				want = nil // passthrough: no subset
			}
			if diff := cmp.Diff(want, dest["subset"]); diff != "" {
				t.Errorf("subset (-want +got):\n%s\nfull decision: %v", diff, got)
			}
		})
	}
}

func TestDecideSeedMakesSamplingReproducible(t *testing.T) {
	pick := func(seed string) any {
		got := decideJSON(t, "-f", callerYAML, "--seed", seed, "GET", "http://split/")
		return got["destination"].(map[string]any)["subset"]
	}
	seen := map[any]int{}
	for _, seed := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"} {
		first := pick(seed)
		if again := pick(seed); again != first {
			t.Errorf("--seed %s picked %v then %v", seed, first, again)
		}
		seen[first]++
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Errorf("12 seeds of a 50/50 split picked %v, want both subsets", seen)
	}
}

func TestDecideErrorsSayWhatToDo(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no configuration", []string{"GET", "http://reviews/"}, "give -f PATH"},
		{"URL without method", []string{"-f", callerYAML, "http://reviews/"}, "want METHOD URL after the flags"},
		{"URL first", []string{"-f", callerYAML, "http://reviews/", "GET"}, `"http://reviews/" is not a method`},
		{"relative URL", []string{"-f", callerYAML, "GET", "/reviews"}, "want an absolute URL"},
		{"header without colon", []string{"-f", callerYAML, "-H", "end-user jason", "GET", "http://reviews/"}, `-H "end-user jason": want 'Name: value'`},
		{"labels without =", []string{"-f", callerYAML, "--source-labels", "app", "GET", "http://reviews/"}, "want k=v,k=v"},
		{"gateway without namespace", []string{"-f", callerYAML, "--gateway", "public", "GET", "http://reviews/"}, "want NAMESPACE/NAME"},
		{"missing file", []string{"-f", "testdata/none.yaml", "GET", "http://reviews/"}, "testdata/none.yaml"},
		{"bad seed", []string{"-f", callerYAML, "--seed", "x", "GET", "http://reviews/"}, "want a non-negative integer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"decide"}, tt.args...)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q lacks %q", errOut, tt.want)
			}
		})
	}
}

func TestDecideHelpHasAnExample(t *testing.T) {
	for _, cmd := range []string{"decide", "explain", "table", "template", "test"} {
		t.Run(cmd, func(t *testing.T) {
			code, out, _ := run(t, "", cmd, "-h")
			if code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			if !strings.Contains(out, "example:\n  routectl "+cmd) {
				t.Errorf("help lacks an example:\n%s", out)
			}
		})
	}
}

// --strict-registry decides a route to a host no ServiceEntry declares as
// Istio does: no cluster.
func TestDecideStrictRegistry(t *testing.T) {
	f := writeFile(t, t.TempDir(), "pay.yaml", `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop, namespace: default}
spec:
  hosts: [shop]
  http:
  - route: [{destination: {host: payments.example.com}}]
    timeout: 5s
`)
	tests := []struct {
		name string
		args []string
		want []any // action, status, destination host
	}{
		{"by default the host is routed to", nil, []any{"route", nil, "payments.example.com"}},
		{"--strict-registry: no cluster, 503", []string{"--strict-registry"}, []any{"unavailable", 503.0, "payments.example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := decideJSON(t, append(append([]string{"-f", f}, tc.args...), "GET", "http://shop/pay")...)
			dest, _ := got["destination"].(map[string]any)
			if diff := cmp.Diff(tc.want, []any{got["action"], got["status"], dest["host"]}); diff != "" {
				t.Errorf("[action status host] (-want +got):\n%s\n%v", diff, got)
			}
		})
	}
}
