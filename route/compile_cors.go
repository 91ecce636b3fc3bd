package route

import (
	"fmt"
	"strconv"
	"strings"

	networking "istio.io/api/networking/v1alpha3"

	"github.com/meshroute/meshroute/match"
)

// compileCORS compiles a CorsPolicy (virtualservice.md §12): allowOrigins
// matchers, else the deprecated exact allowOrigin strings.
func compileCORS(cp *networking.CorsPolicy) (*CORSPolicy, error) {
	c := &CORSPolicy{
		AllowMethods:              strings.Join(cp.GetAllowMethods(), ","),
		AllowHeaders:              strings.Join(cp.GetAllowHeaders(), ","),
		ExposeHeaders:             strings.Join(cp.GetExposeHeaders(), ","),
		AllowCredentials:          cp.GetAllowCredentials().GetValue(),
		IgnoreUnmatchedPreflights: cp.GetUnmatchedPreflights() == networking.CorsPolicy_IGNORE,
	}
	if cp.GetMaxAge() != nil {
		c.MaxAge = strconv.FormatInt(int64(cp.GetMaxAge().AsDuration().Seconds()), 10)
	}
	if len(cp.GetAllowOrigins()) > 0 {
		for i, o := range cp.GetAllowOrigins() {
			sm, err := match.CompileStringMatch(o, match.RE2Compiler())
			if err != nil {
				return nil, fmt.Errorf("allowOrigins[%d]: %w", i, err)
			}
			if sm.IsPresence() {
				continue
			}
			c.origins = append(c.origins, sm)
		}
	} else {
		//lint:ignore SA1019 the deprecated allowOrigin is honoured when allowOrigins is absent, as Istio does
		for _, o := range cp.GetAllowOrigin() {
			c.origins = append(c.origins, match.Exact(o))
		}
	}
	return c, nil
}
