package route

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/meshroute/meshroute/match"
)

// l4Configs are the configurations of the L4 decision tests.
var l4Configs = map[string]string{
	"l4Config":            l4Config,
	"servicePortsConfig":  servicePortsConfig,
	"tlsRulePortsConfig":  tlsRulePortsConfig,
	"wildcardOwnedConfig": wildcardOwnedConfig,
	"multiClauseConfig":   multiClauseConfig,
}

// multiClauseConfig has rules of several match clauses, weighted
// destinations and tls and tcp rules in one VirtualService.
const multiClauseConfig = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: db, namespace: data}
spec:
  hosts: [db.internal]
  addresses: [10.1.0.5]
  ports: [{number: 5432, name: tcp, protocol: TCP}, {number: 443, name: tls, protocol: TLS}]
  resolution: STATIC
  endpoints: [{address: 10.1.0.6}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: db, namespace: data}
spec:
  hosts: [db.internal]
  gateways: [mesh, istio-system/passthrough]
  tls:
  - match:
    - {sniHosts: [db.internal], sourceNamespace: team}
    - {sniHosts: [db.internal], sourceLabels: {app: admin}}
    - {sniHosts: [db.internal], port: 443, gateways: [istio-system/passthrough]}
    route: [{destination: {host: db-tls.internal}}]
  tcp:
  - match:
    - {sourceNamespace: test}
    - {sourceLabels: {app: migrate}}
    - {port: 5432, destinationSubnets: [10.1.0.0/24]}
    route:
    - {destination: {host: db-a.internal}, weight: 30}
    - {destination: {host: db-b.internal}, weight: 70}
  - route: [{destination: {host: db-rest.internal}}]
`

// randomConnections returns n connections built from the addresses,
// names, ports and callers the L4 test configurations use, and a few
// they do not.
func randomConnections(n int, seed uint64) []match.Request {
	rnd := rand.New(rand.NewPCG(seed, seed+1))
	ips := []string{"", "10.1.0.5", "10.1.0.7", "10.1.0.8", "10.1.0.9", "10.1.200.1", "10.2.3.4", "10.3.0.5", "192.0.2.7", "198.51.100.1", "fd00::5"}
	names := []string{"", "db.internal", "cache.internal", "pool.internal", "net.internal", "web.data.svc.cluster.local", "web",
		"api.example.org", "plain.example.org", "x.wild.example", "b.multi.example", "a.partial.example", "unknown.example.net",
		"login.secure.com", "a.b.secure.com", "secure.com", "db.example.com", "single.example.com", "cache.example.com",
		"a.corp.example", "nowhere.example.com", "DB.Example.com", "10.1.0.5", "[fd00::5]"}
	ports := []uint32{0, 80, 443, 1000, 1234, 2000, 3306, 5432, 6000, 6379, 6432, 7000, 8080, 8443, 9000, 9443}
	labels := []map[string]string{nil, {"app": "admin"}, {"app": "migrate"}}
	namespaces := []string{"", "data", "team", "edge", "egress", "test"}
	gateways := []string{"", match.MeshGateway, "istio-system/passthrough", "istio-system/tcp", "istio-system/unknown"}
	pick := func(n int) int { return rnd.IntN(n) }
	out := make([]match.Request, n)
	for i := range out {
		r := match.Request{
			SourceLabels: labels[pick(len(labels))], SourceNamespace: namespaces[pick(len(namespaces))],
			Port: ports[pick(len(ports))],
		}
		if pick(4) == 0 { // mostly sidecars
			r.Gateway = gateways[pick(len(gateways))]
		}
		if a := ips[pick(len(ips))]; a != "" {
			r.DestinationIP = netip.MustParseAddr(a)
		}
		if h := names[pick(len(names))]; h != "" && pick(2) == 0 {
			r.Authority = h
			if r.Port != 0 && pick(2) == 0 {
				r.Authority = fmt.Sprintf("%s:%d", h, r.Port)
			}
		}
		if h := names[pick(len(names))]; !strings.HasPrefix(h, "[") && pick(4) != 0 {
			r.SNI = h
			if pick(2) == 0 && r.Authority != "" && !strings.HasPrefix(r.Authority, "[") {
				r.SNI, _ = splitAuthority(r.Authority) // the name dialled
			}
		}
		out[i] = r
	}
	return out
}

// TestExplainL4AgreesWithDecide runs DecideTCP and ExplainTCP, DecideTLS
// and ExplainTLS, on tables compiled alike (the same random source), over
// random connections to the L4 test configurations: the decisions must be
// equal (ExplainTLS tries the tls rules in order where DecideTLS may use
// its SNI index), and the trace must tell the same story: the rule that
// decided is the one reached rule that matched, with the clause the
// decision names, every rule tried before it fails with a reason, and a
// decision without a rule has no matching rule and says how the
// connection went.
func TestExplainL4AgreesWithDecide(t *testing.T) {
	conns := randomConnections(3000, 7)
	for name, yaml := range l4Configs {
		for _, proto := range []string{"tcp", "tls"} {
			t.Run(name+"/"+proto, func(t *testing.T) {
				deciding, explaining := compileYAML(t, yaml), compileYAML(t, yaml)
				decide, explain := deciding.DecideTCP, explaining.ExplainTCP
				if proto == "tls" {
					decide, explain = deciding.DecideTLS, explaining.ExplainTLS
				}
				failures := 0
				for i := range conns {
					r := conns[i]
					want := decide(&r)
					ex := explain(&r)
					// every field, unexported ones too
					diff := cmp.Diff(want, ex.Decision, protocmp.Transform(), cmp.Exporter(func(reflect.Type) bool { return true }))
					if diff == "" {
						diff = traceDisagrees(ex)
					}
					if diff != "" {
						t.Errorf("%+v:\n%s\n%s", r, diff, ex)
						if failures++; failures == 5 {
							t.FailNow()
						}
					}
				}
			})
		}
	}
}

// traceDisagrees returns how an L4 explanation's trace disagrees with
// its decision, "" when it does not.
func traceDisagrees(ex *Explanation) string {
	d := &ex.Decision
	var winners []int
	for i, r := range ex.Rules {
		if r.Reached && r.Skipped == "" && r.Matched {
			winners = append(winners, i)
		}
		if r.Reached && r.Skipped == "" && !r.Matched {
			for _, c := range r.Clauses {
				if c.Matched || c.Failed == "" {
					return fmt.Sprintf("rule %d did not match, yet its clause %d matched or gives no reason: %+v", i, c.Index, c)
				}
			}
			if len(r.Clauses) == 0 {
				return fmt.Sprintf("rule %d has no clause yet did not match", i)
			}
		}
		if r.Skipped != "" && len(r.Clauses) > 0 && r.Clauses[0].Failed != "" {
			return fmt.Sprintf("rule %d is skipped, yet its clauses were evaluated", i)
		}
	}
	if d.VirtualService.Name == "" {
		if len(winners) > 0 {
			return fmt.Sprintf("no rule decided, yet rule %d matched", winners[0])
		}
		want := ""
		switch {
		case d.DefaultRoute:
			want = "default route"
		case d.Passthrough:
			want = "passthrough"
		case d.Action == ActionUnavailable:
			want = "registry only"
		}
		if ex.HostRoute != want {
			return fmt.Sprintf("HostRoute %q, want %q", ex.HostRoute, want)
		}
		return ""
	}
	if len(winners) != 1 {
		return fmt.Sprintf("%d rules reached and matched, want 1", len(winners))
	}
	w := ex.Rules[winners[0]]
	got := []any{w.VirtualService, w.Index, ex.HostRoute}
	want := []any{d.VirtualService.Namespace + "/" + d.VirtualService.Name, d.Rule.Index, ""}
	if diff := cmp.Diff(want, got); diff != "" {
		return "the rule that decided (-decision +trace):\n" + diff
	}
	for _, r := range ex.Rules[winners[0]+1:] {
		if r.Reached {
			return "a rule after the one that decided is marked reached"
		}
	}
	if len(w.Clauses) == 0 {
		if d.Rule.MatchIndex != -1 {
			return fmt.Sprintf("a rule without clauses decided with clause %d", d.Rule.MatchIndex)
		}
		return ""
	}
	for _, c := range w.Clauses {
		if c.Index == d.Rule.MatchIndex {
			if !c.Matched {
				return fmt.Sprintf("the clause that decided, %d, did not match in the trace", c.Index)
			}
			return ""
		}
		if c.Matched {
			return fmt.Sprintf("clause %d matched before the one that decided, %d", c.Index, d.Rule.MatchIndex)
		}
	}
	return fmt.Sprintf("no clause %d in the trace", d.Rule.MatchIndex)
}

// ruleLine is a rule of an L4 explanation as the tests below compare it:
// "ns/name kind[i]: state", with the first failing condition.
func ruleLines(ex *Explanation) []string {
	var out []string
	for _, r := range ex.Rules {
		state := "no match"
		switch {
		case !r.Reached:
			state = "not reached"
		case r.Skipped != "":
			state = "skipped"
		case r.Matched:
			state = "MATCHED"
		}
		line := fmt.Sprintf("%s %s[%d]: %s", r.VirtualService, r.Kind, r.Index, state)
		if state == "no match" && len(r.Clauses) > 0 {
			line += " (" + r.Clauses[0].Failed + ")"
		}
		out = append(out, line)
	}
	return out
}

// l4Explained is what the explanation tests compare.
type l4Explained struct {
	Listener    string
	VirtualHost string
	HostRoute   string
	Rules       []string
	Serves      []string
}

func explained(ex *Explanation) l4Explained {
	e := l4Explained{Listener: ex.Listener, VirtualHost: ex.VirtualHost, HostRoute: ex.HostRoute, Rules: ruleLines(ex)}
	for _, v := range ex.VirtualServices {
		if v.ServesRequest {
			e.Serves = append(e.Serves, v.VirtualService)
		}
	}
	return e
}

// TestExplainTCP pins what ExplainTCP records: the listener that took the
// connection and how it was found, the rules tried with the first
// failing condition, rules skipped, and how a connection no rule takes
// goes.
func TestExplainTCP(t *testing.T) {
	ports := compileYAML(t, servicePortsConfig)
	wild := compileYAML(t, wildcardOwnedConfig)
	tests := []struct {
		name string
		tbl  *Table
		r    match.Request
		want l4Explained
	}{
		{"a service found by address: its tcp rules in order, the rest not reached",
			ports, match.Request{DestinationIP: ip("10.1.0.5"), Port: 5432},
			l4Explained{
				Listener: "service db.internal (ports [5432]), found by address 10.1.0.5:5432", VirtualHost: "db.internal",
				Rules: []string{
					"data/db tcp[0]: no match (port: 5432 is not 6432)",
					"data/db tcp[1]: MATCHED",
				},
				Serves: []string{"data/db"},
			}},
		{"a service found by the name dialled: no rule takes it, its default route",
			ports, match.Request{Authority: "pool.internal:7000", Port: 7000},
			l4Explained{
				Listener: "service pool.internal, dialled by name on port 7000", VirtualHost: "pool.internal", HostRoute: "default route",
				Rules:  []string{"data/pool tcp[0]: no match (destinationSubnets: destination address unknown)"},
				Serves: []string{"data/pool"},
			}},
		{"a host no ServiceEntry describes",
			ports, match.Request{Authority: "web.data.svc.cluster.local:8080", Port: 8080},
			l4Explained{
				Listener:    "web.data.svc.cluster.local:8080, dialled by name: no ServiceEntry describes it, its ports are unknown",
				VirtualHost: "web.data.svc.cluster.local", HostRoute: "default route",
				Rules:  []string{"data/web tcp[0]: no match (port: 8080 is not 6379)"},
				Serves: []string{"data/web"},
			}},
		{"no listener: the rules of VirtualServices of ServiceEntry hosts are skipped, the others tried",
			ports, match.Request{DestinationIP: ip("192.0.2.50"), Port: 6379},
			l4Explained{
				Listener: "none: no service listens on 192.0.2.50:6379; the tcp rules of VirtualServices whose hosts may be on another listener are tried",
				Rules: []string{
					"data/db tcp[0]: skipped",
					"data/db tcp[1]: skipped",
					"data/pool tcp[0]: skipped",
					"data/web tcp[0]: MATCHED",
				},
				Serves: []string{"data/web"},
			}},
		{"no listener and no rule: passthrough",
			ports, match.Request{DestinationIP: ip("10.1.0.5"), Port: 6432},
			l4Explained{
				Listener:  "none: no service listens on 10.1.0.5:6432; the tcp rules of VirtualServices whose hosts may be on another listener are tried",
				HostRoute: "passthrough",
				Rules: []string{
					"data/db tcp[0]: skipped",
					"data/db tcp[1]: skipped",
					"data/pool tcp[0]: skipped",
					"data/web tcp[0]: no match (port: 6432 is not 6379)",
				},
			}},
		{"a registry host a wildcard VirtualService owns: its own default route",
			wild, match.Request{DestinationIP: ip("10.3.0.5"), Port: 5432},
			l4Explained{
				Listener:    "service db.example.com (ports [5432 1234 8080]), found by address 10.3.0.5:5432; its virtual host is wildcard VirtualService host *.example.com's",
				VirtualHost: "*.example.com", HostRoute: "default route",
				Rules:  []string{"data/wild tcp[0]: no match (port: 5432 is not 1234)"},
				Serves: []string{"data/wild"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, explained(tc.tbl.ExplainTCP(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestExplainTLS pins what ExplainTLS records: every tls rule of the view
// in order, those not on the connection's port skipped, and on a declared
// non-TLS port the service's tcp rules.
func TestExplainTLS(t *testing.T) {
	tbl := compileYAML(t, tlsRulePortsConfig)
	tests := []struct {
		name string
		r    match.Request
		want l4Explained
	}{
		{"the tls rules on the port: the first whose SNI matches",
			match.Request{SNI: "api.example.org", Port: 443},
			l4Explained{
				Rules: []string{
					"egress/api tls[0]: no match (port: 443 is not 8443)",
					"egress/api tls[1]: MATCHED",
					"egress/multi tls[0]: not reached",
					"egress/partial tls[0]: not reached",
					"egress/plain tls[0]: not reached",
					"egress/unknown tls[0]: not reached",
					"egress/wild tls[0]: not reached",
				},
				Serves: []string{"egress/api"},
			}},
		{"a declared TCP port: no tls rule is on it, the connection is opaque TCP to the service",
			match.Request{SNI: "api.example.org", Port: 9000},
			l4Explained{
				Listener:    "service api.example.org, which declares port 9000 with a protocol other than TLS or HTTPS: the sidecar has only TCP filter chains there, the connection is opaque TCP",
				VirtualHost: "api.example.org", HostRoute: "default route",
				Rules: []string{
					"egress/api tls[0]: skipped",
					"egress/api tls[1]: skipped",
					"egress/multi tls[0]: skipped",
					"egress/partial tls[0]: no match (sni: \"api.example.org\" is not one of [\"*.partial.example\"])",
					"egress/plain tls[0]: skipped",
					"egress/unknown tls[0]: no match (sni: \"api.example.org\" is not one of [\"unknown.example.net\"])",
					"egress/wild tls[0]: skipped",
					"egress/api tcp[0]: no match (sourceLabels: app missing, want \"admin\")",
				},
				Serves: []string{"egress/api"},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, explained(tbl.ExplainTLS(&tc.r))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestExplainL4Text pins the text of a connection's explanation and that
// its JSON decision has no HTTP-only keys.
func TestExplainL4Text(t *testing.T) {
	tbl := compileYAML(t, servicePortsConfig)
	ex := tbl.ExplainTCP(&match.Request{DestinationIP: ip("198.51.100.1"), Port: 7000})
	want := `view: sidecars in namespace default
virtual services:
  data/db: taken for db.internal
  data/pool: taken for pool.internal [serves this request]
  data/web: taken for web.data.svc.cluster.local
listener: service pool.internal (ports [7000]), found by address 198.51.100.1:7000
virtual host: pool.internal
rules tried:
  rule data/pool tcp[0]: no match
    match[0] destination in [192.0.2.0/24]: failed: destinationSubnets: 198.51.100.1 is not in [192.0.2.0/24]
no rule took the connection: default route
decision: route to outbound|7000||pool.internal
`
	if diff := cmp.Diff(want, ex.String()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	b, err := ex.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"path"`, `"authority"`, `"timeout"`} {
		if strings.Contains(string(b), key) {
			t.Errorf("JSON has the HTTP-only key %s: %s", key, b)
		}
	}
}

func ExampleTable_ExplainTCP() {
	cfg, err := LoadBytes([]byte(`
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: db, namespace: data}
spec:
  hosts: [db.internal]
  addresses: [10.1.0.5]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 10.1.0.6}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: db, namespace: data}
spec:
  hosts: [db.internal]
  tcp:
  - match: [{sourceLabels: {app: admin}}]
    route: [{destination: {host: db-primary.internal}}]
  - route: [{destination: {host: db-replica.internal}}]
`), "example.yaml")
	if err != nil {
		panic(err)
	}
	tbl, err := Compile(cfg, WithNamespace("data"))
	if err != nil {
		panic(err)
	}
	ex := tbl.ExplainTCP(&match.Request{DestinationIP: netip.MustParseAddr("10.1.0.5"), Port: 5432})
	fmt.Print(ex)
	// Output:
	// view: sidecars in namespace data
	// virtual services:
	//   data/db: taken for db.internal [serves this request]
	// listener: service db.internal (ports [5432]), found by address 10.1.0.5:5432
	// virtual host: db.internal
	// rules tried:
	//   rule data/db tcp[0]: no match
	//     match[0] source label app = "admin": failed: sourceLabels: app missing, want "admin"
	//   rule data/db tcp[1]: MATCHED
	//     (no match: every connection)
	// decision: route to outbound|5432||db-replica.internal
}
