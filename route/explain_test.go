package route

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExplainWorkedExample(t *testing.T) {
	tbl := compileYAML(t, workedExample+`---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: private, namespace: other}
spec:
  hosts: [x.other.svc.cluster.local]
  exportTo: ["."]
  http: [{route: [{destination: {host: x}}]}]
`)
	r := req("GET", "reviews:9080", "/api/list?x=1", "End-User: Jason")
	r.SourceNamespace = "bookinfo"
	ex := tbl.Explain(r)

	type rule struct {
		Index            int
		Matched, Reached bool
		Failed           []string
	}
	var got []rule
	for _, rt := range ex.Rules {
		var failed []string
		for _, c := range rt.Clauses {
			failed = append(failed, c.Failed)
		}
		got = append(got, rule{rt.Index, rt.Matched, rt.Reached, failed})
	}
	if len(got) != 3 || got[0].Matched || got[1].Matched || !got[2].Matched || !got[2].Reached {
		t.Fatalf("rules: %+v", got)
	}
	if !strings.Contains(got[0].Failed[0], "end-user") || !strings.Contains(got[1].Failed[0], "debug") {
		t.Errorf("first failing conditions: %q, %q; want the end-user header and the debug query parameter", got[0].Failed[0], got[1].Failed[0])
	}

	vss := map[string]VirtualServiceTrace{}
	for _, v := range ex.VirtualServices {
		vss[v.VirtualService] = v
	}
	if v := vss["bookinfo/reviews"]; !v.Taken || !v.ServesRequest {
		t.Errorf("bookinfo/reviews: %+v, want taken and serving", v)
	}
	if v := vss["other/private"]; v.Taken || !strings.Contains(v.Reason, "not exported to namespace bookinfo") {
		t.Errorf("other/private: %+v, want skipped for exportTo", v)
	}
	if ex.VirtualHost != "reviews.bookinfo.svc.cluster.local" || ex.View != "sidecars in namespace bookinfo" {
		t.Errorf("view %q host %q", ex.View, ex.VirtualHost)
	}

	text := ex.String()
	for _, want := range []string{"view: sidecars in namespace bookinfo", "bookinfo/reviews: taken", "other/private: skipped", "MATCHED", "decision: route to outbound|9080|v"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	var js map[string]any
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	dec, _ := js["decision"].(map[string]any)
	if diff := cmp.Diff(map[string]any{"index": 2.0, "name": "", "match": -1.0}, dec["rule"]); diff != "" {
		t.Errorf("JSON decision rule (-want +got):\n%s\n%s", diff, b)
	}
}

func TestExplainUnknownHostPassesThrough(t *testing.T) {
	ex := compileYAML(t, workedExample).Explain(req("GET", "nowhere.net", "/"))
	if ex.HostRoute != "passthrough" || ex.VirtualHost != "" || !ex.Decision.Passthrough {
		t.Errorf("got %+v", ex)
	}
	// the decision line names Envoy's PassthroughCluster, not a service
	// cluster for a host the registry does not have
	if want := "decision: route to PassthroughCluster (original destination nowhere.net)\n"; !strings.HasSuffix(ex.String(), want) {
		t.Errorf("String() ends:\n%s\nwant it to end with %q", ex.String(), want)
	}
	onPort := req("GET", "nowhere.net", "/")
	onPort.Port = 8080
	ex = compileYAML(t, workedExample).Explain(onPort)
	if want := "decision: route to PassthroughCluster (original destination nowhere.net:8080)\n"; !strings.HasSuffix(ex.String(), want) {
		t.Errorf("String() ends:\n%s\nwant it to end with %q", ex.String(), want)
	}
}

func TestExplainNamesTheOlderVirtualServiceThatWonTheHost(t *testing.T) {
	ex := compileYAML(t, severalVS).Explain(req("GET", "shop.example.com", "/cart"))
	var newer VirtualServiceTrace
	for _, v := range ex.VirtualServices {
		if v.VirtualService == "default/b-newer" {
			newer = v
		}
	}
	if newer.Taken || !strings.Contains(newer.Reason, "already claimed by default/a-older, which is older") {
		t.Errorf("b-newer: %+v, want skipped because a-older claimed the host", newer)
	}
}

// An Explanation is the caller's: changing it changes no later one.
func TestExplanationIsACopy(t *testing.T) {
	tbl := compileYAML(t, workedExample)
	r := req("GET", "reviews.bookinfo", "/")
	r.SourceNamespace = "bookinfo"
	first := tbl.Explain(r)
	want := fmt.Sprint(tbl.Explain(r).VirtualServices)
	for i := range first.VirtualServices {
		for j := range first.VirtualServices[i].Hosts {
			first.VirtualServices[i].Hosts[j] = "changed"
		}
	}
	if got := fmt.Sprint(tbl.Explain(r).VirtualServices); got != want || !strings.Contains(want, "reviews") {
		t.Errorf("after changing an explanation's hosts, Explain gives %s, want %s", got, want)
	}
}
