package route

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// loaded summarises what a load produced, for table tests.
type loaded struct {
	Objects  []string // "Kind ns/name @doc"
	Skipped  []string // "apiVersion Kind ns/name @doc"
	Errors   []string // Problem.String()
	Warnings []string
}

func summarise(cfg *Config, err error) loaded {
	var l loaded
	if cfg != nil {
		add := func(m *Meta, kind string) {
			l.Objects = append(l.Objects, m.Ref(kind).String()+" @"+num(m.Source.Doc))
		}
		for _, o := range cfg.VirtualServices {
			add(&o.Meta, KindVirtualService)
		}
		for _, o := range cfg.DestinationRules {
			add(&o.Meta, KindDestinationRule)
		}
		for _, o := range cfg.ServiceEntries {
			add(&o.Meta, KindServiceEntry)
		}
		for _, o := range cfg.Gateways {
			add(&o.Meta, KindGateway)
		}
		for _, o := range cfg.WorkloadEntries {
			add(&o.Meta, KindWorkloadEntry)
		}
		for _, s := range cfg.Skipped {
			l.Skipped = append(l.Skipped, s.APIVersion+" "+s.Kind+" "+s.Namespace+"/"+s.Name+" @"+num(s.Source.Doc))
		}
		for _, w := range cfg.Warnings {
			l.Warnings = append(l.Warnings, w.String())
		}
	}
	var ps Problems
	if errors.As(err, &ps) {
		for _, p := range ps {
			l.Errors = append(l.Errors, p.String())
		}
	} else if err != nil {
		l.Errors = append(l.Errors, "I/O: "+err.Error())
	}
	return l
}

const minimalVS = "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec: {hosts: [r], http: [{route: [{destination: {host: r}}]}]}\n"

// TestLoadDocuments pins how input is cut into documents and objects, as
// kubectl apply -f reads it.
func TestLoadDocuments(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want loaded
	}{
		{
			name: "documents are separated by --- lines and empty documents are not counted",
			in:   "# leading comment\n---\n" + minimalVS + "---\n# only a comment\n---\n" + strings.Replace(minimalVS, "name: r", "name: s", 1) + "...\n",
			want: loaded{Objects: []string{"VirtualService default/r @1", "VirtualService default/s @2"}},
		},
		{
			name: "a JSON stream holds one object per value",
			in: `{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "a"}, "spec": {"host": "a"}}
{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "b", "namespace": "x"}, "spec": {"host": "b"}}`,
			want: loaded{Objects: []string{"DestinationRule default/a @1", "DestinationRule x/b @2"}},
		},
		{
			name: "kind List holds items, all from the List's document",
			in:   "apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(minimalVS), "\n", "\n  ") + "\n- apiVersion: v1\n  kind: Service\n  metadata: {name: svc}\n",
			want: loaded{Objects: []string{"VirtualService default/r @1"}, Skipped: []string{"v1 Service default/svc @1"}},
		},
		{
			name: "typed lists such as VirtualServiceList are lists too",
			in:   "apiVersion: networking.istio.io/v1\nkind: VirtualServiceList\nitems:\n- " + strings.ReplaceAll(strings.TrimSpace(minimalVS), "\n", "\n  ") + "\n",
			want: loaded{Objects: []string{"VirtualService default/r @1"}},
		},
		{
			name: "other kinds are skipped, not errors",
			in:   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: prod}\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g}\n---\napiVersion: networking.istio.io/v1\nkind: Sidecar\nmetadata: {name: s}\n",
			want: loaded{Skipped: []string{"apps/v1 Deployment prod/d @1", "gateway.networking.k8s.io/v1 Gateway default/g @2", "networking.istio.io/v1 Sidecar default/s @3"}},
		},
		{
			name: "the three Istio API versions load",
			in: strings.Replace(minimalVS, "/v1\n", "/v1alpha3\n", 1) + "---\n" +
				strings.Replace(strings.Replace(minimalVS, "/v1\n", "/v1beta1\n", 1), "name: r", "name: s", 1) + "---\n" +
				strings.Replace(minimalVS, "name: r", "name: t", 1),
			want: loaded{Objects: []string{"VirtualService default/r @1", "VirtualService default/s @2", "VirtualService default/t @3"}},
		},
		{
			name: "an unknown Istio API version is an error",
			in:   strings.Replace(minimalVS, "/v1\n", "/v2\n", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: apiVersion: "networking.istio.io/v2" is not supported; use networking.istio.io/v1, v1beta1 or v1alpha3`}},
		},
		{
			name: "a document without kind is not a Kubernetes object",
			in:   "metadata: {name: x}\nspec: {}\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: kind: is required: this document is not a Kubernetes object`}},
		},
		{
			name: "a document that is a list is not an object",
			in:   "- a\n- b\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: document is a list, expected a Kubernetes object (apiVersion, kind, metadata, spec)`}},
		},
		{
			name: "unknown fields name their path and the closest field",
			in:   strings.Replace(minimalVS, "http: [{route:", "http: [{rout:", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.http[0].rout: unknown field of HTTPRoute; did you mean "route"?`}},
		},
		{
			name: "an unknown field with no near name lists the fields",
			in:   "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, trafficPolicy: {loadBalancer: {zzzzzzzz: 1}}}\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: DestinationRule default/r: spec.trafficPolicy.loadBalancer.zzzzzzzz: unknown field of LoadBalancerSettings; its fields are simple, consistentHash, localityLbSetting, zoneAwareLbSetting, warmupDurationSecs, warmup`}},
		},
		{
			name: "snake_case field names are accepted as protojson accepts them",
			in:   "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: r}\nspec: {host: r, traffic_policy: {load_balancer: {simple: RANDOM}}}\n",
			want: loaded{Objects: []string{"DestinationRule default/r @1"}},
		},
		{
			name: "match written as a map says a list of match conditions is expected",
			in:   "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: r}\nspec:\n  hosts: [r]\n  http:\n  - match:\n      sourceLabels: {app: reviews}\n    route: [{destination: {host: r}}]\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.http[0].match: a list of match conditions is expected, got a map; start each item with "- "`}},
		},
		{
			name: "an object where a string is expected is named",
			in:   strings.Replace(minimalVS, "hosts: [r]", "hosts: [{name: r}]", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.hosts[0]: a map must be a string`}},
		},
		{
			name: "alternatives of a oneof cannot both be set",
			in:   strings.Replace(minimalVS, "http: [{", "http: [{match: [{uri: {exact: /a, prefix: /b}}], ", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.http[0].match[0].uri.prefix: cannot be set together with "exact": they are alternatives, set only one`}},
		},
		{
			name: "YAML booleans where a string is expected get a quoting hint",
			in:   strings.Replace(minimalVS, "http: [{", "http: [{match: [{headers: {x-debug: {exact: yes}}}], ", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.http[0].match[0].headers.x-debug.exact: true must be a string; YAML reads true/false/yes/no/on/off as booleans, quote it`}},
		},
		{
			name: "a duration needs a unit",
			in:   strings.Replace(minimalVS, "http: [{", "http: [{timeout: 10, ", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.http[0].timeout: 10 must be a duration with a unit, such as "10s" or "500ms"`}},
		},
		{
			name: "a duration must parse",
			in:   strings.Replace(minimalVS, "http: [{", "http: [{timeout: 10 seconds, ", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.http[0].timeout: "10 seconds" is not a duration; write one such as "10s", "1.5s" or "500ms"`}},
		},
		{
			name: "an enum typo suggests the closest name",
			in:   "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: r}\nspec: {hosts: [a.com], resolution: DSN}\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: ServiceEntry default/r: spec.resolution: "DSN" is not one of NONE, STATIC, DNS, DNS_ROUND_ROBIN, DYNAMIC_DNS (did you mean "DNS"?)`}},
		},
		{
			name: "a negative number for an unsigned field is out of range",
			in:   "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: r}\nspec: {hosts: [a.com], ports: [{number: -80, name: http}]}\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: ServiceEntry default/r: spec.ports[0].number: -80 is out of range for a non-negative integer [0, 4294967295]`}},
		},
		{
			name: "legacy abort.percent is read as percentage, with a warning",
			in:   strings.Replace(minimalVS, "http: [{", "http: [{fault: {abort: {percent: 10, httpStatus: 400}}, ", 1),
			want: loaded{
				Objects:  []string{"VirtualService default/r @1"},
				Warnings: []string{`warning: in.yaml doc 1: VirtualService default/r: spec.http[0].fault.abort.percent: is deprecated and removed from today's Istio; read as percentage.value (write "percentage: {value: N}")`},
			},
		},
		{
			name: "legacy delay.percent is kept, with a warning",
			in:   strings.Replace(minimalVS, "http: [{", "http: [{fault: {delay: {percent: 10, fixedDelay: 1s}}, ", 1),
			want: loaded{
				Objects:  []string{"VirtualService default/r @1"},
				Warnings: []string{`warning: in.yaml doc 1: VirtualService default/r: spec.http[0].fault.delay.percent: is deprecated; write "percentage: {value: N}"`},
			},
		},
		{
			name: "fields Istio removed are dropped, with a warning",
			in:   strings.Replace(minimalVS, "http: [{", "http: [{websocketUpgrade: true, ", 1),
			want: loaded{
				Objects:  []string{"VirtualService default/r @1"},
				Warnings: []string{`warning: in.yaml doc 1: VirtualService default/r: spec.http[0].websocketUpgrade: was removed from Istio's API and is ignored`},
			},
		},
		{
			name: "label values are strings",
			in:   strings.Replace(minimalVS, "metadata: {name: r}", "metadata: {name: r, labels: {version: 1}}", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: metadata.labels.version: 1 must be a string; quote it in YAML`}},
		},
		{
			name: "creationTimestamp is RFC 3339",
			in:   strings.Replace(minimalVS, "metadata: {name: r}", "metadata: {name: r, creationTimestamp: yesterday}", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: metadata.creationTimestamp: "yesterday" is not an RFC 3339 time such as "2024-05-01T12:00:00Z"`}},
		},
		{
			name: "YAML syntax errors give the line in the file",
			in:   minimalVS + "---\napiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: broken\nspec:\n  hosts: [r\n",
			want: loaded{
				Objects: []string{"VirtualService default/r @1"},
				Errors:  []string{`error: in.yaml doc 2: VirtualService default/broken: YAML syntax error at line 11: did not find expected ',' or ']'`},
			},
		},
		{
			name: "tab indentation gets a hint",
			in:   "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\nspec:\n\thosts: [r]\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: YAML syntax error at line 6: found character that cannot start any token (YAML indentation must use spaces, not tabs)`}},
		},
		{
			name: "an unquoted *.foo.com is a YAML alias: quote it",
			in:   "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: foo\nspec:\n  hosts:\n  - *.foo.com\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: ServiceEntry default/foo: spec.hosts[0]: *.foo.com is read as a YAML alias (an unquoted "*" refers to an anchor); quote it: "*.foo.com" (line 7)`}},
		},
		{
			name: "an unquoted *.foo.com in a flow list is a YAML alias: quote it",
			in:   "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: r\nspec:\n  hosts: [a.com, *.foo.com]\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.hosts: *.foo.com is read as a YAML alias (an unquoted "*" refers to an anchor); quote it: "*.foo.com" (line 6)`}},
		},
		{
			name: "an unquoted *foo.com is an unknown anchor: quote it",
			in:   "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata:\n  name: gw\nspec:\n  servers:\n  - port: {number: 80, name: http, protocol: HTTP}\n    hosts:\n    - *foo.com\n",
			want: loaded{Errors: []string{`error: in.yaml doc 1: Gateway default/gw: spec.servers[0].hosts[0]: *foo.com is read as a YAML alias (an unquoted "*" refers to an anchor); quote it: "*foo.com" (line 9)`}},
		},
		{
			name: "an empty list item names its field",
			in:   strings.Replace(minimalVS, "hosts: [r]", "hosts: [null]", 1),
			want: loaded{Errors: []string{`error: in.yaml doc 1: VirtualService default/r: spec.hosts[0]: is empty: a "-" with no value after it`}},
		},
		{
			name: "a UTF-8 byte-order mark is ignored",
			in:   "\xef\xbb\xbf" + minimalVS,
			want: loaded{Objects: []string{"VirtualService default/r @1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summarise(LoadBytes([]byte(tc.in), "in.yaml"))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("load (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadDecodesValues checks decoded values, not only that objects
// load: metadata, default namespace, rewritten legacy fields, durations.
func TestLoadDecodesValues(t *testing.T) {
	in := `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: ratings
  labels: {app: ratings, tier: "1"}
  creationTimestamp: "2024-05-01T12:00:00Z"
  annotations: {ignored: "yes"}
spec:
  hosts: [ratings]
  http:
  - timeout: 1m30s
    retries: {attempts: 3, perTryTimeout: 500ms}
    fault: {abort: {percent: 10, httpStatus: 400}}
    route: [{destination: {host: ratings, subset: v1}}]
`
	cfg, err := LoadBytes([]byte(in), "ratings.yaml", WithDefaultNamespace("prod"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.VirtualServices) != 1 {
		t.Fatalf("loaded %d VirtualServices, want 1", len(cfg.VirtualServices))
	}
	vs := cfg.VirtualServices[0]
	wantMeta := Meta{
		Name: "ratings", Namespace: "prod",
		Labels:            map[string]string{"app": "ratings", "tier": "1"},
		CreationTimestamp: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC),
		Source:            Source{File: "ratings.yaml", Doc: 1},
	}
	if diff := cmp.Diff(wantMeta, vs.Meta); diff != "" {
		t.Errorf("Meta (-want +got):\n%s", diff)
	}
	r := vs.Spec.Http[0]
	type values struct {
		Timeout, PerTry time.Duration
		AbortPercent    float64
		AbortStatus     int32
	}
	got := values{r.Timeout.AsDuration(), r.Retries.PerTryTimeout.AsDuration(), r.Fault.Abort.Percentage.GetValue(), r.Fault.Abort.GetHttpStatus()}
	want := values{90 * time.Second, 500 * time.Millisecond, 10, 400}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded values (-want +got):\n%s", diff)
	}
}

// TestLoadDir reads *.yaml, *.yml and *.json files recursively in path
// order and ignores other files.
func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dr := func(name string) string {
		return "apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: " + name + "}\nspec: {host: " + name + "}\n"
	}
	write("b.yaml", dr("b"))
	write("a/z.yml", dr("z"))
	write("c.json", `{"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule", "metadata": {"name": "c"}, "spec": {"host": "c"}}`)
	write("notes.txt", "not: configuration")
	write("d.YAML", dr("d"))
	cfg, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range cfg.DestinationRules {
		rel, _ := filepath.Rel(dir, d.Source.File)
		got = append(got, d.Name+" from "+filepath.ToSlash(rel))
	}
	want := []string{"z from a/z.yml", "b from b.yaml", "c from c.json", "d from d.YAML"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("objects in load order (-want +got):\n%s", diff)
	}
}

// TestLoadPaths covers standard input, mixed paths and error kinds.
func TestLoadPaths(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "vs.yaml")
	if err := os.WriteFile(file, []byte(minimalVS), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("dash reads standard input", func(t *testing.T) {
		stdin := strings.NewReader(strings.Replace(minimalVS, "name: r", "name: from-stdin", 1))
		cfg, err := LoadPaths([]string{file, "-"}, WithStdin(stdin))
		if err != nil {
			t.Fatal(err)
		}
		got := summarise(cfg, nil).Objects
		want := []string{"VirtualService default/r @1", "VirtualService default/from-stdin @1"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		if cfg.VirtualServices[1].Source.File != "-" {
			t.Errorf("stdin object source = %q, want \"-\"", cfg.VirtualServices[1].Source.File)
		}
	})
	t.Run("dash twice is an error", func(t *testing.T) {
		_, err := LoadPaths([]string{"-", "-"}, WithStdin(strings.NewReader("")))
		if err == nil || !strings.Contains(err.Error(), "more than once") {
			t.Errorf("err = %v, want an error saying stdin was given more than once", err)
		}
	})
	t.Run("a missing file is an I/O error, not a Problem", func(t *testing.T) {
		cfg, err := Load(filepath.Join(dir, "missing.yaml"))
		var ps Problems
		var pathErr *fs.PathError
		if cfg != nil || errors.As(err, &ps) || !errors.As(err, &pathErr) {
			t.Errorf("Load(missing) = %v, %v; want nil config and an *fs.PathError", cfg, err)
		}
	})
	t.Run("configuration errors are Problems inspectable with errors.As", func(t *testing.T) {
		_, err := LoadBytes([]byte(strings.Replace(minimalVS, "hosts:", "hostz:", 1)), "x.yaml")
		var ps Problems
		var p *Problem
		if !errors.As(err, &ps) || !errors.As(err, &p) {
			t.Fatalf("errors.As failed on %v", err)
		}
		want := Problem{Severity: SeverityError, Source: Source{File: "x.yaml", Doc: 1},
			Object: ObjectRef{Kind: KindVirtualService, Namespace: "default", Name: "r"},
			Field:  "spec.hostz", Rule: `unknown field of VirtualService; did you mean "hosts"?`, Code: "unknown-field"}
		if diff := cmp.Diff(want, *p); diff != "" {
			t.Errorf("Problem (-want +got):\n%s", diff)
		}
	})
	t.Run("input over the size limit is refused", func(t *testing.T) {
		_, err := LoadReader(strings.NewReader(minimalVS), "big.yaml", WithMaxBytes(10))
		if got := summarise(nil, err).Errors; len(got) != 1 || !strings.Contains(got[0], "larger than the 10-byte limit") {
			t.Errorf("errors = %q, want the size limit", got)
		}
	})
}

// TestLoadHostileInput feeds input that breaks naive parsers: each must
// come back quickly with an error from the loader or the validator, never
// a panic or a hang.
func TestLoadHostileInput(t *testing.T) {
	big := 10 << 20
	if testing.Short() {
		big = 1 << 20
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{"truncated YAML", []byte(minimalVS[:len(minimalVS)/2] + "\n  http: [{route: [{desti")},
		{"binary garbage", []byte("\x00\x01\x02\xff\xfe{[\x7f\x80" + strings.Repeat("\x00\xff", 1000))},
		{"deep flow nesting", []byte(strings.Repeat("[", big))},
		{"deep JSON nesting", []byte("{\"a\":" + strings.Repeat("{\"a\":", big/5))},
		{"deep block sequences", []byte(strings.Repeat("- ", big/2) + "x\n")},
		{"alias expansion bomb", []byte("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f]\nkind: VirtualService\n")},
		{"a huge single line", []byte(strings.Replace(minimalVS, "hosts: [r]", "hosts: ["+strings.Repeat("x", big)+"]", 1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			cfg, err := LoadBytes(tc.in, "hostile")
			if err == nil && len(Validate(cfg).Errors()) == 0 {
				t.Error("hostile input neither failed to load nor to validate")
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
