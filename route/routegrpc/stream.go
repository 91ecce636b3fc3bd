package routegrpc

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/policy"
	"github.com/meshroute/meshroute/route"
)

// StreamClientInterceptor returns an interceptor that routes each
// streaming call by the table src provides, as UnaryClientInterceptor does
// for unary calls, with two differences: a stream gets a deadline only
// when its route sets a timeout explicitly, and it is retried only until
// its first response message arrives (the messages sent until then are
// kept, up to WithStreamRetryBuffer bytes, and replayed). Streams are not
// mirrored.
func StreamClientInterceptor(src route.TableSource, opts ...Option) grpc.StreamClientInterceptor {
	c := newClient(src, opts)
	return c.stream
}

func (c *client) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	d, mreq, md := c.prepare(ctx, method, cc)
	ctx, err := c.start(ctx, &d, md)
	if err != nil {
		return nil, err
	}
	cancel := context.CancelFunc(func() {})
	if d.TimeoutSource == route.TimeoutRoute || d.TimeoutSource == route.TimeoutHeader {
		ctx, cancel = withTimeout(ctx, d.Timeout)
	}
	s := &retryStream{
		c: c, ctx: ctx, cancel: cancel, d: d, req: mreq, desc: desc, cc: cc,
		method: upstreamMethod(&d, method), streamer: streamer, opts: opts,
		tries: 1 + max(d.Retry.Attempts, 0),
	}
	if err := s.open(); err != nil {
		cancel()
		return nil, err
	}
	return s, nil
}

// errPerTryTimeout is the cause a stream try is cancelled with when its
// per-try timeout expires before the first response message.
var errPerTryTimeout = status.Error(codes.DeadlineExceeded, "per-try timeout expired before the first response")

// attempt is one try of a stream.
type attempt struct {
	cs      grpc.ClientStream
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timer   *time.Timer         // per-try timeout, stopped when the stream commits
	done    func(policy.Result) // nil without a Router
	retry   func()              // frees the retry slot this try holds, nil for the first
	addr    string
	release sync.Once
}

func (a *attempt) finish(o outcome) {
	a.release.Do(func() {
		a.stopTimer()
		if a.done != nil {
			a.done(result(o))
		}
		if a.retry != nil {
			a.retry()
		}
		a.cancel(nil)
	})
}

func (a *attempt) stopTimer() {
	if a.timer != nil {
		a.timer.Stop()
	}
}

// outcome classifies the error a's stream ended with; a per-try timeout
// reads as DeadlineExceeded.
func (a *attempt) outcome(err error, answered bool, callCtx context.Context) outcome {
	o := outcome{err: err, answered: answered}
	switch {
	case callCtx.Err() != nil:
		o.final = true
	case context.Cause(a.ctx) == errPerTryTimeout:
		o.perTryTimeout, o.answered, o.err = true, false, errPerTryTimeout
	}
	return o
}

// retryStream is a client stream that opens a new attempt, replaying what
// was sent, when the current one fails retriably before the first response
// message.
type retryStream struct {
	c        *client
	ctx      context.Context // the call's, with the route deadline if any
	cancel   context.CancelFunc
	d        route.Decision
	req      match.Request
	desc     *grpc.StreamDesc
	cc       *grpc.ClientConn
	method   string
	streamer grpc.Streamer
	opts     []grpc.CallOption

	cur atomic.Pointer[attempt]

	mu        sync.Mutex // guards the fields below and attempt changes
	tries     int        // tries allowed in all
	made      int        // tries made
	avoid     []string
	retrySlot func() // admitted for the next try
	sent      []any  // messages sent before commit, for replay
	sentBytes int
	halfClose bool
	// committed is set once the first response message arrived (or the
	// replay buffer overflowed): no more retries. It is atomic so that
	// RecvMsg commits without waiting for a SendMsg blocked on flow
	// control, which holds mu.
	committed atomic.Bool
	done      bool
}

// open makes tries until one opens or the policy stops retrying. It runs
// at creation, and with s.mu held on retries.
func (s *retryStream) open() error {
	for {
		s.made++
		a, o := s.newAttempt()
		if o.err == nil {
			err := s.replay(a)
			if err == nil {
				s.cur.Store(a)
				return nil
			}
			o = a.outcome(err, a.cs.Trailer() != nil, s.ctx)
		}
		if a != nil {
			a.finish(o)
		}
		if !s.mayRetry(o, a) {
			return o.err
		}
		if err := s.c.cfg.sleep(s.ctx, backoff(&s.d.Retry, s.made, s.c.cfg.rand)); err != nil {
			s.dropRetrySlot()
			return o.err
		}
	}
}

// dropRetrySlot frees a retry slot admitted for a try that will not be
// made.
func (s *retryStream) dropRetrySlot() {
	if s.retrySlot != nil {
		s.retrySlot()
		s.retrySlot = nil
	}
}

// mayRetry reports whether another try may follow a's outcome o, and
// remembers a's endpoint to avoid.
func (s *retryStream) mayRetry(o outcome, a *attempt) bool {
	if s.committed.Load() || s.made >= s.tries || !retriable(&s.d.Retry, o) {
		return false
	}
	release, ok := s.c.admitRetry(&s.d)
	if !ok {
		return false // retry overflow: the original failure stands
	}
	s.retrySlot = release
	if s.d.Retry.IgnorePreviousHosts && a != nil && a.addr != "" {
		s.avoid = append(s.avoid, a.addr)
	}
	return true
}

// newAttempt opens one try's stream, to the Router's pick or through the
// caller's ClientConn. The try's per-try timeout runs until the first
// response message.
func (s *retryStream) newAttempt() (*attempt, outcome) {
	tctx, cancel := context.WithCancelCause(s.ctx)
	a := &attempt{ctx: tctx, cancel: cancel, retry: s.retrySlot}
	s.retrySlot = nil
	if pt := s.d.Retry.PerTryTimeout; pt > 0 {
		a.timer = time.AfterFunc(pt, func() { cancel(errPerTryTimeout) })
	}
	opts := s.opts
	r := s.c.cfg.router
	var err error
	if r == nil || s.d.Passthrough {
		if au := s.d.Authority; au != "" && au != s.req.Authority {
			opts = append(opts[:len(opts):len(opts)], grpc.CallAuthority(au))
		}
		a.cs, err = s.streamer(tctx, s.desc, s.cc, s.method, opts...)
	} else {
		a.addr, a.done, err = r.pick.pick(&s.d.Target, &s.req, s.avoid)
		if err != nil {
			o := outcome{err: pickError(err, &s.d), final: true}
			a.finish(o)
			return nil, o
		}
		var conn *grpc.ClientConn
		conn, err = r.Conn(a.addr)
		if err != nil {
			o := outcome{err: status.Error(codes.Unavailable, err.Error()), final: true}
			a.finish(o)
			return nil, o
		}
		if s.d.Authority != "" {
			opts = append(opts[:len(opts):len(opts)], grpc.CallAuthority(s.d.Authority))
		}
		a.cs, err = conn.NewStream(tctx, s.desc, s.method, opts...)
	}
	if err != nil {
		return a, a.outcome(err, false, s.ctx)
	}
	return a, outcome{}
}

// replay sends the kept messages and the half-close to a new attempt.
func (s *retryStream) replay(a *attempt) error {
	for _, m := range s.sent {
		if err := a.cs.SendMsg(m); err != nil {
			return endStatus(a.cs, err)
		}
	}
	if s.halfClose {
		return a.cs.CloseSend()
	}
	return nil
}

// endStatus returns the status a stream ended with after SendMsg returned
// io.EOF: grpc-go reports the real error only from RecvMsg.
func endStatus(cs grpc.ClientStream, err error) error {
	if err != io.EOF {
		return err
	}
	if rerr := cs.RecvMsg(&emptypb.Empty{}); rerr != nil && rerr != io.EOF {
		return rerr
	}
	return status.Error(codes.Internal, "stream ended while replaying sent messages")
}

// Context returns the stream's context.
func (s *retryStream) Context() context.Context { return s.cur.Load().cs.Context() }

// Header returns the header metadata of the current attempt, with the
// route's response header operations applied.
func (s *retryStream) Header() (metadata.MD, error) {
	h, err := s.cur.Load().cs.Header()
	if err == nil && !s.d.ResponseHeaders.Empty() {
		if h == nil {
			h = metadata.MD{}
		}
		s.d.ResponseHeaders.ApplyMetadata(h)
	}
	return h, err
}

// Trailer returns the trailer metadata of the current attempt.
func (s *retryStream) Trailer() metadata.MD { return s.cur.Load().cs.Trailer() }

// CloseSend half-closes the stream.
func (s *retryStream) CloseSend() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.halfClose = true
	return s.cur.Load().cs.CloseSend()
}

// SendMsg sends m and, until the stream commits, keeps a copy for replay.
func (s *retryStream) SendMsg(m any) error {
	if s.committed.Load() {
		return s.cur.Load().cs.SendMsg(m)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return io.EOF
	}
	if s.committed.Load() {
		s.sent = nil // committed by RecvMsg meanwhile: nothing to replay
	} else {
		s.keep(m)
	}
	err := s.cur.Load().cs.SendMsg(m)
	if err == io.EOF && !s.committed.Load() && s.made < s.tries {
		// The try has ended; m is kept and RecvMsg decides whether a new
		// try replays it, so the caller keeps sending as if nothing
		// happened (grpc-go's own retries do the same).
		return nil
	}
	return err
}

// keep records a copy of m for replay, or commits the stream when m is not
// a protobuf message or the buffer is full. Called with s.mu held.
func (s *retryStream) keep(m any) {
	pm, ok := m.(proto.Message)
	if ok {
		s.sentBytes += proto.Size(pm)
	}
	if !ok || s.sentBytes > s.c.cfg.streamBuffer {
		s.commit(s.cur.Load())
		s.sent = nil
		return
	}
	s.sent = append(s.sent, proto.Clone(pm))
}

// commit ends the stream's retriable phase; a's per-try timeout no longer
// applies. The kept messages are dropped by the next SendMsg.
func (s *retryStream) commit(a *attempt) {
	s.committed.Store(true)
	if a != nil {
		a.stopTimer()
	}
}

// RecvMsg receives a message. A failure before the first message is
// retried when the policy allows, on a new attempt that replays what was
// sent; the first message commits the stream.
func (s *retryStream) RecvMsg(m any) error {
	for {
		a := s.cur.Load()
		err := a.cs.RecvMsg(m)
		if err == nil {
			if !s.committed.Load() {
				s.commit(a)
			}
			if !s.desc.ServerStreams {
				s.end(a, outcome{}) // the one response ends the call
			}
			return nil
		}
		if err == io.EOF {
			s.end(a, outcome{})
			return err
		}
		o := a.outcome(err, a.cs.Trailer() != nil, s.ctx)
		a.finish(o)
		s.mu.Lock()
		if !s.mayRetry(o, a) {
			s.mu.Unlock()
			s.end(a, o)
			return o.err
		}
		var rerr error
		if rerr = s.c.cfg.sleep(s.ctx, backoff(&s.d.Retry, s.made, s.c.cfg.rand)); rerr == nil {
			rerr = s.open()
		} else {
			s.dropRetrySlot()
			rerr = o.err
		}
		s.mu.Unlock()
		if rerr != nil {
			s.end(a, o)
			return rerr
		}
	}
}

// end releases the attempt and the stream's deadline.
func (s *retryStream) end(a *attempt, o outcome) {
	a.finish(o)
	s.mu.Lock()
	if !s.done {
		s.done = true
		s.cancel()
	}
	s.mu.Unlock()
}
