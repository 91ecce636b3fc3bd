package route

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshroute/meshroute/match"
)

// compileYAML loads a multi-document YAML string and compiles it with a
// deterministic random source.
func compileYAML(t testing.TB, yaml string, opts ...Option) *Table {
	t.Helper()
	cfg, err := LoadBytes([]byte(yaml), "test.yaml")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	tbl, err := Compile(cfg, append([]Option{WithRand(rand.NewPCG(1, 2))}, opts...)...)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return tbl
}

// req builds a request: "GET host/path?query" plus "Name: value" headers.
func req(method, authority, path string, headers ...string) *match.Request {
	r := &match.Request{Method: method, Scheme: "http", Authority: authority, Path: path, Header: http.Header{}, Gateway: match.MeshGateway}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		r.Header.Add(name, strings.TrimSpace(value))
	}
	return r
}

// hostOr is the host d routes to, or noRoute when no route matched.
func hostOr(d Decision, noRoute string) string {
	if d.Action == ActionNoRoute {
		return noRoute
	}
	return d.Destination.Host
}

// outcome is the part of a Decision the tests compare.
type outcome struct {
	Action        Action
	VS            string // "ns/name"
	Rule          int
	Match         int
	Host          string
	Subset        string
	Port          uint32
	Path          string
	Authority     string
	OriginalPath  string
	Status        int
	Location      string
	Body          string
	Timeout       time.Duration
	TimeoutSource TimeoutSource
	Retries       int
	RetryDefault  bool
	Reason        string
	DefaultRoute  bool
	Passthrough   bool
	DR            string
}

func summarize(d Decision) outcome {
	o := outcome{
		Action: d.Action, Rule: d.Rule.Index, Match: d.Rule.MatchIndex,
		Host: d.Destination.Host, Subset: d.Destination.Subset, Port: d.Destination.Port,
		Path: d.Path, Authority: d.Authority, OriginalPath: d.OriginalPath, Status: d.Status,
		Location: d.Redirect.Location, Body: d.DirectResponse.Body,
		Timeout: d.Timeout, TimeoutSource: d.TimeoutSource,
		Retries: d.Retry.Attempts, RetryDefault: d.Retry.FromDefault,
		Reason: d.Reason, DefaultRoute: d.DefaultRoute, Passthrough: d.Passthrough,
	}
	if d.VirtualService.Name != "" {
		o.VS = d.VirtualService.Namespace + "/" + d.VirtualService.Name
	}
	if d.DestinationRule.Name != "" {
		o.DR = d.DestinationRule.Namespace + "/" + d.DestinationRule.Name
	}
	return o
}
