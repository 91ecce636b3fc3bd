package route

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// schemaWalker checks a decoded JSON value against a protobuf message
// descriptor before protojson sees it, because protojson stops at the first
// problem and does not say where it is. The walker names every unknown
// field and wrongly typed value with its path, suggests the closest field
// name, and rewrites what Istio accepts but protojson does not: legacy
// fields (fault.abort.percent) and Go-style durations ("1m", "500ms").
type schemaWalker struct {
	d        *decoder
	o        obj
	failed   bool
	warnings []*Problem // kept only if the object loads
}

func (w *schemaWalker) warnf(code, field, rule string) {
	w.warnings = append(w.warnings, &Problem{
		Severity: SeverityWarning, Source: w.o.src, Object: w.o.ref, Field: field, Rule: rule, Code: code,
	})
}

func (w *schemaWalker) errorf(code, field, value, format string, args ...any) {
	w.failed = true
	w.d.problem(w.o, SeverityError, code, field, value, fmt.Sprintf(format, args...))
}

// Legacy messages the walker rewrites.
const (
	abortMessage = "istio.networking.v1alpha3.HTTPFaultInjection.Abort"
	delayMessage = "istio.networking.v1alpha3.HTTPFaultInjection.Delay"
)

// message checks v against md and returns v, possibly rewritten.
func (w *schemaWalker) message(md protoreflect.MessageDescriptor, v any, path string, depth int) any {
	if v == nil {
		return nil
	}
	if depth > maxNesting {
		w.errorf("too-deep", path, "", "nesting deeper than %d levels", maxNesting)
		return v
	}
	if strings.HasPrefix(string(md.FullName()), "google.protobuf.") {
		return w.wellKnown(md, v, path)
	}
	m, ok := v.(map[string]any)
	if !ok {
		w.errorf("field-type", path, jsonValue(v), "must be an object with the fields of %s, not a %s", md.Name(), jsonType(v))
		return v
	}
	switch md.FullName() {
	case abortMessage:
		if p, ok := m["percent"]; ok {
			w.warnf("deprecated-field", path+".percent",
				"is deprecated and removed from today's Istio; read as percentage.value (write \"percentage: {value: N}\")")
			if _, has := m["percentage"]; !has && p != nil {
				m["percentage"] = map[string]any{"value": p}
			}
			delete(m, "percent")
		}
	case delayMessage:
		if _, ok := m["percent"]; ok {
			w.warnf("deprecated-field", path+".percent",
				"is deprecated; write \"percentage: {value: N}\"")
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	oneofs := map[protoreflect.FullName]string{}
	fields := md.Fields()
	for _, k := range keys {
		fp := path + "." + k
		fd := fields.ByJSONName(k)
		if fd == nil {
			fd = fields.ByName(protoreflect.Name(k))
		}
		if fd == nil && isReserved(md, k) {
			// A field Istio removed: kubectl's schema pruning drops it
			// silently; say so, and drop it too.
			w.warnf("removed-field", fp, "was removed from Istio's API and is ignored")
			delete(m, k)
			continue
		}
		if fd == nil {
			w.unknownField(md, k, fp)
			continue
		}
		val := m[k]
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() && val != nil {
			if other, dup := oneofs[od.FullName()]; dup {
				w.errorf("oneof", fp, "", "cannot be set together with %q: they are alternatives, set only one", other)
				continue
			}
			oneofs[od.FullName()] = k
		}
		m[k] = w.field(fd, val, fp, depth+1)
	}
	return m
}

// field checks the value of one field: map, list or single value.
func (w *schemaWalker) field(fd protoreflect.FieldDescriptor, v any, path string, depth int) any {
	if v == nil {
		return nil
	}
	switch {
	case fd.IsMap():
		m, ok := v.(map[string]any)
		if !ok {
			w.errorf("field-type", path, jsonValue(v), "must be a map, not a %s", jsonType(v))
			return v
		}
		for _, k := range sortedKeys(m) {
			if m[k] == nil {
				w.errorf("null", mapKeyPath(path, k), "", "has no value; give it one (write {} for an empty object)")
				continue
			}
			m[k] = w.single(fd.MapValue(), m[k], mapKeyPath(path, k), depth)
		}
		return m
	case fd.IsList():
		l, ok := v.([]any)
		if !ok {
			w.errorf("field-type", path, "", "%s, got a %s; start each item with \"- \"", listOf(fd), jsonType(v))
			return v
		}
		for i, x := range l {
			ip := fmt.Sprintf("%s[%d]", path, i)
			if x == nil {
				w.errorf("null", ip, "", "is empty: a \"-\" with no value after it")
				continue
			}
			l[i] = w.single(fd, x, ip, depth)
		}
		return l
	}
	return w.single(fd, v, path, depth)
}

// listOf describes the list a repeated field expects.
func listOf(fd protoreflect.FieldDescriptor) string {
	if fd.Kind() != protoreflect.MessageKind {
		return "a list of " + kindName(fd) + "s is expected"
	}
	switch fd.Message().Name() {
	case "HTTPMatchRequest", "L4MatchAttributes", "TLSMatchAttributes":
		return "a list of match conditions is expected"
	case "HTTPRouteDestination", "RouteDestination":
		return "a list of route destinations is expected"
	case "HTTPRoute", "TCPRoute", "TLSRoute":
		return "a list of rules is expected"
	}
	return "a list of " + string(fd.Message().Name()) + " objects is expected"
}

// single checks one value (a list element, map value or plain field).
func (w *schemaWalker) single(fd protoreflect.FieldDescriptor, v any, path string, depth int) any {
	if v == nil {
		return nil
	}
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		return w.message(fd.Message(), v, path, depth)
	}
	return w.scalar(fd, v, path)
}

// scalar checks a value of a scalar field.
func (w *schemaWalker) scalar(fd protoreflect.FieldDescriptor, v any, path string) any {
	want := kindName(fd)
	bad := func(hint string) any {
		w.errorf("field-type", path, jsonValue(v), "must be a %s%s", want, hint)
		return v
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		switch v.(type) {
		case string:
			return v
		case bool:
			return bad("; YAML reads true/false/yes/no/on/off as booleans, quote it")
		case json.Number:
			return bad("; quote it")
		}
		return bad("")
	case protoreflect.BoolKind:
		if _, ok := v.(bool); ok {
			return v
		}
		return bad("")
	case protoreflect.EnumKind:
		return w.enum(fd.Enum(), v, path)
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		switch x := v.(type) {
		case json.Number:
			return v
		case string:
			if _, err := strconv.ParseFloat(x, 64); err == nil || x == "NaN" || x == "Infinity" || x == "-Infinity" {
				return v
			}
		}
		return bad("")
	default: // integers
		var s string
		switch x := v.(type) {
		case json.Number:
			s = x.String()
		case string:
			s = x
		default:
			return bad("")
		}
		lo, hi := intRange(fd.Kind())
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != math.Trunc(f) {
			return bad("")
		}
		if f < lo || f > hi {
			w.errorf("field-type", path, s, "is out of range for a %s [%.0f, %.0f]", want, lo, hi)
		}
		return v
	}
}

func intRange(k protoreflect.Kind) (lo, hi float64) {
	switch k {
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return math.MinInt32, math.MaxInt32
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return 0, math.MaxUint32
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return 0, math.MaxUint64
	}
	return math.MinInt64, math.MaxInt64
}

// kindName names a scalar kind for messages.
func kindName(fd protoreflect.FieldDescriptor) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return "string"
	case protoreflect.BytesKind:
		return "base64 string"
	case protoreflect.BoolKind:
		return "boolean (true or false)"
	case protoreflect.EnumKind:
		return "name"
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return "number"
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return "non-negative integer"
	case protoreflect.MessageKind:
		return string(fd.Message().Name())
	}
	return "integer"
}

// enum checks an enum value given by name or number.
func (w *schemaWalker) enum(ed protoreflect.EnumDescriptor, v any, path string) any {
	vals := ed.Values()
	switch x := v.(type) {
	case string:
		if vals.ByName(protoreflect.Name(x)) != nil {
			return v
		}
		names := make([]string, vals.Len())
		for i := range names {
			names[i] = string(vals.Get(i).Name())
		}
		hint := ""
		if s := closest(x, names); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		w.errorf("enum", path, strconv.Quote(x), "is not one of %s%s", strings.Join(names, ", "), hint)
	case json.Number:
		if n, err := x.Int64(); err == nil && vals.ByNumber(protoreflect.EnumNumber(n)) != nil {
			return v
		}
		w.errorf("enum", path, x.String(), "is not a value of %s", ed.Name())
	default:
		w.errorf("enum", path, jsonValue(v), "must be one of the names of %s", ed.Name())
	}
	return v
}

// protoDuration is the duration syntax protojson accepts.
var protoDuration = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,9})?s$`)

// wellKnown checks values of google.protobuf types: durations (accepting
// Go syntax, as Istio does, rewritten to protojson's), and wrappers.
func (w *schemaWalker) wellKnown(md protoreflect.MessageDescriptor, v any, path string) any {
	switch md.Name() {
	case "Duration":
		s, ok := v.(string)
		if !ok {
			w.errorf("duration", path, jsonValue(v), `must be a duration with a unit, such as "10s" or "500ms"`)
			return v
		}
		if protoDuration.MatchString(s) {
			return v
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			w.errorf("duration", path, strconv.Quote(s), `is not a duration; write one such as "10s", "1.5s" or "500ms"`)
			return v
		}
		return formatProtoDuration(d)
	case "BoolValue", "StringValue", "BytesValue", "Int32Value", "UInt32Value", "Int64Value", "UInt64Value",
		"FloatValue", "DoubleValue":
		return w.scalar(md.Fields().ByName("value"), v, path)
	}
	return v
}

// formatProtoDuration writes d as protojson's "<seconds>[.<fraction>]s".
func formatProtoDuration(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	s := fmt.Sprintf("%d.%09d", d/time.Second, d%time.Second)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return sign + s + "s"
}

// isReserved reports whether key (in JSON or proto spelling) is a field
// name md reserves: a field Istio removed.
func isReserved(md protoreflect.MessageDescriptor, key string) bool {
	var snake strings.Builder
	for i, c := range key {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				snake.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		snake.WriteRune(c)
	}
	return md.ReservedNames().Has(protoreflect.Name(key)) || md.ReservedNames().Has(protoreflect.Name(snake.String()))
}

// unknownField reports a key that is not a field of md, suggesting the
// closest field name.
func (w *schemaWalker) unknownField(md protoreflect.MessageDescriptor, key, path string) {
	fields := md.Fields()
	names := make([]string, fields.Len())
	for i := range names {
		names[i] = fields.Get(i).JSONName()
	}
	if s := closest(key, names); s != "" {
		w.errorf("unknown-field", path, "", "unknown field of %s; did you mean %q?", md.Name(), s)
		return
	}
	w.errorf("unknown-field", path, "", "unknown field of %s; its fields are %s", md.Name(), strings.Join(names, ", "))
}

// closest returns the candidate nearest to s by edit distance (ignoring
// case and "_"), or "" when none is near enough to be a likely typo.
func closest(s string, candidates []string) string {
	norm := func(x string) string { return strings.ReplaceAll(strings.ToLower(x), "_", "") }
	ns := norm(s)
	best, bestD := "", math.MaxInt
	for _, c := range candidates {
		if d := editDistance(ns, norm(c)); d < bestD {
			best, bestD = c, d
		}
	}
	limit := max(2, len(ns)/3)
	if bestD > limit || bestD >= len(ns) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt // not a typo of a field name
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// mapKeyPath appends a map key to a field path: ".key" for plain keys,
// `["key"]` for keys with dots, slashes or other punctuation.
func mapKeyPath(path, key string) string {
	plain := key != ""
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			plain = false
			break
		}
	}
	if plain {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}
