package subset

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Resolver is the discovery hook users implement to feed the registry
// from their own source of endpoints (Kubernetes EndpointSlices, Consul,
// a file): it returns the current endpoints of one host. The registry
// pulls: call Refresh when you know something changed, or run Poll.
type Resolver interface {
	Endpoints(ctx context.Context, host string) ([]Endpoint, error)
}

// ResolverFunc adapts a function to Resolver.
type ResolverFunc func(ctx context.Context, host string) ([]Endpoint, error)

// Endpoints calls f.
func (f ResolverFunc) Endpoints(ctx context.Context, host string) ([]Endpoint, error) {
	return f(ctx, host)
}

// Refresh asks res for the endpoints of each host and replaces them in the
// registry (keeping ports). A host whose lookup fails keeps its previous
// endpoints; the errors are joined.
func (r *Registry) Refresh(ctx context.Context, res Resolver, hosts ...string) error {
	var errs []error
	for _, h := range hosts {
		eps, err := res.Endpoints(ctx, h)
		if err != nil {
			errs = append(errs, fmt.Errorf("resolving endpoints of %s: %w", h, err))
			continue
		}
		r.Set(h, eps)
	}
	return errors.Join(errs...)
}

// Poll refreshes hosts from res every interval until ctx is done, calling
// onErr (if not nil) with each refresh error. It refreshes once at once
// and returns ctx's error.
func (r *Registry) Poll(ctx context.Context, res Resolver, interval time.Duration, onErr func(error), hosts ...string) error {
	if interval <= 0 {
		return errors.New("subset: Poll interval must be positive")
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := r.Refresh(ctx, res, hosts...); err != nil && onErr != nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
