package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// run calls routectl in-process with the given standard input.
func run(t *testing.T, in string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(in)
	defer func() { stdin = old }()
	var out, errOut bytes.Buffer
	code = runMain(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

const (
	validVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}}]
    timeout: 5s
`
	invalidVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews}, weight: -5}]
    timeout: 5s
`
	warnedVS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route: [{destination: {host: reviews, subset: v2}}]
    timeout: 5s
`
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	valid := writeFile(t, dir, "valid.yaml", validVS)
	invalid := writeFile(t, dir, "invalid.yaml", invalidVS)
	warned := writeFile(t, dir, "warned.yaml", warnedVS)
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, sub, "a.yaml", validVS)

	tests := []struct {
		name       string
		stdin      string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "a valid file prints nothing and exits 0",
			args:       []string{"validate", valid},
			wantCode:   0,
			wantStderr: "1 object checked: 0 errors, 0 warnings, 0 notes\n",
		},
		{
			name:       "an invalid file prints one error line and exits 1",
			args:       []string{"validate", invalid},
			wantCode:   1,
			wantStdout: "error: " + invalid + " doc 1: VirtualService default/reviews: spec.http[0].route[0].weight: -5 is out of range: a weight must be 0 or more (weights are relative)\n",
			wantStderr: "1 object checked: 1 error, 0 warnings, 0 notes\n",
		},
		{
			name:       "warnings are printed and still exit 0",
			args:       []string{"validate", warned},
			wantCode:   0,
			wantStdout: "warning: " + warned + ` doc 1: VirtualService default/reviews: spec.http[0].route[0].destination.subset: "v2" is not defined: no DestinationRule for host "reviews.default.svc.cluster.local", so every request routed here fails with 503 (no cluster); add a DestinationRule with this subset` + "\n",
			wantStderr: "1 object checked: 0 errors, 1 warning, 0 notes\n",
		},
		{
			name:       "-strict makes warnings fail",
			args:       []string{"validate", "-strict", warned},
			wantCode:   1,
			wantStdout: "warning: " + warned + ` doc 1: VirtualService default/reviews: spec.http[0].route[0].destination.subset: "v2" is not defined: no DestinationRule for host "reviews.default.svc.cluster.local", so every request routed here fails with 503 (no cluster); add a DestinationRule with this subset` + "\n",
			wantStderr: "1 object checked: 0 errors, 1 warning, 0 notes\n",
		},
		{
			name:       "-quiet prints errors only",
			args:       []string{"validate", "-quiet", warned},
			wantCode:   0,
			wantStderr: "1 object checked: 0 errors, 1 warning, 0 notes\n",
		},
		{
			name:       "-json prints one object per problem with the stable code",
			args:       []string{"validate", "-json", invalid},
			wantCode:   1,
			wantStdout: `{"severity":"error","file":"` + invalid + `","doc":1,"kind":"VirtualService","namespace":"default","name":"reviews","field":"spec.http[0].route[0].weight","value":"-5","rule":"is out of range: a weight must be 0 or more (weights are relative)","code":"weight-range","message":"` + invalid + ` doc 1: VirtualService default/reviews: spec.http[0].route[0].weight: -5 is out of range: a weight must be 0 or more (weights are relative)"}` + "\n",
			wantStderr: "1 object checked: 1 error, 0 warnings, 0 notes\n",
		},
		{
			name:       "- reads standard input",
			stdin:      invalidVS,
			args:       []string{"validate", "-"},
			wantCode:   1,
			wantStdout: "error: - doc 1: VirtualService default/reviews: spec.http[0].route[0].weight: -5 is out of range: a weight must be 0 or more (weights are relative)\n",
			wantStderr: "1 object checked: 1 error, 0 warnings, 0 notes\n",
		},
		{
			name:       "directories are read recursively, with files and stdin",
			stdin:      strings.ReplaceAll(validVS, "reviews", "other") + "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n",
			args:       []string{"validate", "-namespace", "prod", sub, valid, "-"},
			wantCode:   0,
			wantStdout: "warning: " + valid + ` doc 1: VirtualService prod/reviews: metadata.name: "reviews" is defined twice (also in ` + filepath.Join(sub, "a.yaml") + " doc 1); kubectl apply keeps only the last one, and meshroute would load both\n",
			wantStderr: "3 objects checked: 0 errors, 1 warning, 0 notes (1 object of other kinds skipped)\n",
		},
		{
			name:       "YAML errors are reported with the line, exit 1",
			args:       []string{"validate", writeFile(t, dir, "broken.yaml", "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata:\n  name: ext\nspec:\n  hosts:\n  - *.foo.com\n")},
			wantCode:   1,
			wantStdout: "error: " + filepath.Join(dir, "broken.yaml") + ` doc 1: ServiceEntry default/ext: spec.hosts[0]: *.foo.com is read as a YAML alias (an unquoted "*" refers to an anchor); quote it: "*.foo.com" (line 7)` + "\n",
			wantStderr: "0 objects checked: 1 error, 0 warnings, 0 notes\n",
		},
		{
			name:       "a missing file is an I/O error: exit 2",
			args:       []string{"validate", filepath.Join(dir, "missing.yaml")},
			wantCode:   2,
			wantStderr: "routectl validate: stat " + filepath.Join(dir, "missing.yaml") + ": no such file or directory\n",
		},
		{
			name:       "no path is a usage error: exit 2",
			args:       []string{"validate"},
			wantCode:   2,
			wantStderr: "routectl validate: no PATH given (a file, a directory, or - for standard input)\nRun \"routectl help validate\" for usage.\n",
		},
		{
			name:       "an unknown flag is a usage error: exit 2",
			args:       []string{"validate", "-bogus", valid},
			wantCode:   2,
			wantStderr: "flag provided but not defined: -bogus\nRun \"routectl help validate\" for usage.\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, tc.stdin, tc.args...)
			got := []any{code, out, errOut}
			want := []any{tc.wantCode, tc.wantStdout, tc.wantStderr}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("routectl %s (-want +got):\n%s", strings.Join(tc.args, " "), diff)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// wantOut are lines that must appear on stdout (help is prose; the
		// lines pinned are the ones a user relies on).
		wantOut []string
		wantErr string
	}{
		{
			name:     "validate -h prints usage, flags and an example on stdout",
			args:     []string{"validate", "-h"},
			wantCode: 0,
			wantOut:  []string{"usage: routectl validate [flags] PATH...", "  -strict", "example:", "  routectl validate ./istio/ extra.yaml"},
		},
		{
			name:     "help validate is the same help",
			args:     []string{"help", "validate"},
			wantCode: 0,
			wantOut:  []string{"usage: routectl validate [flags] PATH...", "example:"},
		},
		{
			name:     "-h lists the commands",
			args:     []string{"-h"},
			wantCode: 0,
			wantOut:  []string{"usage: routectl COMMAND [flags] [args]", "  validate   check Istio configuration and print one line per problem"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tc.args...)
			if code != tc.wantCode || errOut != tc.wantErr {
				t.Errorf("code %d stderr %q, want %d %q", code, errOut, tc.wantCode, tc.wantErr)
			}
			lines := strings.Split(out, "\n")
			for _, w := range tc.wantOut {
				found := false
				for _, l := range lines {
					found = found || strings.HasPrefix(l, w)
				}
				if !found {
					t.Errorf("stdout lacks a line starting %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestUnknownCommandAndNoArguments(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {}} {
		code, out, errOut := run(t, "", args...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "usage: routectl COMMAND") {
			t.Errorf("routectl %v = %d, %q, %q; want exit 2 and the command list on stderr", args, code, out, errOut)
		}
	}
}
