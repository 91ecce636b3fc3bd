package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTablePrint(t *testing.T) {
	tb := &table{
		rows: []row{
			{workload: "routes=10", router: "meshroute", rules: 10, requests: 12, ns: 50, allocs: 0, ratio: 1, measured: true},
			{workload: "routes=10", router: "chi", rules: 10, requests: 12, ns: 150, allocs: 0, ratio: 3, measured: true},
			{workload: "hosts=10", router: "httprouter", note: "cannot express: 30 rules: no host routing"},
		},
		notes: []string{"hosts=10 httprouter: 30 rules: no host routing (not measured)"},
	}
	var out bytes.Buffer
	tb.print(&out)
	want := `workload   router      rules  requests  ns/op  allocs/op  × meshroute  note
routes=10  meshroute      10        12   50.0       0.00         1.00
routes=10  chi            10        12  150.0       0.00         3.00
hosts=10   httprouter                                                  cannot express: 30 rules: no host routing

× meshroute: the router's ns/op divided by meshroute's on the same rules and requests
(meshroute-subset-<router> rows are meshroute measured on that router's subset).
What each router could not express (those rules and their requests are left out):
  hosts=10 httprouter: 30 rules: no host routing (not measured)
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestRunPrintsARowPerRouterAndBaseline(t *testing.T) {
	var out bytes.Buffer
	if err := run([]string{"-benchtime", "1x", "-workloads", "routes=10"}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var got []string
	rows, _, _ := strings.Cut(out.String(), "\n\n")
	for _, line := range strings.Split(rows, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "routes=10" {
			got = append(got, f[1])
		}
	}
	want := []string{"meshroute", "chi", "gorilla/mux", "meshroute-subset-httprouter", "httprouter",
		"meshroute-subset-servemux", "servemux"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("routers in the table (-want +got):\n%s\n%s", diff, out.String())
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"an unknown router is named", []string{"-routers", "gin"}, `unknown router "gin"`},
		{"a workload without a count is explained", []string{"-workloads", "routes"}, `want routes=N or hosts=N`},
		{"an unknown workload kind is named", []string{"-workloads", "paths=3"}, `unknown kind "paths"`},
		{"a bad benchtime is named", []string{"-benchtime", "soon"}, `-benchtime "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) error = %v, want one containing %q", tt.args, err, tt.want)
			}
		})
	}
}
