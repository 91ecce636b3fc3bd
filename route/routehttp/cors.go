package routehttp

import (
	"net/http"

	"github.com/meshroute/meshroute/route"
)

// CORS header names in net/http canonical form.
const (
	hdrOrigin               = "Origin"
	hdrRequestMethod        = "Access-Control-Request-Method"
	hdrRequestHeaders       = "Access-Control-Request-Headers"
	hdrAllowOrigin          = "Access-Control-Allow-Origin"
	hdrAllowCredentials     = "Access-Control-Allow-Credentials"
	hdrAllowMethods         = "Access-Control-Allow-Methods"
	hdrAllowHeaders         = "Access-Control-Allow-Headers"
	hdrExposeHeaders        = "Access-Control-Expose-Headers"
	hdrMaxAge               = "Access-Control-Max-Age"
	corsPreflightStatusCode = http.StatusOK
)

// corsStep is what the CORS filter decided for a request.
type corsStep uint8

const (
	corsNone     corsStep = iota // not a CORS request, or origin not allowed: untouched
	corsAnswered                 // preflight answered locally
	corsDecorate                 // actual request from an allowed origin: add headers to the response
)

// applyCORS runs Envoy's CORS filter for policy c: it answers preflights
// locally (origin allowed, or not allowed under IGNORE), leaves unmatched
// preflights under FORWARD and requests from other origins untouched, and
// tells the caller to decorate the response of an allowed actual request.
// It returns the request's origin for corsDecorate.
func applyCORS(w http.ResponseWriter, r *http.Request, c *route.CORSPolicy) (corsStep, string) {
	if c == nil {
		return corsNone, ""
	}
	origin := firstHeader(r.Header, hdrOrigin)
	if origin == "" {
		return corsNone, ""
	}
	allowed := c.AllowsOrigin(origin)
	if r.Method == http.MethodOptions && firstHeader(r.Header, hdrRequestMethod) != "" {
		if !allowed && !c.IgnoreUnmatchedPreflights {
			return corsNone, "" // FORWARD: the upstream sees the preflight unchanged
		}
		writePreflight(w.Header(), r, c, origin, allowed)
		w.WriteHeader(corsPreflightStatusCode)
		return corsAnswered, ""
	}
	if !allowed {
		return corsNone, ""
	}
	return corsDecorate, origin
}

// writePreflight sets the headers of Envoy's local preflight reply.
func writePreflight(h http.Header, r *http.Request, c *route.CORSPolicy, origin string, allowed bool) {
	if allowed {
		h[hdrAllowOrigin] = []string{origin}
	}
	if c.AllowCredentials {
		h[hdrAllowCredentials] = []string{"true"}
	}
	if c.AllowMethods == "*" {
		h[hdrAllowMethods] = []string{firstHeader(r.Header, hdrRequestMethod)}
	} else if c.AllowMethods != "" {
		h[hdrAllowMethods] = []string{c.AllowMethods}
	}
	if c.AllowHeaders == "*" {
		if v := firstHeader(r.Header, hdrRequestHeaders); v != "" {
			h[hdrAllowHeaders] = []string{v}
		}
	} else if c.AllowHeaders != "" {
		h[hdrAllowHeaders] = []string{c.AllowHeaders}
	}
	if c.MaxAge != "" {
		h[hdrMaxAge] = []string{c.MaxAge}
	}
}

// decorateCORS adds the CORS headers of an allowed actual request to its
// response, overriding what the upstream sent, as Envoy's encodeHeaders.
func decorateCORS(h http.Header, c *route.CORSPolicy, origin string) {
	h[hdrAllowOrigin] = []string{origin}
	if c.AllowCredentials {
		h[hdrAllowCredentials] = []string{"true"}
	}
	if c.ExposeHeaders != "" {
		h[hdrExposeHeaders] = []string{c.ExposeHeaders}
	}
}

// firstHeader returns the first value of a header given in canonical form,
// without canonicalizing (and so without allocating).
func firstHeader(h http.Header, canonical string) string {
	if v := h[canonical]; len(v) > 0 {
		return v[0]
	}
	return ""
}
