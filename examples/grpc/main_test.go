package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunMatchesTheVirtualService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"header match    end-user: jason        10 calls → v2: 10  ok",
		"retry           x-scenario: flaky      1 call → v1 after 3 tries (2 × UNAVAILABLE retried)  ok",
		`fault abort     x-scenario: broken     1 call → ResourceExhausted "fault filter abort", backend calls: 0  ok`,
		"all 4 behaviours matched the VirtualService",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(out.String(), "weighted split  end-user: alice        200 calls → v1: ") {
		t.Errorf("output lacks the split line:\n%s", out.String())
	}
}

func TestRunFailsWhenBehaviourDiffers(t *testing.T) {
	// jason goes to v1 instead of v2, and the abort is gone.
	yaml := strings.Replace(string(meshYAML), "subset: v2\n  - name: flaky-retried", "subset: v1\n  - name: flaky-retried", 1)
	yaml = strings.Replace(yaml, "value: 100", "value: 0", 1)
	if yaml == string(meshYAML) {
		t.Fatal("test did not change the configuration")
	}
	var out bytes.Buffer
	err := runMesh(context.Background(), &out, []byte(yaml))
	if err == nil {
		t.Fatalf("run succeeded on a configuration that routes jason to v1:\n%s", out.String())
	}
	for _, want := range []string{"header match: jason's calls must all go to v2", "fault abort: the call must fail"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
