package main

import (
	"encoding/json"
	"strings"
	"unicode"

	"google.golang.org/protobuf/encoding/protojson"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/route"
)

// decisionOut is the JSON routectl decide prints: the keys of issue 3
// item 9, in that order; keys that do not apply are omitted.
type decisionOut struct {
	VirtualService  string          `json:"virtualService,omitempty"`
	Rule            *ruleOut        `json:"rule,omitempty"`
	Action          string          `json:"action"`
	Destination     *destinationOut `json:"destination,omitempty"`
	Path            string          `json:"path,omitempty"`
	Authority       string          `json:"authority,omitempty"`
	Redirect        *redirectOut    `json:"redirect,omitempty"`
	DirectResponse  *directOut      `json:"directResponse,omitempty"`
	Timeout         string          `json:"timeout,omitempty"`
	Retries         *retriesOut     `json:"retries,omitempty"`
	Fault           *faultOut       `json:"fault,omitempty"`
	Mirrors         []mirrorOut     `json:"mirrors,omitempty"`
	RequestHeaders  *headersOut     `json:"requestHeaders,omitempty"`
	ResponseHeaders *headersOut     `json:"responseHeaders,omitempty"`
	CORS            json.RawMessage `json:"cors,omitempty"`
	Policy          json.RawMessage `json:"policy,omitempty"`
	// DestinationRule is the rule whose policy and subsets applied
	// ("namespace/name"), which may depend on --source-labels (a
	// workloadSelector).
	DestinationRule string `json:"destinationRule,omitempty"`
	// Status and Reason say why an unavailable request is refused: the
	// status Envoy answers with (503 for a missing cluster, 502 under
	// REGISTRY_ONLY) and the decision's reason.
	Status int    `json:"status,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type ruleOut struct {
	Index int    `json:"index"`
	Name  string `json:"name,omitempty"`
	// Section is "tcp" or "tls" for a rule of those lists; omitted for
	// http.
	Section string `json:"section,omitempty"`
}

type destinationOut struct {
	Host   string `json:"host"`
	Subset string `json:"subset,omitempty"`
	Port   uint32 `json:"port,omitempty"`
}

type redirectOut struct {
	Location string `json:"location"`
	Code     int    `json:"code"`
}

type directOut struct {
	Status int    `json:"status"`
	Body   string `json:"body,omitempty"`
}

type retriesOut struct {
	Attempts      int    `json:"attempts"`
	PerTryTimeout string `json:"perTryTimeout,omitempty"`
	RetryOn       string `json:"retryOn,omitempty"`
}

type faultOut struct {
	Delay *delayOut `json:"delay,omitempty"`
	Abort *abortOut `json:"abort,omitempty"`
}

type delayOut struct {
	FixedDelay string  `json:"fixedDelay"`
	Percent    float64 `json:"percent"`
	Injected   bool    `json:"injected"`
}

type abortOut struct {
	HTTPStatus int     `json:"httpStatus,omitempty"`
	GRPCStatus string  `json:"grpcStatus,omitempty"`
	Percent    float64 `json:"percent"`
	Injected   bool    `json:"injected"`
}

type mirrorOut struct {
	Host    string  `json:"host"`
	Subset  string  `json:"subset,omitempty"`
	Port    uint32  `json:"port,omitempty"`
	Percent float64 `json:"percent"`
}

type headersOut struct {
	Set    map[string]string `json:"set,omitempty"`
	Add    map[string]string `json:"add,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// decisionJSON converts d (decided on a table compiled from cfg) to the
// printed form.
func decisionJSON(cfg *route.Config, d *route.Decision) decisionOut {
	out := decisionOut{Action: d.Action.String()}
	if d.VirtualService.Name != "" {
		out.VirtualService = d.VirtualService.Namespace + "/" + d.VirtualService.Name
		if d.Rule.Index >= 0 {
			out.Rule = &ruleOut{Index: d.Rule.Index, Name: d.Rule.Name}
			if d.Rule.Section != route.SectionHTTP {
				out.Rule.Section = d.Rule.Section.String()
			}
		}
	}
	if d.Destination.Host != "" && (d.Action == route.ActionRoute || d.Action == route.ActionUnavailable) {
		out.Destination = &destinationOut{Host: d.Destination.Host, Subset: d.Destination.Subset, Port: d.Destination.Port}
	}
	if dr := d.DestinationRule; dr.Name != "" && (d.Action == route.ActionRoute || d.Action == route.ActionUnavailable) {
		out.DestinationRule = dr.Namespace + "/" + dr.Name
	}
	switch d.Action {
	case route.ActionRoute:
		out.Path, out.Authority = d.Path, d.Authority
		out.Timeout = d.Timeout.String()
		if d.Retry.Attempts > 0 {
			out.Retries = &retriesOut{Attempts: d.Retry.Attempts, RetryOn: d.Retry.RetryOnText}
			if d.Retry.PerTryTimeout > 0 {
				out.Retries.PerTryTimeout = d.Retry.PerTryTimeout.String()
			}
		}
		d.Mirrors.Each(func(m route.Mirror) {
			out.Mirrors = append(out.Mirrors, mirrorOut{Host: m.Destination.Host, Subset: m.Destination.Subset,
				Port: m.Destination.Port, Percent: m.Chance.Percent()})
		})
		if p := d.TrafficPolicy(); p != nil {
			if b, err := protojson.Marshal(p); err == nil {
				out.Policy = b
			}
		}
	case route.ActionUnavailable:
		out.Status, out.Reason = d.Status, d.Reason
	case route.ActionRedirect:
		out.Redirect = &redirectOut{Location: d.Redirect.Location, Code: d.Redirect.Code}
	case route.ActionDirectResponse:
		out.DirectResponse = &directOut{Status: d.DirectResponse.Status, Body: d.DirectResponse.Body}
	}
	if s := d.Fault.Spec; s != nil {
		out.Fault = &faultOut{}
		if s.Delay != nil {
			out.Fault.Delay = &delayOut{FixedDelay: s.Delay.Duration.String(), Percent: s.Delay.Chance.Percent(), Injected: d.Fault.Delayed}
		}
		if a := s.Abort; a != nil {
			out.Fault.Abort = &abortOut{Percent: a.Chance.Percent(), Injected: d.Fault.Aborted}
			if a.GRPC {
				out.Fault.Abort.GRPCStatus = istioCodeName(a.GRPCStatus.String())
			} else {
				out.Fault.Abort.HTTPStatus = a.HTTPStatus
			}
		}
	}
	out.RequestHeaders = headerOps(d.RequestHeaders)
	out.ResponseHeaders = headerOps(d.ResponseHeaders)
	if d.CORS != nil {
		out.CORS = corsJSON(cfg, d)
	}
	return out
}

// headerOps returns the operations, nil when there are none.
func headerOps(h route.HeaderOps) *headersOut {
	if h.Empty() {
		return nil
	}
	out := &headersOut{Remove: h.Remove()}
	for _, kv := range h.Set() {
		if out.Set == nil {
			out.Set = map[string]string{}
		}
		out.Set[kv.Name] = kv.Value
	}
	for _, kv := range h.Add() {
		if out.Add == nil {
			out.Add = map[string]string{}
		}
		out.Add[kv.Name] = kv.Value
	}
	if out.Set == nil && out.Add == nil && out.Remove == nil {
		return nil
	}
	return out
}

// corsJSON returns the rule's corsPolicy as Istio JSON, read from the
// configuration (the compiled policy keeps its origin matchers private);
// it falls back to the compiled fields.
func corsJSON(cfg *route.Config, d *route.Decision) json.RawMessage {
	for _, ref := range []route.ObjectRef{d.Delegate, d.VirtualService} {
		if r := httpRule(cfg, ref, d.Rule.Index); r.GetCorsPolicy() != nil {
			if b, err := protojson.Marshal(r.GetCorsPolicy()); err == nil {
				return b
			}
		}
	}
	c := d.CORS
	b, _ := json.Marshal(map[string]any{
		"allowMethods": c.AllowMethods, "allowHeaders": c.AllowHeaders, "exposeHeaders": c.ExposeHeaders,
		"maxAge": c.MaxAge, "allowCredentials": c.AllowCredentials,
	})
	return b
}

// httpRule returns http[i] of the VirtualService ref, or nil.
func httpRule(cfg *route.Config, ref route.ObjectRef, i int) *networking.HTTPRoute {
	if ref.Name == "" || i < 0 {
		return nil
	}
	for _, vs := range cfg.VirtualServices {
		if vs.Name == ref.Name && vs.Namespace == ref.Namespace {
			if rules := vs.Spec.GetHttp(); i < len(rules) {
				return rules[i]
			}
		}
	}
	return nil
}

// istioCodeName turns a gRPC code's Go name ("DeadlineExceeded") into the
// name Istio's grpcStatus takes ("DEADLINE_EXCEEDED").
func istioCodeName(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) && unicode.IsLower(rune(s[i-1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}
	return b.String()
}
