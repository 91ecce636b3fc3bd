package routegrpc

import (
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/meshroute/meshroute/route"
)

// applyRequestOps applies the decision's request header operations to md
// (the interceptor's own copy of the call's metadata).
func applyRequestOps(md metadata.MD, d *route.Decision) {
	d.RequestHeaders.ApplyMetadata(md)
}

// applyResponseOps applies the decision's response header operations to
// the header metadata a unary caller asked for with grpc.Header.
func applyResponseOps(opts []grpc.CallOption, d *route.Decision) {
	if d.ResponseHeaders.Empty() {
		return
	}
	for _, o := range opts {
		if h, ok := o.(grpc.HeaderCallOption); ok && h.HeaderAddr != nil {
			if *h.HeaderAddr == nil {
				*h.HeaderAddr = metadata.MD{}
			}
			d.ResponseHeaders.ApplyMetadata(*h.HeaderAddr)
		}
	}
}

// authorityFromTarget derives the authority gRPC sends for a dial target,
// without allocating: "dns:///reviews:9080" and "dns://8.8.8.8/reviews:9080"
// give "reviews:9080", "passthrough:///10.0.0.1:80" gives "10.0.0.1:80", a
// target without a scheme is its own authority; unix sockets give
// "localhost", as grpc-go does.
func authorityFromTarget(target string) string {
	i := strings.Index(target, "://")
	if i < 0 {
		if strings.HasPrefix(target, "unix:") {
			return "localhost"
		}
		return target
	}
	scheme, rest := target[:i], target[i+3:]
	if scheme == "unix" || scheme == "unix-abstract" {
		return "localhost"
	}
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[j+1:]
	}
	if j := strings.IndexByte(rest, '?'); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
