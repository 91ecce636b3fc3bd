package routehttp

import (
	"net/http"
	"strings"

	"github.com/meshroute/meshroute/match"
)

// Identity is who is calling: the workload's namespace and labels, which a
// VirtualService match reads through sourceNamespace and sourceLabels.
type Identity struct {
	// Namespace is the calling workload's namespace ("" when unknown).
	Namespace string
	// Labels are the calling workload's labels (nil when unknown).
	Labels map[string]string
}

// IdentityFunc finds the calling workload's identity for a request. It is
// called once per request and must be safe for concurrent use.
type IdentityFunc func(*http.Request) Identity

// StaticIdentity returns an IdentityFunc that gives every request the same
// identity: what an outbound Transport uses for the workload it runs in.
// labels must not be modified afterwards.
func StaticIdentity(namespace string, labels map[string]string) IdentityFunc {
	id := Identity{Namespace: namespace, Labels: labels}
	return func(*http.Request) Identity { return id }
}

// PeerIdentity returns an IdentityFunc that reads the caller's SPIFFE ID
// from its verified mTLS client certificate (a URI SAN of the form
// spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>, as Istio
// issues them). labels, which may be nil, maps the namespace and service
// account to the workload's labels. Requests without a verified SPIFFE
// certificate get no identity.
func PeerIdentity(labels func(namespace, serviceAccount string) map[string]string) IdentityFunc {
	return func(r *http.Request) Identity {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 && len(r.TLS.PeerCertificates) == 0 {
			return Identity{}
		}
		leaf := r.TLS.PeerCertificates
		if len(r.TLS.VerifiedChains) > 0 && len(r.TLS.VerifiedChains[0]) > 0 {
			leaf = r.TLS.VerifiedChains[0]
		}
		for _, u := range leaf[0].URIs {
			ns, sa, ok := ParseSPIFFE(u.String())
			if !ok {
				continue
			}
			id := Identity{Namespace: ns}
			if labels != nil {
				id.Labels = labels(ns, sa)
			}
			return id
		}
		return Identity{}
	}
}

// ParseSPIFFE splits an Istio SPIFFE ID
// "spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>" into its
// namespace and service account.
func ParseSPIFFE(id string) (namespace, serviceAccount string, ok bool) {
	rest, found := strings.CutPrefix(id, "spiffe://")
	if !found {
		return "", "", false
	}
	_, path, found := strings.Cut(rest, "/")
	if !found {
		return "", "", false
	}
	ns, found := strings.CutPrefix(path, "ns/")
	if !found {
		return "", "", false
	}
	ns, sa, found := strings.Cut(ns, "/sa/")
	if !found || ns == "" || sa == "" || strings.Contains(sa, "/") {
		return "", "", false
	}
	return ns, sa, true
}

// HeaderIdentity returns an IdentityFunc that trusts request headers for
// the caller's identity: namespaceHeader holds the namespace and
// labelsHeader the labels as "key=value" pairs separated by commas. Use it
// only behind a proxy that sets these headers and strips them from
// untrusted clients; either name may be "" to skip it.
func HeaderIdentity(namespaceHeader, labelsHeader string) IdentityFunc {
	nsKey := http.CanonicalHeaderKey(namespaceHeader)
	lblKey := http.CanonicalHeaderKey(labelsHeader)
	return func(r *http.Request) Identity {
		var id Identity
		if nsKey != "" {
			if v := r.Header[nsKey]; len(v) > 0 {
				id.Namespace = strings.TrimSpace(v[0])
			}
		}
		if lblKey != "" {
			if v := r.Header[lblKey]; len(v) > 0 {
				id.Labels = ParseLabels(strings.Join(v, ","))
			}
		}
		return id
	}
}

// ParseLabels parses "key=value" pairs separated by commas, trimming
// spaces and skipping pairs without "=" or with an empty key. It returns
// nil when there is no pair.
func ParseLabels(s string) map[string]string {
	var m map[string]string
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, ",")
		k, v, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if m == nil {
			m = make(map[string]string)
		}
		m[k] = strings.TrimSpace(v)
	}
	return m
}

// viewInto builds the request view for r, with the configured identity
// and gateway, in dst.
func (c *config) viewInto(dst *match.Request, r *http.Request) {
	*dst = match.FromHTTP(r)
	if c.identity != nil {
		id := c.identity(r)
		dst.SourceNamespace = id.Namespace
		dst.SourceLabels = id.Labels
	}
	if c.gateway != "" {
		dst.Gateway = c.gateway
	}
}
