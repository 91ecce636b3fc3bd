package routehttp

import (
	"bytes"
	"io"
	"net/http"
)

// replayBody gives each attempt (and each mirror) its own copy of a
// request body: from GetBody when the request has one, else from a buffer
// of at most limit bytes. A larger body is streamed once: the first
// attempt gets it, and it cannot be replayed.
type replayBody struct {
	orig    io.ReadCloser
	getBody func() (io.ReadCloser, error)
	buf     []byte
	mode    bodyMode
	limit   int64
	length  int64 // ContentLength to send, -1 when unknown
	used    bool  // the original body was handed out
}

type bodyMode uint8

const (
	bodyNone     bodyMode = iota // no body
	bodyOnce                     // streamed once, not replayable
	bodyGetBody                  // replayed through GetBody
	bodyBuffered                 // whole body in buf
)

// noBody is the replayBody of every request without a body: one that is
// never changed (next, copyForMirror and close leave a bodyNone alone).
var noBody = &replayBody{mode: bodyNone}

// newReplayBody prepares req's body. need says whether it must be
// replayable (retries or mirrors are possible); without need it is passed
// through once.
func newReplayBody(req *http.Request, need bool, limit int64) (*replayBody, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return noBody, nil
	}
	b := &replayBody{orig: req.Body, limit: limit, length: req.ContentLength}
	switch {
	case !need:
		b.mode = bodyOnce
	case req.GetBody != nil:
		b.mode, b.getBody = bodyGetBody, req.GetBody
	case limit <= 0:
		b.mode = bodyOnce
	default:
		buf, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
		if err != nil {
			req.Body.Close()
			return nil, err
		}
		if int64(len(buf)) <= limit {
			req.Body.Close()
			b.mode, b.buf, b.length = bodyBuffered, buf, int64(len(buf))
		} else {
			b.mode, b.buf = bodyOnce, buf
			b.orig = struct {
				io.Reader
				io.Closer
			}{io.MultiReader(bytes.NewReader(buf), req.Body), req.Body}
		}
	}
	return b, nil
}

// replayable reports whether another copy of the body can be produced.
func (b *replayBody) replayable() bool {
	switch b.mode {
	case bodyNone, bodyGetBody, bodyBuffered:
		return true
	}
	return !b.used
}

// next returns the body for the next attempt or mirror, with GetBody set
// when the body can be replayed by the underlying transport too.
func (b *replayBody) next() (io.ReadCloser, func() (io.ReadCloser, error), error) {
	switch b.mode {
	case bodyNone:
		return http.NoBody, nil, nil
	case bodyBuffered:
		return io.NopCloser(bytes.NewReader(b.buf)), b.bufGetBody, nil
	case bodyGetBody:
		if !b.used {
			b.used = true
			return b.orig, b.getBody, nil
		}
		rc, err := b.getBody()
		return rc, b.getBody, err
	}
	if b.used {
		return nil, nil, errBodyConsumed
	}
	b.used = true
	return b.orig, nil, nil
}

func (b *replayBody) bufGetBody() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b.buf)), nil
}

// copyForMirror returns a separate copy of the body for a mirror, or
// false when there is none to give.
func (b *replayBody) copyForMirror() (io.ReadCloser, bool) {
	switch b.mode {
	case bodyNone:
		return http.NoBody, true
	case bodyBuffered:
		return io.NopCloser(bytes.NewReader(b.buf)), true
	case bodyGetBody:
		rc, err := b.getBody()
		return rc, err == nil
	}
	return nil, false
}

// close releases the original body when no attempt took it.
func (b *replayBody) close() {
	if !b.used && b.orig != nil && b.mode != bodyBuffered {
		b.orig.Close()
	}
}

type bodyError string

func (e bodyError) Error() string { return string(e) }

const errBodyConsumed = bodyError("routehttp: request body already sent and cannot be replayed")
