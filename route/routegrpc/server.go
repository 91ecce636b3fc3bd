package routegrpc

import (
	"context"
	"net"
	"net/netip"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

type decisionKey struct{}

// decisionCtx is the handler's context: it carries the decision in the
// same allocation, answering Value(decisionKey{}) itself.
type decisionCtx struct {
	context.Context
	d route.Decision
}

func (c *decisionCtx) Value(key any) any {
	if key == (decisionKey{}) {
		return &c.d
	}
	return c.Context.Value(key)
}

func (c *decisionCtx) String() string { return "routegrpc.decisionContext" }

// DecisionFrom returns the routing decision the server interceptors made
// for the call whose context is ctx.
func DecisionFrom(ctx context.Context) (*route.Decision, bool) {
	d, ok := ctx.Value(decisionKey{}).(*route.Decision)
	return d, ok
}

// server is the state shared by the server interceptors.
type server struct {
	src route.TableSource
	cfg *config
}

// UnaryServerInterceptor returns an interceptor that decides on each
// inbound unary call by the table src provides, as the server's sidecar
// would: it answers calls the table does not forward (no route ⇒
// Unimplemented, unavailable ⇒ Unavailable), injects the route's fault,
// applies its request header operations to the incoming metadata and its
// response header operations to the headers the handler sends, and puts
// the decision in the handler's context (DecisionFrom). Source identity
// comes from the peer address and WithIdentity.
func UnaryServerInterceptor(src route.TableSource, opts ...Option) grpc.UnaryServerInterceptor {
	s := &server{src: src, cfg: newConfig(opts)}
	return s.unary
}

// StreamServerInterceptor is UnaryServerInterceptor for streaming calls.
func StreamServerInterceptor(src route.TableSource, opts ...Option) grpc.StreamServerInterceptor {
	s := &server{src: src, cfg: newConfig(opts)}
	return s.stream
}

// decide builds the view of an inbound call, decides, and carries out what
// happens before the handler. It returns the handler's context.
func (s *server) decide(ctx context.Context, method string) (context.Context, *route.Decision, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	var authority string
	if v := md[":authority"]; len(v) > 0 {
		authority = v[0]
	}
	req := match.FromGRPC(method, authority, md)
	if p, ok := peer.FromContext(ctx); ok {
		if p.Addr != nil {
			req.SourceIP = peerIP(p.Addr)
		}
		if _, tls := p.AuthInfo.(credentials.TLSInfo); tls {
			req.Scheme = "https"
		}
	}
	dc := &decisionCtx{}
	d := &dc.d
	*d = s.cfg.decideOn(ctx, s.src, &req)
	if err := actionError(d); err != nil {
		return ctx, d, err
	}
	if err := faultError(ctx, s.cfg, d); err != nil {
		return ctx, d, err
	}
	if !d.RequestHeaders.Empty() {
		if md == nil {
			md = metadata.MD{}
		}
		applyRequestOps(md, d)
		ctx = metadata.NewIncomingContext(ctx, md)
	}
	dc.Context = ctx
	return dc, d, nil
}

// peerIP is the IP address of a peer (IPv4-mapped addresses unmapped), the
// zero Addr when it has none: read from a TCP address directly, parsed
// from the address's string form otherwise.
func peerIP(a net.Addr) netip.Addr {
	if tcp, ok := a.(*net.TCPAddr); ok {
		return tcp.AddrPort().Addr().Unmap()
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (s *server) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, d, err := s.decide(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	if !d.ResponseHeaders.Empty() {
		if ts := grpc.ServerTransportStreamFromContext(ctx); ts != nil {
			ops := newRespOps(d.ResponseHeaders)
			if err := ts.SetHeader(ops.initial()); err != nil {
				return nil, err
			}
			ctx = grpc.NewContextWithServerTransportStream(ctx, &headerStream{ServerTransportStream: ts, ops: ops})
		}
	}
	return handler(ctx, req)
}

func (s *server) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, d, err := s.decide(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	ws := &serverStream{ServerStream: ss, ctx: ctx}
	if !d.ResponseHeaders.Empty() {
		ws.ops = newRespOps(d.ResponseHeaders)
		if err := ss.SetHeader(ws.ops.initial()); err != nil {
			return err
		}
	}
	return handler(srv, ws)
}

// respOps carries out response header operations on the headers a
// handler sends. The operations' own headers are sent first (set and add
// values, applied to an empty header); every later piece the handler sets
// loses the names the operations remove or set, so a removed name never
// reaches the client and a set name carries the route's value only. gRPC
// merges the pieces; add values come before the handler's.
type respOps struct {
	ops  route.HeaderOps
	drop []string // lower-case names removed or set at any level
}

func newRespOps(ops route.HeaderOps) *respOps {
	r := &respOps{ops: ops}
	for _, n := range ops.Remove() {
		r.drop = append(r.drop, strings.ToLower(n))
	}
	for _, kv := range ops.Set() {
		r.drop = append(r.drop, strings.ToLower(kv.Name))
	}
	return r
}

// initial returns the header the operations themselves send.
func (r *respOps) initial() metadata.MD {
	md := metadata.MD{}
	r.ops.ApplyMetadata(md)
	return md
}

// filter returns the handler's md without the dropped names.
func (r *respOps) filter(md metadata.MD) metadata.MD {
	out := md.Copy()
	for _, n := range r.drop {
		delete(out, n)
	}
	return out
}

// headerStream applies response header operations to the headers a unary
// handler sets with grpc.SetHeader and grpc.SendHeader.
type headerStream struct {
	grpc.ServerTransportStream
	ops *respOps
}

// SetHeader sets md with the operations applied.
func (h *headerStream) SetHeader(md metadata.MD) error {
	return h.ServerTransportStream.SetHeader(h.ops.filter(md))
}

// SendHeader sends md with the operations applied.
func (h *headerStream) SendHeader(md metadata.MD) error {
	return h.ServerTransportStream.SendHeader(h.ops.filter(md))
}

// serverStream is a ServerStream with the decision's context and response
// header operations.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
	ops *respOps // nil when there are none
}

// Context returns the context carrying the decision.
func (s *serverStream) Context() context.Context { return s.ctx }

// SetHeader sets md with the operations applied.
func (s *serverStream) SetHeader(md metadata.MD) error {
	if s.ops != nil {
		md = s.ops.filter(md)
	}
	return s.ServerStream.SetHeader(md)
}

// SendHeader sends md with the operations applied.
func (s *serverStream) SendHeader(md metadata.MD) error {
	if s.ops != nil {
		md = s.ops.filter(md)
	}
	return s.ServerStream.SendHeader(md)
}
