package meshroute_test

import (
	"flag"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/reflect/protoreflect"
	networking "istio.io/api/networking/v1alpha3"
)

// The compatibility table of every Istio networking field lives in
// route/testdata/compat.md; README.md carries it between these markers.
const (
	compatFile  = "route/testdata/compat.md"
	readmeBegin = "<!-- BEGIN " + compatFile + ": generated, edit that file and run go test -run TestREADMECompat -update . -->\n"
	readmeEnd   = "<!-- END " + compatFile + " -->\n"
	istioPkg    = "istio.networking.v1alpha3."
)

var update = flag.Bool("update", false, "rewrite README.md's compatibility section from "+compatFile)

// istioFields returns every field (JSON name) of every message reachable
// from VirtualService, DestinationRule, ServiceEntry and Gateway, by
// message name relative to the package ("HTTPRoute",
// "Headers.HeaderOperations").
func istioFields() map[string][]string {
	out := map[string][]string{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		name, ok := strings.CutPrefix(string(md.FullName()), istioPkg)
		if !ok {
			return // google.protobuf.Duration and other well-known types
		}
		if _, seen := out[name]; seen {
			return
		}
		out[name] = []string{}
		fs := md.Fields()
		for i := range fs.Len() {
			f := fs.Get(i)
			out[name] = append(out[name], f.JSONName())
			switch {
			case f.IsMap() && f.MapValue().Message() != nil:
				walk(f.MapValue().Message())
			case !f.IsMap() && f.Message() != nil:
				walk(f.Message())
			}
		}
	}
	for _, m := range []protoreflect.ProtoMessage{&networking.VirtualService{}, &networking.DestinationRule{}, &networking.ServiceEntry{}, &networking.Gateway{}} {
		walk(m.ProtoReflect().Descriptor())
	}
	return out
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	segment    = regexp.MustCompile(`[A-Za-z0-9]+`)
)

// parseCompat reads the table: each "## A / B (note)" section lists the
// messages A and B; a row's first cell names fields in backticks
// (`destination.port.number` names destination, port and number). It
// returns the names mentioned per message.
func parseCompat(text string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	var msgs []string
	for _, line := range strings.Split(text, "\n") {
		if h, ok := strings.CutPrefix(line, "## "); ok {
			h, _, _ = strings.Cut(h, " (")
			msgs = nil
			for _, m := range strings.Split(h, " / ") {
				m = strings.TrimSpace(m)
				msgs = append(msgs, m)
				if out[m] == nil {
					out[m] = map[string]bool{}
				}
			}
			continue
		}
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(line[1:], " | ")
		for _, tok := range backticked.FindAllStringSubmatch(first, -1) {
			for _, seg := range segment.FindAllString(tok[1], -1) {
				for _, m := range msgs {
					out[m][seg] = true
				}
			}
		}
	}
	return out
}

// missingFields lists "Message.field" for every field the table does not
// mention in a section of its message.
func missingFields(fields map[string][]string, table map[string]map[string]bool) []string {
	var missing []string
	for msg, fs := range fields {
		for _, f := range fs {
			if !table[msg][f] {
				missing = append(missing, msg+"."+f)
			}
		}
	}
	sort.Strings(missing)
	return missing
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCompatTableCoversEveryIstioField(t *testing.T) {
	missing := missingFields(istioFields(), parseCompat(readFile(t, compatFile)))
	if len(missing) > 0 {
		t.Errorf("%s has no row for %d Istio fields (add them under a \"## Message\" section, say honoured / honoured with a difference / ignored / rejected):\n  %s",
			compatFile, len(missing), strings.Join(missing, "\n  "))
	}
}

// A section named like a message must be one (catches typos such as
// "HTTPRetries"); headings with spaces are prose sections.
func TestCompatTableSectionsNameIstioMessages(t *testing.T) {
	fields := istioFields()
	for msg := range parseCompat(readFile(t, compatFile)) {
		if strings.Contains(msg, " ") {
			continue // a prose section ("Options that switch a behaviour"), not a message
		}
		if _, ok := fields[msg]; !ok {
			t.Errorf("%s: section names %q, which is not an Istio networking message reachable from the four kinds", compatFile, msg)
		}
	}
}

// The checker itself: a table without a field's row reports exactly that
// field, and dotted paths count each of their names.
func TestCompatCheckerFindsAMissingRow(t *testing.T) {
	fields := map[string][]string{"Destination": {"host", "subset", "port"}, "PortSelector": {"number"}}
	tests := []struct {
		name, table string
		want        []string
	}{
		{"every field in a row", "## Destination / PortSelector\n| `host`, `subset` | honoured |\n| `port.number` | honoured |\n", nil},
		{"a missing row is reported", "## Destination / PortSelector\n| `host` | honoured |\n| `port.number` | honoured |\n", []string{"Destination.subset"}},
		{"a field under another message's section does not count", "## Destination\n| `host`, `subset`, `port` | honoured |\n## Other\n| `number` | honoured |\n", []string{"PortSelector.number"}},
		{"the status column does not count", "## Destination / PortSelector\n| `host`, `port` | honoured like `subset` and `number` |\n", []string{"Destination.subset", "PortSelector.number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, missingFields(fields, parseCompat(tt.table))); diff != "" {
				t.Errorf("missing (-want +got):\n%s", diff)
			}
		})
	}
}

// readmeSection is compat.md as README.md shows it: headings two levels
// down (under README's own "## Compatibility" heading), between the
// markers.
func readmeSection(compat string) string {
	var b strings.Builder
	b.WriteString(readmeBegin)
	for _, line := range strings.SplitAfter(compat, "\n") {
		if strings.HasPrefix(line, "#") {
			line = "##" + line
		}
		b.WriteString(line)
	}
	if !strings.HasSuffix(compat, "\n") {
		b.WriteString("\n")
	}
	b.WriteString(readmeEnd)
	return b.String()
}

func TestREADMECompatIsUpToDate(t *testing.T) {
	readme := readFile(t, "README.md")
	want := readmeSection(readFile(t, compatFile))
	i, j := strings.Index(readme, readmeBegin), strings.Index(readme, readmeEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers %q and %q around the compatibility table", readmeBegin, readmeEnd)
	}
	got := readme[i : j+len(readmeEnd)]
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile("README.md", []byte(readme[:i]+want+readme[j+len(readmeEnd):]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's compatibility table differs from %s; run: go test -run TestREADMECompat -update .\n%s", compatFile, cmp.Diff(want, got))
}
