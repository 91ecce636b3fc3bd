package main

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTemplateNamesAreTheSeeds(t *testing.T) {
	want := []string{"http-redirect", "http-request", "http-retry", "http-rewrite", "http-route-destination", "tls-route"}
	if diff := cmp.Diff(want, templateNames()); diff != "" {
		t.Errorf("templates (-want +got):\n%s", diff)
	}
}

// Every template is accepted by validate as printed: no error, no warning.
func TestEveryTemplatePassesValidate(t *testing.T) {
	for _, name := range templateNames() {
		t.Run(name, func(t *testing.T) {
			code, yaml, errOut := run(t, "", "template", name)
			if code != exitOK {
				t.Fatalf("template %s: exit %d: %s", name, code, errOut)
			}
			if !strings.HasPrefix(yaml, "# ") {
				t.Errorf("template %s does not start with a comment:\n%s", name, yaml)
			}
			code, out, errOut := run(t, yaml, "validate", "-strict", "-")
			if code != exitOK {
				t.Errorf("validate - of template %s: exit %d\n%s%s", name, code, out, errOut)
			}
			if strings.Contains(out, "error:") || strings.Contains(out, "warning:") {
				t.Errorf("validate - of template %s reports problems:\n%s", name, out)
			}
		})
	}
}

func TestTemplateListAndUnknownName(t *testing.T) {
	code, out, _ := run(t, "", "template")
	if code != exitOK || len(strings.Split(strings.TrimSpace(out), "\n")) != 6 {
		t.Errorf("template without NAME: exit %d, want 0 and six lines:\n%s", code, out)
	}
	code, _, errOut := run(t, "", "template", "http-nope")
	if code != exitUsage || !strings.Contains(errOut, "choose one of: http-redirect,") {
		t.Errorf("unknown template: exit %d, stderr %q; want 2 and the names", code, errOut)
	}
}
