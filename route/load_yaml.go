package route

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

var (
	yamlUnknownAnchor = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)
	yamlLine          = regexp.MustCompile(`^(?:error converting YAML to JSON: )?yaml: line ([0-9]+): (.*)$`)
	// yamlStarScalar finds an unquoted scalar starting with "*" ("- *.foo.com",
	// "host: *.foo.com", "hosts: [*.foo.com]"), which YAML reads as an alias.
	yamlStarScalar = regexp.MustCompile(`(?:^\s*-\s+|:\s+|[\[,]\s*)(\*[^\s#,\]}]*)`)
)

// yamlError reports a YAML syntax error in doc, with the line in the file
// and, for the common mistakes, what to write instead.
func (d *decoder) yamlError(o obj, doc document, err error) {
	msg := err.Error()
	lines := strings.Split(string(doc.text), "\n")
	o.ref = guessRef(lines, d.namespace)
	aliasAt := func(i int, alias string) {
		rule := fmt.Sprintf(`is read as a YAML alias (an unquoted "*" refers to an anchor); quote it: "%s" (line %d)`,
			alias, doc.line+i)
		d.problem(o, SeverityError, "yaml-alias", yamlPath(lines, i), alias, rule)
	}
	if m := yamlUnknownAnchor.FindStringSubmatch(msg); m != nil {
		// "- *foo.com": an unquoted "*" starts an alias to an anchor.
		alias := "*" + m[1]
		for i, l := range lines {
			if strings.Contains(l, alias) {
				aliasAt(i, alias)
				return
			}
		}
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		n, _ := strconv.Atoi(m[1])
		// "- *.foo.com": "." cannot start an alias name, so the parser
		// fails on the line with a message that does not say why.
		for _, i := range []int{n - 1, n - 2} {
			if i >= 0 && i < len(lines) {
				if a := yamlStarScalar.FindStringSubmatch(lines[i]); a != nil {
					aliasAt(i, a[1])
					return
				}
			}
		}
		hint := ""
		if n >= 1 && n <= len(lines) && strings.Contains(lines[n-1], "\t") {
			hint = " (YAML indentation must use spaces, not tabs)"
		}
		d.problem(o, SeverityError, "yaml-syntax", "", "",
			fmt.Sprintf("YAML syntax error at line %d: %s%s", doc.line+n-1, m[2], hint))
		return
	}
	msg = strings.TrimPrefix(msg, "error converting YAML to JSON: ")
	d.problem(o, SeverityError, "yaml-syntax", "", "", "YAML syntax error: "+strings.TrimPrefix(msg, "yaml: "))
}

// yamlPath guesses the field path ("spec.hosts[0]") of the node on line t
// of a block-style YAML document from indentation alone, for messages
// about documents the parser rejected. Flow style is not understood; the
// result is a hint, "" when nothing sensible is found.
func yamlPath(lines []string, t int) string {
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	item := func(c string) bool { return c == "-" || strings.HasPrefix(c, "- ") }
	key := func(c string) (string, bool) {
		k, _, ok := strings.Cut(c, ":")
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		if !ok || k == "" || strings.ContainsAny(k, " {[*&") {
			return "", false
		}
		return k, true
	}
	// index counts the items of the sequence at column col before line i.
	index := func(i, col int) int {
		n := 0
		for j := i - 1; j >= 0; j-- {
			c := strings.TrimSpace(lines[j])
			if c == "" || c[0] == '#' {
				continue
			}
			in := indent(lines[j])
			if in < col || (in == col && !item(c)) {
				break
			}
			if in == col {
				n++
			}
		}
		return n
	}
	var segs []string
	c := strings.TrimSpace(lines[t])
	col := indent(lines[t])
	inSeq := false
	if item(c) {
		segs, inSeq = append(segs, "["+strconv.Itoa(index(t, col))+"]"), true
	} else if k, ok := key(c); ok {
		segs = append(segs, "."+k)
	}
	for i := t - 1; i >= 0 && col > 0; i-- {
		c := strings.TrimSpace(lines[i])
		if c == "" || c[0] == '#' {
			continue
		}
		in := indent(lines[i])
		if item(c) {
			k, hasKey := key(strings.TrimSpace(c[1:]))
			kc := in + 2
			switch {
			case inSeq && in == col:
				// a sibling item
			case !inSeq && kc == col:
				// our mapping is this item
				segs, col, inSeq = append(segs, "["+strconv.Itoa(index(i, in))+"]"), in, true
			case hasKey && (kc < col || (kc == col && inSeq)):
				segs = append(segs, "."+k, "["+strconv.Itoa(index(i, in))+"]")
				col, inSeq = in, true
			}
			continue
		}
		if k, ok := key(c); ok && (in < col || (in == col && inSeq)) {
			segs, col, inSeq = append(segs, "."+k), in, false
		}
	}
	var b strings.Builder
	for i := len(segs) - 1; i >= 0; i-- {
		b.WriteString(segs[i])
	}
	return strings.TrimPrefix(b.String(), ".")
}

var (
	yamlKind      = regexp.MustCompile(`^kind:\s*["']?([A-Za-z0-9]+)`)
	yamlMetaField = regexp.MustCompile(`^\s+(name|namespace):\s*["']?([-a-zA-Z0-9.]+)`)
)

// guessRef reads kind, metadata.name and metadata.namespace from the text
// of a document the parser rejected, so the error still names the object.
func guessRef(lines []string, defaultNS string) ObjectRef {
	var ref ObjectRef
	inMeta := false
	for _, l := range lines {
		if m := yamlKind.FindStringSubmatch(l); m != nil {
			ref.Kind = m[1]
		}
		if len(l) > 0 && l[0] != ' ' && l[0] != '#' {
			inMeta = strings.HasPrefix(l, "metadata:")
			continue
		}
		if m := yamlMetaField.FindStringSubmatch(l); inMeta && m != nil {
			if m[1] == "name" && ref.Name == "" {
				ref.Name = m[2]
			} else if m[1] == "namespace" && ref.Namespace == "" {
				ref.Namespace = m[2]
			}
		}
	}
	if ref.Kind == "" {
		return ObjectRef{}
	}
	if ref.Namespace == "" {
		ref.Namespace = defaultNS
	}
	if ref.Name == "" {
		return ObjectRef{Kind: ref.Kind}
	}
	return ref
}
