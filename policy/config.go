package policy

import (
	"net/http"
	"time"

	networking "istio.io/api/networking/v1alpha3"
)

// lbKind is the load-balancing algorithm of a cluster.
type lbKind uint8

const (
	lbLeastRequest lbKind = iota // Istio's default
	lbRoundRobin
	lbRandom
	lbPassthrough
	lbRingHash
	lbMaglev
)

var lbNames = [...]string{"LEAST_REQUEST", "ROUND_ROBIN", "RANDOM", "PASSTHROUGH", "RING_HASH", "MAGLEV"}

func (k lbKind) String() string { return lbNames[k] }

// hashSource is what a consistent hash is computed from.
type hashSource uint8

const (
	hashNone hashSource = iota
	hashHeader
	hashCookie
	hashSourceIP
	hashQuery
)

// Defaults Envoy and Istio apply when a field is unset.
const (
	defaultRingSize       = 1024
	maxRingSize           = 8 << 20
	defaultMaglevSize     = 65537
	defaultConnectTimeout = 10 * time.Second
	defaultIdleTimeout    = time.Hour
	defaultInterval       = 10 * time.Second
	defaultBaseEjection   = 30 * time.Second
	maxEjectionTime       = 300 * time.Second
	defaultMaxEjectPct    = 10
	defaultConsecutive5xx = 5
	defaultLocalOrigin    = 5
	defaultBudgetPercent  = 20.0
	defaultBudgetMinConc  = 3
	previousHostsAttempts = 5
)

// config is a cluster's traffic policy compiled for the request path.
type config struct {
	lb lbKind

	hash        hashSource
	hashName    string // header name (lower case), cookie or query parameter
	hashCanon   string // header name in canonical MIME form
	cookiePath  string
	cookieTTL   *time.Duration
	cookieAttrs []*networking.LoadBalancerSettings_ConsistentHashLB_HTTPCookie_Attribute
	ringSize    int
	tableSize   int

	localityOff bool
	failover    map[string]string // from region → to region
	distribute  []distributeRule
	failoverPri []string // failoverPriority labels, "key" or "key=value"

	// circuit breakers; 0 = unlimited
	maxRequests int64
	maxConns    int64
	maxPending  int64
	maxRetries  int64
	budget      bool
	budgetPct   float64
	budgetMin   int64

	outlier outlierConfig
	warmup  warmupConfig
}

type outlierConfig struct {
	enabled      bool
	consec5xx    uint32 // 0 = disabled
	consecGw     uint32
	consecLocal  uint32
	split        bool
	interval     time.Duration
	base         time.Duration
	maxPercent   int
	minHealthPct int
	codes        []uint32 // nil: any 5xx counts
}

func compile(p *networking.TrafficPolicy) config {
	var c config
	c.compileLB(p.GetLoadBalancer())
	c.compilePool(p.GetConnectionPool())
	if rb := p.GetRetryBudget(); rb != nil {
		c.budget = true
		c.budgetPct = defaultBudgetPercent
		if rb.Percent != nil {
			c.budgetPct = rb.Percent.Value
		}
		c.budgetMin = defaultBudgetMinConc
		if rb.MinRetryConcurrency != 0 {
			c.budgetMin = int64(rb.MinRetryConcurrency)
		}
	}
	c.outlier = compileOutlier(p.GetOutlierDetection())
	return c
}

func (c *config) compileLB(lb *networking.LoadBalancerSettings) {
	switch lb.GetSimple() {
	case networking.LoadBalancerSettings_ROUND_ROBIN:
		c.lb = lbRoundRobin
	case networking.LoadBalancerSettings_RANDOM:
		c.lb = lbRandom
	case networking.LoadBalancerSettings_PASSTHROUGH:
		c.lb = lbPassthrough
	default: // UNSPECIFIED, LEAST_REQUEST, LEAST_CONN
		c.lb = lbLeastRequest
	}
	if ls := lb.GetLocalityLbSetting(); ls != nil {
		c.localityOff = ls.Enabled != nil && !ls.Enabled.Value
		for _, d := range ls.Distribute {
			r := distributeRule{from: d.From}
			for loc, w := range d.To {
				r.to = append(r.to, localityWeight{pattern: loc, weight: uint64(w)})
			}
			sortMostSpecificFirst(r.to)
			c.distribute = append(c.distribute, r)
		}
		c.failoverPri = ls.FailoverPriority
		for _, f := range ls.Failover {
			if c.failover == nil {
				c.failover = map[string]string{}
			}
			c.failover[f.From] = f.To
		}
	}
	if c.lb == lbRoundRobin || c.lb == lbLeastRequest {
		c.compileWarmup(lb)
	}
	ch := lb.GetConsistentHash()
	if ch == nil {
		return
	}
	c.lb = lbRingHash
	c.ringSize = defaultRingSize
	//lint:ignore SA1019 the deprecated top-level minimumRingSize is still honoured, as Istio does
	if legacy := ch.MinimumRingSize; legacy != 0 {
		c.ringSize = int(min(legacy, maxRingSize))
	}
	if rh := ch.GetRingHash(); rh != nil && rh.MinimumRingSize != 0 {
		c.ringSize = int(min(rh.MinimumRingSize, maxRingSize))
	}
	if mg := ch.GetMaglev(); mg != nil {
		c.lb = lbMaglev
		c.tableSize = defaultMaglevSize
		if mg.TableSize != 0 && mg.TableSize < 5000011 {
			c.tableSize = int(mg.TableSize)
		}
	}
	switch k := ch.HashKey.(type) {
	case *networking.LoadBalancerSettings_ConsistentHashLB_HttpHeaderName:
		c.hash = hashHeader
		c.hashName = lower(k.HttpHeaderName)
		c.hashCanon = http.CanonicalHeaderKey(c.hashName)
	case *networking.LoadBalancerSettings_ConsistentHashLB_HttpCookie:
		c.hash = hashCookie
		c.hashName = k.HttpCookie.GetName()
		c.cookiePath = k.HttpCookie.GetPath()
		if ttl := k.HttpCookie.GetTtl(); ttl != nil {
			d := ttl.AsDuration()
			c.cookieTTL = &d
		}
		c.cookieAttrs = k.HttpCookie.GetAttributes()
	case *networking.LoadBalancerSettings_ConsistentHashLB_UseSourceIp:
		if k.UseSourceIp {
			c.hash = hashSourceIP
		}
	case *networking.LoadBalancerSettings_ConsistentHashLB_HttpQueryParameterName:
		c.hash = hashQuery
		c.hashName = k.HttpQueryParameterName
	}
}

func (c *config) compileWarmup(lb *networking.LoadBalancerSettings) {
	w := warmupConfig{minPercent: 10, aggression: 1}
	legacy := lb.GetWarmupDurationSecs()
	if wu := lb.GetWarmup(); wu != nil {
		w.window = wu.GetDuration().AsDuration()
		if wu.MinimumPercent != nil {
			w.minPercent = wu.MinimumPercent.Value
		}
		if wu.Aggression != nil && wu.Aggression.Value > 0 {
			w.aggression = wu.Aggression.Value
		}
	} else if legacy != nil {
		w.window = legacy.AsDuration()
	}
	if w.window > 0 {
		c.warmup = w
	}
}

func (c *config) compilePool(cp *networking.ConnectionPoolSettings) {
	if h := cp.GetHttp(); h != nil {
		c.maxRequests = int64(max(h.Http2MaxRequests, 0))
		c.maxPending = int64(max(h.Http1MaxPendingRequests, 0))
		c.maxRetries = int64(max(h.MaxRetries, 0))
	}
	if t := cp.GetTcp(); t != nil {
		c.maxConns = int64(max(t.MaxConnections, 0))
	}
}

func compileOutlier(od *networking.OutlierDetection) outlierConfig {
	if od == nil {
		return outlierConfig{}
	}
	o := outlierConfig{
		enabled:      true,
		consec5xx:    defaultConsecutive5xx,
		split:        od.SplitExternalLocalOriginErrors,
		interval:     defaultInterval,
		base:         defaultBaseEjection,
		maxPercent:   defaultMaxEjectPct,
		minHealthPct: int(od.MinHealthPercent),
		codes:        od.OutlierDetectionHttpErrorCodes,
	}
	if v := od.ConsecutiveGatewayErrors; v != nil {
		o.consecGw = v.Value
	}
	if v := od.Consecutive_5XxErrors; v != nil {
		o.consec5xx = v.Value
	}
	if o.split {
		o.consecLocal = defaultLocalOrigin
		if v := od.ConsecutiveLocalOriginFailures; v != nil {
			o.consecLocal = v.Value
		}
	}
	if d := od.Interval; d != nil && d.AsDuration() > 0 {
		o.interval = d.AsDuration()
	}
	if d := od.BaseEjectionTime; d != nil && d.AsDuration() > 0 {
		o.base = d.AsDuration()
	}
	if od.MaxEjectionPercent > 0 {
		o.maxPercent = int(min(od.MaxEjectionPercent, 100))
	}
	return o
}

func lower(s string) string {
	b := []byte(s)
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			b[i] = ch + 'a' - 'A'
		}
	}
	return string(b)
}
