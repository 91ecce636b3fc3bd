package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// lineFor returns the output line of the request to url.
func lineFor(t *testing.T, out, url string) string {
	t.Helper()
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "GET" && f[1] == url {
			return strings.TrimSpace(line)
		}
	}
	t.Fatalf("no line for %s in output:\n%s", url, out)
	return ""
}

func TestRunDecidesEgressByServiceEntryPort(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), nil, &out); err != nil {
		t.Fatalf("run: %v\noutput:\n%s", err, out.String())
	}
	tests := []struct {
		name    string
		url     string
		want    []string // decision, then who answered and what it saw
		notWant []string
	}{
		{
			name: "http on the declared HTTP port takes the http rule",
			url:  "http://api.example.test/hello",
			want: []string{
				"route by VirtualService default/api http rule 0 (api-http) to api.example.test:80, timeout 2s",
				`200 answered by api-http, saw Host=api.example.test x-egress="meshroute" tls-sni=-`,
			},
		},
		{
			name: "https on the declared HTTPS port takes the tls rule by SNI, keeping its Host",
			url:  "https://api.example.test/hello",
			want: []string{
				"route by VirtualService default/api tls rule 0 to api-mirror.example.test:443, timeout none",
				`200 answered by api-mirror, saw Host=api.example.test x-egress="" tls-sni=example.com`,
			},
			notWant: []string{"api-https"},
		},
		{
			name: "a port the ServiceEntry does not declare passes through",
			url:  "http://api.example.test:8080/hello",
			want: []string{
				"route passthrough to api.example.test:8080, timeout none",
				"not sent",
			},
			notWant: []string{"answered by"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line := lineFor(t, out.String(), tc.url)
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("line %q\nlacks %q", line, w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(line, w) {
					t.Errorf("line %q\nhas %q", line, w)
				}
			}
		})
	}
	if n := strings.Count(out.String(), "\n"); n != len(probes) {
		t.Errorf("output has %d lines, want one per request (%d):\n%s", n, len(probes), out.String())
	}
}

func TestRunExplainSaysWhy(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-explain"}, &out); err != nil {
		t.Fatalf("run -explain: %v", err)
	}
	for _, w := range []string{
		"rule default/api http[0] \"api-http\": MATCHED",
		"the request is decided as the TLS connection it is, by SNI",
		"rule default/api tls[0]: MATCHED",
		"its ServiceEntries do not declare the port",
		"virtual host: none (passthrough)",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("-explain output lacks %q:\n%s", w, out.String())
		}
	}
}

func TestRunRejectsUnknownFlags(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-nope"}, &out); err == nil {
		t.Error("run -nope: nil error, want one")
	}
}
