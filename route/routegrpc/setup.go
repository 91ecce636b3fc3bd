package routegrpc

import (
	"google.golang.org/grpc"

	"github.com/meshroute/meshroute/route"
)

// DialOptions returns the dial options that install both client
// interceptors, sharing one set of options (and one bound on mirrors in
// flight). They chain after interceptors given earlier, so the routing
// interceptor is the innermost, as it must be: it sends the call itself.
//
//	cc, err := grpc.NewClient("dns:///reviews:9080", append(creds, routegrpc.DialOptions(store, routegrpc.WithRouter(router))...)...)
func DialOptions(src route.TableSource, opts ...Option) []grpc.DialOption {
	c := newClient(src, opts)
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(c.unary),
		grpc.WithChainStreamInterceptor(c.stream),
	}
}

// ServerOptions returns the server options that install both server
// interceptors, chained after interceptors given earlier.
//
//	srv := grpc.NewServer(routegrpc.ServerOptions(store)...)
func ServerOptions(src route.TableSource, opts ...Option) []grpc.ServerOption {
	s := &server{src: src, cfg: newConfig(opts)}
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(s.unary),
		grpc.ChainStreamInterceptor(s.stream),
	}
}
