package main

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const tableYAML = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews, bookinfo.com]
  http:
  - match:
    - uri: {prefix: /wpcatalog}
      headers: {end-user: {exact: jason}}
    - uri: {regex: "/c.*"}
    rewrite: {uri: /newcatalog}
    route:
    - {destination: {host: reviews, subset: v2}, weight: 75}
    - {destination: {host: reviews, subset: v1}, weight: 25}
    timeout: 10s
    retries: {attempts: 3, perTryTimeout: 2s}
  - match: [{uri: {exact: /old}}]
    redirect: {uri: /new}
  - fault: {abort: {httpStatus: 400, percentage: {value: 10}}}
    route: [{destination: {host: reviews, port: {number: 9080}}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: edge, namespace: istio-system}
spec:
  hosts: [example.com]
  gateways: [istio-system/public, mesh]
  tls:
  - match: [{port: 443, sniHosts: [example.com]}]
    route: [{destination: {host: example.default.svc.cluster.local, port: {number: 8443}}}]
  tcp:
  - match: [{port: 27017, sourceLabels: {app: db-client}}]
    route: [{destination: {host: mongo, port: {number: 27017}}}]
`

func TestTableOneRowPerRule(t *testing.T) {
	code, out, errOut := run(t, tableYAML, "table", "-f", "-")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := [][]string{
		{"VIRTUAL SERVICE", "GATEWAYS", "HOSTS", "MATCH", "DESTINATION", "ACTIONS", "PROTOCOL"},
		{"shop/reviews", "mesh", "reviews, bookinfo.com", "uri prefix /wpcatalog & header end-user = jason | uri ~ /c.*",
			"reviews/v2 75%, reviews/v1 25%", "rewrite uri /newcatalog, timeout 10s, retries 3 × 2s", "HTTP"},
		{"shop/reviews", "mesh", "reviews, bookinfo.com", "uri = /old", "-", "redirect 301 /new", "HTTP"},
		{"shop/reviews", "mesh", "reviews, bookinfo.com", "*", "reviews:9080", "fault abort 400 10%", "HTTP"},
		{"istio-system/edge", "istio-system/public, mesh", "example.com", "port 27017 & source app=db-client", "mongo:27017", "-", "TCP"},
		{"istio-system/edge", "istio-system/public, mesh", "example.com", "sni example.com & port 443", "example.default.svc.cluster.local:8443", "-", "TLS"},
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	cells := regexp.MustCompile(`\S+(?: \S+)*`) // cells are separated by two or more spaces
	var got [][]string
	for _, l := range lines {
		got = append(got, cells.FindAllString(l, -1))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s\n%s", diff, out)
	}
	// Aligned: every row's cells start (in characters) where the header's
	// columns do.
	header := cells.FindAllStringIndex(lines[0], -1)
	for _, l := range lines[1:] {
		for i, c := range cells.FindAllStringIndex(l, -1) {
			if col := utf8.RuneCountInString(l[:c[0]]); i < len(header) && col != header[i][0] {
				t.Errorf("column %d starts at %d, header at %d:\n%s", i, col, header[i][0], out)
				break
			}
		}
	}
}

func TestTableNeedsConfiguration(t *testing.T) {
	code, _, errOut := run(t, "", "table")
	if code != exitUsage || !strings.Contains(errOut, "give -f PATH") {
		t.Errorf("exit %d, stderr %q; want 2 and how to give a PATH", code, errOut)
	}
}
