// Package subset holds service endpoints and their selection: the endpoint
// registry filled from ServiceEntries, WorkloadEntries and pluggable
// resolvers, and the label selection that turns a DestinationRule subset
// into the endpoints it names.
package subset

import (
	"net"
	"strconv"
)

// Endpoint is one network endpoint of a service.
type Endpoint struct {
	// Address is an IP address or a DNS name (dialled by name).
	Address string
	// Port is the port to dial; 0 means the service port.
	Port uint32
	// Ports maps service port names to endpoint ports (ServiceEntry
	// endpoints[].ports).
	Ports map[string]uint32
	// Labels are the workload's labels, which subsets select on.
	Labels map[string]string
	// Locality is "region/zone/subzone".
	Locality string
	// Weight is the load-balancing weight; 0 means 1.
	Weight uint32
	// Network is the endpoint's network name, informational.
	Network string
}

// HostPort returns "address:port" for dialling, using port when the
// endpoint has no port of its own.
func (e Endpoint) HostPort(port uint32) string {
	if e.Port != 0 {
		port = e.Port
	}
	return net.JoinHostPort(e.Address, strconv.FormatUint(uint64(port), 10))
}

// SelectedBy reports whether the endpoint carries every label in sel (an
// empty selector selects every endpoint).
func (e Endpoint) SelectedBy(sel map[string]string) bool {
	for k, v := range sel {
		if got, ok := e.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
