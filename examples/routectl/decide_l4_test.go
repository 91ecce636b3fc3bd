package main

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// l4YAML has tcp and tls rules: a database behind a ServiceEntry address,
// SNI routes in the mesh and on a passthrough gateway, and a TCP port on
// that gateway.
const l4YAML = "testdata/l4.yaml"

func TestDecideConnections(t *testing.T) {
	tcp := []string{"-f", l4YAML, "--protocol", "tcp"}
	tls := []string{"-f", l4YAML, "--protocol", "tls"}
	tests := []struct {
		name string
		args []string
		want map[string]any
	}{
		{
			name: "tcp: the service is found by its ServiceEntry address; port and sourceLabels select the first rule",
			args: append(tcp, "--dest", "10.1.0.5:5432", "--source-labels", "app=admin"),
			want: map[string]any{
				"virtualService": "default/db", "rule": map[string]any{"index": 0.0, "section": "tcp"}, "action": "route",
				"destination": map[string]any{"host": "db-primary.internal", "port": 5432.0},
			},
		},
		{
			name: "tcp: --source-namespace selects the rule of the caller's namespace",
			args: append(tcp, "--dest", "10.1.0.5:5432", "--source-namespace", "test"),
			want: map[string]any{
				"virtualService": "default/db", "rule": map[string]any{"index": 1.0, "section": "tcp"}, "action": "route",
				// no port in the destination: the port the connection was opened to
				"destination": map[string]any{"host": "db-test.internal", "port": 5432.0},
			},
		},
		{
			name: "tcp: destinationSubnets hold the original destination address",
			args: append(tcp, "--dest", "10.1.0.5:5432"),
			want: map[string]any{
				"virtualService": "default/db", "rule": map[string]any{"index": 2.0, "section": "tcp"}, "action": "route",
				"destination": map[string]any{"host": "db-replica.internal", "port": 5432.0},
			},
		},
		{
			name: "tcp: a host name dialled gives no address, so no rule takes it and it goes to the service itself",
			args: append(tcp, "--dest", "db.internal:5432"),
			want: map[string]any{"action": "route", "destination": map[string]any{"host": "db.internal", "port": 5432.0}},
		},
		{
			name: "tcp: an address no service has passes through to itself (ALLOW_ANY)",
			args: append(tcp, "--dest", "192.0.2.1:80"),
			want: map[string]any{"action": "route", "destination": map[string]any{"host": "192.0.2.1", "port": 80.0}},
		},
		{
			name: "tcp: --port overrides the port of --dest",
			args: append(tcp, "--dest", "10.1.0.5:6432", "--port", "5432", "--source-labels", "app=admin"),
			want: map[string]any{
				"virtualService": "default/db", "rule": map[string]any{"index": 0.0, "section": "tcp"}, "action": "route",
				"destination": map[string]any{"host": "db-primary.internal", "port": 5432.0},
			},
		},
		{
			name: "tcp on a gateway: the server port selects the rule; the DestinationRule and its policy are printed",
			args: append(tcp, "--gateway", "istio-system/passthrough", "--dest", "203.0.113.9:31400", "--seed", "1"),
			want: map[string]any{
				"virtualService": "default/echo", "rule": map[string]any{"index": 0.0, "section": "tcp"}, "action": "route",
				"destination":     map[string]any{"host": "echo.default.svc.cluster.local", "subset": "a", "port": 9000.0},
				"policy":          map[string]any{"connectionPool": map[string]any{"tcp": map[string]any{"maxConnections": 10.0}}},
				"destinationRule": "default/echo",
			},
		},
		{
			name: "tls: an exact SNI takes the first rule; the port defaults to 443",
			args: append(tls, "--sni", "login.secure.com"),
			want: map[string]any{
				"virtualService": "default/secure", "rule": map[string]any{"index": 0.0, "section": "tls"}, "action": "route",
				"destination": map[string]any{"host": "login.internal", "port": 443.0},
			},
		},
		{
			name: "tls: a wildcard sniHost matches names at any depth below it",
			args: append(tls, "--sni", "a.b.secure.com", "--dest", "10.0.0.9:443"),
			want: map[string]any{
				"virtualService": "default/secure", "rule": map[string]any{"index": 1.0, "section": "tls"}, "action": "route",
				"destination": map[string]any{"host": "catchall.internal", "port": 443.0},
			},
		},
		{
			name: "tls: a wildcard sniHost does not match the bare domain: passthrough to the SNI",
			args: append(tls, "--sni", "secure.com"),
			want: map[string]any{"action": "route", "destination": map[string]any{"host": "secure.com", "port": 443.0}},
		},
		{
			name: "tls: the rule's port restricts it",
			args: append(tls, "--sni", "a.secure.com", "--port", "8443"),
			want: map[string]any{"action": "route", "destination": map[string]any{"host": "a.secure.com", "port": 8443.0}},
		},
		{
			name: "tls on a gateway the VirtualService binds",
			args: append(tls, "--sni", "a.secure.com", "--gateway", "istio-system/passthrough"),
			want: map[string]any{
				"virtualService": "default/secure", "rule": map[string]any{"index": 1.0, "section": "tls"}, "action": "route",
				"destination": map[string]any{"host": "catchall.internal", "port": 443.0},
			},
		},
		{
			name: "tls on a gateway: a server name no rule takes is closed, not passed through",
			args: append(tls, "--sni", "other.example.org", "--gateway", "istio-system/passthrough"),
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

func TestDecideConnectionSeedMakesWeightedPicksReproducible(t *testing.T) {
	pick := func(seed string) any {
		got := decideJSON(t, "-f", l4YAML, "--protocol", "tcp", "--gateway", "istio-system/passthrough",
			"--dest", "203.0.113.9:31400", "--seed", seed)
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
		t.Errorf("12 seeds of a 50/50 tcp split picked %v, want both subsets", seen)
	}
}

func TestExplainConnectionsText(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{
			name: "every rule tried with every clause: the first fails on the labels, the second's first clause on the caller's namespace, its second holds",
			args: []string{"--protocol", "tcp", "--dest", "10.1.0.5:5432", "--source-labels", "app=migrate"},
			want: `view: sidecars in namespace default
connection: tcp to 10.1.0.5:5432
virtual services:
  default/db: taken for db.internal [serves this request]
  default/echo: skipped — not bound to mesh (gateways: istio-system/passthrough)
  default/secure: taken for *.secure.com
listener: service db.internal (ports [5432]), found by address 10.1.0.5:5432
virtual host: db.internal
rules tried:
  rule default/db tcp[0]: no match
    match[0] port 5432 && source label app = "admin": failed: sourceLabels: app="migrate", want "admin"
  rule default/db tcp[1]: MATCHED
    match[0] source namespace "test": failed: sourceNamespace: "default" is not "test"
    match[1] source label app = "migrate": matched
  rule default/db tcp[2]: not reached
    match[0] destination in [10.1.0.0/16]: matched
decision: route to outbound|5432||db-test.internal
`,
		},
		{
			name: "tls rules on a gateway",
			args: []string{"--protocol", "tls", "--sni", "a.secure.com", "--gateway", "istio-system/passthrough"},
			want: `view: gateway istio-system/passthrough
connection: tls to port 443, sni "a.secure.com"
virtual services:
  default/db: skipped — not bound to gateway istio-system/passthrough (gateways: mesh)
  default/echo: taken for *.secure.com
  default/secure: taken for *.secure.com [serves this request]
rules tried:
  rule default/secure tls[0]: no match
    match[0] sni in ["login.secure.com"]: failed: sni: "a.secure.com" is not one of ["login.secure.com"]
  rule default/secure tls[1]: MATCHED
    match[0] port 443 && sni in ["*.secure.com"]: matched
decision: route to outbound|443||catchall.internal
`,
		},
		{
			name: "no rule takes it: a known service takes its default route",
			args: []string{"--protocol", "tcp", "--dest", "db.internal:5432"},
			want: `view: sidecars in namespace default
connection: tcp to db.internal:5432
virtual services:
  default/db: taken for db.internal [serves this request]
  default/echo: skipped — not bound to mesh (gateways: istio-system/passthrough)
  default/secure: taken for *.secure.com
listener: service db.internal, dialled by name on port 5432
virtual host: db.internal
rules tried:
  rule default/db tcp[0]: no match
    match[0] port 5432 && source label app = "admin": failed: sourceLabels: app missing, want "admin"
  rule default/db tcp[1]: no match
    match[0] source namespace "test": failed: sourceNamespace: "default" is not "test"
    match[1] source label app = "migrate": failed: sourceLabels: app missing, want "migrate"
  rule default/db tcp[2]: no match
    match[0] destination in [10.1.0.0/16]: failed: destinationSubnets: destination address unknown
no rule took the connection: default route
decision: route to outbound|5432||db.internal
`,
		},
		{
			name: "no rule takes it: an unknown server name passes through",
			args: []string{"--protocol", "tls", "--sni", "secure.com"},
			want: `view: sidecars in namespace default
connection: tls to port 443, sni "secure.com"
virtual services:
  default/db: taken for db.internal
  default/echo: skipped — not bound to mesh (gateways: istio-system/passthrough)
  default/secure: taken for *.secure.com
rules tried:
  rule default/secure tls[0]: no match
    match[0] sni in ["login.secure.com"]: failed: sni: "secure.com" is not one of ["login.secure.com"]
  rule default/secure tls[1]: no match
    match[0] port 443 && sni in ["*.secure.com"]: failed: sni: "secure.com" is not one of ["*.secure.com"]
no rule took the connection: passthrough
decision: route to PassthroughCluster (original destination secure.com:443)
`,
		},
		{
			name: "no rule on a gateway: no route, and why",
			args: []string{"--protocol", "tls", "--sni", "other.example.org", "--gateway", "istio-system/passthrough"},
			want: `view: gateway istio-system/passthrough
connection: tls to port 443, sni "other.example.org"
virtual services:
  default/db: skipped — not bound to gateway istio-system/passthrough (gateways: mesh)
  default/echo: taken for *.secure.com
  default/secure: taken for *.secure.com
rules tried:
  rule default/secure tls[0]: no match
    match[0] sni in ["login.secure.com"]: failed: sni: "other.example.org" is not one of ["login.secure.com"]
  rule default/secure tls[1]: no match
    match[0] port 443 && sni in ["*.secure.com"]: failed: sni: "other.example.org" is not one of ["*.secure.com"]
decision: noRoute (no tcp or tls rule of this gateway takes the connection)
`,
		},
		{
			name: "a connection no service listener takes: the rules of VirtualServices whose hosts may be elsewhere, on a gateway every tcp rule",
			args: []string{"--protocol", "tcp", "--dest", "203.0.113.9:31400", "--gateway", "istio-system/passthrough", "--seed", "1"},
			want: `view: gateway istio-system/passthrough
connection: tcp to 203.0.113.9:31400
virtual services:
  default/db: skipped — not bound to gateway istio-system/passthrough (gateways: mesh)
  default/echo: taken for * [serves this request]
  default/secure: taken for *.secure.com
listener: the gateway's: the connection names no host, every tcp rule of the gateway is tried
rules tried:
  rule default/echo tcp[0]: MATCHED
    match[0] port 31400: matched
decision: route to outbound|9000|a|echo.default.svc.cluster.local
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append([]string{"explain", "-f", l4YAML}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("explain %q (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// TestExplainConnectionPicksAsDecide: explain decides by the library's
// code and random source, so --seed picks what routectl decide picks.
func TestExplainConnectionPicksAsDecide(t *testing.T) {
	for _, seed := range []string{"1", "2", "3", "4", "5", "6"} {
		args := []string{"-f", l4YAML, "--protocol", "tcp", "--gateway", "istio-system/passthrough", "--dest", "203.0.113.9:31400", "--seed", seed}
		want := decideJSON(t, args...)["destination"]
		code, out, errOut := run(t, "", append([]string{"explain", "-o", "json"}, args...)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got["decision"].(map[string]any)["destination"]); diff != "" {
			t.Errorf("--seed %s: explain's destination differs from decide's (-decide +explain):\n%s", seed, diff)
		}
	}
}

func TestExplainConnectionJSON(t *testing.T) {
	code, out, errOut := run(t, "", "explain", "-o", "json", "-f", l4YAML, "--protocol", "tls", "--sni", "login.secure.com", "--dest", "10.0.0.9:443")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	want := map[string]any{
		"protocol": "tls",
		"view":     "sidecars in namespace default",
		"connection": map[string]any{"protocol": "tls", "destination": "10.0.0.9", "port": 443.0, "sni": "login.secure.com",
			"gateway": "mesh", "sourceNamespace": "default"},
		"virtualServices": []any{
			map[string]any{"virtualService": "default/db", "taken": true, "hosts": []any{"db.internal"}, "servesRequest": false},
			map[string]any{"virtualService": "default/echo", "taken": false, "reason": "not bound to mesh (gateways: istio-system/passthrough)", "servesRequest": false},
			map[string]any{"virtualService": "default/secure", "taken": true, "hosts": []any{"*.secure.com"}, "servesRequest": true},
		},
		"rules": []any{
			map[string]any{
				"virtualService": "default/secure", "kind": "tls", "index": 0.0, "matched": true, "reached": true,
				"clauses": []any{map[string]any{"index": 0.0, "condition": `sni in ["login.secure.com"]`, "matched": true}},
			},
			map[string]any{
				// not reached, though it would have matched
				"virtualService": "default/secure", "kind": "tls", "index": 1.0, "matched": true, "reached": false,
				"clauses": []any{map[string]any{"index": 0.0, "condition": `port 443 && sni in ["*.secure.com"]`, "matched": true}},
			},
		},
		// the keys of the http explanation's decision, without path,
		// authority and timeout
		"decision": map[string]any{
			"action": "route", "virtualService": "default/secure",
			"rule":        map[string]any{"index": 0.0, "name": "", "match": 0.0},
			"destination": map[string]any{"host": "login.internal", "subset": "", "port": 443.0},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("explain -o json (-want +got):\n%s", diff)
	}
}

func TestConnectionFlagErrorsNameTheFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"--sni with http", []string{"--sni", "a.secure.com", "GET", "http://a.secure.com/"}, `--sni "a.secure.com": only with --protocol tls`},
		{"--sni with tcp", []string{"--protocol", "tcp", "--sni", "a.secure.com", "--dest", "10.1.0.5:5432"}, `--sni "a.secure.com": only with --protocol tls`},
		{"--dest with http", []string{"--dest", "10.1.0.5:5432", "GET", "http://db.internal/"}, `--dest "10.1.0.5:5432": only with --protocol tcp or tls`},
		{"unknown protocol", []string{"--protocol", "udp", "--dest", "10.1.0.5:53"}, `--protocol "udp": want http, tcp or tls`},
		{"METHOD URL with tcp", []string{"--protocol", "tcp", "GET", "http://db.internal/"}, `--protocol tcp takes no METHOD URL (got "GET http://db.internal/")`},
		{"headers with tls", []string{"--protocol", "tls", "-H", "x: 1", "--sni", "a.secure.com"}, `-H "x: 1": headers are read only with --protocol http`},
		{"tcp without a port", []string{"--protocol", "tcp", "--dest", "10.1.0.5"}, "--protocol tcp: no destination port: give --dest ADDRESS:PORT, or --port"},
		{"tls without sni or destination", []string{"--protocol", "tls"}, "--protocol tls: give the connection's server name with --sni NAME"},
		{"--dest a URL", []string{"--protocol", "tcp", "--dest", "tcp://db:5432"}, `--dest "tcp://db:5432": want ADDRESS:PORT`},
		{"--dest port 0", []string{"--protocol", "tcp", "--dest", "10.1.0.5:0"}, `--dest "10.1.0.5:0": want ADDRESS:PORT`},
		{"--sni with a port", []string{"--protocol", "tls", "--sni", "a.secure.com:443"}, `--sni "a.secure.com:443": want a server name`},
		{"gateway without namespace", []string{"--protocol", "tcp", "--dest", "10.1.0.5:5432", "--gateway", "passthrough"}, "want NAMESPACE/NAME"},
	}
	for _, tt := range tests {
		for _, cmd := range []string{"decide", "explain"} {
			t.Run(cmd+" "+tt.name, func(t *testing.T) {
				code, out, errOut := run(t, "", append([]string{cmd, "-f", l4YAML}, tt.args...)...)
				if code != exitUsage {
					t.Errorf("exit %d, want %d", code, exitUsage)
				}
				if out != "" {
					t.Errorf("stdout %q, want nothing", out)
				}
				if !strings.Contains(errOut, tt.want) || !strings.Contains(errOut, `Run "routectl help `+cmd+`"`) {
					t.Errorf("stderr %q lacks %q and the pointer to help", errOut, tt.want)
				}
			})
		}
	}
}

func TestParseDest(t *testing.T) {
	type result struct {
		IP   netip.Addr
		Name string
		Port uint32
		Err  bool
	}
	tests := []struct {
		dest string
		want result
	}{
		{"", result{}},
		{"10.1.0.5:5432", result{IP: netip.MustParseAddr("10.1.0.5"), Port: 5432}},
		{"10.1.0.5", result{IP: netip.MustParseAddr("10.1.0.5")}},
		{"[fd00::5]:5432", result{IP: netip.MustParseAddr("fd00::5"), Port: 5432}},
		{"fd00::5", result{IP: netip.MustParseAddr("fd00::5")}},
		{"[::ffff:10.1.0.5]:5432", result{IP: netip.MustParseAddr("10.1.0.5"), Port: 5432}},
		{"db.internal:5432", result{Name: "db.internal", Port: 5432}},
		{"db.internal", result{Name: "db.internal"}},
		{"db.internal:65536", result{Err: true}},
		{"db.internal:x", result{Err: true}},
		{":5432", result{Err: true}},
		{"db/internal:5432", result{Err: true}},
	}
	for _, tt := range tests {
		t.Run(tt.dest, func(t *testing.T) {
			ip, name, port, err := parseDest(tt.dest)
			got := result{IP: ip, Name: name, Port: port, Err: err != nil}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("parseDest(%q) (-want +got):\n%s", tt.dest, diff)
			}
		})
	}
}

func TestConnectionFlagsInHelp(t *testing.T) {
	for _, cmd := range []string{"decide", "explain"} {
		t.Run(cmd, func(t *testing.T) {
			code, out, _ := run(t, "", cmd, "-h")
			if code != exitOK {
				t.Errorf("exit %d, want 0", code)
			}
			for _, want := range []string{
				"--protocol tcp|tls [--dest ADDRESS:PORT] [--sni NAME]",
				"-protocol string", "-sni string", "-dest string",
				"\n  routectl " + cmd + " -f ./istio/ --protocol ",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("help lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// The connection flags never panic: any destination, server name and
// port give a connection with a port, or an error.
func FuzzConnectionFlags(f *testing.F) {
	f.Add("tcp", "10.1.0.5:5432", "", uint(0))
	f.Add("tls", "[fd00::1]:443", "login.secure.com", uint(8443))
	f.Add("tls", "", "*.x", uint(0))
	f.Add("TCP", "db:0", ":", uint(70000))
	f.Fuzz(func(t *testing.T, proto, dest, sni string, port uint) {
		rf := requestFlags{protocol: proto, dest: dest, sni: sni, port: port, namespace: "default"}
		req, err := rf.build(nil)
		if err != nil {
			if err.Error() == "" {
				t.Error("empty error")
			}
			return
		}
		if rf.l4() && req.Port == 0 {
			t.Errorf("--protocol %s --dest %q --port %d: a connection without a port", proto, dest, port)
		}
	})
}
