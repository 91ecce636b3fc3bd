package routegrpc

import (
	"context"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
)

// mirrorer sends mirrored copies of unary calls: fire and forget, never
// delaying the call, with at most cfg.mirrorLimit in flight.
type mirrorer struct {
	cfg   *config
	slots chan struct{}
}

func newMirrorer(cfg *config) *mirrorer {
	return &mirrorer{cfg: cfg, slots: make(chan struct{}, cfg.mirrorLimit)}
}

// send mirrors the call to each mirror each yields (d.Mirrors.Each). The request message
// is cloned before send returns, so the caller may reuse it; the reply is
// decoded into a fresh message and discarded. Mirrors need a Router and
// protobuf messages; without either they are dropped.
func (m *mirrorer) send(ctx context.Context, d *route.Decision, each func(func(route.Mirror)), mreq *match.Request, method string, req, reply any) {
	r := m.cfg.router
	if r == nil {
		return
	}
	in, ok1 := req.(proto.Message)
	out, ok2 := reply.(proto.Message)
	if !ok1 || !ok2 {
		each(func(route.Mirror) { r.mirrorsDropped.Add(1) })
		return
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = m.cfg.mirrorTimeout
	}
	base := context.WithoutCancel(ctx)
	authority := d.Authority
	view := *mreq
	if view.Port == 0 {
		view.Port = d.Target.Port
	}
	var clone proto.Message
	each(func(mir route.Mirror) {
		select {
		case m.slots <- struct{}{}:
		default:
			r.mirrorsDropped.Add(1)
			return
		}
		if clone == nil {
			clone = proto.Clone(in)
		}
		go m.mirror(base, timeout, r, mir, &view, authority, method, clone, out.ProtoReflect().New().Interface())
	})
}

func (m *mirrorer) mirror(ctx context.Context, timeout time.Duration, r *Router, mir route.Mirror, view *match.Request,
	authority, method string, req, reply proto.Message) {
	defer func() { <-m.slots }()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	target := mir.Target
	if target.Port == 0 { // the mirror keeps the port of the request it copies
		target.Port = view.Port
	}
	if mir.ShadowSuffix && authority != "" {
		authority = route.ShadowAuthority(authority)
	}
	addr, done, err := r.pick.pick(&target, view, nil)
	if err != nil {
		r.mirrorsDropped.Add(1)
		return
	}
	conn, err := r.Conn(addr)
	if err != nil {
		r.mirrorsDropped.Add(1)
		done(result(outcome{err: err}))
		return
	}
	var opts []grpc.CallOption
	if authority != "" {
		opts = append(opts, grpc.CallAuthority(authority))
	}
	var trailer metadata.MD
	opts = append(opts, grpc.Trailer(&trailer))
	err = conn.Invoke(ctx, method, req, reply, opts...)
	done(result(classify(err, trailer != nil, ctx, context.Background())))
}
