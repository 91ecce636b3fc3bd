package route

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ruleCase is one validation rule, valid or broken: YAML documents in, the
// exact lines "routectl validate" would print out (no file name: the input
// is unnamed).
type ruleCase struct {
	name string // the rule, as a sentence
	yaml string
	want []string
}

// runRuleCases loads and validates each case and compares every problem
// (load errors, then Validate's) as printed.
func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	seen := map[string]bool{}
	for _, tc := range cases {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			got := problemLines(t, tc.yaml)
			want := tc.want
			if want == nil {
				want = []string{}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func problemLines(t *testing.T, yaml string) []string {
	t.Helper()
	cfg, err := LoadBytes([]byte(yaml), "")
	var ps Problems
	if err != nil && !asProblems(err, &ps) {
		t.Fatalf("LoadBytes: %v", err)
	}
	ps = append(ps, Validate(cfg)...)
	lines := []string{}
	for _, p := range ps {
		lines = append(lines, p.String())
	}
	return lines
}

// object builds a YAML document of kind named name in namespace default
// (unless meta says otherwise) with spec indented under "spec:".
func object(kind, name, spec string) string {
	return "apiVersion: networking.istio.io/v1\nkind: " + kind + "\nmetadata:\n  name: " + name + "\nspec:\n" + indent(spec)
}

func vsDoc(spec string) string { return object(KindVirtualService, "r", spec) }
func drDoc(spec string) string { return object(KindDestinationRule, "r", spec) }
func seDoc(spec string) string { return object(KindServiceEntry, "r", spec) }
func gwDoc(spec string) string { return object(KindGateway, "gw", spec) }

// docs joins documents into one multi-document stream.
func docs(ds ...string) string { return strings.Join(ds, "---\n") }

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// httpVS is a VirtualService for host r whose http rules are given; a
// well-formed forwarding rule with a timeout is "- route: ...".
func httpVS(rules string) string { return vsDoc("hosts: [r]\nhttp:\n" + rules) }

// okRule forwards to r with a timeout: no problems of its own.
const okRule = "- route: [{destination: {host: r}}]\n  timeout: 5s\n"

// ruleWith is okRule with extra fields (indented as rule fields).
func ruleWith(fields string) string {
	return okRule + indentBy(fields, "  ")
}

func indentBy(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}

const vsPrefix = "VirtualService default/r: "

func vsErr(s string) string  { return "error: " + vsPrefix + s }
func vsWarn(s string) string { return "warning: " + vsPrefix + s }

// TestValidateVirtualServiceRules pins Istio's VirtualService-level rules
// (virtualservice.md §1).
func TestValidateVirtualServiceRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "a well-formed route has no problems", yaml: httpVS(okRule)},
		{name: "host may start with a wildcard label", yaml: vsDoc("hosts: ['*.foo.com']\nhttp:\n" + okRule)},
		{name: "host may be a partial wildcard in the first label", yaml: vsDoc("hosts: ['*foo.com']\nhttp:\n" + okRule)},
		{
			name: "host wildcard is allowed only in the first label",
			yaml: vsDoc("hosts: [foo.*.com]\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.hosts[0]: "foo.*.com" has a wildcard that is not at the start of the first label (write "*.example.com")`)},
		},
		{
			name: "host labels are DNS-1123 labels",
			yaml: vsDoc("hosts: [foo_bar.com]\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.hosts[0]: "foo_bar.com" has an invalid label "foo_bar" (letters, digits and '-', at most 63, not starting or ending with '-')`)},
		},
		{
			name: "host top-level label is not all-numeric",
			yaml: vsDoc("hosts: [foo.123]\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.hosts[0]: "foo.123" has an all-numeric top-level label "123"`)},
		},
		{name: "host may be an IP address", yaml: vsDoc("hosts: [10.0.0.1]\nhttp:\n" + okRule)},
		{name: "host may end with a dot", yaml: vsDoc("hosts: [foo.com.]\nhttp:\n" + okRule)},
		{
			name: "bare * host is rejected when the VirtualService applies to the mesh",
			yaml: vsDoc("hosts: ['*']\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.hosts[0]: "*" is not allowed for a VirtualService that applies to the mesh (gateways empty or listing "mesh"); name the hosts`)},
		},
		{
			name: "bare * host is allowed for gateway-only VirtualServices",
			yaml: docs(vsDoc("hosts: ['*']\ngateways: [gw]\nhttp:\n"+okRule), gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]")),
		},
		{
			name: "overlapping hosts in one VirtualService are rejected",
			yaml: vsDoc("hosts: [a.foo.com, '*.foo.com']\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.hosts[1]: "*.foo.com" overlaps "a.foo.com" (spec.hosts[0]); each host may appear once`)},
		},
		{
			name: "http, tcp or tls routes are required",
			yaml: vsDoc("hosts: [r]"),
			want: []string{vsErr(`spec: needs at least one of http, tcp or tls routes`)},
		},
		{
			name: "a delegate VirtualService has no gateways, tcp or tls",
			yaml: vsDoc("gateways: [gw]\nhttp:\n" + okRule + "tcp:\n- route: [{destination: {host: r}}]"),
			want: []string{
				vsErr(`spec.gateways: must be empty: a VirtualService without hosts is a delegate, and delegates take the root's gateways`),
				vsErr(`spec.tcp: must be empty: a VirtualService without hosts is a delegate, and only HTTP routes can be delegated`),
				vsWarn(`spec.gateways[0]: "gw" names Gateway default/gw, which this configuration does not define; these routes apply to no gateway until it exists`),
			},
		},
		{
			name: "gateway references are namespace/name with both parts",
			yaml: docs(vsDoc("hosts: [r]\ngateways: [ns/]\nhttp:\n" + okRule)),
			want: []string{
				vsErr(`spec.gateways[0]: "ns/" must be "namespace/name" with both parts set`),
				vsWarn(`spec.gateways[0]: "ns/" names Gateway ns/, which this configuration does not define; these routes apply to no gateway until it exists`),
			},
		},
		{
			name: "legacy FQDN gateway names are warned with the new form",
			yaml: docs(vsDoc("hosts: [r.com]\ngateways: [gw.istio-system.svc.cluster.local]\nhttp:\n"+okRule),
				"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: istio-system}\nspec:\n  servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]\n"),
			want: []string{vsWarn(`spec.gateways[0]: "gw.istio-system.svc.cluster.local" uses the legacy gateway name format; write "istio-system/gw"`)},
		},
		{
			name: "a route bound to a gateway no Gateway object defines is warned",
			yaml: vsDoc("hosts: [r.com]\ngateways: [istio-system/ingress]\nhttp:\n" + okRule),
			want: []string{vsWarn(`spec.gateways[0]: "istio-system/ingress" names Gateway istio-system/ingress, which this configuration does not define; these routes apply to no gateway until it exists`)},
		},
		{
			name: "a gateway that serves none of the VirtualService's hosts is warned",
			yaml: docs(vsDoc("hosts: [shop.example.com]\ngateways: [gw]\nhttp:\n"+okRule),
				gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*.bookinfo.com', 'other/shop.example.com']}]")),
			want: []string{vsWarn(`spec.gateways[0]: "default/gw" serves hosts [*.bookinfo.com] to namespace default, none of them among this VirtualService's hosts [shop.example.com]; its routes serve nothing on that gateway`)},
		},
		{
			name: "a gateway serving the VirtualService's host through a wildcard is silent",
			yaml: docs(vsDoc("hosts: [shop.example.com]\ngateways: [gw]\nhttp:\n"+okRule),
				gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['./*.example.com']}]")),
		},
		{
			name: "JWT claim matches are only for gateways",
			yaml: httpVS(okRule + "  match: [{headers: {'@request.auth.claims.group': {exact: admin}}}]\n"),
			want: []string{vsErr(`spec.http[0].match[0].headers["@request.auth.claims.group"]: matches a JWT claim, which only gateways support; this VirtualService applies to the mesh`)},
		},
		{
			name: "exportTo lists each namespace once, counting . as the own namespace",
			yaml: vsDoc("hosts: [r]\nexportTo: [default, '.']\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.exportTo[1]: "." duplicates the object's own namespace "default"`)},
		},
		{
			name: "exportTo * cannot be combined",
			yaml: vsDoc("hosts: [r]\nexportTo: ['*', other]\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.exportTo: "*" (all namespaces) cannot be combined with other entries`)},
		},
		{
			name: "exportTo ~ is only for ServiceEntries",
			yaml: vsDoc("hosts: [r]\nexportTo: ['~']\nhttp:\n" + okRule),
			want: []string{vsErr(`spec.exportTo[0]: "~" (visible to no one) is allowed only on ServiceEntries`)},
		},
		{
			name: "two mesh VirtualServices claiming one host: the younger is warned",
			yaml: docs(
				"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: b, creationTimestamp: '2024-01-01T00:00:00Z'}\nspec:\n  hosts: [r]\n  http:\n"+indent(okRule),
				"apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: a, creationTimestamp: '2024-06-01T00:00:00Z'}\nspec:\n  hosts: [r.default.svc.cluster.local]\n  http:\n"+indent(okRule)),
			want: []string{`warning: VirtualService default/a: spec.hosts[0]: "r.default.svc.cluster.local" is also claimed by VirtualService default/b, which is older (or sorts first); on sidecars only that one's routes serve r.default.svc.cluster.local and this VirtualService's are ignored; merge them or use delegates`},
		},
		{
			name: "gateway VirtualServices for one host are merged, not warned",
			yaml: docs(
				object(KindVirtualService, "a", "hosts: [r.com]\ngateways: [gw]\nhttp:\n"+okRule),
				object(KindVirtualService, "b", "hosts: [r.com]\ngateways: [gw]\nhttp:\n"+okRule),
				gwDoc("servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ['*']}]")),
		},
		{
			name: "an object defined twice is warned",
			yaml: docs(httpVS(okRule), httpVS(okRule)),
			want: []string{vsWarn(`metadata.name: "r" is defined twice (also in earlier); kubectl apply keeps only the last one, and meshroute would load both`)},
		},
		{
			name: "object names are DNS-1123 subdomains",
			yaml: object(KindVirtualService, "R_1", "hosts: [r]\nhttp:\n"+okRule),
			want: []string{`error: VirtualService default/R_1: metadata.name: "R_1" is not a valid object name: lower-case letters, digits, '-' and '.'`},
		},
	})
}

// TestValidateHostsOutsideTheRegistry pins the warning for destinations and
// DestinationRules whose host is neither a ServiceEntry host nor a
// Kubernetes service name: Istio has no service for it (virtualservice.md
// §4 "Unknown host ⇒ cluster missing ⇒ 503 NC"; destinationrule.md §1
// "DRs for hosts not in the registry are ignored").
func TestValidateHostsOutsideTheRegistry(t *testing.T) {
	const (
		notInRegistry = `is neither a ServiceEntry host nor a Kubernetes service name (name.namespace.svc.cluster.local): Istio has no cluster for it, so `
		routed        = `a request routed here gets 503 (no cluster, flag NC); meshroute sends to the endpoints its registry has for the host (WithStrictRegistry does as Istio). Declare it with a ServiceEntry`
		mirrored      = `nothing is mirrored; meshroute sends to the endpoints its registry has for the host (WithStrictRegistry does as Istio). Declare it with a ServiceEntry`
		drIgnored     = `is neither a ServiceEntry host nor a Kubernetes service name (name.namespace.svc.cluster.local): Istio applies this DestinationRule to nothing; meshroute applies it to the host's traffic (WithStrictRegistry ignores it, as Istio). Declare the host with a ServiceEntry`
		apiSE         = "hosts: [api.example.com]\nports: [{number: 443, name: https, protocol: HTTPS}]"
	)
	runRuleCases(t, []ruleCase{
		{
			name: "a route to a host no ServiceEntry declares is warned",
			yaml: httpVS("- route: [{destination: {host: api.example.com}}]\n  timeout: 5s\n"),
			want: []string{vsWarn(`spec.http[0].route[0].destination.host: "api.example.com" ` + notInRegistry + routed)},
		},
		{
			name: "a route to a ServiceEntry host is silent",
			yaml: docs(httpVS("- route: [{destination: {host: API.example.com}}]\n  timeout: 5s\n"), seDoc(apiSE)),
		},
		{
			name: "a route to a host a wildcard ServiceEntry host covers is silent",
			yaml: docs(httpVS("- route: [{destination: {host: api.example.com}}]\n  timeout: 5s\n"), seDoc("hosts: ['*.example.com']\nports: [{number: 80, name: http}]")),
		},
		{
			name: "short names and Kubernetes service names are taken to be services",
			yaml: httpVS("- route: [{destination: {host: r}, weight: 50}, {destination: {host: ratings.other.svc.cluster.local}, weight: 50}]\n  timeout: 5s\n"),
		},
		{
			name: "a name.namespace host is not expanded, so it is outside the registry",
			yaml: httpVS("- route: [{destination: {host: reviews.bookinfo}}]\n  timeout: 5s\n"),
			want: []string{vsWarn(`spec.http[0].route[0].destination.host: "reviews.bookinfo" ` + notInRegistry + routed)},
		},
		{
			name: "a mirror to a host outside the registry mirrors nothing in Istio",
			yaml: httpVS("- route: [{destination: {host: r}}]\n  timeout: 5s\n  mirror: {host: shadow.example.com}\n"),
			want: []string{vsWarn(`spec.http[0].mirror.host: "shadow.example.com" ` + notInRegistry + mirrored)},
		},
		{
			name: "a mirrors entry to a host outside the registry mirrors nothing in Istio",
			yaml: httpVS("- route: [{destination: {host: r}}]\n  timeout: 5s\n  mirrors: [{destination: {host: shadow.example.com}}]\n"),
			want: []string{vsWarn(`spec.http[0].mirrors[0].destination.host: "shadow.example.com" ` + notInRegistry + mirrored)},
		},
		{
			name: "tcp and tls routes are checked too",
			yaml: vsDoc("hosts: [api.example.com]\ntcp:\n- route: [{destination: {host: db.example.com}}]\ntls:\n- match: [{sniHosts: [api.example.com]}]\n  route: [{destination: {host: api.example.com}}]") + "---\n" + seDoc(apiSE),
			want: []string{vsWarn(`spec.tcp[0].route[0].destination.host: "db.example.com" ` + notInRegistry + routed)},
		},
		{
			name: "a DestinationRule for a host no ServiceEntry declares is warned",
			yaml: drDoc("host: api.example.com\ntrafficPolicy: {tls: {mode: SIMPLE}}"),
			want: []string{`warning: DestinationRule default/r: spec.host: "api.example.com" ` + drIgnored},
		},
		{
			name: "a DestinationRule for a ServiceEntry host is silent",
			yaml: docs(drDoc("host: api.example.com\ntrafficPolicy: {tls: {mode: SIMPLE}}"), seDoc(apiSE)),
		},
	})
}
