package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meshroute/meshroute/match"
	"github.com/meshroute/meshroute/route"
	"github.com/meshroute/meshroute/route/kubesource"
	"github.com/meshroute/meshroute/subset"
)

// printer prints each applied change and the probes' decisions.
type printer struct {
	out             io.Writer
	probes          []*url.URL
	sourceNamespace string
	registry        *subset.Registry // nil without -endpoints
	now             func() time.Time
}

// change is the Source's OnApply callback.
func (p *printer) change(c kubesource.Change) {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	fmt.Fprintf(p.out, "--- %s\n", now().UTC().Format(time.RFC3339))
	if c.Err != nil {
		fmt.Fprintf(p.out, "not applied, previous table kept: %v\n", c.Err)
		return
	}
	for _, l := range []struct {
		sign string
		refs []route.ObjectRef
	}{{"+", c.Added}, {"~", c.Updated}, {"-", c.Removed}} {
		for _, r := range l.refs {
			fmt.Fprintf(p.out, "%s %s\n", l.sign, r)
		}
	}
	for _, s := range c.Skipped {
		fmt.Fprintf(p.out, "! skipped %s:\n", s.Object)
		for _, pr := range s.Problems {
			fmt.Fprintf(p.out, "    %s\n", pr.Error())
		}
	}
	for _, w := range c.Table.Warnings() {
		fmt.Fprintf(p.out, "  %s\n", w)
	}
	for _, u := range p.probes {
		fmt.Fprintf(p.out, "%s → %s\n", u, p.describe(c.Table, u))
	}
}

// describe decides the GET request for u on t and says where it goes.
func (p *printer) describe(t *route.Table, u *url.URL) string {
	req := match.Request{
		Method: "GET", Scheme: u.Scheme, Authority: u.Host, Path: u.RequestURI(),
		Gateway: match.MeshGateway, SourceNamespace: p.sourceNamespace,
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.ParseUint(port, 10, 16); err == nil {
			req.Port = uint32(n)
		}
	}
	d := t.Decide(&req)
	var b strings.Builder
	b.WriteString(d.Action.String())
	switch d.Action {
	case route.ActionRoute:
		b.WriteString(" " + d.Destination.Host)
		if d.Destination.Subset != "" {
			b.WriteString(" subset " + d.Destination.Subset)
		}
		if d.Destination.Port != 0 {
			b.WriteString(" port " + strconv.FormatUint(uint64(d.Destination.Port), 10))
		}
		if p.registry != nil {
			if svc := p.registry.Lookup(d.Destination.Host); svc != nil {
				sel := svc.Select(d.Target.SubsetLabels, d.Destination.Port)
				fmt.Fprintf(&b, " (%d endpoints)", len(sel.Endpoints))
			}
		}
	case route.ActionRedirect:
		fmt.Fprintf(&b, " %d %s", d.Redirect.Code, d.Redirect.Location)
	default:
		fmt.Fprintf(&b, " %d", d.Status)
		if d.Reason != "" {
			b.WriteString(" (" + d.Reason + ")")
		}
	}
	if d.VirtualService.Name != "" {
		fmt.Fprintf(&b, " by %s", d.VirtualService)
		if d.Rule.Name != "" {
			fmt.Fprintf(&b, " rule %q", d.Rule.Name)
		} else if d.Rule.Index >= 0 {
			fmt.Fprintf(&b, " rule #%d", d.Rule.Index)
		}
	}
	return b.String()
}
