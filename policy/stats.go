package policy

import (
	"sort"
	"sync/atomic"
)

// ClusterStats are the counters of one cluster (Envoy's cluster stats of
// the same meaning), for users to read or export to their metrics system.
type ClusterStats struct {
	// Cluster is the cluster name, "outbound|<port>|<subset>|<host>".
	Cluster string
	// Requests counts admitted requests that got an endpoint (upstream_rq_total).
	Requests uint64
	// Active is the number of requests in flight now (upstream_rq_active).
	Active int64
	// Overflows counts requests rejected by a connection-pool limit
	// (upstream_rq_pending_overflow + max-requests overflow, flag UO).
	Overflows uint64
	// PendingOverflows is the part of Overflows due to
	// http1MaxPendingRequests.
	PendingOverflows uint64
	// NoHealthy counts requests with no endpoint to pick (flag UH).
	NoHealthy uint64
	// Retries counts admitted retries (upstream_rq_retry).
	Retries uint64
	// RetryOverflows counts retries refused by maxRetries or the retry
	// budget (upstream_rq_retry_overflow).
	RetryOverflows uint64
	// Ejections counts outlier ejections (outlier_detection.ejections_enforced_total).
	Ejections uint64
	// Ejected is the number of endpoints ejected now (ejections_active).
	Ejected int
	// Endpoints is the number of endpoints of the cluster.
	Endpoints int
}

// counters are a cluster name's counters; they outlive cluster rebuilds.
type counters struct {
	requests, overflows, pendingOverflows, noHealthy atomic.Uint64
	retries, retryOverflows, ejections               atomic.Uint64
}

// Stats returns the counters of every cluster the runtime has served,
// sorted by cluster name.
func (rt *Runtime) Stats() []ClusterStats {
	var out []ClusterStats
	clusters := *rt.clusters.Load()
	byName := map[string]*cluster{}
	for _, c := range clusters {
		byName[c.name] = c
	}
	rt.stats.Range(func(k, v any) bool {
		ct := v.(*counters)
		s := ClusterStats{
			Cluster:          k.(string),
			Requests:         ct.requests.Load(),
			Overflows:        ct.overflows.Load(),
			PendingOverflows: ct.pendingOverflows.Load(),
			NoHealthy:        ct.noHealthy.Load(),
			Retries:          ct.retries.Load(),
			RetryOverflows:   ct.retryOverflows.Load(),
			Ejections:        ct.ejections.Load(),
		}
		if c := byName[s.Cluster]; c != nil {
			s.Active = c.active.Load()
			if st := c.state.Load(); st != nil {
				s.Endpoints = len(st.hosts)
				for _, h := range st.hosts {
					if h.ejected.Load() {
						s.Ejected++
					}
				}
			}
		}
		out = append(out, s)
		return true
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Cluster < out[j].Cluster })
	return out
}
