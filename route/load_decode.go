package route

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	networking "istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"
)

// istioGroup is the API group of the kinds meshroute loads.
const istioGroup = "networking.istio.io"

// istioVersions are the API versions accepted for istioGroup.
var istioVersions = map[string]bool{"v1": true, "v1beta1": true, "v1alpha3": true}

// decoder turns documents into Config objects, collecting problems.
type decoder struct {
	cfg       *Config
	errs      Problems
	file      string
	namespace string
}

// obj is the object being decoded: where it is and what it is called.
type obj struct {
	src Source
	ref ObjectRef
}

func (d *decoder) problem(o obj, sev Severity, code, field, value, rule string) {
	p := &Problem{Severity: sev, Source: o.src, Object: o.ref, Field: field, Value: value, Rule: rule, Code: code}
	if sev == SeverityError {
		d.errs = append(d.errs, p)
	} else {
		d.cfg.Warnings = append(d.cfg.Warnings, p)
	}
}

// document decodes one document: YAML to JSON, then the object(s) in it.
func (d *decoder) document(doc document) {
	o := obj{src: Source{File: d.file, Doc: doc.doc}}
	if nestingTooDeep(doc.text) {
		d.problem(o, SeverityError, "too-deep", "", "",
			fmt.Sprintf("nesting deeper than %d levels; this is not Istio configuration", maxNesting))
		return
	}
	js := doc.text
	if !doc.json {
		var err error
		js, err = yaml.YAMLToJSON(doc.text)
		if err != nil {
			d.yamlError(o, doc, err)
			return
		}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		d.problem(o, SeverityError, "syntax", "", "", "invalid JSON: "+err.Error())
		return
	}
	if v == nil {
		return // "null" or an empty document
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.problem(o, SeverityError, "not-an-object", "", "",
			fmt.Sprintf("document is a %s, expected a Kubernetes object (apiVersion, kind, metadata, spec)", jsonType(v)))
		return
	}
	d.object(o, m, 0)
}

// object decodes one Kubernetes object, or the items of a List.
func (d *decoder) object(o obj, m map[string]any, depth int) {
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	if kind == "" {
		d.problem(o, SeverityError, "missing-kind", "kind", "",
			"is required: this document is not a Kubernetes object")
		return
	}
	meta, _ := m["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	ns, _ := meta["namespace"].(string)
	if ns == "" {
		ns = d.namespace
	}
	o.ref = ObjectRef{Kind: kind, Namespace: ns, Name: name}

	if items, isList := m["items"]; isList && strings.HasSuffix(kind, "List") {
		list, ok := items.([]any)
		if !ok && items != nil {
			d.problem(o, SeverityError, "field-type", "items", "", "must be a list of objects")
			return
		}
		if depth > 0 {
			d.problem(o, SeverityError, "nested-list", "", "", "a List inside a List is not supported")
			return
		}
		for i, it := range list {
			im, ok := it.(map[string]any)
			if !ok {
				d.problem(obj{src: o.src}, SeverityError, "not-an-object", fmt.Sprintf("items[%d]", i), "",
					fmt.Sprintf("is a %s, expected a Kubernetes object", jsonType(it)))
				continue
			}
			d.object(obj{src: o.src}, im, depth+1)
		}
		return
	}

	group, version, _ := strings.Cut(apiVersion, "/")
	if version == "" {
		group, version = "", group // core API: "v1"
	}
	if group != istioGroup || !isLoadedKind(kind) {
		d.cfg.Skipped = append(d.cfg.Skipped, Skipped{
			APIVersion: apiVersion, Kind: kind, Namespace: ns, Name: name, Source: o.src,
		})
		return
	}
	if !istioVersions[version] {
		d.problem(o, SeverityError, "api-version", "apiVersion", strconv.Quote(apiVersion),
			"is not supported; use networking.istio.io/v1, v1beta1 or v1alpha3")
		return
	}
	md, ok := d.metadata(o, m["metadata"])
	if !ok {
		return
	}
	md.Namespace = ns
	md.Source = o.src
	spec := m["spec"]
	if spec == nil {
		spec = map[string]any{}
	}
	msg := newSpec(kind)
	if !d.spec(o, msg, spec) {
		return
	}
	switch s := msg.(type) {
	case *networking.VirtualService:
		d.cfg.VirtualServices = append(d.cfg.VirtualServices, &VirtualService{Meta: md, Spec: s})
	case *networking.DestinationRule:
		d.cfg.DestinationRules = append(d.cfg.DestinationRules, &DestinationRule{Meta: md, Spec: s})
	case *networking.ServiceEntry:
		d.cfg.ServiceEntries = append(d.cfg.ServiceEntries, &ServiceEntry{Meta: md, Spec: s})
	case *networking.Gateway:
		d.cfg.Gateways = append(d.cfg.Gateways, &Gateway{Meta: md, Spec: s})
	case *networking.WorkloadEntry:
		d.cfg.WorkloadEntries = append(d.cfg.WorkloadEntries, &WorkloadEntry{Meta: md, Spec: s})
	}
}

func isLoadedKind(kind string) bool {
	switch kind {
	case KindVirtualService, KindDestinationRule, KindServiceEntry, KindGateway, KindWorkloadEntry:
		return true
	}
	return false
}

func newSpec(kind string) proto.Message {
	switch kind {
	case KindVirtualService:
		return &networking.VirtualService{}
	case KindDestinationRule:
		return &networking.DestinationRule{}
	case KindServiceEntry:
		return &networking.ServiceEntry{}
	case KindGateway:
		return &networking.Gateway{}
	default:
		return &networking.WorkloadEntry{}
	}
}

// metadata reads the metadata fields meshroute keeps; others are ignored.
func (d *decoder) metadata(o obj, v any) (Meta, bool) {
	var md Meta
	if v == nil {
		return md, true
	}
	m, ok := v.(map[string]any)
	if !ok {
		d.problem(o, SeverityError, "field-type", "metadata", "", "must be an object")
		return md, false
	}
	good := true
	for _, f := range []struct {
		key string
		dst *string
	}{{"name", &md.Name}, {"namespace", &md.Namespace}} {
		switch x := m[f.key].(type) {
		case nil:
		case string:
			*f.dst = x
		default:
			d.problem(o, SeverityError, "field-type", "metadata."+f.key, jsonValue(x), "must be a string")
			good = false
		}
	}
	if lv, ok := m["labels"]; ok && lv != nil {
		lm, ok := lv.(map[string]any)
		if !ok {
			d.problem(o, SeverityError, "field-type", "metadata.labels", "", "must be a map of strings")
			return md, false
		}
		md.Labels = make(map[string]string, len(lm))
		for k, x := range lm {
			s, ok := x.(string)
			if !ok {
				d.problem(o, SeverityError, "field-type", "metadata.labels."+k, jsonValue(x),
					"must be a string; quote it in YAML")
				good = false
				continue
			}
			md.Labels[k] = s
		}
	}
	switch ts := m["creationTimestamp"].(type) {
	case nil:
	case string:
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			d.problem(o, SeverityError, "timestamp", "metadata.creationTimestamp", strconv.Quote(ts),
				`is not an RFC 3339 time such as "2024-05-01T12:00:00Z"`)
			good = false
		}
		md.CreationTimestamp = t
	default:
		d.problem(o, SeverityError, "field-type", "metadata.creationTimestamp", jsonValue(ts),
			`must be an RFC 3339 time string such as "2024-05-01T12:00:00Z"`)
		good = false
	}
	return md, good
}

// spec checks spec against msg's schema (naming every unknown field and
// wrong type with its path), applies the legacy rewrites, then decodes it
// strictly with protojson.
func (d *decoder) spec(o obj, msg proto.Message, spec any) bool {
	w := schemaWalker{d: d, o: o}
	spec = w.message(msg.ProtoReflect().Descriptor(), spec, "spec", 0)
	if w.failed {
		return false
	}
	js, err := json.Marshal(spec)
	if err != nil {
		d.problem(o, SeverityError, "syntax", "spec", "", err.Error())
		return false
	}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, msg); err != nil {
		// The walker catches what protojson rejects; this is a fallback
		// with protojson's own words.
		d.problem(o, SeverityError, "schema", "spec", "", strings.TrimPrefix(err.Error(), "proto: "))
		return false
	}
	d.cfg.Warnings = append(d.cfg.Warnings, w.warnings...)
	return true
}

// jsonType names the JSON type of v for messages.
func jsonType(v any) string {
	switch v.(type) {
	case map[string]any:
		return "map"
	case []any:
		return "list"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// jsonValue formats a scalar for a message: strings quoted, numbers and
// booleans as written; maps and lists by type.
func jsonValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	}
	return "a " + jsonType(v)
}
