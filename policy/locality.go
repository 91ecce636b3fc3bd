package policy

import "strings"

// localityPriority ranks an endpoint's locality against the caller's, as
// Istio assigns Envoy priorities for locality failover: 0 same
// region/zone/subzone, 1 same region and zone, 2 same region, 3 the
// region that localityLbSetting.failover names for the caller's region (or
// any other region when there is no such entry), 4 the remaining regions.
// Lower is preferred; an unknown caller locality ranks everything 0.
func localityPriority(caller, endpoint string, failover map[string]string) int {
	if caller == "" {
		return 0
	}
	cr, cz, cs := splitLocality(caller)
	er, ez, es := splitLocality(endpoint)
	switch {
	case er != "" && er == cr && ez == cz && es == cs:
		return 0
	case er != "" && er == cr && ez == cz:
		return 1
	case er != "" && er == cr:
		return 2
	}
	if to, ok := failover[cr]; ok && to != er {
		return 4
	}
	return 3
}

func splitLocality(l string) (region, zone, subzone string) {
	region, rest, _ := strings.Cut(l, "/")
	zone, subzone, _ = strings.Cut(rest, "/")
	return region, zone, subzone
}
