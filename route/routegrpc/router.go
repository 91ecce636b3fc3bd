package routegrpc

import (
	"errors"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
)

// picker is the one verb of policy.Runtime the router needs: pick an
// endpoint for a try and learn the try's result through done.
type picker interface {
	pick(t *policy.Target, req *match.Request, avoid []string) (addr string, done func(policy.Result), err error)
	// admitRetry asks for a retry slot (circuit-breaker maxRetries or
	// retry budget); release frees it when the retry ends.
	admitRetry(t *policy.Target) (release func(), ok bool)
}

// runtimePicker picks through a policy.Runtime.
type runtimePicker struct{ rt *policy.Runtime }

func (p runtimePicker) pick(t *policy.Target, req *match.Request, avoid []string) (string, func(policy.Result), error) {
	if p.rt == nil {
		return "", nil, errNoRuntime
	}
	lease, err := p.rt.Pick(t, req, avoid)
	if err != nil {
		return "", nil, err
	}
	return lease.Addr, lease.Release, nil
}

func (p runtimePicker) admitRetry(t *policy.Target) (func(), bool) {
	if p.rt == nil {
		return func() {}, true
	}
	return p.rt.AdmitRetry(t)
}

var errNoRuntime = errors.New("the Router has no policy runtime")

// Router is the connection set of the client interceptors: it picks the
// endpoint of each try through a policy.Runtime (balancing, circuit
// breaking, outlier detection) and keeps one *grpc.ClientConn per endpoint
// address, shared by every service, subset and port that resolves to it.
// It is safe for concurrent use; Close it when done.
type Router struct {
	pick     picker
	dialOpts []grpc.DialOption

	mu     sync.Mutex
	conns  map[string]*grpc.ClientConn
	closed bool

	mirrorsDropped atomic.Uint64
}

// ErrRouterClosed is returned for calls routed through a closed Router.
var ErrRouterClosed = errors.New("routegrpc: router is closed")

// NewRouter returns a Router that picks endpoints with rt and dials them
// with grpc.NewClient and opts. Connections are plaintext unless opts set
// transport credentials (as a sidecar's upstream without mTLS); opts must
// not add the routing interceptors again.
func NewRouter(rt *policy.Runtime, opts ...grpc.DialOption) *Router {
	return newRouter(runtimePicker{rt}, opts)
}

func newRouter(p picker, opts []grpc.DialOption) *Router {
	all := make([]grpc.DialOption, 0, len(opts)+1)
	all = append(all, grpc.WithTransportCredentials(insecure.NewCredentials()))
	all = append(all, opts...)
	return &Router{pick: p, dialOpts: all, conns: map[string]*grpc.ClientConn{}}
}

// Conn returns the connection to the endpoint addr ("host:port"), creating
// it on first use.
func (r *Router) Conn(addr string) (*grpc.ClientConn, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrRouterClosed
	}
	if cc, ok := r.conns[addr]; ok {
		return cc, nil
	}
	cc, err := grpc.NewClient("passthrough:///"+addr, r.dialOpts...)
	if err != nil {
		return nil, err
	}
	r.conns[addr] = cc
	return cc, nil
}

// Endpoints returns the addresses the router holds a connection to.
func (r *Router) Endpoints() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.conns))
	for a := range r.conns {
		out = append(out, a)
	}
	return out
}

// Forget closes and drops the connection to addr, for endpoints that left
// the registry.
func (r *Router) Forget(addr string) error {
	r.mu.Lock()
	cc := r.conns[addr]
	delete(r.conns, addr)
	r.mu.Unlock()
	if cc == nil {
		return nil
	}
	return cc.Close()
}

// MirrorsDropped returns how many mirrored calls were dropped because the
// bound on mirrors in flight was reached or no endpoint could be picked.
func (r *Router) MirrorsDropped() uint64 { return r.mirrorsDropped.Load() }

// Close closes every connection. Calls routed afterwards fail with
// Unavailable.
func (r *Router) Close() error {
	r.mu.Lock()
	conns := r.conns
	r.conns = map[string]*grpc.ClientConn{}
	r.closed = true
	r.mu.Unlock()
	var errs []error
	for _, cc := range conns {
		if err := cc.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
