package match

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// sourceMatch holds the build-time selectors of a match (spec §3.9), here
// predicates on the caller's identity: port, gateways, sourceLabels and
// sourceNamespace.
type sourceMatch struct {
	port      uint32
	gateways  []string    // resolved "ns/name" or "mesh"; empty: not checked here
	labels    [][2]string // sorted by key
	namespace string
}

func newSourceMatch(port uint32, gateways []string, labels map[string]string, namespace string) sourceMatch {
	s := sourceMatch{port: port, gateways: slices.Clone(gateways), namespace: namespace}
	for k, v := range labels {
		s.labels = append(s.labels, [2]string{k, v})
	}
	sort.Slice(s.labels, func(i, j int) bool { return s.labels[i][0] < s.labels[j][0] })
	return s
}

// match applies the selectors. When gateways are set they alone decide
// (sourceLabels and sourceNamespace are not checked, as in Istio).
func (s *sourceMatch) match(req *Request, why *string) bool {
	if s.port != 0 && s.port != req.Port {
		if why != nil {
			*why = "port: " + strconv.FormatUint(uint64(req.Port), 10) + " is not " + strconv.FormatUint(uint64(s.port), 10)
		}
		return false
	}
	if len(s.gateways) > 0 {
		gw := req.GatewayName()
		if slices.Contains(s.gateways, gw) {
			return true
		}
		if why != nil {
			*why = "gateways: " + strconv.Quote(gw) + " is not one of " + quoteList(s.gateways)
		}
		return false
	}
	for _, kv := range s.labels {
		if v, ok := req.SourceLabels[kv[0]]; !ok || v != kv[1] {
			if why != nil {
				if !ok {
					*why = "sourceLabels: " + kv[0] + " missing, want " + strconv.Quote(kv[1])
				} else {
					*why = "sourceLabels: " + kv[0] + "=" + strconv.Quote(v) + ", want " + strconv.Quote(kv[1])
				}
			}
			return false
		}
	}
	if s.namespace != "" && s.namespace != req.SourceNamespace {
		if why != nil {
			*why = "sourceNamespace: " + strconv.Quote(req.SourceNamespace) + " is not " + strconv.Quote(s.namespace)
		}
		return false
	}
	return true
}

// appendStrings appends the readable conditions to parts.
func (s *sourceMatch) appendStrings(parts []string) []string {
	if s.port != 0 {
		parts = append(parts, "port "+strconv.FormatUint(uint64(s.port), 10))
	}
	if len(s.gateways) > 0 {
		return append(parts, "gateway in "+quoteList(s.gateways))
	}
	for _, kv := range s.labels {
		parts = append(parts, "source label "+kv[0]+" = "+strconv.Quote(kv[1]))
	}
	if s.namespace != "" {
		parts = append(parts, "source namespace "+strconv.Quote(s.namespace))
	}
	return parts
}

func quoteList(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(q, " ") + "]"
}
