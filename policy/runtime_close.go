package policy

import "errors"

// ErrClosed is returned by Pick, TransportFor and the round trips of the
// RoundTripper Transport returns once the Runtime is closed.
var ErrClosed = errors.New("policy: runtime closed")

// errRetired is the transport error of a cluster replaced by a rebuild
// and released since; only a caller that held on to the old cluster
// across two rebuilds could see it.
var errRetired = errors.New("policy: cluster was rebuilt for a new policy; ask the runtime for its transport again")

// Close releases what the runtime holds: it closes the idle connections of
// every per-cluster transport it built, including those of clusters
// replaced by a policy change, which also stops their
// maxConnectionDuration timers and their connections' goroutines. Outlier
// detection and slow start run lazily on Pick and own no timers or
// goroutines. Close always returns nil; calling it again, or from several
// goroutines at once, is safe and closes whatever has gone idle since.
//
// After Close, the runtime fails clearly rather than opening anything
// new: Pick returns ErrClosed, AdmitRetry refuses every retry,
// TransportFor returns ErrClosed and Transport returns a RoundTripper
// whose round trips fail with ErrClosed. A RoundTripper taken from
// Transport or TransportFor before Close fails the same way for round
// trips that start after it, so it opens no connection. Stats keeps
// reporting the counters. A call that races with Close may still be
// served as before.
//
// Requests in flight are not interrupted: a lease released after Close
// closes the connections its cluster's transport left idle, so a request
// picked through the runtime leaves no connection behind once its lease is
// released after its response body was read or closed. A round trip sent
// without a lease that is still in flight at Close leaves its connection
// pooled when it ends, until the policy's idle timeout or another call to
// Close.
func (rt *Runtime) Close() error {
	rt.mu.Lock()
	if !rt.closed.Load() {
		for _, c := range *rt.clusters.Load() {
			rt.shutdown = append(rt.shutdown, c)
		}
		rt.shutdown = append(rt.shutdown, rt.retired...)
		rt.retired = nil
		closed := &cluster{rt: rt, name: "closed"}
		closed.transportOnce.Do(func() { closed.transportErr = ErrClosed })
		rt.closedC = closed
		rt.closed.Store(true)
	}
	list := rt.shutdown
	rt.mu.Unlock()
	for _, c := range list {
		c.shut()
	}
	return nil
}

// shut closes the idle connections of c's transport and keeps c from
// building one after Close: a transport being built now is waited for,
// and a cluster that never built one never will (TransportFor then
// returns ErrClosed).
func (c *cluster) shut() { c.release(ErrClosed) }

// release keeps c from building a transport from now on (TransportFor
// returns err) and closes the idle connections of the one it built; a
// transport being built now is waited for by the sync.Once.
func (c *cluster) release(err error) {
	c.transportOnce.Do(func() { c.transportErr = err })
	c.closeIdle()
}

// pruneRetired releases the retired clusters whose leases and retries are
// all back and forgets them; the others stay until a later rebuild or
// Close. rt.mu must be held.
func (rt *Runtime) pruneRetired() {
	kept := rt.retired[:0]
	for _, c := range rt.retired {
		if c.active.Load() == 0 && c.retries.Load() == 0 {
			c.release(errRetired)
			continue
		}
		kept = append(kept, c)
	}
	clear(rt.retired[len(kept):])
	rt.retired = kept
}
