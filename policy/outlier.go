package policy

import (
	"slices"
	"time"
)

// observe feeds one attempt's result to outlier detection (Envoy's
// consecutive_5xx, consecutive_gateway_failure and
// consecutive_local_origin_failure detectors). Counting is lock-free; the
// cluster lock is taken only to eject.
func (c *cluster) observe(e *endpointState, r Result) {
	o := &c.cfg.outlier
	local := r.LocalOrigin || (r.Status == 0 && r.Err != nil)
	if local && o.split {
		if o.consecLocal > 0 && e.consecLocal.Add(1) >= o.consecLocal {
			c.eject(e, "consecutiveLocalOriginFailures")
		}
		return
	}
	status := r.Status
	if local {
		status = 503 // not split: a local failure counts as a 503 from the host
	} else if o.split {
		reset(&e.consecLocal)
	}
	if status == 502 || status == 503 || status == 504 {
		if o.consecGw > 0 && e.consecGw.Add(1) >= o.consecGw {
			c.eject(e, "consecutiveGatewayErrors")
			return
		}
	} else {
		reset(&e.consecGw)
	}
	if o.isError(status, local) {
		if o.consec5xx > 0 && e.consec5xx.Add(1) >= o.consec5xx {
			c.eject(e, "consecutive5xxErrors")
		}
	} else {
		reset(&e.consec5xx)
	}
}

// isError reports whether status counts toward consecutive5xxErrors: any
// 5xx, or only outlierDetectionHttpErrorCodes when they are set.
func (o *outlierConfig) isError(status int, local bool) bool {
	if local || o.codes == nil {
		return status >= 500 && status <= 599
	}
	return slices.Contains(o.codes, uint32(status))
}

// reset zeroes a counter, writing only when needed to spare the cache line.
func reset(n interface {
	Load() uint32
	Store(uint32)
}) {
	if n.Load() != 0 {
		n.Store(0)
	}
}

// eject ejects e for baseEjectionTime × its ejection count (capped at
// 300s or baseEjectionTime, whichever is larger) unless that would exceed
// maxEjectionPercent of the cluster's hosts — Envoy still ejects one host
// when none is ejected.
func (c *cluster) eject(e *endpointState, why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.consec5xx.Store(0)
	e.consecGw.Store(0)
	e.consecLocal.Store(0)
	st := c.state.Load()
	if st != e.st || e.ejected.Load() {
		return // endpoint set changed under the lease, or already out
	}
	ejected := 0
	for _, h := range st.hosts {
		if h.ejected.Load() {
			ejected++
		}
	}
	if ejected > 0 && (ejected+1)*100 > c.cfg.outlier.maxPercent*len(st.hosts) {
		c.rt.log.Info("outlier ejection skipped: maxEjectionPercent reached", "cluster", c.name, "endpoint", e.addr, "ejected", ejected)
		return
	}
	now := c.rt.clock()
	e.ejections++
	d := c.cfg.outlier.base * time.Duration(e.ejections)
	if limit := max(maxEjectionTime, c.cfg.outlier.base); d > limit {
		d = limit
	}
	e.ejectUntil = now.Add(d).UnixNano()
	e.ejected.Store(true)
	c.stats.ejections.Add(1)
	st.healthy.Store(c.buildHostSet(st))
	c.rt.log.Info("outlier ejected endpoint", "cluster", c.name, "endpoint", e.addr, "reason", why, "for", d, "ejections", e.ejections)
}

// maybeSweep runs the interval sweep when it is due: endpoints whose
// ejection time has passed return, and endpoints that stayed healthy for
// an interval have their ejection multiplier lowered by one per interval.
// Sweeps run on the interval grid from the cluster's creation, lazily on
// Pick: one Pick after several intervals acts as all the sweeps it missed.
func (c *cluster) maybeSweep() {
	now := c.rt.clock().UnixNano()
	if now < c.nextSweep.Load() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	next := c.nextSweep.Load()
	if now < next {
		return
	}
	iv := int64(c.cfg.outlier.interval)
	missed := (now - next) / iv // sweeps no Pick triggered
	at := next + missed*iv      // the last sweep time on the grid
	c.nextSweep.Store(at + iv)
	now = at
	st := c.state.Load()
	if st == nil {
		return
	}
	changed := false
	for _, h := range st.hosts {
		switch {
		case h.ejected.Load() && now >= h.ejectUntil:
			h.ejected.Store(false)
			changed = true
			c.rt.log.Info("outlier endpoint returned", "cluster", c.name, "endpoint", h.addr)
		case !h.ejected.Load() && h.ejections > 0:
			h.ejections = max(0, h.ejections-1-int(missed))
		}
	}
	if changed {
		st.healthy.Store(c.buildHostSet(st))
	}
}
