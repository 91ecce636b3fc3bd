package route

import "github.com/meshroute/meshroute/match"

// CORSPolicy is a compiled Istio CorsPolicy, applied as Envoy's CORS filter.
type CORSPolicy struct {
	// AllowMethods, AllowHeaders and ExposeHeaders are the configured lists
	// joined with ",".
	AllowMethods  string
	AllowHeaders  string
	ExposeHeaders string
	// MaxAge is Access-Control-Max-Age in seconds, "" when unset.
	MaxAge string
	// AllowCredentials emits Access-Control-Allow-Credentials: true.
	AllowCredentials bool
	// IgnoreUnmatchedPreflights answers preflights from origins that are
	// not allowed locally (without Allow-Origin) instead of forwarding them.
	IgnoreUnmatchedPreflights bool

	origins []match.StringMatcher
}

// AllowsOrigin reports whether origin is allowed: some matcher matches it
// or matches the literal "*".
func (c *CORSPolicy) AllowsOrigin(origin string) bool {
	for i := range c.origins {
		if c.origins[i].Match(origin) || c.origins[i].Match("*") {
			return true
		}
	}
	return false
}
