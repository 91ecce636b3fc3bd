package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExplainTextTracesEveryRule(t *testing.T) {
	code, out, errOut := run(t, "", "explain", "-f", callerYAML, "-H", "x-canary: yes", "GET", "http://ratings/")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"view: sidecars in namespace default",
		"default/ratings: taken",
		"default/ratings-public: skipped",
		"rule default/ratings http[0]: no match",
		"rule default/ratings http[3]: MATCHED",
		"rule default/ratings http[4]: not reached",
		"decision: route to outbound|80|canary|ratings.default.svc.cluster.local",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
}

func TestExplainJSON(t *testing.T) {
	code, out, errOut := run(t, "", "explain", "-o", "json", "-f", callerYAML, "--source-labels", "app=reviews,version=v2", "GET", "http://ratings/")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		View  string
		Rules []struct {
			Index            int
			Matched, Reached bool
		}
		Decision map[string]any
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if diff := cmp.Diff("route", got.Decision["action"]); diff != "" {
		t.Errorf("decision action (-want +got):\n%s", diff)
	}
	if len(got.Rules) != 5 || !got.Rules[0].Matched || got.Rules[1].Reached {
		t.Errorf("rules %+v: want 5, the first matched and the rest not reached", got.Rules)
	}
}

func TestExplainRejectsUnknownFormat(t *testing.T) {
	code, _, errOut := run(t, "", "explain", "-o", "yaml", "-f", callerYAML, "GET", "http://ratings/")
	if code != exitUsage || !strings.Contains(errOut, `-o "yaml": want text or json`) {
		t.Errorf("exit %d, stderr %q; want 2 and the formats", code, errOut)
	}
}
